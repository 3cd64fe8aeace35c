r"""Eigenvalues and singular values of a recurrent weight matrix, and what they predict.

Backpropagating through T steps of $h_t = \phi(W h_{t-1} + \dots)$ multiplies the
gradient by $\mathrm{diag}(\phi'(a_t))\,W$ once per step. With a linear $\phi$ that is
$W^T$ applied T times (to a row vector: $(W^\top)^T$), so the eigenvalues of $W$ decide:

====================  ==================  ======================
largest $|\lambda|$     $W^k$ over time      gradients
====================  ==================  ======================
$> 1$                  grows like $\rho^k$   explode
$= 1$                  neither               stable
$< 1$                  decays like $\rho^k$  vanish
$\lambda < -1$         flips sign, grows     explode, oscillating
====================  ==================  ======================

The rule is exact for *normal* matrices ($W W^\top = W^\top W$: symmetric,
orthogonal...). For others, $\|W^k\|$ can grow for a while even when $\rho(W) < 1$
(see :func:`transient_growth_example`); the singular values bound it instead:
$\|W^k\| \le \sigma_{\max}^k$. Pascanu, Mikolov & Bengio (2013): if
$\sigma_{\max}(W) < 1/\gamma$, where $|\phi'| \le \gamma$ ($\gamma = 1$ for tanh,
$1/4$ for sigmoid), gradients are *guaranteed* to vanish.
"""
import dataclasses

import numpy as np

from ..core import Tensor
from ..nn.init import spectral_radius    # rho(W) = max |lambda|, lives in nn.init; analysis re-exports it

#: bound gamma on |phi'(a)| for each nonlinearity (Pascanu et al. 2013)
DERIVATIVE_BOUND = {"tanh": 1.0, "sigmoid": 0.25, "relu": 1.0, "linear": 1.0}


def _matrix(W, what: str) -> np.ndarray:
    """``W`` (an ndarray, Tensor or nested list) as a finite, non-empty float64 matrix, or a ValueError."""
    try:
        W = np.asarray(W.data if isinstance(W, Tensor) else W, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{what}: expected a matrix of numbers (an ndarray, Tensor or list of rows), got "
                         f"{type(W).__name__} {W!r:.40}. Fix: e.g. np.array([[1.0, 1.0], [1.0, 1.0]])") from None
    if W.ndim != 2 or W.size == 0:
        raise ValueError(f"{what}: expected a non-empty matrix (2-D), got an array of shape {W.shape}. Fix: pass "
                         f"a weight matrix such as weight_hh of shape (H, H), e.g. np.atleast_2d(W)")
    if not np.isfinite(W).all():
        raise ValueError(f"{what}: the matrix has non-finite entries (nan or inf), so it has no eigenvalues to "
                         f"read. Fix: look for where training diverged, or pass finite values")
    return W


def _square(W, what: str) -> np.ndarray:
    W = _matrix(W, what)
    if W.shape[0] != W.shape[1]:
        raise ValueError(f"{what}: eigenvalues need a square matrix, got shape {W.shape}. For an LSTM/GRU "
                         "weight_hh of shape (4H, H) or (3H, H), take one gate's H x H block, e.g. "
                         "W[k*H:(k+1)*H].")
    return W


def eigvals(W) -> np.ndarray:
    """Eigenvalues of a square matrix (ndarray or Tensor), largest |lambda| first (complex dtype)."""
    lam = np.linalg.eigvals(_square(W, "eigvals")).astype(complex)
    return lam[np.argsort(-np.abs(lam), kind="stable")]


def singular_values(W) -> np.ndarray:
    """Singular values, largest first; the largest is the spectral norm ||W||_2."""
    return np.linalg.svd(_matrix(W, "singular_values"), compute_uv=False)


def eigenvalue_regime(lam, tol: float = 1e-6) -> str:
    """The lecture's table for one eigenvalue: 'explode (oscillating)', 'explode', 'stable' or 'vanish'."""
    size = abs(lam)
    if size > 1 + tol:
        return "explode (oscillating)" if abs(np.imag(lam)) <= tol and np.real(lam) < 0 else "explode"
    return "stable" if size >= 1 - tol else "vanish"


def regime(W, tol: float = 1e-6) -> str:
    """The regime of the matrix: that of its eigenvalue of largest magnitude (among ties, an
    oscillating one wins)."""
    lam = eigvals(W)
    top = lam[np.abs(lam) >= np.abs(lam[0]) - tol]
    regimes = [eigenvalue_regime(x, tol) for x in top]
    return "explode (oscillating)" if "explode (oscillating)" in regimes else regimes[0]


@dataclasses.dataclass
class PascanuCondition:
    """Pascanu et al. (2013): sigma_max(W) < 1/gamma is *sufficient* for vanishing gradients;
    sigma_max(W) > 1/gamma is *necessary* (not sufficient) for exploding ones."""
    sigma_max: float
    gamma: float
    threshold: float          # 1 / gamma
    vanishing_guaranteed: bool
    exploding_possible: bool


def pascanu_condition(W, nonlinearity: str = "tanh", tol: float = 1e-6) -> PascanuCondition:
    if nonlinearity not in DERIVATIVE_BOUND:
        raise ValueError(f"pascanu_condition: nonlinearity must be one of {sorted(DERIVATIVE_BOUND)}, "
                         f"got {nonlinearity!r}")
    gamma = DERIVATIVE_BOUND[nonlinearity]
    sigma = float(singular_values(W)[0])
    threshold = 1 / gamma
    return PascanuCondition(sigma, gamma, threshold, sigma < threshold * (1 - tol), sigma > threshold * (1 + tol))


def power_norms(W, k_max: int) -> np.ndarray:
    """||W^k||_2 for k = 1..k_max: how much k steps of W can stretch a vector, at most."""
    W = _square(W, "power_norms")
    if isinstance(k_max, bool) or not isinstance(k_max, (int, np.integer)) or k_max < 0:
        raise ValueError(f"power_norms: k_max must be an int >= 0 (how many powers W^1..W^k_max), got {k_max!r}")
    norms, P = [], np.eye(len(W))
    for _ in range(k_max):
        P = P @ W
        norms.append(np.linalg.norm(P, 2))
    return np.array(norms)


def transient_growth_example() -> np.ndarray:
    """A non-normal matrix with rho = 0.9 < 1 whose powers still grow for a while:
    [[0.9, 2], [0, 0.9]]. ||W^k|| climbs to about 7.8 (at k = 9) and only falls back below 1
    after about 40 steps, although the eigenvalue rule predicts decay by 0.9 per step from
    the start."""
    return np.array([[0.9, 2.0], [0.0, 0.9]])


@dataclasses.dataclass
class Spectrum:
    """Everything the lecture reads off a recurrent matrix."""
    eigenvalues: np.ndarray
    spectral_radius: float
    singular_values: np.ndarray
    regime: str
    is_normal: bool
    pascanu: PascanuCondition

    def as_dict(self) -> dict:
        return {"eigenvalues": [[float(z.real), float(z.imag)] for z in self.eigenvalues],
                "spectral_radius": self.spectral_radius,
                "singular_values": [float(s) for s in self.singular_values],
                "regime": self.regime,
                "is_normal": self.is_normal,
                "pascanu": dataclasses.asdict(self.pascanu)}


def spectrum(W, nonlinearity: str = "tanh", tol: float = 1e-6) -> Spectrum:
    """Eigenvalues, spectral radius, singular values, regime, normality and Pascanu's condition of W."""
    W = _square(W, "spectrum")
    return Spectrum(eigvals(W), spectral_radius(W), singular_values(W), regime(W, tol), _is_normal(W, tol),
                    pascanu_condition(W, nonlinearity, tol))


def _is_normal(W, tol: float) -> bool:
    """W Wᵀ = Wᵀ W within tol · max(1, max|W|²), computed on W / max|W| so that entries near 1e308 don't
    overflow (the same test, both sides divided by max|W|²)."""
    largest = float(np.abs(W).max())
    if largest == 0.0:
        return True
    S = W / largest
    with np.errstate(over="ignore"):
        atol = tol if largest >= 1.0 else min(tol / largest / largest, np.finfo(np.float64).max)
    return bool(np.allclose(S @ S.T, S.T @ S, atol=atol))
