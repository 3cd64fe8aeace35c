"""Reading graphs and weights to explain gradient flow. Nothing here changes a graph or a weight.

- ``spectrum``: eigenvalues, spectral radius, singular values of W_hh, the lecture's regimes,
  Pascanu et al.'s condition, and transient growth of non-normal matrices.
"""
from .spectrum import (DERIVATIVE_BOUND, PascanuCondition, Spectrum, eigenvalue_regime, eigvals,
                       pascanu_condition, power_norms, regime, singular_values, spectral_radius, spectrum,
                       transient_growth_example)

__all__ = ["DERIVATIVE_BOUND", "PascanuCondition", "Spectrum", "eigenvalue_regime", "eigvals",
           "pascanu_condition", "power_norms", "regime", "singular_values", "spectral_radius", "spectrum",
           "transient_growth_example"]
