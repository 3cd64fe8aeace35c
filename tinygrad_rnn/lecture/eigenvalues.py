r"""Lecture §1–2: the eigenvalues of W_hh decide whether a linear RNN's gradient explodes or vanishes.

    result = eigenvalues.run(eigenvalues.Config(seed=3))

Measured: the lecture's two 2×2 examples (A = [[1, 1], [1, 1]] with λ = 2, 0; its orthogonal Q
with λ = ±1), then, for four initialisations of an H×H W_hh, the spectral radius ρ = max |λ| and
the growth per step of ‖∂h_T/∂h_0‖₂ = ‖W_hh·W_hh·…·W_hh‖₂ (T factors: the T-th power, not the
transpose) in a linear RNN (h_t = W_hh h_(t-1) + W_ih x_t).
Circular law: an H×H matrix of i.i.d. entries of variance s²/H has its eigenvalues spread
over a disc of radius ≈ s, so PyTorch's U(−1/√H, 1/√H) (variance 1/(3H)) gives ρ ≈ 0.58, N(0, 1/H)
gives ρ ≈ 1 (on the edge, either side by seed), and N(0, 1.5²/H) gives ρ ≈ 1.5. The claims
are worded with those margins, so that they hold for any seed.
"""
import dataclasses

import numpy as np

from ..analysis import compare_gradient_flow, spectrum, unroll
from .result import Result
from .claims import above, below, close, equal

TITLE = "Eigenvalues of W_hh: which regime each initialisation is in"
LECTURE = "§1 the eigenvalue perspective, §2 orthogonal matrices"
CHAPTER = "03-eigenvalues.md"
LECTURE_A = [[1.0, 1.0], [1.0, 1.0]]
LECTURE_Q = [[1 / np.sqrt(2), -1 / np.sqrt(2)], [-1 / np.sqrt(2), -1 / np.sqrt(2)]]


@dataclasses.dataclass
class Config:
    hidden: int = 32
    input: int = 4
    steps: int = 30
    seed: int = 0

    def quick(self) -> "Config":
        return self                       # already about a second


# (key, init, scale, label); the scales are those of nn.init.init_weight_hh_
def inits(hidden: int):
    return [("default", "default", None, "PyTorch's default U(-1/sqrt H, 1/sqrt H)"),
            ("normal", "normal", None, "Gaussian N(0, 1/H)"),
            ("normal_1_5", "normal", 1.5 / np.sqrt(hidden), "Gaussian N(0, 1.5^2/H)"),
            ("orthogonal", "orthogonal", None, "orthogonal Q")]


def _real(z) -> float:
    """The real part without float noise: eigvals gives 0 for [[1, 1], [1, 1]] as about 1e-16."""
    return float(np.round(np.real(z), 12)) + 0.0


def run(config: Config = Config(), note=None) -> Result:
    r = Result("eigenvalues", TITLE, lecture=LECTURE, chapter=CHAPTER, config=config)
    where_2x2 = (CHAPTER, "What an eigenvalue is")
    for name, W in [("A", LECTURE_A), ("Q", LECTURE_Q)]:
        spec = spectrum(W)
        lam = sorted((_real(z) for z in spec.eigenvalues), reverse=True)
        r.add(f"lecture_{name}.lambda_1", lam[0], f"larger eigenvalue of the lecture's {name}")
        r.add(f"lecture_{name}.lambda_2", lam[1], f"smaller eigenvalue of the lecture's {name}")
        r.add(f"lecture_{name}.regime", spec.regime, f"regime of the lecture's {name} (from its largest |λ|)",
              headline=True)
    r.claim("[[1, 1], [1, 1]] has eigenvalues 2 and 0, so repeated multiplication by it explodes", where_2x2,
            equal("lecture_A.lambda_1", 2.0), equal("lecture_A.lambda_2", 0.0), equal("lecture_A.regime", "explode"))
    r.claim("the lecture's orthogonal 2x2 Q has eigenvalues +1 and -1: stable", where_2x2,
            equal("lecture_Q.lambda_1", 1.0), equal("lecture_Q.lambda_2", -1.0), equal("lecture_Q.regime", "stable"))

    if note:
        note(f"4 initialisations of a {config.hidden}x{config.hidden} W_hh; a linear RNN unrolled "
             f"{config.steps} steps on each")
    table = inits(config.hidden)
    settings = [dict(init=init, scale=scale, nonlinearity="linear") for _, init, scale, _ in table]
    flows = compare_gradient_flow(settings, cell="rnn", steps=config.steps, hidden_size=config.hidden,
                                  input_size=config.input, seed=config.seed)
    for (key, init, scale, label), flow in zip(table, flows):
        W = unroll("rnn", steps=1, hidden_size=config.hidden, input_size=config.input, init=init, scale=scale,
                   nonlinearity="linear", seed=config.seed).weight_hh      # same sizes and seed: the flow's W_hh
        spec = spectrum(W)
        r.add(f"{key}.radius", spec.spectral_radius, f"spectral radius ρ = max |λ| of W_hh, {label}", headline=True)
        r.add(f"{key}.regime", spec.regime, f"the regime ρ predicts, {label}", headline=True)
        norm_T = float(flow.jacobian_norms[-1])
        power = f"‖W_hh^{config.steps}‖₂ (W_hh to the power {config.steps})"
        r.add(f"{key}.jacobian_T", norm_T, f"‖∂h_T/∂h_0‖₂ = {power} over T = {config.steps} steps, {label}")
        r.add(f"{key}.per_step", norm_T ** (1 / config.steps), f"its growth per step, ‖W_hh^{config.steps}‖₂^(1/"
              f"{config.steps}), {label}")
    r.series["flows"] = flows

    random = (CHAPTER, "Random weights put the eigenvalues anywhere")
    r.claim("PyTorch's default W_hh has ρ well below 1 (about 1/√3, the circular law), and a linear RNN's "
            "gradient shrinks by a factor below 0.8 per step", random,
            below("default.radius", 0.8), below("default.per_step", 0.8))
    r.claim("a Gaussian W_hh with entries of variance 1.5²/H has ρ well above 1, and the gradient grows by a "
            "factor above 1.2 per step", random,
            above("normal_1_5.radius", 1.2), above("normal_1_5.per_step", 1.2))
    r.claim("a Gaussian W_hh with entries of variance 1/H sits on the edge, ρ ≈ 1 (within 0.2 either way): "
            "random starts land on either side", random,
            above("normal.radius", 0.8), below("normal.radius", 1.2))
    r.claim("an orthogonal W_hh has every |λ| = 1, and the linear RNN's ‖∂h_T/∂h_0‖₂ stays exactly 1",
            (CHAPTER, "An orthogonal matrix: every eigenvalue has size 1"),
            equal("orthogonal.regime", "stable"), close("orthogonal.jacobian_T", 1.0, 1e-9))
    return r
