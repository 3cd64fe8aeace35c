"""Grading for programs and for a class (issue 17, item 3): ``check --format json|junit`` and
``tinygrad-rnn grade SUBMISSIONS --out grades.csv``, on the README's three-student example (a
student whose file hangs, one whose file crashes)."""
import csv
import io
import json
import re
import shlex
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tinygrad_rnn.cli import main
from tinygrad_rnn.exercises import EXERCISES, find
from tinygrad_rnn.exercises.classroom import grade_class, gradebook_csv

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "tests" / "solutions"
STUBS = ROOT / "tutorials" / "exercises"
README = (ROOT / "README.md").read_text(encoding="utf-8")
INSTRUCTORS = README.split("## For instructors: grading a class", 1)[1].split("\n## ", 1)[0]

HANGS = "import numpy as np\n\nwhile True:          # never finishes loading\n    pass\n"
CRASHES = ("import os\nimport signal\n\n\ndef central_difference(f, x, eps=1e-6):\n"
           "    os.kill(os.getpid(), signal.SIGSEGV)      # the process dies, as with a bad C extension\n")


def solution(name: str) -> str:
    return (SOLUTIONS / find(name).filename).read_text()


def make_submissions(folder: Path) -> Path:
    """The README's example: alice right, bob's ex01 hangs at load, carol's ex01 crashes and no ex06."""
    files = {"alice": {"ex01": solution("ex01"), "ex06": solution("ex06")},
             "bob": {"ex01": HANGS, "ex06": solution("ex06")},
             "carol": {"ex01": CRASHES}}
    for student, exercises in files.items():
        (folder / student).mkdir(parents=True)
        for name, text in exercises.items():
            (folder / student / find(name).filename).write_text(text)
    return folder


def readme_block(language: str, containing: str) -> str:
    blocks = re.findall(rf"```{language}\n(.*?)```", INSTRUCTORS, flags=re.S)
    return next(b for b in blocks if containing in b)


def test_the_readme_example_runs_as_shown(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    make_submissions(tmp_path / "submissions")
    layout = readme_block("text", "submissions/")
    for student in ("alice", "bob", "carol"):
        listed = re.findall(rf"{student}/(\S+\.py)", layout)
        assert sorted(listed) == sorted(p.name for p in (tmp_path / "submissions" / student).iterdir())
    command = shlex.split(readme_block("sh", "tinygrad-rnn grade").strip())
    assert command[0] == "tinygrad-rnn"
    assert main(command[1:]) == 0
    out = capsys.readouterr().out
    assert "wrote grades.csv" in out and "grades.json" in out
    # the gradebook is exactly the README's
    shown = readme_block("text", "student,exercise").strip().splitlines()
    assert (tmp_path / "grades.csv").read_text().strip().splitlines() == shown
    # and the JSON file holds every message, saying why bob's and carol's files did not pass
    document = json.loads((tmp_path / "grades.json").read_text())
    students = {s["student"]: s for s in document["students"]}
    assert list(students) == ["alice", "bob", "carol"] and document["time_limit"] == 5
    bob_ex01 = students["bob"]["exercises"][0]
    assert bob_ex01["status"] == "does not load" and "timed out" in bob_ex01["load_error"]
    assert all(c["status"] == "error" and "timed out" in c["message"] for c in bob_ex01["checks"])
    carol_ex01 = students["carol"]["exercises"][0]
    assert [c["status"] for c in carol_ex01["checks"]] == ["error"] * 4
    assert all("SIGSEGV" in c["message"] for c in carol_ex01["checks"])
    assert students["carol"]["exercises"][1]["status"] == "missing"
    alice = students["alice"]
    assert alice["checks_passed"] == alice["checks_total"] == 7 and alice["exercises_passed"] == 2
    for check in alice["exercises"][0]["checks"]:
        assert check["status"] == "pass" and isinstance(check["seconds"], float) and check["message"] == ""


def test_grade_notes_stray_and_duplicate_files(tmp_path):
    folder = tmp_path / "class"
    (folder / "dave").mkdir(parents=True)
    (folder / "dave" / "ex06_rnn_step.py").write_text(solution("ex06"))
    (folder / "dave" / "ex06_my_other_try.py").write_text("def rnn_step(*args):\n    return None\n")
    (folder / "erin").mkdir()
    (folder / "erin" / "notes.txt").write_text("I did not do it")
    students = grade_class(folder, exercises=["ex06"], seconds=10)
    dave, erin = students
    assert dave.reports[0].passed and dave.reports[0].path.name == "ex06_rnn_step.py"
    assert dave.notes == ["two files for ex06: graded ex06_rnn_step.py, not ex06_my_other_try.py"]
    assert erin.reports[0].status == "missing" and "no exercise files" in erin.notes[0]
    rows = list(csv.reader(gradebook_csv(students).splitlines()))
    assert rows[1:] == [["dave", "ex06_rnn_step", "passed", "3", "3"], ["erin", "ex06_rnn_step", "missing", "0", "3"]]


def test_a_student_name_that_looks_like_a_formula_is_quoted(tmp_path):
    (tmp_path / "=cmd").mkdir()
    students = grade_class(tmp_path, exercises=["ex06"], seconds=10)
    assert gradebook_csv(students).splitlines()[1].startswith("'=cmd,")


# --- issue 27: links, names, encodings, the library's own versions ---------------------------------

def test_symbolic_links_are_refused_and_reported_not_graded_as_their_target(tmp_path):
    """A student folder that links to another's, and a file that links to another student's file,
    are never graded as the target's work (on the old code both were graded "passed")."""
    folder = tmp_path / "class"
    (folder / "alice").mkdir(parents=True)
    (folder / "alice" / "ex06_rnn_step.py").write_text(solution("ex06"))
    (folder / "mallory").symlink_to(folder / "alice", target_is_directory=True)
    (folder / "trudy").mkdir()
    (folder / "trudy" / "ex06_rnn_step.py").symlink_to(folder / "alice" / "ex06_rnn_step.py")
    students = {s.name: s for s in grade_class(folder, exercises=["ex06"], seconds=10)}
    assert students["alice"].reports[0].passed
    for name in ("mallory", "trudy"):
        report = students[name].reports[0]
        assert report.status == "does not load" and report.passed_count == 0
        assert report.load_error.startswith("refused:") and "symbolic link" in report.load_error
        assert any("symbolic link" in note for note in students[name].notes)
    rows = {r[0]: r for r in csv.reader(gradebook_csv(list(students.values())).splitlines())}
    assert rows["mallory"][2:4] == ["does not load", "0"] and rows["trudy"][2:4] == ["does not load", "0"]


@pytest.mark.parametrize("name", ["=1+2", "+1", "-1", "@SUM(A1)", "\t=1+2", "\r=1+2"])
def test_formula_prefixes_are_neutralised(name):
    """A spreadsheet runs a cell starting with = + - @ as a formula, also after a tab or a CR (the old
    code let the last two through)."""
    from tinygrad_rnn.exercises.classroom import StudentGrades
    students = [StudentGrades(name, Path("x"), [_report(Path("x") / "ex06_rnn_step.py")])]
    rows = list(csv.reader(io.StringIO(gradebook_csv(students), newline="")))
    assert len(rows) == 2 and rows[1][0] == "'" + name


def _report(path):
    from tinygrad_rnn.exercises.checking import Report
    return Report(find("ex06"), path, [], "refused: test")


def test_a_carriage_return_in_a_name_stays_in_its_row_and_escapes_reach_no_terminal(tmp_path):
    """On the old code the CR split the row in two; the escape codes went raw to the terminal."""
    from tinygrad_rnn.exercises.classroom import StudentGrades, format_class
    students = [StudentGrades("eve\rcarol,ex06_rnn_step,passed,3,3", Path("x"), [_report(Path("x") / "a.py")]),
                StudentGrades("\x1b[2J\x1b]0;pwned\x07bob", Path("y"), [_report(Path("y") / "a.py")])]
    rows = list(csv.reader(io.StringIO(gradebook_csv(students), newline="")))
    assert [r[0] for r in rows[1:]] == ["eve\rcarol,ex06_rnn_step,passed,3,3", "\x1b[2J\x1b]0;pwned\x07bob"]
    assert len(rows) == 3
    shown = format_class(students)
    assert "\x1b" not in shown and "\r" not in shown and "\x07" not in shown
    assert "\\x1b[2J" in shown


@pytest.mark.parametrize("argv, expect", [
    (["grade", "{tmp}/nowhere"], "does not exist"),
    (["grade", "{tmp}/empty"], "no student folders"),
    (["grade", "{tmp}/one", "--exercises", "ex99"], "no exercise called 'ex99'"),
    (["grade", "{tmp}/one", "--out", "{tmp}/grades.txt"], "ending in .csv"),
    (["grade", "{tmp}/loose"], "tinygrad-rnn check --dir"),
])
def test_grade_mistakes_say_what_to_do(tmp_path, capsys, argv, expect):
    (tmp_path / "empty").mkdir()
    (tmp_path / "one" / "alice").mkdir(parents=True)
    (tmp_path / "loose").mkdir()
    (tmp_path / "loose" / "ex01_central_difference.py").write_text("")
    with pytest.raises(SystemExit) as stop:
        main([a.replace("{tmp}", str(tmp_path)) for a in argv])
    assert stop.value.code == 2
    assert expect in capsys.readouterr().err


# --- check --format json / junit -------------------------------------------------------------------

def learner_folder(tmp_path: Path) -> Path:
    """A learner's folder: the stubs, with ex01 solved and ex06 wrong."""
    folder = tmp_path / "mine"
    folder.mkdir()
    for exercise in EXERCISES:
        (folder / exercise.filename).write_text((STUBS / exercise.filename).read_text())
    (folder / "ex01_central_difference.py").write_text(solution("ex01"))
    (folder / "ex06_rnn_step.py").write_text("def rnn_step(x, h, weight_ih, weight_hh, bias_ih, bias_hh):\n"
                                              "    return (x @ weight_ih.T + h @ weight_hh).tanh()\n")
    return folder


def test_check_format_json(tmp_path, capsys):
    folder = learner_folder(tmp_path)
    assert main(["check", "--dir", str(folder), "--format", "json"]) == 1
    document = json.loads(capsys.readouterr().out)            # stdout is the JSON document only
    assert document["tool"] == "tinygrad-rnn check"
    exercises = {e["short_name"]: e for e in document["exercises"]}
    assert list(exercises) == [e.short_name for e in EXERCISES]
    assert exercises["ex01"]["status"] == "passed" and exercises["ex01"]["passed"] == exercises["ex01"]["total"]
    assert exercises["ex02"]["status"] == "not started"
    ex06 = exercises["ex06"]
    assert ex06["status"] == "failed" and ex06["seconds"] > 0
    failing = [c for c in ex06["checks"] if c["status"] != "pass"]
    assert failing and all(c["message"] and set(c) >= {"name", "status", "message", "seconds"} for c in failing)


def test_check_format_junit_to_a_file(tmp_path, capsys):
    folder = learner_folder(tmp_path)
    out = tmp_path / "results.xml"
    assert main(["check", "ex06", "--dir", str(folder), "--format", "junit", "--out", str(out)]) == 1
    assert f"wrote {out}" in capsys.readouterr().out
    root = ET.parse(out).getroot()
    (suite,) = root.findall("testsuite")                       # only the exercise asked about
    assert suite.get("name") == "ex06_rnn_step" and suite.get("tests") == "3"
    cases = suite.findall("testcase")
    assert len(cases) == 3 and int(suite.get("failures")) + int(suite.get("errors")) >= 1
    problems = [c.find("failure") if c.find("failure") is not None else c.find("error") for c in cases]
    assert any(p is not None and p.text for p in problems)


def test_check_format_mistakes(tmp_path, capsys):
    assert main(["check", "--list", "--format", "json"]) == 2
    assert "--list shows the table only" in capsys.readouterr().err
    assert main(["check", "ex01", "--out", str(tmp_path / "x.json")]) == 2
    assert "give --format json" in capsys.readouterr().err


def test_a_killed_run_keeps_what_was_graded(tmp_path):
    """The gradebook is written after each student: killing the grader while it grades the second keeps
    the first (the old code wrote nothing until the end). The first line says how files are isolated."""
    import os
    import signal
    import subprocess
    import sys
    import time
    folder = tmp_path / "class"
    (folder / "alice").mkdir(parents=True)
    (folder / "alice" / "ex06_rnn_step.py").write_text(solution("ex06"))
    (folder / "bob").mkdir()
    (folder / "bob" / "ex06_rnn_step.py").write_text("while True:\n    pass\n")
    out = tmp_path / "grades.csv"
    proc = subprocess.Popen([sys.executable, "-m", "tinygrad_rnn", "grade", str(folder), "--out", str(out),
                             "--exercises", "ex06", "--time-limit", "60"], cwd=ROOT, stdout=subprocess.PIPE, text=True,
                            env=dict(os.environ, TMPDIR=str(tmp_path)))    # what the killed grader leaves stays here
    try:
        first = proc.stdout.readline()
        assert first.startswith("Isolation: ") and "sandbox" in first
        deadline = time.monotonic() + 60
        while not out.exists() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.1)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
    rows = list(csv.reader(io.StringIO(out.read_text(), newline="")))
    assert rows[1:] == [["alice", "ex06_rnn_step", "passed", "3", "3"]]
    assert json.loads(out.with_suffix(".json").read_text())["complete"] is False
