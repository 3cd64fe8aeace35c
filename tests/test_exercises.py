"""The exercises (tutorials/exercises/) and their grader (``tinygrad-rnn check``).

Every check of every exercise runs twice: on the reference solution (tests/solutions/, it must
pass) and on the untouched stub (it must report "not started") — so no check is vacuous.
Plausible wrong solutions must fail; no hint gives a line of its solution away; the CLI is
exercised through ``tinygrad_rnn.cli.main``.
"""
import re
import types
from pathlib import Path

import numpy as np
import pytest

from tinygrad_rnn.cli import main
from tinygrad_rnn.core import Function, ops
from tinygrad_rnn.exercises import EXERCISES, find, find_exercises_dir, grade, load_module
from tinygrad_rnn.exercises.grader import FAIL, NOT_STARTED, PASS, run_check
from tinygrad_rnn.exercises.registry import UnknownExercise

REPO = Path(__file__).resolve().parents[1]
STUBS = REPO / "tutorials" / "exercises"
SOLUTIONS = REPO / "tests" / "solutions"


def solution_path(exercise) -> Path:
    """The reference solution of ``exercise``: in the repository's tests, not in the package."""
    return SOLUTIONS / exercise.filename

CASES = [pytest.param(exercise, check, id=f"{exercise.short_name}-{check.__name__}")
         for exercise in EXERCISES for check in exercise.checks]


# --- every check: the solution passes, the stub is "not started" ------------------------------

@pytest.mark.parametrize("exercise, check", CASES)
def test_reference_solution_passes(exercise, check):
    module = load_module(solution_path(exercise))
    result = run_check(check, module, solution_path(exercise))
    assert result.outcome == PASS, f"{result.description}: {result.message}\n{result.traceback}"


@pytest.mark.parametrize("exercise, check", CASES)
def test_untouched_stub_fails(exercise, check):
    path = STUBS / exercise.filename
    result = run_check(check, load_module(path), path)
    assert result.outcome == NOT_STARTED, f"{result.description}: {result.outcome}: {result.message}"
    assert result.message.startswith(f"exercise {exercise.short_name}:"), result.message


def test_registry_is_complete():
    assert len(EXERCISES) >= 12
    assert [e.number for e in EXERCISES] == list(range(1, len(EXERCISES) + 1))
    assert {e.chapter for e in EXERCISES} >= set(range(1, 8))          # chapters 1-7 (8 is the summary)
    stubs = sorted(p.name for p in STUBS.glob("ex[0-9][0-9]_*.py"))
    assert stubs == sorted(e.filename for e in EXERCISES)
    for exercise in EXERCISES:
        assert solution_path(exercise).is_file()
        assert exercise.hints and len(exercise.checks) >= 3
        source = (STUBS / exercise.filename).read_text()
        title = source.split("\n\n")[0]                                # the docstring's first paragraph
        assert f"(chapter {exercise.chapter}: {exercise.chapter_title}" in title.replace("\n", " ")
        assert f"tinygrad-rnn check {exercise.short_name}" in source
        assert exercise.name in (STUBS / "README.md").read_text()


def test_solutions_ask_the_learner_to_try_first():
    assert "try the exercise first" in (SOLUTIONS / "README.md").read_text().lower()
    for exercise in EXERCISES:
        assert "Try the exercise first" in solution_path(exercise).read_text().split("\n")[0]


def test_no_solution_is_in_the_package():
    import tinygrad_rnn.exercises as package
    folder = Path(package.__file__).parent
    assert not (folder / "solutions").exists()
    with pytest.raises(ImportError):
        __import__("tinygrad_rnn.exercises.solutions")
    for exercise in EXERCISES:                       # nor a copy anywhere else in the package (the checks
        copies = [p for p in folder.parent.rglob(exercise.filename) if p.parent.name != "checks"]  # share names)
        assert not copies, copies


# --- hints: the first on a failure, more on request, none gives a line away ----------------------

_TOKEN = re.compile(r"\w+|[^\w\s]")
_SKIP = ("import ", "from ", "def ", "class ", "@")


def solution_lines(path: Path) -> list:
    """The code lines of a solution (comments, docstrings, imports and def/class lines left out), each as
    its list of tokens."""
    source = re.sub(r'"""(.*?)"""', "", path.read_text(), flags=re.S)
    lines = []
    for line in source.splitlines():
        code = line.split("#")[0].strip()
        if code and not code.startswith(_SKIP):
            lines.append(_TOKEN.findall(code))
    return lines


def longest_common_run(a: list, b: list) -> int:
    best, previous = 0, [0] * (len(b) + 1)
    for x in a:
        current = [0] * (len(b) + 1)
        for j, y in enumerate(b, 1):
            if x == y:
                current[j] = previous[j - 1] + 1
                best = max(best, current[j])
        previous = current
    return best


def gives_away(hint: str, line: list) -> bool:
    """The hint holds the whole line (4 tokens or more: ``return total`` is too short to give anything
    away), or 8 tokens of it in a row (``unbroadcast(grad_b, b.shape)``)."""
    run = longest_common_run(_TOKEN.findall(hint), line)
    return (run == len(line) and len(line) >= 4) or run >= 8


@pytest.mark.parametrize("exercise", EXERCISES, ids=[e.short_name for e in EXERCISES])
def test_no_hint_contains_a_line_of_its_solution(exercise):
    assert len(exercise.hints) >= 2
    for hint in exercise.hints:
        for line in solution_lines(solution_path(exercise)):
            assert not gives_away(hint, line), f"{exercise.short_name}'s hint gives away {' '.join(line)!r}: {hint}"


@pytest.mark.parametrize("hint, line", [
    ("A weight shared by the batch: unbroadcast(grad_b, b.shape).",
     "return unbroadcast(grad_a, a.shape), unbroadcast(grad_b, b.shape)"),
    ("At the start of each window: h = h.detach().", "h = h.detach()"),
])
def test_the_hint_comparison_catches_a_solution_line(hint, line):
    """The comparison can fail: the old hints of ex03 and ex12 gave these lines away."""
    assert gives_away(hint, _TOKEN.findall(line))


# --- plausible wrong solutions fail ---------------------------------------------------------

def variant(name: str, **replacements) -> types.ModuleType:
    """The reference solution of exercise ``name`` with some of its functions/classes replaced."""
    exercise = find(name)
    module = load_module(solution_path(exercise), f"_wrong_{exercise.name}")
    for attr, value in replacements.items():
        setattr(module, attr, value)
    return module


def assert_fails(name: str, module, expect: str = "") -> None:
    """At least one check of exercise ``name`` fails with an AssertionError (a message for the
    learner, not a crash); ``expect`` must appear in one of the messages."""
    exercise = find(name)
    results = [run_check(check, module, "<wrong>") for check in exercise.checks]
    failed = [r for r in results if r.outcome == FAIL]
    assert failed, f"a wrong solution of {name} passed: {[(r.outcome, r.message) for r in results]}"
    assert any(expect.lower() in r.message.lower() for r in failed), [r.message for r in failed]


def forward_difference(f, x, eps=1e-6):
    x = np.array(x, dtype=np.float64)
    grad, fx = np.zeros_like(x), f(x)
    for index in np.ndindex(*x.shape):
        original = x[index]
        x[index] = original + eps
        grad[index] = (f(x) - fx) / eps
        x[index] = original
    return grad


def test_wrong_ex01_forward_difference():
    assert_fails("ex01", variant("ex01", central_difference=forward_difference), "forward difference")


class MulWithoutUnbroadcast(Function):
    def forward(self, a, b):
        self.save_for_backward(a, b)
        return a * b

    def backward(self, grad):
        a, b = self.saved
        return grad * b, grad * a


class MulInherited(ops.Mul):
    pass


@pytest.mark.parametrize("wrong, expect", [(MulWithoutUnbroadcast, "expected shape"), (ops.Mul, "library"),
                                           (MulInherited, "library")])
def test_wrong_ex02_mul(wrong, expect):
    assert_fails("ex02", variant("ex02", Mul=wrong), expect)


def test_wrong_ex02_library_unbroadcast():
    from tinygrad_rnn.core.function import unbroadcast
    assert_fails("ex02", variant("ex02", unbroadcast=unbroadcast), "library")


class MatMulWithoutBatchSum(Function):
    def forward(self, a, b):
        self.save_for_backward(a, b)
        return a @ b

    def backward(self, grad):
        a, b = self.saved
        return grad @ np.swapaxes(b, -1, -2), np.swapaxes(a, -1, -2) @ grad


def test_wrong_ex03_no_batch_sum():
    assert_fails("ex03", variant("ex03", MatMul=MatMulWithoutBatchSum), "expected shape (4, 5)")


def recursive_order(root):
    order, seen = [], set()

    def visit(t):
        if id(t) in seen:
            return
        seen.add(id(t))
        if t.grad_fn is not None:
            for p in t.grad_fn.parents:
                if p.requires_grad:
                    visit(p)
        order.append(t)

    visit(root)
    return order


def reversed_bfs_order(root):
    order, seen, queue = [], {id(root)}, [root]
    while queue:
        t = queue.pop(0)
        order.append(t)
        for p in (t.grad_fn.parents if t.grad_fn is not None else ()):
            if p.requires_grad and id(p) not in seen:
                seen.add(id(p))
                queue.append(p)
    return order[::-1]


@pytest.mark.parametrize("wrong, expect", [(recursive_order, "RecursionError"),
                                           (reversed_bfs_order, "before its input")])
def test_wrong_ex04_order(wrong, expect):
    assert_fails("ex04", variant("ex04", topological_order=wrong), expect)


class TanhWithInput(Function):
    def forward(self, x):
        self.save_for_backward(x)
        return np.tanh(x)

    def backward(self, grad):
        (x,) = self.saved
        return (grad * (1 - x * x),)             # 1 - x^2 instead of 1 - tanh(x)^2


class TanhInherited(ops.Tanh):
    pass


@pytest.mark.parametrize("wrong, expect", [(TanhWithInput, "wrong values"), (TanhInherited, "library"),
                                           (ops.Tanh, "library")])
def test_wrong_ex05_tanh(wrong, expect):
    assert_fails("ex05", variant("ex05", Tanh=wrong), expect)


def test_wrong_ex06_untransposed_recurrent_weight():
    def rnn_step(x, h, weight_ih, weight_hh, bias_ih, bias_hh):
        return (x @ weight_ih.T + bias_ih + h @ weight_hh + bias_hh).tanh()
    assert_fails("ex06", variant("ex06", rnn_step=rnn_step), "wrong values")


def test_wrong_ex06_library_cell():
    from tinygrad_rnn.nn.cells import rnn_cell
    assert_fails("ex06", variant("ex06", rnn_step=rnn_cell), "library")


def test_wrong_ex07_weight_gradient_from_last_step_only():
    def bptt_scalar(w, u, b, xs, h0):
        hs = [h0]
        for x in xs:
            hs.append(np.tanh(w * hs[-1] + u * x + b))
        delta, du, db = 1.0, 0.0, 0.0
        dw = (1 - hs[-1] ** 2) * hs[-2]             # only the last step's share of dL/dw
        for t in range(len(xs), 0, -1):
            da = delta * (1 - hs[t] ** 2)
            du, db, delta = du + da * xs[t - 1], db + da, da * w
        return {"dL_dw": dw, "dL_du": du, "dL_db": db, "dL_dh0": delta}
    assert_fails("ex07", variant("ex07", bptt_scalar=bptt_scalar), "dL_dw")


def test_wrong_ex08_product_in_the_wrong_order():
    def hidden_jacobian(weight_hh, hs):
        J = np.eye(len(weight_hh))
        for h in hs:
            J = J @ ((1 - h ** 2)[:, None] * weight_hh)     # J_1 J_2 ... J_T
        return J
    assert_fails("ex08", variant("ex08", hidden_jacobian=hidden_jacobian), "wrong values")


def test_wrong_ex09_real_square_root():
    def eigenvalues_2x2(A):
        (a, b), (c, d) = A
        root = np.sqrt((a + d) ** 2 - 4 * (a * d - b * c))   # nan for a complex pair
        return complex((a + d + root) / 2), complex((a + d - root) / 2)
    with np.errstate(invalid="ignore"):
        assert_fails("ex09", variant("ex09", eigenvalues_2x2=eigenvalues_2x2), "nan")


def test_wrong_ex09_numpy_eigensolver_is_refused():
    def eigenvalues_2x2(A):
        return tuple(complex(z) for z in np.linalg.eigvals(A))
    assert_fails("ex09", variant("ex09", eigenvalues_2x2=eigenvalues_2x2), "switched off")
    assert np.allclose(sorted(np.linalg.eigvals(np.diag([1.0, 2.0]))), [1, 2])    # restored afterwards


def test_wrong_ex10_no_sign_fix():
    def orthogonal(A, gain=1.0):
        tall = A.T if A.shape[0] < A.shape[1] else A
        q, _ = np.linalg.qr(tall)
        return gain * (q.T if A.shape[0] < A.shape[1] else q)
    assert_fails("ex10", variant("ex10", orthogonal=orthogonal), "sign fix")


def clip_each_array(grads, max_norm):
    total = float(np.sqrt(sum(np.sum(g ** 2) for g in grads)))
    for g in grads:
        g *= min(1.0, max_norm / (np.linalg.norm(g) + 1e-6))
    return total


def clip_without_clamp(grads, max_norm):
    total = float(np.sqrt(sum(np.sum(g ** 2) for g in grads)))
    for g in grads:
        g *= max_norm / (total + 1e-6)               # also scales small gradients *up*
    return total


def clip_not_in_place(grads, max_norm):
    total = float(np.sqrt(sum(np.sum(g ** 2) for g in grads)))
    grads = [g * min(1.0, max_norm / (total + 1e-6)) for g in grads]
    return total


@pytest.mark.parametrize("wrong, expect", [(clip_each_array, "wrong values"), (clip_without_clamp, "never scale up"),
                                           (clip_not_in_place, "in place")])
def test_wrong_ex11_clip(wrong, expect):
    assert_fails("ex11", variant("ex11", clip_grad_norm=wrong), expect)


def tbptt_detach_every_step(step, h0, xs, loss_fn, k):
    h, losses = h0, []
    for start in range(0, len(xs), k):
        total = None
        for t in range(start, min(start + k, len(xs))):
            h = step(xs[t], h.detach())
            total = loss_fn(h, t) if total is None else total + loss_fn(h, t)
        total.backward()
        losses.append(total)
    return losses


def tbptt_never_detach(step, h0, xs, loss_fn, k):
    h, losses = h0, []
    for start in range(0, len(xs), k):
        total = None
        for t in range(start, min(start + k, len(xs))):
            h = step(xs[t], h)
            total = loss_fn(h, t) if total is None else total + loss_fn(h, t)
        total.backward(retain_graph=True)            # silences the freed-graph error, but goes past the cut
        losses.append(total)
    return losses


def tbptt_off_by_one(step, h0, xs, loss_fn, k):
    h, losses = h0, []
    for start in range(0, len(xs), k):
        total = None
        for t in range(start, min(start + k, len(xs))):
            h = step(xs[t], h)
            if t == start:
                h = h.detach()                       # cut after the window's first step, not before it
            total = loss_fn(h, t) if total is None else total + loss_fn(h, t)
        total.backward()
        losses.append(total)
    return losses


def tbptt_one_backward_at_the_end(step, h0, xs, loss_fn, k):
    h, losses = h0, []
    for start in range(0, len(xs), k):
        h = h.detach()
        total = None
        for t in range(start, min(start + k, len(xs))):
            h = step(xs[t], h)
            total = loss_fn(h, t) if total is None else total + loss_fn(h, t)
        losses.append(total)
    sum(losses[1:], losses[0]).backward()
    return losses


@pytest.mark.parametrize("wrong, expect", [(tbptt_detach_every_step, "inside the window"),
                                           (tbptt_never_detach, "before the window's cut"),
                                           (tbptt_off_by_one, "wrong values"),
                                           (tbptt_one_backward_at_the_end, "still None")])
def test_wrong_ex12_tbptt(wrong, expect):
    assert_fails("ex12", variant("ex12", truncated_bptt=wrong), expect)


def test_wrong_ex12_no_detach_is_explained():
    def truncated_bptt(step, h0, xs, loss_fn, k):
        h, losses = h0, []
        for start in range(0, len(xs), k):
            total = None
            for t in range(start, min(start + k, len(xs))):
                h = step(xs[t], h)
                total = loss_fn(h, t) if total is None else total + loss_fn(h, t)
            total.backward()                         # the second window's backward meets a freed graph
            losses.append(total)
        return losses
    assert_fails("ex12", variant("ex12", truncated_bptt=truncated_bptt), "still connected to the windows before it")


def test_wrong_ex13_gate_order():
    def lstm_step(x, h, c, weight_ih, weight_hh, bias_ih, bias_hh):
        gates = x @ weight_ih.T + bias_ih + h @ weight_hh.T + bias_hh
        i, f, o, g = gates.chunk(4, dim=-1)                  # i, f, o, g: not PyTorch's order
        c_new = f.sigmoid() * c + i.sigmoid() * g.tanh()
        return o.sigmoid() * c_new.tanh(), c_new
    assert_fails("ex13", variant("ex13", lstm_step=lstm_step), "gate order")


def test_wrong_ex14_input_gate_instead_of_forget_gate():
    def forget_gate_product(xs, weight_ih, bias_ih, bias_hh):
        H = weight_ih.shape[0] // 4
        a = xs @ weight_ih[:H].T + bias_ih[:H] + bias_hh[:H]       # rows 0:H are the input gate
        return np.prod(1 / (1 + np.exp(-a)), axis=0)
    assert_fails("ex14", variant("ex14", forget_gate_product=forget_gate_product), "wrong values")


# --- the grader -----------------------------------------------------------------------------

def test_find_accepts_number_short_and_full_names():
    assert find("ex03") is find("3") is find("03") is find("ex03_matmul_backward") is find("matmul_backward")
    with pytest.raises(UnknownExercise, match="ex01_central_difference"):
        find("ex99")


def test_find_exercises_dir_from_anywhere(tmp_path, monkeypatch):
    assert find_exercises_dir(REPO) == STUBS
    assert find_exercises_dir(STUBS) == STUBS
    assert find_exercises_dir(REPO / "tinygrad_rnn" / "core") == STUBS
    assert find_exercises_dir(tmp_path) == STUBS          # falls back to the (editable) package's location


def test_grade_reports_a_syntax_error(tmp_path):
    bad = tmp_path / "ex01_central_difference.py"
    bad.write_text("def central_difference(f, x, eps=1e-6)\n    return x\n")
    report = grade(find("ex01"), bad)
    assert report.status == "does not load" and "SyntaxError" in report.load_error and "line 1" in report.load_error


def test_grade_partial_work_is_in_progress(tmp_path):
    path = tmp_path / "ex11_clip_grad.py"
    source = (STUBS / "ex11_clip_grad.py").read_text()
    source = source.replace('    raise NotImplementedError("exercise ex11: write clip_grad_value (delete this line)")',
                            "    for g in grads:\n        np.clip(g, -clip_value, clip_value, out=g)")
    path.write_text(source)
    report = grade(find("ex11"), path)
    assert report.status == "in progress", [(r.outcome, r.message) for r in report.results]


# --- the CLI --------------------------------------------------------------------------------

@pytest.fixture
def in_repo(monkeypatch):
    monkeypatch.chdir(REPO)


def test_cli_list(in_repo, capsys):
    assert main(["check", "--list"]) == 0
    out = capsys.readouterr().out
    for exercise in EXERCISES:
        assert exercise.name in out and exercise.title in out
    assert "Chapter 1: Autograd from scratch" in out and "Chapter 7: LSTM" in out
    assert "not started" in out


def test_cli_grades_a_solution_file(in_repo, capsys):
    exercise = find("ex04")
    assert main(["check", "ex04", "--file", str(solution_path(exercise))]) == 0
    out = capsys.readouterr().out
    assert "-> passed (4/4 checks pass)" in out and out.count("PASS ") == 4
    # one progress line about the learner's own copies, which the --file result does not change
    assert out.strip().splitlines()[-1].startswith("Progress: 0 of 14 exercises pass in tutorials/exercises")
    assert "not counted" in out and "Summary:" not in out and "Chapter 1" not in out


@pytest.mark.parametrize("name", ["ex12", "12", "ex12_tbptt_loop"])
def test_cli_stub_is_not_started(in_repo, capsys, name):
    assert main(["check", name]) == 1
    out = capsys.readouterr().out
    assert "not started" in out and "TODO" in out and "Traceback" not in out


def test_cli_failure_shows_message_and_hint_without_traceback(in_repo, capsys, tmp_path):
    mine = tmp_path / "ex05_tanh_sigmoid.py"
    mine.write_text(solution_path(find("ex05")).read_text().replace("grad * (1 - y * y)", "grad * (1 - y)"))
    assert main(["check", "--file", str(mine)]) == 1               # the exercise is read from the file name
    out = capsys.readouterr().out
    assert "FAIL" in out and "Tanh.backward(G): dL/dx: wrong values" in out
    hints = find("ex05").hints
    assert f"hint 1 of 3: {hints[0]}" in out and hints[1] not in out          # the first hint only
    assert "next hint: tinygrad-rnn check ex05 --hint 2" in out
    assert "Traceback" not in out
    assert main(["check", "5", "--file", str(mine), "--verbose"]) == 1
    assert "Traceback" in capsys.readouterr().out


def test_cli_error_in_learner_code_points_at_the_line(in_repo, capsys, tmp_path):
    mine = tmp_path / "ex06_rnn_step.py"
    mine.write_text("def rnn_step(x, h, weight_ih, weight_hh, bias_ih, bias_hh):\n"
                    "    return (x @ weight_ih + h @ weight_hh.T).tanh()\n")
    assert main(["check", "ex06", "--file", str(mine)]) == 1
    out = capsys.readouterr().out
    assert "ERROR" in out and "ValueError" in out and "ex06_rnn_step.py line 2" in out


def test_cli_unknown_exercise(in_repo, capsys):
    assert main(["check", "ex99"]) == 2
    err = capsys.readouterr().err
    assert "no exercise called 'ex99'" in err
    for exercise in EXERCISES:
        assert exercise.name in err


def test_cli_grade_all(in_repo, capsys):
    assert main(["check"]) == 1
    out = capsys.readouterr().out
    assert "Summary: 0 of" in out and all(e.name in out for e in EXERCISES)
    assert "Next: tinygrad-rnn check ex01" in out


def test_cli_file_without_a_recognisable_name(in_repo, capsys, tmp_path):
    other = tmp_path / "mywork.py"
    other.write_text("")
    assert main(["check", "--file", str(other)]) == 2
    assert "can't tell which exercise" in capsys.readouterr().err


def test_cli_works_outside_the_repository(monkeypatch, capsys, tmp_path):
    monkeypatch.chdir(tmp_path)
    assert main(["check", "--list"]) == 0
    assert "ex01_central_difference" in capsys.readouterr().out


def test_wrong_ex09_eigensolver_imported_by_name_is_refused(tmp_path):
    mine = tmp_path / "ex09_eigenvalues_2x2.py"
    mine.write_text("from numpy.linalg import eigvals\n\n"
                    "def eigenvalues_2x2(A):\n    return tuple(complex(z) for z in eigvals(A))\n")
    assert_fails("ex09", load_module(mine), "switched off")
    assert load_module(mine).eigvals is np.linalg.eigvals                       # restored afterwards


def test_a_check_that_never_ends_is_stopped_as_an_error(tmp_path):
    """A learner's endless loop must not hang the checker: the check is stopped after its time limit."""
    from tinygrad_rnn.exercises.grader import ERROR

    def check_that_calls_the_learner(module):
        module.solve()

    def endless():
        n = 0
        while n >= 0:                   # the learner forgot to change the loop's condition
            n = 1

    learner = types.SimpleNamespace(solve=endless)
    result = run_check(check_that_calls_the_learner, learner, tmp_path / "ex.py", seconds=0.3)
    assert result.outcome == ERROR and "more than 0.3 s" in result.message and "loop" in result.message
    # and the timer is gone afterwards: a normal check still passes
    assert run_check(lambda module: None, learner, tmp_path / "ex.py", seconds=0.3).outcome == PASS


def test_a_loop_that_swallows_exceptions_is_stopped_in_process_too(tmp_path):
    """The in-process limit's CheckTimeout is a BaseException: `except Exception: pass` doesn't catch it.
    (The learner's loop gives up after 20 s, so that a swallowed limit fails the test instead of hanging it.)"""
    import time

    from tinygrad_rnn.exercises.grader import ERROR

    def endless():
        give_up = time.monotonic() + 20
        while time.monotonic() < give_up:
            try:
                sum(range(100))
            except Exception:
                pass

    learner = types.SimpleNamespace(solve=endless)
    result = run_check(lambda module: module.solve(), learner, tmp_path / "ex.py", seconds=0.3)
    assert result.outcome == ERROR and "more than 0.3 s" in result.message, (result.outcome, result.message)


@pytest.mark.parametrize("flags, shown", [([], 1), (["--hint"], 2), (["--hint", "--hint"], 3), (["--hint", "2"], 2),
                                          (["--hint", "3"], 3), (["--hint", "9"], 3)])
def test_cli_hint_reveals_the_next_hints(in_repo, capsys, tmp_path, flags, shown):
    mine = tmp_path / "ex05_tanh_sigmoid.py"
    mine.write_text(solution_path(find("ex05")).read_text().replace("grad * (1 - y * y)", "grad * (1 - y)"))
    assert main(["check", "ex05", "--file", str(mine), *flags]) == 1
    out = capsys.readouterr().out
    hints = find("ex05").hints
    for number, hint in enumerate(hints, 1):
        assert (f"hint {number} of 3: {hint}" in out) == (number <= shown), (number, flags)
    assert ("that was the last hint" in out) == (shown == len(hints))


@pytest.mark.parametrize("argv", [["check", "ex12", "--hint"], ["check", "--hint", "ex12"]])
def test_cli_hint_on_request_for_an_exercise_not_started(in_repo, capsys, argv):
    assert main(argv) == 1
    out = capsys.readouterr().out
    assert "not started" in out and find("ex12").hints[1] in out and find("ex12").hints[2] not in out


@pytest.mark.parametrize("argv, expect", [(["check", "--hint"], "--hint needs an exercise"),
                                          (["check", "ex01", "--hint", "0"], "--hint: must be an int >= 1"),
                                          (["check", "ex01", "--hint", "two"], "got 'two'")])
def test_cli_hint_mistakes(in_repo, capsys, argv, expect):
    with pytest.raises(SystemExit) as stop:
        code = main(argv)
        raise SystemExit(code)
    assert stop.value.code == 2
    assert expect in capsys.readouterr().err


def test_cli_one_exercise_ends_with_one_progress_line(in_repo, capsys):
    assert main(["check", "ex01"]) == 1
    out = capsys.readouterr().out
    assert out.strip().splitlines()[-1] == ("Progress: 0 of 14 exercises pass in tutorials/exercises; next: ex01 "
                                            "(the table: tinygrad-rnn check)")
    assert "Chapter 1" not in out and "ex02_mul_backward" not in out


def test_cli_file_result_never_changes_the_table(tmp_path, capsys):
    """The learner's copy of ex06 fails; --file with a passing file is reported as passing, and the table
    (and progress) still show the learner's copy as failing."""
    folder = tmp_path / "mine"
    folder.mkdir()
    for exercise in EXERCISES:
        (folder / exercise.filename).write_text((STUBS / exercise.filename).read_text())
    (folder / "ex06_rnn_step.py").write_text("def rnn_step(x, h, weight_ih, weight_hh, bias_ih, bias_hh):\n"
                                              "    return x\n")
    good = tmp_path / "other" / "ex06_rnn_step.py"
    good.parent.mkdir()
    good.write_text(solution_path(find("ex06")).read_text())
    assert main(["check", "ex06", "--file", str(good), "--dir", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "-> passed" in out and str(good) in out and "Progress: 0 of 14" in out
    assert main(["check", "--dir", str(folder)]) == 1
    table = capsys.readouterr().out.split("Summary:")[1]
    assert re.search(r"ex06_rnn_step\s+failed", table), table
