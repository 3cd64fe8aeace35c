"""``tinygrad-rnn grade SUBMISSIONS/ --out grades.csv``: grade a class.

SUBMISSIONS holds one sub-folder per student, each with that student's exercise files
(``alice/ex01_central_difference.py`` ...). Every file is graded in a child process of its own, with
the time limit of ``check`` (``--time-limit``), so one student's endless loop or crash costs only
that student's grade. Writes the CSV gradebook (student, exercise, status, checks passed / total)
and, beside it, a JSON file with every message (``grades.json``); with ``--gradescope FOLDER`` also
each student's Gradescope ``results.json``; prints one line per student.

The grading itself is ``exercises.classroom`` (``grade_class``, ``write_gradebook``). Exit code 0
when the gradebook is written, whatever the grades; 2 for a mistake in the arguments.
"""
from ..exercises.checking import CHECK_SECONDS
from ..exercises.classroom import format_class, grade_class, write_gradebook, write_gradescope
from ..exercises.sandbox import isolation_note
from .args import nonnegative_float, output_file


def _exercise_list(text: str) -> list:
    return [name.strip() for name in text.split(",") if name.strip()]


def add_parser(sub):
    p = sub.add_parser("grade", help="grade a class: one sub-folder per student, into a CSV gradebook and JSON",
                       description="Grade every student's exercise files in SUBMISSIONS (one sub-folder per "
                                   "student), each file in a child process with a time limit; write a CSV "
                                   "gradebook and a JSON file with every message.")
    p.add_argument("submissions", metavar="SUBMISSIONS",
                   help="the folder with one sub-folder per student (e.g. submissions/alice/ex01_....py)")
    p.add_argument("--out", type=output_file(".csv"), default="grades.csv", metavar="FILE.csv",
                   help="the CSV gradebook to write (default grades.csv); the JSON goes beside it (grades.json)")
    p.add_argument("--exercises", type=_exercise_list, default=None, metavar="LIST",
                   help="only these exercises, comma-separated (e.g. ex01,ex06); default: all")
    p.add_argument("--gradescope", default=None, metavar="FOLDER",
                   help="also write each student's grades as Gradescope's results.json, in FOLDER/<student>/")
    p.add_argument("--time-limit", type=nonnegative_float, default=None, metavar="SECONDS",
                   help=f"stop loading a file, or a check, after SECONDS and count it as an error (default "
                        f"{CHECK_SECONDS:g}; 0: no limit)")
    return p


def run(args):
    # find() raises UnknownExercise (a ValueError) listing the valid names; cli.main reports it
    print(f"Isolation: {isolation_note()}.", flush=True)

    def so_far(students):           # the gradebook after each student: a run killed later keeps these
        write_gradebook(students, args.out, seconds=args.time_limit, complete=False)
    students = grade_class(args.submissions, exercises=args.exercises, seconds=args.time_limit, on_student=so_far)
    csv_path, json_path = write_gradebook(students, args.out, seconds=args.time_limit)
    print(f"Graded {len(students)} students in {args.submissions}:")
    print(format_class(students))
    print(f"wrote {csv_path} (the gradebook) and {json_path} (every message)")
    if args.gradescope:
        written = write_gradescope(students, args.gradescope)
        print(f"wrote {len(written)} Gradescope results files: {args.gradescope}/<student>/results.json")
    return 0
