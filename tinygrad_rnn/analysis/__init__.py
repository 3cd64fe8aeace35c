"""Reading graphs and weights to explain gradient flow. Nothing here changes a graph or a weight.

- ``spectrum``: eigenvalues, spectral radius, singular values of W_hh, the lecture's regimes,
  Pascanu et al.'s condition, and transient growth of non-normal matrices.
- ``gradients``: dL/dx for every tensor of a graph, without writing any ``.grad``.
- ``jacobians``: the step Jacobians ∂h_t/∂h_(t-1) and their products ∂h_T/∂h_k, from the
  engine's reverse mode, and the analytic formulas they must match.
- ``unrolled``: a small recurrent net unrolled step by step, with a chosen W_hh initialisation.
- ``gradflow``: ||∂h_T/∂h_(T-d)|| and ||∂L/∂h_(T-d)|| for d = 1..T, across inits and cells.
- ``plots``: those as matplotlib figures (the ``plots`` extra), or a text table.
- ``curves``: training curves and sweeps side by side (``Panel``, ``curves_figure``).
- ``truncation_cost``, ``time_truncation``: what a truncation window costs (updates, work counted in
  graph nodes, peak memory) and how long it takes against full BPTT (interleaved medians).
"""
from .curves import Panel, curves_figure
from .gradflow import GATE_NAMES, GradientFlow, compare_gradient_flow, gradient_flow
from .gradients import all_gradients, grad_norm, grad_norms
from .jacobians import (activation_derivative, jacobian_between, jacobian_products, jacobians_to_last, joint_jacobian,
                        lstm_cell_jacobian_formula, rnn_jacobian_formula, spectral_norm, step_jacobians)
from .plots import format_table, gradient_flow_figure, have_matplotlib, plot_eigenvalues, plot_gradient_flow
from .spectrum import (DERIVATIVE_BOUND, PascanuCondition, Spectrum, eigenvalue_regime, eigvals,
                       pascanu_condition, power_norms, regime, singular_values, spectral_radius, spectrum,
                       transient_growth_example)
from .truncation_cost import TruncationCost, TruncationTiming, time_truncation, truncation_cost
from .unrolled import INITS, NONLINEARITIES, Unrolled, init_weight_hh_, unroll

__all__ = ["DERIVATIVE_BOUND", "PascanuCondition", "Spectrum", "eigenvalue_regime", "eigvals",
           "pascanu_condition", "power_norms", "regime", "singular_values", "spectral_radius", "spectrum",
           "transient_growth_example",
           "all_gradients", "grad_norm", "grad_norms",
           "jacobian_between", "joint_jacobian", "step_jacobians", "jacobians_to_last", "jacobian_products", "spectral_norm",
           "activation_derivative", "rnn_jacobian_formula", "lstm_cell_jacobian_formula",
           "unroll", "Unrolled", "init_weight_hh_", "INITS", "NONLINEARITIES",
           "gradient_flow", "compare_gradient_flow", "GradientFlow", "GATE_NAMES",
           "plot_gradient_flow", "plot_eigenvalues", "gradient_flow_figure", "format_table", "have_matplotlib",
           "Panel", "curves_figure", "TruncationCost", "TruncationTiming", "time_truncation",
           "truncation_cost"]
