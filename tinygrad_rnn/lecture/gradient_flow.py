r"""Lecture §1, §2 and §5: how much of the gradient reaches d steps back, at initialisation.

    result = gradient_flow.run(gradient_flow.Config(seed=2))

For L = sum(h_T), T = 50, it measures ‖∂L/∂h_(T−d)‖ for d = 1..T in a tanh RNN with PyTorch's
default W_hh and with an orthogonal one, and in an LSTM; and, along the LSTM's cell path,
‖∂L/∂c_(T−d)‖ with the forget-gate bias b_f = 0 and b_f = 1 (Jozefowicz et al. 2015). At
initialisation f_t ≈ σ(b_f), so the cell path keeps about σ(0) = 0.5 per step with b_f = 0 and
σ(1) ≈ 0.73 with b_f = 1: over 50 steps, 0.5^50 ≈ 1e-15 against 0.73^50 ≈ 1e-7.
"""
import dataclasses

import numpy as np

from ..analysis import compare_gradient_flow
from .claims import above, below
from .result import Result

TITLE = "How much gradient reaches d steps back: tanh RNN (default, orthogonal) and LSTM"
LECTURE = "§1 the product of Jacobians, §2 orthogonal initialisation, §5 the LSTM's cell path"
CHAPTER = "04-orthogonal-init.md"
SETTINGS = [("rnn_default", dict(cell="rnn", init="default"), "tanh RNN, PyTorch's default W_hh"),
            ("rnn_orthogonal", dict(cell="rnn", init="orthogonal"), "tanh RNN, orthogonal W_hh"),
            ("lstm_default", dict(cell="lstm", init="default"), "LSTM, PyTorch's default weights"),
            ("lstm_bf0", dict(cell="lstm", init="default", forget_bias=0.0), "LSTM, forget-gate bias 0"),
            ("lstm_bf1", dict(cell="lstm", init="default", forget_bias=1.0), "LSTM, forget-gate bias 1")]


@dataclasses.dataclass
class Config:
    steps: int = 50
    hidden: int = 16
    seed: int = 0

    def quick(self) -> "Config":
        return dataclasses.replace(self, steps=30)


def _per_step(norms: np.ndarray) -> float:
    """The average factor per step back, (‖at d = T‖ / ‖at d = 1‖)^(1/(T−1))."""
    return float((norms[-1] / norms[0]) ** (1 / (len(norms) - 1)))


def run(config: Config = Config(), note=None) -> Result:
    T = config.steps
    r = Result("gradient_flow", TITLE, lecture=LECTURE, chapter=CHAPTER, config=config)
    if note:
        note(f"unrolling {len(SETTINGS)} nets for T = {T} steps and reading ‖∂L/∂h_(T−d)‖ for d = 1..{T}")
    flows = compare_gradient_flow([s for _, s, _ in SETTINGS], steps=T, hidden_size=config.hidden, seed=config.seed)
    r.series["flows"] = dict(zip([key for key, _, _ in SETTINGS], flows))
    for (key, _, label), flow in zip(SETTINGS, flows):
        if key in ("lstm_bf0", "lstm_bf1"):        # the cell path is what the forget bias acts on
            norms, what = flow.cell_grad_norms, "‖∂L/∂c_(T−{d})‖"
        else:
            norms, what = flow.grad_norms, "‖∂L/∂h_(T−{d})‖"
        for d in sorted({1, 10, T}):
            r.add(f"{key}.d{d}", float(norms[d - 1]), f"{what.format(d=d)}, {label}", fmt=".3g", headline=d == T)
        r.add(f"{key}.ratio", float(norms[-1] / norms[0]), f"{what.format(d=T)} / {what.format(d=1)}, {label}",
              fmt=".3g")
        r.add(f"{key}.per_step", _per_step(norms), f"average factor per step back, {label}", fmt=".3f")
    r.add("rnn_default.radius", max(flows[0].spectral_radius.values()), "spectral radius of the default W_hh")

    r.claim("in a tanh RNN with PyTorch's default W_hh, the gradient from the last step has all but vanished "
            f"{T} steps back (below 1e-4 of its size at d = 1)",
            ("02-rnn-bptt.md", "Seeing it in a longer sequence"),
            below("rnn_default.ratio", 1e-4), below("rnn_default.radius", 1.0))
    r.claim("orthogonal W_hh makes it vanish more slowly, yet tanh' ≤ 1 still shrinks it every step "
            "(average factor per step below 1)",
            (CHAPTER, "Why tanh and sigmoid still make gradients vanish"),
            above("rnn_orthogonal.per_step", 1.2, "rnn_default.per_step"), below("rnn_orthogonal.per_step", 1.0))
    # it keeps 0.55-0.66 per step back, by seed: at T = 50 that ends below 1e-9, at the quick version's 30
    # only below 5e-6, so the bound follows the length
    bound = 1e-6 if T >= 50 else 1e-4
    r.claim(f"with PyTorch's default biases, f_t ≈ 0.5 and the LSTM's gradient fades too: below {bound:.0e} of its "
            f"size {T} steps back",
            ("07-lstm.md", "Forget gates near 1 keep the gradient"),
            below("lstm_default.ratio", bound), below("lstm_bf0.ratio", bound))
    r.claim("a forget-gate bias of 1 (f_t ≈ 0.73 at the start) keeps far more of the gradient on the cell path: "
            "‖∂L/∂c_0‖ is at least 1000 times larger than with b_f = 0",
            ("07-lstm.md", "Forget gates near 1 keep the gradient"),
            above("lstm_bf1.ratio", 1000, "lstm_bf0.ratio"), above("lstm_bf1.per_step", 1.2, "lstm_bf0.per_step"))
    return r
