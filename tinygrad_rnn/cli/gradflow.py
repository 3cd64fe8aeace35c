"""``tinygrad-rnn gradflow --cell rnn --init orthogonal --scale 0.9 --nonlinearity linear --steps 30``:
how much gradient reaches d steps back, for d = 1..T.

Prints, for a loss L = sum(h_T) on the last step, ||∂h_T/∂h_(T-d)||₂ (the spectral norm of the
product of d step Jacobians) and ||∂L/∂h_(T-d)||. ``--json`` prints one object with ``jacobian_norms``
and ``grad_norms`` (index d-1) and the settings; ``--plot FILE`` draws them (needs matplotlib; without
it the table is printed instead).
"""
import sys

from ..analysis import INITS, NONLINEARITIES, gradient_flow, gradient_flow_figure, have_matplotlib
from .args import PROG, CommandError, finite_float, json_text, missing_extra, output_file, positive_int

PLOT_SUFFIXES = (".png", ".svg", ".pdf", ".jpg", ".jpeg", ".eps", ".ps")


def add_parser(sub):
    p = sub.add_parser("gradflow", help="gradient norm vs distance back in time, for one cell and initialisation",
                       description="Unroll a net (hidden size 16), put a loss on the last step, and measure "
                                   "||dh_T/dh_(T-d)|| and ||dL/dh_(T-d)|| for d = 1..T.")
    p.add_argument("--cell", choices=["rnn", "lstm", "gru"], default="rnn", help="the cell (default rnn)")
    p.add_argument("--init", choices=INITS, default="default",
                   help="W_hh: default (PyTorch's uniform), normal (sigma = S, default 1/sqrt(H)), orthogonal "
                        "(S*Q), identity (S*I), spectral (default rescaled to spectral radius S); per gate block "
                        "for lstm/gru")
    p.add_argument("--scale", type=finite_float, default=None, metavar="S", help="the init's number S (see --init)")
    p.add_argument("--nonlinearity", choices=NONLINEARITIES, default="tanh",
                   help="rnn only: tanh (default), relu, or linear (then ||dh_T/dh_(T-d)|| follows W_hh^d exactly)")
    p.add_argument("--steps", type=positive_int, default=30, metavar="T", help="time steps (default 30)")
    p.add_argument("--plot", type=output_file(*PLOT_SUFFIXES), default=None, metavar="FILE",
                   help="save a plot (.png, .svg, .pdf)")
    p.add_argument("--json", action="store_true",
                   help="print one JSON object instead of text (nan/inf as the strings \"nan\", \"inf\")")
    return p


#: the most steps `gradflow` unrolls: the time grows with T, and far fewer steps show the trend
MAX_STEPS = 20000


def run(args):
    if args.steps > MAX_STEPS:
        raise CommandError(f"--steps {args.steps} would unroll {args.steps} steps and multiply as many Jacobians, "
                           f"many minutes of work with no output. Fix: --steps {MAX_STEPS} or fewer (a norm that "
                           f"shrinks or grows by a factor per step is 0 or beyond float64 long before that; "
                           f"--steps 100 already shows which)")
    if args.plot and not have_matplotlib():
        raise missing_extra("--plot", "matplotlib", "plots")
    flow = gradient_flow(args.cell, args.init, args.scale, args.nonlinearity, steps=args.steps)
    if args.json:
        print(json_text(flow.as_dict()))
    else:
        radii = ", ".join(f"{gate}: {rho:.4g}" for gate, rho in flow.spectral_radius.items())
        print(f"{flow.label}, T = {flow.steps}, H = {flow.hidden_size}, L = sum(h_T); spectral radius of W_hh "
              f"({radii})")
        print(" d".rjust(4) + "||dh_T/dh_(T-d)||".rjust(20) + "||dL/dh_(T-d)||".rjust(18))
        for d, jac, grad in zip(flow.distances, flow.jacobian_norms, flow.grad_norms):
            print(str(d).rjust(4) + f"{jac:20.4g}{grad:18.4g}")
    if flow.overflow_distance is not None:
        d = flow.overflow_distance
        print(f"{PROG} gradflow: note: from d = {d} on, the norms are beyond float64's range (inf or nan): "
              f"with --scale {args.scale:g} the gradient grows past 1.8e308 within {d} step(s). Fix: a smaller "
              f"--scale (a spectral radius of 2 already shows the explosion), or fewer --steps", file=sys.stderr)
    if args.plot:
        report = sys.stderr if args.json else sys.stdout       # keep stdout pure JSON with --json
        try:
            gradient_flow_figure([flow], args.plot, quantity="both")
        except OSError as err:
            raise CommandError(f"can't write '{args.plot}': {err.strerror or err}") from None
        print(f"wrote {args.plot}", file=report)
    return 0
