"""One rule for which file is which exercise, in ``grade`` and ``check --dir``, with a note for every
file matched by another name and every file not graded; Gradescope's ``results.json`` from ``check``
and ``grade``; and the README's ``docs/autograder/run_autograder`` run on a submission (issue 26)."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tinygrad_rnn.cli import main
from tinygrad_rnn.exercises import EXERCISES, find
from tinygrad_rnn.exercises.classroom import grade_class

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "tests" / "solutions"


def a_students_folder(folder: Path) -> Path:
    """ex12 under another name than the stub's, ex06 twice, a stray notes.txt and a sub-folder."""
    folder.mkdir(parents=True)
    shutil.copy(SOLUTIONS / "ex12_tbptt_loop.py", folder / "ex12_tbptt.py")
    shutil.copy(SOLUTIONS / "ex06_rnn_step.py", folder / "ex06_rnn_step.py")
    (folder / "ex06_old_try.py").write_text("def rnn_step(*args):\n    return None\n")
    (folder / "notes.txt").write_text("I did not do ex01")
    (folder / "drafts").mkdir()
    (folder / "__pycache__").mkdir()
    return folder


def test_the_rule_names_every_file_it_matched_by_another_name_or_did_not_grade(tmp_path):
    from tinygrad_rnn.exercises.matching import match_files
    folder = a_students_folder(tmp_path / "dave")
    files, notes = match_files(folder, EXERCISES)
    assert {name: path.name for name, path in files.items()} == {"ex06_rnn_step": "ex06_rnn_step.py",
                                                                "ex12_tbptt_loop": "ex12_tbptt.py"}
    text = "\n".join(notes)
    assert "graded ex12_tbptt.py as ex12" in text and "ex12_tbptt_loop.py" in text
    assert "two files for ex06: graded ex06_rnn_step.py, not ex06_old_try.py" in text
    assert "not graded: notes.txt" in text and "not graded: the folder drafts/" in text
    assert "__pycache__" not in text and len(notes) == 4
    _, only_ex06 = match_files(folder, [find("ex06")])
    assert any("ex12_tbptt.py (ex12 is not among the exercises graded)" in note for note in only_ex06)


def test_grade_and_check_dir_agree_on_a_folder(tmp_path, capsys):
    folder = a_students_folder(tmp_path / "class" / "dave")
    (dave,) = grade_class(tmp_path / "class", exercises=["ex06", "ex12"], seconds=30)
    assert [r.status for r in dave.reports] == ["passed", "passed"]
    assert any("graded ex12_tbptt.py as ex12" in note for note in dave.notes)
    assert any("notes.txt" in note for note in dave.notes)
    out = tmp_path / "results.json"
    assert main(["check", "--dir", str(folder), "--format", "json", "--out", str(out)]) == 1   # others missing
    document = json.loads(out.read_text())
    status = {e["short_name"]: e["status"] for e in document["exercises"]}
    assert status["ex12"] == status["ex06"] == "passed" and status["ex01"] == "missing"
    assert document["notes"] == dave.notes
    capsys.readouterr()
    assert main(["check", "ex12", "--dir", str(folder)]) == 0
    shown = capsys.readouterr().out
    assert "Note: graded ex12_tbptt.py as ex12" in shown and "Note: not graded: notes.txt" in shown
    assert f"file: {folder / 'ex12_tbptt.py'}" in shown and "-> passed (4/4 checks pass)" in shown


def gradescope_document(path: Path) -> dict:
    """A results.json as Gradescope reads it: the fields it needs, of the types it needs."""
    document = json.loads(path.read_text())
    for test in document["tests"]:
        assert {"name", "score", "max_score", "output", "status"} <= set(test)
        assert isinstance(test["score"], float) and test["max_score"] == 1.0
        assert test["status"] in ("passed", "failed") and (test["score"] == 1.0) == (test["status"] == "passed")
    assert document["score"] == sum(test["score"] for test in document["tests"])
    return document


def test_check_writes_gradescope_results(tmp_path):
    folder = a_students_folder(tmp_path / "dave")
    out = tmp_path / "results.json"
    assert main(["check", "--dir", str(folder), "--format", "gradescope", "--out", str(out)]) == 1
    document = gradescope_document(out)
    assert len(document["tests"]) == sum(len(e.checks) for e in EXERCISES)
    passed = [t["name"] for t in document["tests"] if t["status"] == "passed"]
    assert len(passed) == document["score"] == 7 and all(n.startswith(("ex06 ", "ex12 ")) for n in passed)
    missing = next(t for t in document["tests"] if t["name"].startswith("ex01 "))
    assert "no file at" in missing["output"]
    assert "Note: graded ex12_tbptt.py as ex12" in document["output"]


def test_a_failing_check_carries_its_message_to_gradescope(tmp_path):
    mine = tmp_path / "ex05_tanh_sigmoid.py"
    mine.write_text((SOLUTIONS / "ex05_tanh_sigmoid.py").read_text().replace("grad * (1 - y * y)", "grad * (1 - y)"))
    out = tmp_path / "results.json"
    assert main(["check", "--file", str(mine), "--format", "gradescope", "--out", str(out)]) == 1
    tests = gradescope_document(out)["tests"]
    assert len(tests) == 4 and tests[0]["status"] == "failed" and "wrong values" in tests[0]["output"]


def test_grade_writes_gradescope_results_per_student(tmp_path, monkeypatch, capsys):
    a_students_folder(tmp_path / "class" / "dave")
    monkeypatch.chdir(tmp_path)
    assert main(["grade", "class", "--exercises", "ex06,ex12", "--gradescope", "gs", "--time-limit", "30"]) == 0
    assert "gs/<student>/results.json" in capsys.readouterr().out
    document = gradescope_document(tmp_path / "gs" / "dave" / "results.json")
    assert document["score"] == 7 and len(document["tests"]) == 7 and "notes.txt" in document["output"]


@pytest.mark.skipif(shutil.which("bash") is None, reason="run_autograder is a bash script")
def test_the_run_autograder_example_grades_a_submission(tmp_path):
    """Gradescope's layout in a temporary folder: the submission in submission/, the results expected
    in results/results.json. `tinygrad-rnn` on PATH runs this checkout's code."""
    root = tmp_path / "autograder"
    submission = root / "submission"
    submission.mkdir(parents=True)
    shutil.copy(SOLUTIONS / "ex01_central_difference.py", submission)
    (submission / "ex02_mul_backward.py").write_text("def unbroadcast(grad, shape):\n    return grad\n")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "tinygrad-rnn"
    shim.write_text(f"#!/bin/sh\nexec {sys.executable} -m tinygrad_rnn \"$@\"\n")
    shim.chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "AUTOGRADER_ROOT": str(root),
           "EXERCISES": "ex01,ex02", "TIME_LIMIT": "30", "PYTHONPATH": str(ROOT)}
    run = subprocess.run(["bash", str(ROOT / "docs" / "autograder" / "run_autograder")], env=env,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    document = gradescope_document(root / "results" / "results.json")
    assert len(document["tests"]) == 8 and document["score"] == 4.0                 # ex01's 4 checks pass
    assert [t["status"] for t in document["tests"][:4]] == ["passed"] * 4
    assert all(t["status"] == "failed" for t in document["tests"][4:])
    # a submission the grader can't read still gets a results.json that says so
    shutil.rmtree(submission)
    run = subprocess.run(["bash", str(ROOT / "docs" / "autograder" / "run_autograder")], env=env,
                         capture_output=True, text=True, timeout=600)
    document = json.loads((root / "results" / "results.json").read_text())
    assert document["score"] == 0.0 and "could not grade" in document["output"]
