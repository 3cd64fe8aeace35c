"""Grading a class: a folder with one sub-folder per student, each holding that student's exercise
files (``alice/ex01_central_difference.py`` ...), graded into a CSV gradebook and a JSON file with
every message.

    students = grade_class("submissions/", exercises=["ex01", "ex06"], seconds=10)
    csv_path, json_path = write_gradebook(students, "grades.csv")

Each file is graded by ``grader.grade_many``: in a child process of its own, with a time limit for
loading it and for each check, so a student's endless loop, crash or ``os._exit`` costs only that
student's grade for that exercise (reported as an error that says why), never the others'. Where
bubblewrap works each file runs in a sandbox of its own (``sandbox``); without it, as ordinary Python
with the rights of the instructor who runs the grader, isolated from the other files by the fork
server (``forkserver``). Symbolic links are refused and reported.

A student's file for an exercise is found by its name, by the rule ``check --dir`` uses too
(``matching.match_files``): ``ex03_matmul_backward.py``, or another ``ex03...py`` with a note, directly
in the student's folder is exercise 3. An exercise without a file is ``missing`` (0 of its checks);
every file matched by another name than the stub's, and every file not graded, gets a note.
"""
import csv
import dataclasses
import io
import json
import os
from pathlib import Path

from ..serialization import atomic_write
from .checking import Report
from .grader import grade_many
from .matching import match_files
from .registry import EXERCISES, find, from_filename
from .results import _version, report_record, results_gradescope
from .runners import _CONTROL


@dataclasses.dataclass
class StudentGrades:
    """One student's graded exercises (``reports``, in the order of the exercises) and notes about
    their folder (unrecognised or duplicate files)."""
    name: str
    folder: Path
    reports: list
    notes: list = dataclasses.field(default_factory=list)

    @property
    def passed(self) -> int:
        """How many exercises pass completely."""
        return sum(r.passed for r in self.reports)

    @property
    def checks_passed(self) -> int:
        return sum(r.passed_count for r in self.reports)

    @property
    def checks_total(self) -> int:
        return sum(r.total for r in self.reports)


def student_folders(folder) -> list:
    """The sub-folders of ``folder``, one per student, by name (hidden ones and ``__pycache__`` left
    out); a ValueError saying what to do if there are none."""
    folder = Path(folder)
    if not folder.is_dir():
        what = "is a file, not a folder" if folder.exists() else "does not exist"
        raise ValueError(f"'{folder}' {what}. Give the folder that holds one sub-folder per student "
                         "(e.g. submissions/alice/ex01_central_difference.py)")
    found = sorted(p for p in folder.iterdir()
                   if (p.is_dir() or p.is_symlink()) and not p.name.startswith(".") and p.name != "__pycache__")
    if not found:
        loose = sorted(p.name for p in folder.glob("ex[0-9][0-9]_*.py"))
        fix = (f"; it holds exercise files itself ({', '.join(loose[:3])}), so it is one learner's folder: grade it "
               f"with tinygrad-rnn check --dir {folder}" if loose else "")
        raise ValueError(f"no student folders in '{folder}': give one sub-folder per student, each holding that "
                         f"student's exercise files (e.g. {folder}/alice/ex01_central_difference.py){fix}")
    return found


def _link_target(path: Path) -> str:
    try:
        return os.readlink(path)
    except OSError:
        return "?"


def refused_links(folder: Path, exercises: list) -> dict:
    """{exercise name: why} for the exercise files in ``folder`` that are symbolic links: they are
    refused, never graded as the file they point to (another student's, or one of yours)."""
    refused = {}
    for path in sorted(folder.glob("*.py")):
        exercise = from_filename(path)
        if exercise is not None and exercise in exercises and path.is_symlink() and exercise.name not in refused:
            refused[exercise.name] = (f"refused: {path.name} is a symbolic link (to {_link_target(path)!r}), not "
                                      "a file of this student's; it was not graded. Hand in the file itself.")
    return refused


def submitted_files(folder: Path, exercises: list) -> tuple:
    """({exercise name: path} for the ``exercises`` a student handed in, notes about the other files):
    ``matching.match_files``, the rule ``check --dir`` uses too. Symbolic links are left out
    (``refused_links`` says why)."""
    files, notes = match_files(folder, exercises)
    files = {name: path for name, path in files.items() if not path.is_symlink()}
    if not files:
        notes.insert(0, f"no exercise files (like {exercises[0].filename}) directly in {folder.name}/")
    return files, notes


def _refused_report(exercise, path: Path, why: str) -> Report:
    return Report(exercise, path, [], why)


def grade_class(folder, exercises=None, seconds: float | None = None, on_student=None) -> list:
    """Grade every student's files in ``folder`` (one sub-folder per student) for ``exercises`` (names
    as ``find`` takes them; default: all). Returns a ``StudentGrades`` per student, by name.
    ``seconds``: the time limit for loading a file and for each check (``grade``'s). Each file runs in
    a sandbox of its own where there is one (``sandbox``). ``on_student(students_so_far)`` is called
    each time a student is graded (the CLI writes the gradebook so far, so a killed run keeps it).

    A student folder, or an exercise file, that is a symbolic link is refused and reported (status
    "does not load", with why), never graded as what it points to."""
    chosen = [find(e) for e in exercises] if exercises else list(EXERCISES)
    chosen = sorted(set(chosen), key=lambda e: e.number)
    students, items, refused = [], [], {}
    for student_folder in student_folders(folder):
        if student_folder.is_symlink():
            why = (f"refused: the student folder {student_folder.name}/ is a symbolic link (to "
                   f"{_link_target(student_folder)!r}); nothing in it was graded")
            students.append(StudentGrades(student_folder.name, student_folder, [], [why]))
            refused[student_folder.name] = {e.name: why for e in chosen}
            continue
        files, notes = submitted_files(student_folder, chosen)
        links = refused_links(student_folder, chosen)
        notes += [why.split(";")[0] for why in links.values()]
        students.append(StudentGrades(student_folder.name, student_folder, [], notes))
        refused[student_folder.name] = links
        items += [(exercise, files.get(exercise.name, student_folder / exercise.filename)) for exercise in chosen
                  if exercise.name not in links]
    reports = iter(grade_many(items, seconds=seconds, sandboxed=True))
    done = []
    for student in students:
        links = refused[student.name]
        student.reports = [_refused_report(e, student.folder / e.filename, links[e.name]) if e.name in links
                           else next(reports) for e in chosen]
        done.append(student)
        if on_student is not None:
            on_student(done)
    return students


# --- writing the gradebook ------------------------------------------------------------------------

CSV_COLUMNS = ["student", "exercise", "status", "checks_passed", "checks_total"]


def gradebook_csv(students: list) -> str:
    """The CSV gradebook: a row per student and exercise (its status, checks passed / total; the times
    and messages are in the JSON file)."""
    text = io.StringIO()
    # rows end in CR LF (RFC 4180), so that a cell holding a carriage return (a folder name) is quoted too
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for student in students:
        for report in student.reports:
            writer.writerow([_cell(student.name), report.exercise.name, report.status, report.passed_count,
                             report.total])
    return text.getvalue()


def _cell(text: str) -> str:
    """A spreadsheet runs a cell that starts with = + - @ (or a tab or carriage return before one) as a
    formula: such a folder name gets a quote in front."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _shown(text: str) -> str:
    """``text`` for the terminal: control characters (escape codes, carriage returns) as \\xNN."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m[0]):02x}", str(text))


def gradebook_json(students: list, seconds: float | None = None, complete: bool = True) -> str:
    """Every message: per student, per exercise, per check (status, message, where, seconds).
    ``complete`` is false in the gradebook written while the class is still being graded."""
    document = {"tool": "tinygrad-rnn grade", "version": _version(), "time_limit": seconds, "complete": complete,
                "students": [{"student": s.name, "folder": str(s.folder), "notes": s.notes,
                              "exercises_passed": s.passed, "checks_passed": s.checks_passed,
                              "checks_total": s.checks_total,
                              "exercises": [report_record(r) for r in s.reports]} for s in students]}
    return json.dumps(document, indent=2) + "\n"


def json_path_for(csv_path) -> Path:
    """Where the JSON file goes: next to the CSV file, with the same name (``grades.csv`` -> ``grades.json``)."""
    return Path(csv_path).with_suffix(".json")


def write_gradebook(students: list, csv_path, seconds: float | None = None, complete: bool = True) -> tuple:
    """Write the CSV gradebook to ``csv_path`` and every message to the JSON file beside it, each
    atomically (a reader never sees half a file). Returns (csv path, json path). ``complete=False``:
    the students graded so far (the JSON says so)."""
    csv_path = Path(csv_path)
    json_path = json_path_for(csv_path)
    atomic_write(csv_path, lambda f: f.write(gradebook_csv(students).encode("utf-8")), "grade")
    atomic_write(json_path, lambda f: f.write(gradebook_json(students, seconds, complete).encode("utf-8")),
                 "grade")
    return csv_path, json_path


def write_gradescope(students: list, folder) -> list:
    """Each student's grades as Gradescope's autograder ``results.json`` (``results.results_gradescope``,
    what ``check --format gradescope`` writes for one learner), in ``folder/<student>/results.json``,
    each written atomically. Returns the paths."""
    paths = []
    for student in students:
        path = Path(folder) / student.name / "results.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        text = results_gradescope(student.reports, student.notes)
        atomic_write(path, lambda f, text=text: f.write(text.encode("utf-8")), "grade")
        paths.append(path)
    return paths


def format_class(students: list) -> str:
    """The terminal summary: one line per student, then its notes."""
    width = max(len(_shown(s.name)) for s in students)
    lines = []
    for s in students:
        lines.append(f"  {_shown(s.name):<{width}}  {s.passed} of {len(s.reports)} exercises pass "
                     f"({s.checks_passed}/{s.checks_total} checks)")
        for report in s.reports:
            if report.status not in ("passed", "missing"):
                first = (report.load_error or next((r.message for r in report.results if r.outcome != "pass"), ""))
                first = first.splitlines()[0].split(". ")[0][:140] if first else ""
                lines.append(f"  {'':<{width}}    {report.exercise.short_name}: {report.status}"
                             + (f": {first}" if first else ""))
        missing = [r.exercise.short_name for r in s.reports if r.status == "missing"]
        if missing:
            lines.append(f"  {'':<{width}}    missing: {', '.join(missing)}")
        lines += [f"  {'':<{width}}    note: {note}" for note in s.notes]
    return "\n".join(_shown(line) for line in lines)


__all__ = ["StudentGrades", "grade_class", "write_gradebook", "write_gradescope", "gradebook_csv", "gradebook_json",
           "format_class",
           "student_folders", "submitted_files", "json_path_for"]
