"""``tinygrad-rnn reproduce``: list the paper cards; ``reproduce NAME``: run one and write its card.

    tinygrad-rnn reproduce                          # the cards, their papers and default run times
    tinygrad-rnn reproduce pascanu2013 --seeds 3    # run it: progress on stderr, the verdict on stdout
    tinygrad-rnn reproduce adding --full            # the paper's scale where feasible (says how long)

The card's files (``NAME.md``, ``NAME.json``, PNG figures with matplotlib) go into ``--out``
(default ``papers-output/``); a card written there before is replaced, and the output says so. The
command only composes library calls (``tinygrad_rnn.papers``).
"""
import dataclasses
import functools
import pathlib
import sys
import time

from .. import papers
from ..analysis import have_matplotlib
from ..lecture.claims import verdict_line
from .args import CommandError, make_dir, output_dir, positive_int
from .tour.workers import _init_worker

#: each card's default run, measured on 2 cores (CPU seconds of its runs / 2 workers; the machine was shared)
DEFAULT_TIME = {"pascanu2013": "about 4 min (454 CPU seconds on 2 workers)", "adding": "about 1-2 min (135 CPU seconds on 2 workers)"}


def add_parser(sub):
    p = sub.add_parser("reproduce", help="the literature's results on RNN gradients, rerun here, each with a verdict",
                       description="Without NAME: list the paper cards. With NAME: run that card (its experiment, "
                                   "scaled to a laptop), print its verdict (reproduces / partially / does not) and "
                                   "write NAME.md, NAME.json and its figures into --out.")
    p.add_argument("name", nargs="?", metavar="NAME", help=f"a card: {', '.join(papers.CARDS)}")
    p.add_argument("--full", action="store_true",
                   help="the paper's scale where feasible; prints how long that takes before it starts")
    p.add_argument("--seeds", type=positive_int, default=None, metavar="N",
                   help="seeds 0..N-1 for every configuration (default 5)")
    p.add_argument("--jobs", type=positive_int, default=None, metavar="N",
                   help="worker processes (default 2)")
    p.add_argument("--out", type=output_dir, default=pathlib.Path("papers-output"), metavar="DIR",
                   help="folder to write the card into (default papers-output/; created if needed)")
    return p


def run(args):
    if args.name is None:
        print("Paper cards (tinygrad-rnn reproduce NAME runs one):\n")
        for name, module in papers.CARDS.items():
            print(f"  {name:<12} {module.TITLE}\n  {'':<12} {module.PAPER}\n  {'':<12} default run: "
                  f"{DEFAULT_TIME.get(name, '?')} on 2 cores\n")
        return 0
    if args.name not in papers.CARDS:
        raise CommandError(f"no card named {args.name!r}; the cards: {', '.join(papers.CARDS)}. "
                           f"Fix: tinygrad-rnn reproduce {next(iter(papers.CARDS))}")
    module = papers.CARDS[args.name]
    config = module.Config()
    if args.full:
        config = config.full()
        if hasattr(module, "full_estimate"):
            print(f"{module.full_estimate(config)}. Ctrl-C stops it.", flush=True)
    changes = {}
    if args.seeds is not None:
        changes["seeds"] = args.seeds
    if args.jobs is not None:
        changes["jobs"] = args.jobs
    config = dataclasses.replace(config, **changes)
    folder = make_dir(args.out)
    print(f"tinygrad-rnn reproduce {args.name}: {module.TITLE}\n  {module.PAPER}", flush=True)
    start = time.perf_counter()
    card = module.run(config, note=lambda text: print(f"  {text}", file=sys.stderr, flush=True),
                      worker_init=functools.partial(_init_worker, getattr(args, "blas_threads", 1)))
    card.seconds = time.perf_counter() - start
    plt = None
    if have_matplotlib():
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    replaced = (folder / f"{card.name}.json").exists()
    files = papers.write(card, folder, figures=module.figures, plt=plt)
    verdict = card.verdict
    print(f"\nVerdict: {verdict['verdict']} (in {card.seconds:.0f} s)")
    for claim in verdict["claims"]:
        print(f"  {verdict_line(claim)}")
    for reason in verdict["why"]:
        print(f"  - {reason}")
    print(f"\n{'Replaced the card written before in' if replaced else 'Wrote'} {folder}/:")
    for path, what in files:
        print(f"  {path.name:<20} {what}")
    if plt is None:
        print("No figures: they need matplotlib (python3 -m pip install -e \".[plots]\").")
    return 0
