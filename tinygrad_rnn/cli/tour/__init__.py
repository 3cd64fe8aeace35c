"""``tinygrad-rnn tour``: the lecture's story in about a minute, every number measured on the spot.

Five parts, one module each, each only composing library calls and returning a ``summary.Section``:

1. ``eigenvalues``: W_hh's eigenvalues for several initialisations, the regime each is in, and a
   linear RNN's gradient following it;
2. ``gradient_flow``: ‖∂L/∂h_(T−d)‖ against d for a tanh RNN (default, orthogonal) and an LSTM;
3. ``clipping``: the (80, 60) example, and an exploding run with and without clipping;
4. ``truncation``: full BPTT vs windows — time, peak memory, and what each can learn;
5. ``lstm``: a tanh RNN and an LSTM trained on the adding problem.

Everything goes into one folder (``--out``, default ``tour-output/``): graph drawings (SVG, or DOT
text when Graphviz's ``dot`` is missing), plots (PNG, when matplotlib is installed), and
``summary.json`` / ``summary.md`` made from one dict (``summary.py``). Progress goes to stderr,
the headline numbers and the list of files to stdout. ``--quick`` runs shorter sequences and
trainings (about 10 seconds instead of about a minute). Seeded: the same numbers every run,
except timings and memory peaks.
"""
import pathlib

from ..args import output_dir
from . import clipping, eigenvalues, gradient_flow, lstm, summary, truncation
from .output import Output, Progress

PARTS = (eigenvalues, gradient_flow, clipping, truncation, lstm)
OPEN_AFTER = ("gradient_flow.png", "rnn_unrolled", "adding.png")   # what to look at after summary.md


class Context:
    """What a part gets: the output folder, the mode, and a way to report progress."""

    def __init__(self, out: Output, quick: bool, progress: Progress):
        self.out, self.quick, self.progress = out, quick, progress

    def note(self, text: str) -> None:
        self.progress.note(text)


def add_parser(sub):
    p = sub.add_parser("tour", help="the lecture's story, measured: numbers, graphs and plots in a folder (~1 min)",
                       description="Walk through the lecture with numbers measured on the spot: eigenvalues and "
                                   "regimes, gradient flow, clipping, truncated BPTT, RNN vs LSTM. Writes graphs, "
                                   "plots and summary.md (each number, the claim, the chapter) into a folder.")
    p.add_argument("--out", type=output_dir, default=pathlib.Path("tour-output"), metavar="DIR",
                   help="folder to write into (default tour-output/; created if needed)")
    p.add_argument("--quick", action="store_true",
                   help="a ~10-second version: shorter sequences and trainings, the same story")
    return p


def run(args):
    out = Output(args.out)              # a folder that can't be written: CommandError, one line, exit 2
    progress = Progress(len(PARTS))
    context = Context(out, args.quick, progress)
    print(f"tinygrad-rnn tour ({'quick' if args.quick else 'full'}): the lecture's claims, measured. "
          f"Writing to {out.folder}/")
    sections = []
    for number, part in enumerate(PARTS, 1):
        progress.start(number, part.TITLE)
        section = part.run(context)
        section.seconds = progress.done()
        sections.append(section)
        _print_headlines(number, section)
    result = summary.build(sections, quick=args.quick, seconds=progress.elapsed(), output=out)
    summary.write(result, out)
    _print_files(out.folder, result)
    return 0


def _print_headlines(number: int, section) -> None:
    print(f"\n{number}. {section.title}")
    for item in section.items:
        if item["headline"]:
            print(f"   {item['what']}: {item['shown']}" + (" (varies)" if item["varies"] else ""))


def _print_files(folder: pathlib.Path, result: dict) -> None:
    print(f"\nDone in {result['seconds']} s. {len(result['files'])} files in {folder}/:")
    width = max(len(f["name"]) for f in result["files"])
    for f in result["files"]:
        print(f"  {f['name']:<{width}}  {f['what']}")
    for note in result["notes"]:
        print(f"\nNote: {note}")
    names = [f["name"] for f in result["files"]]
    then = [name for wanted in OPEN_AFTER for name in names if name.startswith(wanted)]
    print(f"\nOpen {folder / result['first_to_open']} first: each number, the lecture's claim it bears on, "
          "and the tutorial chapter that explains it.")
    if then:
        print("Then look at " + ", ".join(str(folder / name) for name in then) + ".")
