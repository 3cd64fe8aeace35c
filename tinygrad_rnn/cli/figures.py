"""``tinygrad-rnn figures --out docs/images``: regenerate the pictures shown in the README.

Every picture is made from the library's own calls, from fixed seeds, so running this again gives
the same files. The graph drawings need Graphviz's ``dot``, the gradient-flow plot matplotlib.
"""
from ..analysis import all_gradients, compare_gradient_flow, gradient_flow_figure, have_matplotlib, unroll
from ..viz import GraphvizNotFoundError, draw_graph, render
from .args import CommandError, make_dir, missing_extra, output_dir

# (file stem, cell, steps, detail, extra unroll settings, title, size): "slide" fills 1920×1080 px with
# text at least 14 px high; the LSTM's every op does not fit a slide, so it keeps its natural size
GRAPHS = [
    ("rnn_unrolled", "rnn", 2, "ops", {},
     "RNN (tanh), every op, T = 2, L = sum(h_2)", "slide"),
    ("lstm_unrolled", "lstm", 6, "cells", {},
     "LSTM, one node per state, T = 6, L = sum(h_6): the cell path c_(t-1) → c_t is additive", "slide"),
    ("rnn_truncated", "rnn", 8, "cells", {"cut_at": 4},
     "RNN (tanh), T = 8, truncated after step 4: gradients vanish step by step, and stop at the cut", "slide"),
    ("rnn_exploding", "rnn", 8, "cells", {"nonlinearity": "linear", "init": "orthogonal", "scale": 1.8},
     "linear RNN with W_hh = 1.8·Q (Q orthogonal): every step back multiplies the gradient by 1.8", "slide"),
    ("lstm_ops", "lstm", 2, "ops", {},
     "LSTM, every op, T = 2", None),
    ("rnn_rolled", "rnn", 5, "rolled", {},
     "RNN (tanh), rolled up: one cell and its recurrent loop", "slide"),
]
PNG_TOO = {"rnn_unrolled", "lstm_unrolled"}       # also as PNG, for viewers without SVG

FLOW_SETTINGS = [
    dict(cell="rnn", nonlinearity="linear", init="orthogonal", scale=0.9),
    dict(cell="rnn", nonlinearity="linear", init="orthogonal", scale=1.0),
    dict(cell="rnn", nonlinearity="linear", init="orthogonal", scale=1.1),
    dict(cell="rnn", nonlinearity="tanh", init="default"),
    dict(cell="rnn", nonlinearity="tanh", init="orthogonal"),
    dict(cell="rnn", nonlinearity="relu", init="identity"),
    dict(cell="lstm", init="default"),
    dict(cell="gru", init="default"),
]
FLOW_STEPS, FLOW_HIDDEN = 40, 16


def add_parser(sub):
    p = sub.add_parser("figures", help="regenerate the README's pictures (graph drawings and gradient-flow plot)")
    p.add_argument("--out", type=output_dir, default="docs/images", metavar="DIR",
                   help="folder to write to (default docs/images)")
    return p


def run(args):
    if not have_matplotlib():
        raise missing_extra("figures (the gradient-flow plot)", "matplotlib", "plots")
    out = make_dir(args.out)
    try:
        for stem, cell, steps, detail, settings, title, size in GRAPHS:
            net = unroll(cell, steps=steps, hidden_size=3, input_size=2, **settings)
            graph = draw_graph(net.loss, detail=detail, grads=all_gradients(net.loss), title=title, size=size)
            for suffix in (".svg", ".png") if stem in PNG_TOO else (".svg",):
                print(f"wrote {render(graph, out / (stem + suffix))}")
        flows = compare_gradient_flow(FLOW_SETTINGS, steps=FLOW_STEPS, hidden_size=FLOW_HIDDEN)
        path = out / "gradient_flow.png"
        gradient_flow_figure(flows, path, title=f"‖∂L/∂h_(T−d)‖ for L = sum(h_T), T = {FLOW_STEPS}, "
                                                 f"H = {FLOW_HIDDEN}",
                             eigenvalues_of=[f for f in flows if f.cell == "rnn"])
    except (GraphvizNotFoundError, ImportError) as err:      # `dot` or matplotlib is missing
        raise CommandError(str(err)) from None
    except OSError as err:
        raise CommandError(f"can't write into '{out}': {err.strerror or err}") from None
    print(f"wrote {path}")
    return 0
