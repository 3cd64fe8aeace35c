"""``tinygrad-rnn graph --cell lstm --steps 4``: draw an unrolled recurrent net with its gradients.

It unrolls a small net (hidden size 3, input size 2, unbatched), computes dL/dx for every tensor
for L = sum(h_T) without writing any ``.grad`` (``analysis.all_gradients``), and draws the graph
(``viz.draw_graph``). ``--cut-at t`` detaches the state between steps t and t+1, as truncated BPTT
does; ``--fused`` makes each step one node, as the layers and ``train`` run it. Without ``--out`` the DOT text is printed; ``--out`` writes .dot (needs nothing), .svg or .png
(need Graphviz's ``dot``), .html (the explorer, ``viz.to_html``: play the backward pass in a browser) or
.gif (the same animation, ``viz.to_gif``; needs Pillow, from the ``plots`` extra). ``--size slide``
fills a 1920×1080 slide with text at least 14 px high, and says what to draw instead where it can't.
"""
import sys
import warnings

from ..analysis import all_gradients, unroll
from ..viz import DETAILS, GraphvizNotFoundError, SlideTooSmallWarning, draw_graph, render, to_gif, to_html
from ..viz.graph import OPS_UP_TO_STEPS
from ..viz.render import FORMATS, RenderTimeoutError
from ..viz.style import SIZES
from .args import CommandError, missing_extra, output_file, positive_int

SUFFIXES = (".dot", ".gv", *("." + f for f in FORMATS), ".html", ".gif")


def add_parser(sub):
    p = sub.add_parser("graph", help="draw an unrolled RNN/LSTM/GRU graph with its gradients (DOT, SVG, PNG)",
                       description="Draw an unrolled recurrent net: time steps left to right, gradient norms as "
                                   "colour and width, the recurrent edges labelled with the Jacobian norms.")
    p.add_argument("--cell", choices=["rnn", "lstm", "gru"], default="rnn", help="the cell (default rnn)")
    p.add_argument("--steps", type=positive_int, default=3, metavar="T", help="time steps to unroll (default 3)")
    p.add_argument("--detail", choices=DETAILS, default=None,
                   help="ops: every op; cells: one node per state per step, for long sequences; rolled: one "
                        f"cell with its recurrent loop (default: ops up to {OPS_UP_TO_STEPS} steps, cells beyond; "
                        f"with --size slide, the first of those, cells and rolled whose text is readable there)")
    p.add_argument("--fused", action="store_true",
                   help="each step one node (lstm_step ...), as nn.LSTM and train run it, instead of every op a "
                        "node (the default here, to show every gate)")
    p.add_argument("--cut-at", type=positive_int, default=None, metavar="t",
                   help="detach the state after step t (truncated BPTT): no gradient crosses")
    p.add_argument("--size", choices=list(SIZES), default=None,
                   help="slide: fill a 16:9 slide, 1920×1080 px, no text under 14 px (without --detail, the "
                        "detail that fits is drawn; a --detail or --steps too big for that is refused, saying "
                        "what to draw instead); default: the natural size")
    p.add_argument("--out", type=output_file(*SUFFIXES), default=None, metavar="FILE",
                   help="write FILE.svg, FILE.png, FILE.dot, FILE.html (the explorer: play the backward pass) or "
                        "FILE.gif (the same animation) (default: print the DOT text)")
    return p


#: the most steps `graph` unrolls: beyond, it would work for minutes and GBs before drawing anything unreadable
MAX_STEPS = 5000


def run(args):
    if args.steps > MAX_STEPS:                  # known before anything is unrolled: refused at once
        raise CommandError(f"--steps {args.steps} would unroll {args.steps} steps (a graph of {args.steps:,} states "
                           f"and more ops), minutes of work and GBs of memory before a drawing that no one could "
                           f"read. Fix: --steps {MAX_STEPS} or fewer (a few dozen steps already show the gradient "
                           f"vanish or explode; --detail rolled draws one cell with its loop)")
    net = unroll(args.cell, steps=args.steps, hidden_size=3, input_size=2, cut_at=args.cut_at, fused=args.fused)
    title = (f"{args.cell.upper()}, T = {args.steps}, L = sum(h_{args.steps})"
             + (f", cut after step {args.cut_at}" if args.cut_at else ""))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        graph = draw_graph(net.loss, detail=args.detail, grads=all_gradients(net.loss), title=title, size=args.size)
    detail = graph.detail
    smaller = {"ops": "--detail cells or --detail rolled, or ", "cells": "--detail rolled, or "}.get(detail, "")
    for warning in caught:                  # said the CLI's way, with the flags to use
        advice = f"{warning.message} On the command line: {smaller}fewer --steps."
        if issubclass(warning.category, SlideTooSmallWarning):
            raise CommandError(f"--size slide: nothing written. {advice}")    # a slide no one can read: refuse
        print(f"tinygrad-rnn graph: warning: {advice}", file=sys.stderr)
    if args.size and args.detail is None and detail != ("ops" if args.steps <= OPS_UP_TO_STEPS else "cells"):
        print(f"tinygrad-rnn graph: drew --detail {detail}: the fuller drawing's text would be too small on a "
              f"slide", file=sys.stderr)
    if args.out is None:
        print(graph.source)
        return 0
    suffix = args.out.suffix.lower()
    try:
        if suffix == ".html":
            path = to_html(graph).save(args.out)
        elif suffix == ".gif":
            path = to_gif(graph, args.out)
        else:
            path = render(graph, args.out)
    except (GraphvizNotFoundError, RenderTimeoutError) as err:
        raise CommandError(str(err)) from None
    except ImportError:                     # to_gif without Pillow
        raise missing_extra("graph --out FILE.gif", "Pillow", "plots") from None
    except OSError as err:
        raise CommandError(f"can't write '{args.out}': {err.strerror or err}") from None
    print(f"wrote {path}")
    return 0
