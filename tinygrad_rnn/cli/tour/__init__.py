"""``tinygrad-rnn tour``: the lecture's story in well under a minute, every number measured on the spot.

The tour runs the lecture's experiments (``tinygrad_rnn.lecture``, one module per section:
eigenvalues, gradient flow, clipping, truncation, RNN vs LSTM) and renders what they return:
their measured values, their claims with a verdict each, their plots and graph drawings
(``figures.py``). It computes nothing of its own.

Everything goes into one folder (``--out``, default ``tour-output/``): graph drawings (SVG with a
PNG copy each, or DOT text when Graphviz's ``dot`` is missing), an HTML explorer of the unrolled
RNN and LSTM, plots (PNG, when matplotlib is installed), and ``index.html`` (each part's claims and
numbers beside its pictures) / ``summary.json`` / ``summary.md`` made from one dict
(``summary.py``), and, from a checkout, ``chapters/``: the tutorial chapters rendered as HTML
(``chapters.py``), where each claim's "Explained in" link opens its section. Progress goes to stderr,
the headline numbers, the verdicts and the list of files to stdout. ``--quick`` runs shorter
versions of some experiments; ``--seed N`` reruns everything with another seed (the claims are
worded to hold for any). The exit code is 0 when the tour ran, whatever the verdicts; a claim
that does not hold is printed as such.
"""
import os
import pathlib

from ... import lecture
from ..args import CommandError, output_dir, positive_int, seed_int
from . import chapters, papers, summary
from .figures import FIGURES
from .output import Output, Progress
from .workers import run_all

OPEN_AFTER = ("gradient_flow.png", "rnn_unrolled", "adding.png")   # what to look at after index.html
EXPLORERS = ("rnn_unrolled", "lstm_unrolled")                        # the drawings that get an HTML explorer


def add_parser(sub):
    p = sub.add_parser("tour",
                       help="the lecture's story, measured: claims, numbers, graphs and plots in a folder (~30 s)",
                       description="Walk through the lecture with numbers measured on the spot: eigenvalues and "
                                   "regimes, gradient flow, clipping, truncated BPTT, RNN vs LSTM. Prints each "
                                   "claim with its verdict; writes graphs (SVG and PNG), plots, explorers and index.html "
                                   "(each claim, its verdict and numbers, the chapter, beside the pictures; "
                                   "summary.md: the same as text) into a folder.")
    p.add_argument("--out", type=output_dir, default=pathlib.Path("tour-output"), metavar="DIR",
                   help="folder to write into (default tour-output/; created if needed)")
    p.add_argument("--quick", action="store_true",
                   help="a shorter version: shorter sequences and trainings where the story allows it")
    p.add_argument("--seed", type=seed_int, default=0, metavar="N",
                   help="seed of every experiment (default 0); the claims hold for any seed")
    p.add_argument("--window-table", action="store_true",
                   help="add a part that tests the lecture's window table on real text (an LSTM trained on a "
                        "stream of Python's docs with several truncation windows; about two minutes)")
    p.add_argument("--site", type=pathlib.Path, default=None, metavar="DIR",
                   help="a course site built with `python3 docs/site/build.py --out DIR` (README, \"The course "
                        "site\"): each claim links to its section there (default: DIR/site inside --out, when it "
                        "holds one; otherwise to the chapters the tour renders itself)")
    p.add_argument("--papers", action="store_true",
                   help="add the paper cards (tinygrad-rnn reproduce): the papers' experiments rerun, each with a "
                        "verdict; a few minutes per card")
    p.add_argument("--jobs", type=positive_int, default=None, metavar="N",
                   help="experiments run side by side in N worker processes (default: 2, or 1 on a one-core "
                        "machine); the numbers are the same for any N")
    return p


def run(args):
    out = Output(args.out, explorers=EXPLORERS)   # a folder that can't be written: CommandError, exit 2
    experiments = lecture.EXPERIMENTS + (lecture.EXTRA_EXPERIMENTS if getattr(args, "window_table", False) else ())
    progress = Progress(len(experiments) + (len(papers.CARDS) if getattr(args, "papers", False) else 0))
    jobs = args.jobs if args.jobs is not None else min(2, os.cpu_count() or 1)
    print(f"tinygrad-rnn tour ({'quick' if args.quick else 'full'}, seed {args.seed}): the lecture's claims, "
          f"measured. Writing to {out.folder}/")
    sections = []
    parts = run_all(experiments, seed=args.seed, quick=args.quick, jobs=jobs,
                    blas_threads=getattr(args, "blas_threads", 1),
                    on_start=lambda number, experiment: progress.start(number, experiment.TITLE),
                    on_note=progress.note, on_done=progress.done)
    for number, (_, result, seconds) in enumerate(parts, 1):
        files = FIGURES[result.name](out, result)
        sections.append(summary.section(result, number, seconds, files))
        _print_headlines(sections[-1])
    if getattr(args, "papers", False):
        for part in papers.sections(out, len(sections) + 1, progress, getattr(args, "blas_threads", 1)):
            sections.append(part)
            _print_headlines(part)
    site = course_site(out.folder, getattr(args, "site", None))
    if site is None and summary.TUTORIALS is not None:   # a checkout: the claims' links open the chapters, rendered
        chapters.write_chapters(out, summary.TUTORIALS)
    result = summary.build(sections, quick=args.quick, seed=args.seed, seconds=progress.elapsed(), output=out,
                           chapters_base=None if site is None else pathlib.Path(os.path.relpath(site, out.folder))
                           .as_posix())
    summary.write(result, out)
    _print_files(out.folder, result)
    return 0


def course_site(folder: pathlib.Path, site) -> pathlib.Path | None:
    """The built course site the claims link into: ``site`` (which must be one), else ``folder/site`` when it
    is one, else None. A built site is a folder with the ``anchors.json`` its build writes."""
    if site is None:
        default = folder / "site"
        return default if (default / "anchors.json").is_file() else None
    if not (site / "anchors.json").is_file():
        raise CommandError(f"tour --site {site}: no course site there (a built site holds anchors.json). Fix: build "
                           f"it first with `python3 docs/site/build.py --out {site}`, or leave out --site")
    return site


def _print_headlines(section: dict) -> None:
    print(f"\n{section['number']}. {section['title']}")
    for item in section["items"]:
        if item["headline"]:
            print(f"   {item['what']}: {item['shown']}" + (" (varies)" if item["varies"] else ""))
    for claim in section["claims"]:
        print(f"   {'holds' if claim['holds'] else 'DOES NOT HOLD'}: {claim['claim']}")


def _print_files(folder: pathlib.Path, result: dict) -> None:
    print(f"\nDone in {result['seconds']} s. {len(result['files'])} files in {folder}/:")
    listed = [f for f in result["files"] if f["section"] != "chapters"]
    pages = len(result["files"]) - len(listed)
    width = max(len(f["name"]) for f in listed)
    for f in listed:
        print(f"  {f['name']:<{width}}  {f['what']}")
    if pages:
        print(f"  {chapters.CHAPTERS_DIR + '/':<{width}}  the {pages} tutorial chapters, rendered: each claim links "
              "to the section that explains it")
    for note in result["notes"]:
        print(f"\nNote: {note}")
    names = [f["name"] for f in result["files"] if "copy_of" not in f]
    then = [name for wanted in OPEN_AFTER for name in names if name.startswith(wanted)]
    print(f"\n{result['claims_hold']} of {result['claims_total']} claims hold on this run.")
    print(f"Open {folder / result['first_to_open']} first, in a browser: each claim, its verdict and the numbers "
          f"behind it beside the pictures, and the tutorial chapter that explains it ({summary.MARKDOWN}: the "
          "same as text).")
    if then:
        print("Then look at " + ", ".join(str(folder / name) for name in then) + ".")
