r"""How much gradient survives the trip back through time, compared across initialisations and cells.

For a net unrolled T steps with a loss L = sum(h_T) on the last step, and each distance
d = 1, ..., T, ``gradient_flow`` measures

- ``jacobian_norms[d-1]`` = ||∂h_T/∂h_(T-d)||_2, the spectral norm of the product of d step
  Jacobians: by how much, at most, a gradient arriving at h_T can be stretched on its way back
  to h_(T-d);
- ``grad_norms[d-1]`` = ||∂L/∂h_(T-d)||: how much actually arrives there for this loss;
- for the LSTM, ``cell_grad_norms[d-1]`` = ||∂L/∂c_(T-d)||: what travels along the cell path.

Both come from the engine's reverse mode (``analysis.jacobians``, ``analysis.gradients``). With a
linear activation and W_hh = λQ (Q orthogonal) the first is exactly λ^d: it vanishes for λ < 1,
stays for λ = 1, explodes for λ > 1. With tanh, φ' ≤ 1 squeezes it further at every step.

    flows = compare_gradient_flow([dict(init="orthogonal", scale=s, nonlinearity="linear")
                                   for s in (0.9, 1.0, 1.1)], steps=30)
"""
import dataclasses
import inspect

import numpy as np

from .gradients import all_gradients, grad_norm
from .jacobians import jacobians_to_last, spectral_norm
from .spectrum import eigvals
from .unrolled import unroll

#: the H x H blocks of each cell's weight_hh (G*H, H), in PyTorch's order
GATE_NAMES = {"rnn": ("W_hh",), "lstm": ("i", "f", "g", "o"), "gru": ("r", "z", "n")}


@dataclasses.dataclass
class GradientFlow:
    """One setting's measurements; ``jacobian_norms`` and ``grad_norms`` have length T, index d-1."""
    cell: str
    init: str
    scale: float | None
    nonlinearity: str
    steps: int
    hidden_size: int
    seed: int
    jacobian_norms: np.ndarray     # (T,): ||∂h_T/∂h_(T-d)||_2 for d = 1..T
    grad_norms: np.ndarray         # (T,): ||∂L/∂h_(T-d)|| for d = 1..T
    eigenvalues: dict              # gate name -> eigenvalues of that H x H block of W_hh (complex, (H,))
    forget_bias: float | None = None
    cell_grad_norms: np.ndarray | None = None   # (T,): ||∂L/∂c_(T-d)|| for the LSTM, else None

    @property
    def distances(self) -> np.ndarray:
        return np.arange(1, self.steps + 1)

    @property
    def spectral_radius(self) -> dict:
        """gate name -> rho of that block of W_hh."""
        return {gate: float(np.abs(lam).max()) for gate, lam in self.eigenvalues.items()}

    @property
    def label(self) -> str:
        """A short name for plots and tables, e.g. ``rnn linear, orthogonal x0.9``."""
        activation = f" {self.nonlinearity}" if self.cell == "rnn" else ""
        scale = "" if self.scale is None else (f" rho={self.scale:g}" if self.init == "spectral"
                                               else f" sigma={self.scale:g}" if self.init == "normal"
                                               else f" x{self.scale:g}")
        bias = "" if self.forget_bias is None else f", b_f={self.forget_bias:g}"
        return f"{self.cell}{activation}, {self.init}{scale}{bias}"

    def settings(self) -> dict:
        return {"cell": self.cell, "init": self.init, "scale": self.scale, "nonlinearity": self.nonlinearity,
                "steps": self.steps, "hidden_size": self.hidden_size, "seed": self.seed,
                "forget_bias": self.forget_bias, "loss": "sum(h_T)"}

    @property
    def overflow_distance(self) -> int | None:
        """The first d whose Jacobian or gradient norm is inf or nan (out of float64's range), or None."""
        bad = ~(np.isfinite(self.jacobian_norms) & np.isfinite(self.grad_norms))
        return int(np.argmax(bad)) + 1 if bad.any() else None

    def as_dict(self) -> dict:
        """JSON-ready: the settings, ``distances`` d = 1..T, ``jacobian_norms``, ``grad_norms``, and
        ``spectral_radius`` per gate block of W_hh."""
        return {**self.settings(), "distances": self.distances.tolist(),
                "jacobian_norms": [float(x) for x in self.jacobian_norms],
                "grad_norms": [float(x) for x in self.grad_norms],
                "spectral_radius": self.spectral_radius}


def gradient_flow(cell: str = "rnn", init: str = "default", scale: float | None = None,
                  nonlinearity: str = "tanh", steps: int = 30, hidden_size: int = 16, input_size: int = 4,
                  forget_bias: float | None = None, seed: int = 0) -> GradientFlow:
    """Unroll one setting (see ``unrolled.unroll`` for the arguments) and measure its gradient flow.

    A scale so large that the products leave float64's range (beyond ~1.8e308) gives inf (or nan, where
    inf - inf or 0 * inf came up on the way) for those distances, without NumPy's overflow warnings;
    ``GradientFlow.overflow_distance`` is the first such d."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        net = unroll(cell, steps, hidden_size, input_size, init=init, scale=scale, nonlinearity=nonlinearity,
                     forget_bias=forget_bias, seed=seed)
        to_last = jacobians_to_last(net.hidden)             # [∂h_T/∂h_0, ..., ∂h_T/∂h_T]
        grads = all_gradients(net.loss)                     # {tensor: dL/dtensor}
        T = steps
        jacobian_norms = np.array([spectral_norm(to_last[T - d]) for d in range(1, T + 1)], dtype=np.float64)
        grad_norms = np.array([grad_norm(grads.get(net.hidden[T - d])) for d in range(1, T + 1)],
                              dtype=np.float64)
        cell_grad_norms = None if net.cell_states is None else np.array(
            [grad_norm(grads.get(net.cell_states[T - d])) for d in range(1, T + 1)], dtype=np.float64)
    H = hidden_size
    blocks = {gate: eigvals(net.weight_hh[k * H:(k + 1) * H]) for k, gate in enumerate(GATE_NAMES[cell])}
    return GradientFlow(cell, init, scale, nonlinearity, steps, hidden_size, seed, jacobian_norms, grad_norms,
                        blocks, forget_bias, cell_grad_norms)


def compare_gradient_flow(settings, **common) -> list:
    """``gradient_flow(**common, **s)`` for each dict ``s`` in ``settings``: a list of ``GradientFlow``."""
    settings = list(settings)
    known = set(inspect.signature(gradient_flow).parameters)
    for i, s in enumerate([common, *settings]):
        if not isinstance(s, dict):
            raise TypeError(f"compare_gradient_flow: each setting must be a dict such as dict(cell='rnn', "
                            f"init='orthogonal'), got {type(s).__name__}")
        unknown = sorted(set(s) - known)
        if unknown:
            where = "the common options" if i == 0 else f"setting {i - 1}"
            raise TypeError(f"compare_gradient_flow: unknown option(s) {unknown} in {where}; valid: "
                            f"{', '.join(sorted(known))}")
    return [gradient_flow(**{**common, **s}) for s in settings]
