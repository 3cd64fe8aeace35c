"""``tinygrad-rnn check [EXERCISE] [--file PATH] [--dir FOLDER] [--list]``: grade the exercises in tutorials/exercises/.

    tinygrad-rnn check              grade every exercise, then a summary by chapter
    tinygrad-rnn check ex03         grade one (also: 3, ex03_matmul_backward), then the summary
    tinygrad-rnn check 3 --file my_matmul.py    grade another file as exercise 3
    tinygrad-rnn check --dir ~/my_exercises     grade the exercise files in another folder
    tinygrad-rnn check --list       the exercises by chapter, with their status

Each file is loaded and checked in a child process (``exercises.grader``), with a time limit for
loading it and for each check (``--time-limit``, 60 s): an endless loop, a crash or an ``os._exit``
in the learner's code is reported as an error, never as a pass.

The exit code is 0 only if every check of every exercise graded passes, 1 if some check fails,
errors or times out or a file can't be graded, 2 for a mistake in the arguments (an unknown
exercise, a missing --file or --dir).
"""
from pathlib import Path

from ..exercises import EXERCISES, UnknownExercise, find, find_exercises_dir
from ..exercises.grader import (CHECK_SECONDS, NOT_STARTED, PASSED, _is_exercises_dir, format_overview, format_report,
                                grade_many, shown_path)
from ..exercises.registry import from_filename
from .args import EXIT_USAGE, nonnegative_float, report


def add_parser(sub):
    p = sub.add_parser("check", help="grade your solutions to the exercises in tutorials/exercises/",
                       description="Grade the exercises: load your file, run the exercise's checks, and print "
                                   "what passes, what fails and a hint, then a summary of all exercises.")
    p.add_argument("exercise", nargs="?", metavar="EXERCISE",
                   help="which exercise: 3, ex03 or ex03_matmul_backward (default: all)")
    p.add_argument("--file", metavar="PATH",
                   help="grade this file instead of tutorials/exercises/<exercise>.py (the exercise is read from "
                        "the file name if you don't give one)")
    p.add_argument("--dir", metavar="FOLDER",
                   help="grade the exercise files (ex01_....py ...) in FOLDER instead of tutorials/exercises/")
    p.add_argument("--list", action="store_true", help="list the exercises by chapter with their status")
    p.add_argument("--verbose", "-v", action="store_true",
                   help="show full tracebacks of failing checks, and what your code printed")
    p.add_argument("--time-limit", type=nonnegative_float, default=None, metavar="SECONDS",
                   help=f"stop loading your file, or a check, after SECONDS and report it as an error (default "
                        f"{CHECK_SECONDS:g}; 0: no limit)")
    return p


def _error(message: str) -> int:
    """Report a mistake in the arguments (one line on stderr); the exit code 2 is returned, not raised,
    because 1 already means "some exercise fails"."""
    report("check", message)
    return EXIT_USAGE


def run(args):
    try:
        chosen = find(args.exercise) if args.exercise else None
    except UnknownExercise as err:
        return _error(str(err))
    if args.file:
        path = Path(args.file)
        if not path.is_file():
            return _error(f"--file {args.file}: " + ("is a folder, not a file" if path.is_dir() else "no such file"))
        chosen = chosen or from_filename(path)
        if chosen is None:
            return _error(f"--file {args.file}: can't tell which exercise this is from its name; give it, e.g. "
                          f"tinygrad-rnn check ex03 --file {args.file}")

    if args.dir:
        folder = Path(args.dir)
        if not folder.is_dir():
            return _error(f"--dir {args.dir}: " + ("is a file, not a folder" if folder.exists() else "no such folder"))
        if not _is_exercises_dir(folder):
            return _error(f"--dir {args.dir}: no exercise files (ex01_central_difference.py ...) in it; give the "
                          "folder that holds them, like tutorials/exercises")
    else:
        folder = find_exercises_dir()
    if folder is None and not args.file:
        return _error("can't find the tutorials/exercises/ folder. Run this inside the repository, or grade one "
                      "file with: tinygrad-rnn check EXERCISE --file PATH")

    def path_of(exercise):
        if args.file and exercise is chosen:
            return Path(args.file)
        return folder / exercise.filename if folder else None

    # each file is graded in a child process (exercises.grader); the chosen exercise first, so that its
    # report is printed while the others are graded for the summary
    items = [(e, path_of(e)) for e in EXERCISES if path_of(e) is not None]
    items.sort(key=lambda item: item[0] is not chosen)
    reports = {}
    for (exercise, _), graded_report in zip(items, grade_many(items, seconds=args.time_limit)):
        reports[exercise.name] = graded_report
        if exercise is chosen and not args.list:
            print(format_report(graded_report, verbose=args.verbose) + "\n", flush=True)

    if args.list:
        print(f"Exercises (stubs in {shown_path(folder)})\n" if folder else "Exercises\n")
        print(format_overview(reports, titles=True))
        print("\nGrade one with: tinygrad-rnn check ex01   (or all: tinygrad-rnn check)")
        return 0

    graded = [chosen] if chosen else EXERCISES
    if not chosen:                                      # grading all: the details of the ones begun
        for exercise in EXERCISES:
            report = reports[exercise.name]
            if report.status not in (PASSED, NOT_STARTED):
                print(format_report(report, verbose=args.verbose) + "\n")
    n_passed = sum(r.passed for r in reports.values())
    print(f"Summary: {n_passed} of {len(EXERCISES)} exercises pass" if folder else "Summary")
    print(format_overview(reports))
    todo = [e for e in EXERCISES if e.name in reports and not reports[e.name].passed]
    if todo and not chosen:
        print(f"\nNext: tinygrad-rnn check {todo[0].short_name}   (details of one exercise)")
    return 0 if all(reports[e.name].passed for e in graded) else 1
