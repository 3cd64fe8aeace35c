"""Part 1: the eigenvalues of W_hh for several initialisations, the regime each predicts, and the
gradient of a linear RNN with that W_hh, which follows the prediction."""
import numpy as np

from ...analysis import compare_gradient_flow, gradient_flow_figure, spectrum, unroll
from .summary import Section

TITLE = "Eigenvalues of W_hh: which regime each initialisation is in"
HIDDEN, INPUT, STEPS, SEED = 32, 4, 30, 0
# (init, scale, label); the scales are those of nn.init.init_weight_hh_
INITS = [("default", None, "PyTorch's default U(-1/sqrt H, 1/sqrt H)"),
         ("normal", None, "Gaussian N(0, 1/H)"),
         ("normal", 1.5 / np.sqrt(HIDDEN), "Gaussian N(0, 1.5^2/H)"),
         ("orthogonal", None, "orthogonal Q")]
KEYS = ["default", "normal", "normal_1_5", "orthogonal"]
LECTURE_A = [[1.0, 1.0], [1.0, 1.0]]
LECTURE_Q = [[1 / np.sqrt(2), -1 / np.sqrt(2)], [-1 / np.sqrt(2), -1 / np.sqrt(2)]]


def _real(z) -> float:
    """The real part, without float noise: eigvals gives 0 for [[1, 1], [1, 1]] as about 1e-16."""
    return float(np.round(np.real(z), 12)) + 0.0


def run(ctx) -> Section:
    section = Section("eigenvalues", TITLE, "§1 the eigenvalue perspective, §2 orthogonal matrices",
                      "03-eigenvalues.md",
                      {"H": HIDDEN, "T": STEPS, "seed": SEED, "activation": "linear (h_t = W_hh h_(t-1) + ...)"})
    ch3 = "03-eigenvalues.md"
    claim_2x2 = ("the 2x2 example [[1, 1], [1, 1]] has eigenvalues 2 and 0, so it explodes; the orthogonal 2x2 "
                 "example has +1 and -1, so it is stable")
    for name, W in [("A", LECTURE_A), ("Q", LECTURE_Q)]:
        spec = spectrum(W)
        lam = sorted((_real(z) for z in spec.eigenvalues), reverse=True)
        section.add(f"lecture_{name}.lambda_1", lam[0], f"larger eigenvalue of the lecture's {name}", claim_2x2, ch3,
                    "What an eigenvalue is")
        section.add(f"lecture_{name}.lambda_2", lam[1], f"smaller eigenvalue of the lecture's {name}", claim_2x2, ch3,
                    "What an eigenvalue is")
        section.add(f"lecture_{name}.regime", spec.regime, f"regime of the lecture's {name} (from its largest |λ|)",
                    claim_2x2, ch3, "What an eigenvalue is", headline=True)

    ctx.note(f"{len(INITS)} initialisations of a {HIDDEN}x{HIDDEN} W_hh; a linear RNN unrolled {STEPS} steps on each")
    settings = [dict(init=init, scale=scale, nonlinearity="linear") for init, scale, _ in INITS]
    flows = compare_gradient_flow(settings, cell="rnn", steps=STEPS, hidden_size=HIDDEN, input_size=INPUT, seed=SEED)
    for key, (init, scale, label), flow in zip(KEYS, INITS, flows):
        W = unroll("rnn", steps=1, hidden_size=HIDDEN, input_size=INPUT, init=init, scale=scale,
                   nonlinearity="linear", seed=SEED).weight_hh       # same sizes and seed: the flow's W_hh
        spec = spectrum(W)
        if init == "orthogonal":
            claim = "an orthogonal W_hh has every |λ| = 1, so the gradient neither explodes nor vanishes"
            where = (ch3, "An orthogonal matrix: every eigenvalue has size 1")
        else:
            claim = ("a random start can leave the eigenvalues well away from 1, and the largest |λ| decides: "
                     "above 1 the gradient explodes, below 1 it vanishes")
            where = (ch3, "Random weights put the eigenvalues anywhere")
        section.add(f"{key}.radius", spec.spectral_radius, f"spectral radius ρ = max |λ| of W_hh, {label}", claim,
                    *where, headline=True)
        section.add(f"{key}.regime", spec.regime, f"the regime ρ predicts, {label}", claim, *where, headline=True)
        norm_T = float(flow.jacobian_norms[-1])
        section.add(f"{key}.jacobian_T", norm_T, f"‖∂h_T/∂h_0‖₂ = ‖W_hh^T‖₂ over T = {STEPS} steps, {label}",
                    claim, *where)
        section.add(f"{key}.per_step", norm_T ** (1 / STEPS), f"its growth per step, ‖W_hh^T‖₂^(1/T), {label} "
                    "(tends to ρ as T grows)", claim, *where)

    section.file(ctx.out.figure(
        "eigenvalues.png",
        lambda: gradient_flow_figure(flows, quantity="jacobian_norms", eigenvalues_of=flows,
                                     title=f"‖∂h_T/∂h_(T−d)‖₂ of a linear RNN, H = {HIDDEN}: the eigenvalues decide"),
        section.key, "the eigenvalues of W_hh for each initialisation against the unit circle, and how the "
                     "gradient of a linear RNN grows or decays with them"))
    return section

