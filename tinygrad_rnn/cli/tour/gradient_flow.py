"""Part 2: ‖∂L/∂h_(T−d)‖ against the distance d for a tanh RNN (default and orthogonal W_hh) and an
LSTM, all at initialisation, with L = sum(h_T) a loss on the last step."""
from ...analysis import compare_gradient_flow, gradient_flow_figure
from .drawings import draw_unrolled
from .summary import Section

TITLE = "How much gradient reaches d steps back: tanh RNN (default, orthogonal) and LSTM"
FULL = {"T": 50, "H": 16, "seed": 0}
QUICK = {"T": 30, "H": 16, "seed": 0}
SETTINGS = [("rnn_default", dict(cell="rnn", init="default"), "tanh RNN, PyTorch's default W_hh"),
            ("rnn_orthogonal", dict(cell="rnn", init="orthogonal"), "tanh RNN, orthogonal W_hh"),
            ("lstm_default", dict(cell="lstm", init="default"), "LSTM, PyTorch's default weights")]
CLAIMS = {
    "rnn_default": ("each step back multiplies the gradient by diag(φ') · W_hh; with every |λ| < 1 it vanishes "
                    "exponentially", "02-rnn-bptt.md", "Seeing it in a longer sequence"),
    "rnn_orthogonal": ("orthogonal init helps, yet the squashing derivatives (tanh' ≤ 1) still make the gradient "
                       "vanish over time", "04-orthogonal-init.md", "Why tanh and sigmoid still make gradients vanish"),
    "lstm_default": ("the cell path scales the gradient by f_t alone; at the start f_t ≈ 0.5, so it fades too until "
                     "training opens the forget gates (part 5)", "07-lstm.md", "Forget gates near 1 keep the gradient"),
}


def run(ctx) -> Section:
    s = QUICK if ctx.quick else FULL
    T = s["T"]
    section = Section("gradient_flow", TITLE, "§1 the product of Jacobians, §2 orthogonal initialisation, §5 the LSTM",
                      "04-orthogonal-init.md", {**s, "loss": "sum(h_T)"})
    ctx.note(f"unrolling {len(SETTINGS)} nets for T = {T} steps and reading ‖∂L/∂h_(T−d)‖ for d = 1..{T}")
    flows = compare_gradient_flow([settings for _, settings, _ in SETTINGS], steps=T, hidden_size=s["H"],
                                  seed=s["seed"])
    distances = sorted({1, 10, T})
    for (key, _, label), flow in zip(SETTINGS, flows):
        claim, chapter, heading = CLAIMS[key]
        for d in distances:
            section.add(f"{key}.d{d}", float(flow.grad_norms[d - 1]), f"‖∂L/∂h_(T−{d})‖, {label}", claim, chapter,
                        heading, fmt=".3g", headline=d == T)
        per_step = float((flow.grad_norms[T - 1] / flow.grad_norms[0]) ** (1 / (T - 1)))
        section.add(f"{key}.per_step", per_step, f"average factor per step back, (‖∂L/∂h_0‖ / ‖∂L/∂h_(T−1)‖)^(1/(T−1)),"
                    f" {label}", claim, chapter, heading, fmt=".3f")
        radius = max(flow.spectral_radius.values())
        section.add(f"{key}.radius", radius, f"largest spectral radius of W_hh's gate blocks, {label}", claim,
                    chapter, heading)

    section.file(ctx.out.figure(
        "gradient_flow.png",
        lambda: gradient_flow_figure(flows, title=f"‖∂L/∂h_(T−d)‖ for L = sum(h_T), T = {T}, H = {s['H']}",
                                     eigenvalues_of=flows[:2]),
        section.key, "gradient norm against distance for the tanh RNN (default, orthogonal) and the LSTM, "
                     "next to the RNNs' eigenvalues"))
    ctx.note("drawing an unrolled RNN and LSTM with their gradients")
    section.file(draw_unrolled(ctx.out, "rnn_unrolled", section.key,
                               "a tanh RNN unrolled 8 steps, one node per state: the gradient fades step by step",
                               cell="rnn", steps=8, detail="cells",
                               title="tanh RNN, T = 8, L = sum(h_8): colour and width = ‖∂L/∂h_t‖"))
    section.file(draw_unrolled(ctx.out, "lstm_unrolled", section.key,
                               "an LSTM unrolled 6 steps: the cell path c_(t-1) → c_t, labelled with f_t",
                               cell="lstm", steps=6, detail="cells",
                               title="LSTM, T = 6, L = sum(h_6): the double line is the additive cell path"))
    return section
