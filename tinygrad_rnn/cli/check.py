"""``tinygrad-rnn check [EXERCISE] [--hint [N]] [--file PATH] [--dir FOLDER] [--list] [--format F]``: grade the
exercises in tutorials/exercises/.

    tinygrad-rnn check              grade every exercise: details of the ones begun, then the table by chapter
    tinygrad-rnn check ex03         grade one (also: 3, ex03_matmul_backward), then one progress line
    tinygrad-rnn check ex03 --hint  ... and show one more hint (--hint again, or --hint N: the first N)
    tinygrad-rnn check 3 --file my_matmul.py    grade another file as exercise 3
    tinygrad-rnn check --dir ~/my_exercises     grade the exercise files in another folder
    tinygrad-rnn check --list       the exercises by chapter, with their status
    tinygrad-rnn check --format json --out results.json    the results for programs (also: junit, gradescope)

Each file is loaded and checked in a child process (``exercises.grader``), with a time limit for
loading it and for each check (``--time-limit``, 60 s): an endless loop, a crash or an ``os._exit``
in the learner's code is reported as an error, never as a pass. A ``--file`` result is that file's:
the progress line and the table always show the learner's own copies.

The exit code is 0 only if every check of every exercise graded passes, 1 if some check fails,
errors or times out or a file can't be graded, 2 for a mistake in the arguments (an unknown
exercise, a missing --file or --dir).
"""
import argparse
from pathlib import Path

from ..exercises import EXERCISES, UnknownExercise, find, find_exercises_dir
from ..exercises.grader import (CHECK_SECONDS, NOT_STARTED, PASSED, format_overview, format_report, grade_many,
                                shown_path)
from ..exercises.matching import match_files
from ..exercises.registry import from_filename
from ..exercises.report import format_progress
from ..exercises.results import results_gradescope, results_json, results_junit
from ..serialization import atomic_write
from .args import EXIT_USAGE, nonnegative_float, output_file, report

FORMATS = ("text", "json", "junit", "gradescope")


class _HintAction(argparse.Action):
    """``--hint``: one more hint each time it is given; ``--hint N``: the first N hints. In
    ``check --hint ex03`` the word after --hint is the exercise (none was given before it)."""

    def __call__(self, parser, namespace, value, option_string=None):
        if value is not None and not value.strip().isdigit() and getattr(namespace, "hint_exercise", None) is None:
            namespace.hint_exercise, value = value, None          # run() takes it if no exercise was given
        if value is None:
            namespace.hint = (namespace.hint or 1) + 1
            return
        try:
            number = int(value)
        except ValueError:
            number = 0
        if number < 1:
            parser.error(f"argument --hint: must be an int >= 1 (how many hints to show), got {value!r}")
        namespace.hint = number


def add_parser(sub):
    p = sub.add_parser("check", help="grade your solutions to the exercises in tutorials/exercises/",
                       description="Grade the exercises: load your file, run the exercise's checks, and print "
                                   "what passes, what fails and a hint. With one exercise, a line of progress "
                                   "follows; with none, the table of all exercises.")
    p.add_argument("exercise", nargs="?", metavar="EXERCISE",
                   help="which exercise: 3, ex03 or ex03_matmul_backward (default: all)")
    p.add_argument("--hint", nargs="?", action=_HintAction, default=None, metavar="N",
                   help="show one more hint (give it again for another), or the first N hints")
    p.add_argument("--file", metavar="PATH",
                   help="grade this file instead of tutorials/exercises/<exercise>.py (the exercise is read from "
                        "the file name if you don't give one); the table keeps your own copy's status")
    p.add_argument("--dir", metavar="FOLDER",
                   help="grade the exercise files (ex01_....py ...) in FOLDER instead of tutorials/exercises/")
    p.add_argument("--list", action="store_true", help="list the exercises by chapter with their status")
    p.add_argument("--verbose", "-v", action="store_true",
                   help="show full tracebacks of failing checks, and what your code printed")
    p.add_argument("--time-limit", type=nonnegative_float, default=None, metavar="SECONDS",
                   help=f"stop loading your file, or a check, after SECONDS and report it as an error (default "
                        f"{CHECK_SECONDS:g}; 0: no limit)")
    p.add_argument("--format", choices=FORMATS, default="text",
                   help="text (default), or the results for programs: json (per exercise and per check: status, "
                        "message, seconds), junit (JUnit XML, for CI and autograders) or gradescope (Gradescope's "
                        "results.json: a test per check, 1 point each)")
    p.add_argument("--out", type=output_file(), default=None, metavar="FILE",
                   help="with --format json, junit or gradescope: write the results to FILE instead of stdout")
    return p


def _error(message: str) -> int:
    """Report a mistake in the arguments (one line on stderr); the exit code 2 is returned, not raised,
    because 1 already means "some exercise fails"."""
    report("check", message)
    return EXIT_USAGE


def _folder(args):
    """(the learner's exercises folder or None, an error message or '')."""
    if not args.dir:
        return find_exercises_dir(), ""
    folder = Path(args.dir)
    if not folder.is_dir():
        return None, f"--dir {args.dir}: " + ("is a file, not a folder" if folder.exists() else "no such folder")
    if not match_files(folder, EXERCISES)[0]:     # the rule `grade` uses (exercises.matching)
        return None, (f"--dir {args.dir}: no exercise files (ex01_central_difference.py ...) in it; give the "
                      "folder that holds them, like tutorials/exercises")
    return folder, ""


def _argument_problem(args, chosen) -> str:
    if args.hint and chosen is None:
        return "--hint needs an exercise, e.g. tinygrad-rnn check ex03 --hint"
    if args.list and (args.format != "text" or args.hint):
        return "--list shows the table only; leave out --format and --hint (or --list)"
    if args.out and args.format == "text":
        return "--out writes the results for programs; give --format json, junit or gradescope with it"
    return ""


def run(args):
    hint_exercise = getattr(args, "hint_exercise", None)
    if hint_exercise is not None and args.exercise is not None:     # check ex01 --hint two
        return _error(f"argument --hint: must be an int >= 1 (how many hints to show), got {hint_exercise!r}")
    args.exercise = args.exercise or hint_exercise
    try:
        chosen = find(args.exercise) if args.exercise else None
    except UnknownExercise as err:
        return _error(str(err))
    target = None                                   # the --file to grade, reported as that file's
    if args.file:
        target = Path(args.file)
        if not target.is_file():
            return _error(f"--file {args.file}: " + ("is a folder, not a file" if target.is_dir() else "no such file"))
        chosen = chosen or from_filename(target)
        if chosen is None:
            return _error(f"--file {args.file}: can't tell which exercise this is from its name; give it, e.g. "
                          f"tinygrad-rnn check ex03 --file {args.file}")
    problem = _argument_problem(args, chosen)
    if problem:
        return _error(problem)
    folder, problem = _folder(args)
    if problem:
        return _error(problem)
    if folder is None and target is None and not args.list:
        return _error("can't find the tutorials/exercises/ folder (an installed package has no copy of the "
                      "stubs). Run this inside the repository, give your folder with --dir FOLDER, or grade one "
                      "file with: tinygrad-rnn check EXERCISE --file PATH")

    # each file is graded in a child process (exercises.grader): the one asked about first, so that its
    # report is printed while the learner's other copies are graded for the progress line or the table
    items = [(chosen, target)] if target is not None else []
    notes = []                                      # files matched by another name, or not graded
    if folder is not None:
        files, notes = match_files(folder, EXERCISES)       # the rule `grade` uses too
        mine = [(e, files.get(e.name, folder / e.filename)) for e in EXERCISES]
        mine.sort(key=lambda item: item[0] is not chosen)
        items += mine
    machine = args.format != "text"
    reports, asked = {}, None                       # asked: the report of the exercise asked about
    for index, ((exercise, path), graded) in enumerate(zip(items, grade_many(items, seconds=args.time_limit))):
        if index == 0 and chosen is not None:
            asked = graded
            if not (args.list or machine):
                print(format_report(graded, verbose=args.verbose, hints=args.hint) + "\n", flush=True)
            if target is not None:
                continue                            # a --file result never stands for the learner's copy
        reports[exercise.name] = graded

    if notes and not machine:
        print("\n".join(f"Note: {note}" for note in notes) + "\n")
    if args.list:
        print(f"Exercises (stubs in {shown_path(folder)})\n" if folder else
              "Exercises (no tutorials/exercises/ folder found: give yours with --dir FOLDER to see the status)\n")
        print(format_overview(reports, titles=True))
        print("\nGrade one with: tinygrad-rnn check ex01   (or all: tinygrad-rnn check)")
        return 0

    graded = [asked] if chosen is not None else [reports[e.name] for e in EXERCISES]
    if machine:
        if args.format == "gradescope":
            text = results_gradescope(graded, notes)
        else:
            text = results_json(graded, notes=notes) if args.format == "json" else results_junit(graded)
        if args.out:
            atomic_write(args.out, lambda f: f.write(text.encode("utf-8")), "check")
            print(f"wrote {args.out}")
        else:
            print(text, end="")
    elif chosen is not None:
        if folder is not None:
            print(format_progress(reports, shown_path(folder))
                  + ("; the --file result above is not counted there" if target is not None else ""))
    else:
        for exercise in EXERCISES:                  # grading all: the details of the ones begun
            if reports[exercise.name].status not in (PASSED, NOT_STARTED):
                print(format_report(reports[exercise.name], verbose=args.verbose) + "\n")
        n_passed = sum(r.passed for r in reports.values())
        print(f"Summary: {n_passed} of {len(EXERCISES)} exercises pass")
        print(format_overview(reports))
        todo = [e for e in EXERCISES if not reports[e.name].passed]
        if todo:
            print(f"\nNext: tinygrad-rnn check {todo[0].short_name}   (details of one exercise)")
    return 0 if all(r.passed for r in graded) else 1
