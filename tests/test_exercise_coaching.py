"""The checker coaches without handing over the answer (issue 26): the first hint shown is the one
about the first failing check; ex12's messages and ex07's and ex12's docstrings say what is wrong and
where to look, and the fix is only in the last hint; no "(next hint ...)" once every check passes."""
import re
import types
from pathlib import Path

import pytest

from tinygrad_rnn.cli import main
from tinygrad_rnn.exercises import EXERCISES, find
from tinygrad_rnn.exercises.checking import FAIL, PASS
from tinygrad_rnn.exercises.grader import load_module, run_check

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "tests" / "solutions"
STUBS = ROOT / "tutorials" / "exercises"


@pytest.fixture
def in_repo(monkeypatch):
    monkeypatch.chdir(ROOT)


def test_every_check_names_its_hint():
    for exercise in EXERCISES:
        assert len(exercise.hint_for) == len(exercise.checks), exercise.short_name
        assert set(exercise.hint_for) <= set(range(1, len(exercise.hints) + 1)), exercise.short_name


def test_the_first_hint_shown_is_the_one_for_the_first_failing_check(in_repo, capsys, tmp_path):
    """ex02 with Mul.backward right and unbroadcast wrong: the hint about unbroadcast (hint 2) comes
    first, not hint 1 about Mul.backward, which passed."""
    mine = tmp_path / "ex02_mul_backward.py"
    source = (SOLUTIONS / "ex02_mul_backward.py").read_text()
    wrong = source.replace("grad = grad.sum(axis=stretched, keepdims=True)", "pass")
    assert wrong != source
    mine.write_text(wrong)
    assert main(["check", "--file", str(mine)]) == 1
    out = capsys.readouterr().out
    assert "FAIL  unbroadcast" in out and "PASS  Mul.backward without broadcasting" in out
    hints = find("ex02").hints
    assert f"hint 2 of 3: {hints[1]}" in out and hints[0] not in out and hints[2] not in out
    assert "next hint: tinygrad-rnn check ex02 --hint 2" in out
    main(["check", "--file", str(mine), "--hint", "3"])          # then on, to the last, then the first
    out = capsys.readouterr().out
    assert out.index(hints[1]) < out.index(hints[2]) < out.index(hints[0])


def test_no_next_hint_once_every_check_passes(in_repo, capsys):
    assert main(["check", "ex04", "--file", str(SOLUTIONS / "ex04_topological_sort.py"), "--hint"]) == 0
    out = capsys.readouterr().out
    assert "-> passed" in out and "next hint" not in out and "hint 1 of" not in out
    assert "every check passes: no hint needed" in out


def _ex12_failure(truncated_bptt) -> list:
    """The messages of ex12's failing checks for this ``truncated_bptt``."""
    module = types.ModuleType("learner")
    module.truncated_bptt = truncated_bptt
    results = [run_check(check, module, Path("ex12_tbptt_loop.py")) for check in find("ex12").checks]
    assert any(r.outcome == FAIL for r in results)
    return [r.message for r in results if r.outcome != PASS]


def _never_detached(step, h0, xs, loss_fn, k):
    h, losses = h0, []
    for start in range(0, len(xs), k):
        total = None
        for t in range(start, min(start + k, len(xs))):
            h = step(xs[t], h)
            total = loss_fn(h, t) if total is None else total + loss_fn(h, t)
        total.backward()
        losses.append(total)
    return losses


def _detached_every_step(step, h0, xs, loss_fn, k):
    h, losses = h0, []
    for start in range(0, len(xs), k):
        total = None
        for t in range(start, min(start + k, len(xs))):
            h = step(xs[t], h.detach())
            total = loss_fn(h, t) if total is None else total + loss_fn(h, t)
        total.backward()
        losses.append(total)
    return losses


@pytest.mark.parametrize("wrong", [_never_detached, _detached_every_step])
def test_ex12_messages_say_what_is_wrong_and_where_to_look_not_the_fix(wrong):
    for message in _ex12_failure(wrong):
        assert "detach" not in message.lower(), message
        assert "look at" in message.lower() or "wrong values" in message, message


def test_ex12_keeps_the_fix_for_the_last_hint():
    hints = find("ex12").hints
    assert "detach" in hints[-1] and not any("detach" in hint for hint in hints[:-1])
    assert "detach" not in find("ex12").teaches


@pytest.mark.parametrize("name", ["ex07", "ex12"])
def test_ex07_and_ex12_docstrings_do_not_give_the_algorithm(name):
    """The stubs say what to compute and what to think about; the recipe (ex07's update lines, ex12's
    detach) is in the hints, the fix in the last."""
    stub = STUBS / find(name).filename
    text = stub.read_text(encoding="utf-8")
    assert "+=" not in text and not re.search(r"delta\s*=", text)              # no backward pass written out
    assert "detach" not in text
    assert "--hint" in text                                                     # it says where help is
    load_module(stub)                                                           # and is still a stub that loads


def test_ex07_names_the_recurrent_weight_W_hh():
    text = (STUBS / find("ex07").filename).read_text(encoding="utf-8")
    assert "W_hh" in text and not re.search(r"W_h\b", text)
