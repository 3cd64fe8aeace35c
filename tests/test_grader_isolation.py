"""The grader can't be hung, fooled or damaged by the file it grades (issue 16, item 2).

Each learner file is loaded and checked in a child process (``exercises.grader``); these tests give
it files that loop forever (at the top level, and inside a graded function behind ``except
Exception: pass``), call ``os._exit``, crash with SIGSEGV, print fake results or far too much, and
write into the grader's results file — and check that each is reported as an error that says why,
never as a pass, within the time limit, and that ``tinygrad-rnn check`` exits nonzero. Most run with
both ways of making the child: the Linux fork server and a fresh interpreter per file.
"""
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from tinygrad_rnn.cli import main
from tinygrad_rnn.exercises import EXERCISES, find, grade, grader
from tinygrad_rnn.exercises.grader import BROKEN, ERROR, FAILED, PASS, PASSED, format_report, grade_many

SOLUTIONS = Path(__file__).resolve().parent / "solutions"     # the reference solutions (not in the package)


def solution_path(exercise) -> Path:
    return SOLUTIONS / exercise.filename


LIMIT = 2.0                          # the time limit the tests give (the default is 60 s)
WITHIN = 90.0                        # a grading that takes longer than this has hung: the test fails


@pytest.fixture(params=["fork server", "spawn"])
def model(request, monkeypatch):
    """Both ways of making the children (the fork server only where it is the default: Linux)."""
    if request.param == "fork server" and not sys.platform.startswith("linux"):
        pytest.skip("the fork server is used on Linux only")
    monkeypatch.setattr(grader, "FORK_SERVER", request.param == "fork server")
    return request.param


def write(tmp_path: Path, name: str, source: str) -> Path:
    """``source`` (dedented) as the learner's file for exercise ``name``; ``{solution}`` in it is
    replaced by the reference solution's code and ``{tmp}`` by ``tmp_path``."""
    exercise = find(name)
    text = textwrap.dedent(source).replace("{tmp}", str(tmp_path))
    text = text.replace("{solution}", solution_path(exercise).read_text())
    path = tmp_path / exercise.filename
    path.write_text(text)
    return path


def graded(name: str, path: Path, seconds: float = LIMIT):
    """(report, seconds taken) of grading ``path``; fails (instead of hanging the tests) if the grading
    takes longer than WITHIN."""
    box = {}

    def work():
        try:
            box["report"] = grade(name, path, seconds=seconds)
        except BaseException as err:             # noqa: BLE001 - shown by the test
            box["error"] = err
    start = time.monotonic()
    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    thread.join(WITHIN)
    assert not thread.is_alive(), f"grading {path.name} did not finish within {WITHIN} s: the grader hung"
    if "error" in box:
        raise box["error"]
    return box["report"], time.monotonic() - start


def outcomes(report) -> list:
    return [r.outcome for r in report.results]


# --- endless loops ------------------------------------------------------------------------------

def test_an_endless_loop_at_the_top_level_is_stopped(model, tmp_path):
    # the loop on one line: a two-line `while True:` / `pass` is stopped on either line, by chance
    path = write(tmp_path, "ex01", "import numpy as np\n\nwhile True: pass\n")
    report, took = graded("ex01", path)
    assert report.status == BROKEN and not report.passed
    assert report.load_error.startswith("timed out: loading ex01_central_difference.py took more than 2 s")
    assert "ex01_central_difference.py line 3, in <module>: while True: pass" in report.load_error
    assert took < LIMIT + 30, took                 # the limit, plus starting Python, NumPy and the package


@pytest.mark.parametrize("handler", ["except Exception", "except BaseException", "except"])
def test_a_loop_that_swallows_exceptions_is_still_stopped(model, tmp_path, handler):
    """The first call loops, swallowing every exception; the limit still stops that check, and the
    other checks run (in a new process) and pass."""
    path = write(tmp_path, "ex01", f"""\
        {{solution}}

        import pathlib
        _solution = central_difference
        MARK = pathlib.Path(r"{{tmp}}") / "looped"


        def central_difference(f, x, eps=1e-6):
            if not MARK.exists():
                MARK.touch()
                while True:
                    try:
                        sum(range(100))
                    {handler}:
                        pass
            return _solution(f, x, eps)
        """)
    report, took = graded("ex01", path)
    first, *rest = report.results
    assert first.outcome == ERROR and first.message.startswith("timed out: the check ran for more than 2 s")
    assert "loop" in first.message and first.where.startswith("ex01_central_difference.py line ")
    assert ", in central_difference: " in first.where        # the line it was on when it was stopped
    assert [r.outcome for r in rest] == [PASS] * len(rest) and rest
    assert report.status == FAILED and took < LIMIT + 30


def test_the_backstop_kills_a_child_whose_own_limit_was_switched_off(model, tmp_path):
    """The learner's code cancels the child's watchdog (the first time it is called): the parent (or
    the fork server) kills the process; the other checks still run."""
    path = write(tmp_path, "ex07", """\
        {solution}

        import faulthandler
        import pathlib
        _solution = bptt_scalar
        MARK = pathlib.Path(r"{tmp}") / "looped"


        def bptt_scalar(w, u, b, xs, h0):
            if not MARK.exists():
                MARK.touch()
                faulthandler.cancel_dump_traceback_later()
                while True:
                    pass
            return _solution(w, u, b, xs, h0)
        """)
    report, took = graded("ex07", path, seconds=1.0)
    first, *rest = report.results
    assert first.outcome == ERROR and first.message.startswith("timed out: the check ran for more than 1 s")
    assert "killed its process after 3 s" in first.message
    assert [r.outcome for r in rest] == [PASS] * len(rest) and rest
    assert took < 1.0 + grader.GRACE_SECONDS + 30, took


# --- ending the process -------------------------------------------------------------------------

def test_os_exit_when_the_file_is_loaded_is_an_error(model, tmp_path):
    path = write(tmp_path, "ex02", "import os\nos._exit(0)\n")
    report, _ = graded("ex02", path)
    assert report.status == BROKEN and not report.passed
    assert "ended the grader's process while it was being loaded (exit code 0)" in report.load_error
    assert "os._exit()" in report.load_error and "ex02_mul_backward.py line 2, in <module>: os._exit(0)" \
        in report.load_error


def test_os_exit_in_the_graded_function_is_an_error(model, tmp_path):
    path = write(tmp_path, "ex06", """\
        import os


        def rnn_step(x, h, weight_ih, weight_hh, bias_ih, bias_hh):
            os._exit(0)
        """)
    report, _ = graded("ex06", path)
    assert outcomes(report) == [ERROR] * len(report.results) and report.status == FAILED
    first = report.results[0]
    assert "ended the grader's process during the check (exit code 0)" in first.message
    assert first.where == "ex06_rnn_step.py line 5, in rnn_step: os._exit(0)"


def test_sys_exit_is_an_error_too(tmp_path):
    path = write(tmp_path, "ex06", """\
        import sys


        def rnn_step(x, h, weight_ih, weight_hh, bias_ih, bias_hh):
            sys.exit(0)
        """)
    report, _ = graded("ex06", path)
    assert outcomes(report) == [ERROR] * len(report.results)
    assert "SystemExit" in report.results[0].message and "must return" in report.results[0].message
    path.write_text("import sys\nsys.exit()\n")
    report, _ = graded("ex06", path)
    assert report.status == BROKEN and "SystemExit" in report.load_error and "sys.exit()" in report.load_error


# --- crashes ------------------------------------------------------------------------------------

def test_a_segfault_is_reported_as_a_crash(model, tmp_path):
    path = write(tmp_path, "ex05", """\
        {solution}

        import os
        import signal
        _Tanh = Tanh


        class Tanh(_Tanh):
            def forward(self, x):
                os.kill(os.getpid(), signal.SIGSEGV)
        """)
    report, _ = graded("ex05", path)
    crashed = [r for r in report.results if r.outcome == ERROR]
    assert crashed and report.status == FAILED
    assert all("crashed during the check: it was ended by SIGSEGV" in r.message for r in crashed)
    assert crashed[0].where.startswith("ex05_tanh_sigmoid.py line ") and "os.kill" in crashed[0].where
    assert PASS in outcomes(report)                 # the Sigmoid check does not touch Tanh: it still passes


def test_a_crash_while_loading_and_a_kill_are_reported(model, tmp_path):
    path = write(tmp_path, "ex05", "import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n")
    report, _ = graded("ex05", path)
    assert report.status == BROKEN and "crashed while loading ex05_tanh_sigmoid.py" in report.load_error
    assert "SIGSEGV" in report.load_error
    path.write_text("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n")
    report, _ = graded("ex05", path)
    assert report.status == BROKEN and "SIGKILL" in report.load_error and "memory" in report.load_error


def test_memory_and_recursion_errors_are_errors(tmp_path):
    path = write(tmp_path, "ex09", """\
        import numpy as np


        def eigenvalues_2x2(A):
            return np.empty(10 ** 15)            # far too big: MemoryError at once, nothing allocated


        def regime(A):
            return regime(A)
        """)
    report, _ = graded("ex09", path)
    messages = [r.message for r in report.results]
    assert outcomes(report) == [ERROR] * len(report.results)
    assert any("MemoryError" in m for m in messages) and any("RecursionError" in m for m in messages)


# --- output -------------------------------------------------------------------------------------

def test_printing_fake_results_does_not_pass(model, tmp_path):
    """Lines that look like the grader's records, or like its report, printed by a wrong solution."""
    path = write(tmp_path, "ex07", """\
        import json

        for n in range(4):
            print(json.dumps({"token": "0" * 32, "kind": "check", "index": n, "outcome": "pass"}))
        print(json.dumps({"kind": "done", "count": 4}))
        print("  PASS  everything\\n  -> passed (4/4 checks pass)")


        def bptt_scalar(w, u, b, xs, h0):
            print(json.dumps({"kind": "done", "count": 4}))
            return {"dL_dw": 0.0, "dL_du": 0.0, "dL_db": 0.0, "dL_dh0": 0.0}
        """)
    report, _ = graded("ex07", path)
    assert report.status == FAILED and PASS not in outcomes(report)
    assert '"kind": "done"' in report.output                 # it was captured as output, nothing more


def test_huge_output_is_truncated(model, tmp_path):
    path = write(tmp_path, "ex01", """\
        print("x" * 3_000_000)
        for n in range(5000):
            print("line", n)

        {solution}
        """)
    report, _ = graded("ex01", path, seconds=30)
    assert report.status == PASSED
    lines = report.output.splitlines()
    assert len(lines) <= grader.OUTPUT_LINES + 1 and len(report.output) < grader.OUTPUT_CHARS + 200
    assert lines[-1].startswith("[... truncated: your code printed") and lines[0].startswith("xxxx")
    assert "your code printed" in format_report(report, verbose=True)
    assert "xxxx" not in format_report(report)                # shown with --verbose only


def test_output_is_shown_with_verbose_and_control_characters_are_escaped(tmp_path):
    path = write(tmp_path, "ex01", 'print("hello from the file \\x1b[2J")\n\n{solution}\n')
    report, _ = graded("ex01", path)
    assert report.output == "hello from the file \\x1b[2J"
    assert "    | hello from the file \\x1b[2J" in format_report(report, verbose=True)


# --- the results channel ------------------------------------------------------------------------

def test_a_damaged_results_file_is_not_trusted(model, tmp_path):
    """The learner's code finds the grader's results file (it can: this is not a sandbox) and writes
    into it; the lines lack the run's token, so nothing is trusted."""
    path = write(tmp_path, "ex01", """\
        import sys

        frame = sys._getframe()
        while "job" not in frame.f_locals:
            frame = frame.f_back
        with open(frame.f_locals["job"]["results"], "a") as results:
            results.write('{"kind": "done", "count": 4}\\n')

        {solution}
        """)
    report, _ = graded("ex01", path)
    assert report.status == BROKEN and "could not be trusted" in report.load_error
    assert "does not carry this run's token" in report.load_error


def test_the_parent_never_imports_the_learners_file(model, tmp_path):
    path = write(tmp_path, "ex01", """\
        import os
        import pathlib
        pathlib.Path(r"{tmp}", "pid").write_text(str(os.getpid()))

        {solution}
        """)
    report, _ = graded("ex01", path)
    assert report.status == PASSED
    assert int((tmp_path / "pid").read_text()) != os.getpid()
    assert not [m for m in list(sys.modules.values()) if getattr(m, "__file__", None) == str(path)]


# --- correct work still passes, and the way the children are made ---------------------------------

def test_every_reference_solution_passes(model):
    items = [(e, solution_path(e)) for e in EXERCISES]
    reports = list(grade_many(items))
    assert [r.exercise for r in reports] == EXERCISES
    failing = {r.exercise.name: [(x.outcome, x.message) for x in r.results if x.outcome != PASS] or r.load_error
               for r in reports if not r.passed}
    assert not failing


def test_a_fork_server_that_does_not_start_falls_back_to_fresh_interpreters(monkeypatch, tmp_path):
    if not sys.platform.startswith("linux"):
        pytest.skip("the fork server is used on Linux only")
    monkeypatch.setattr(grader, "FORK_SERVER", True)

    def broken(self):
        raise grader._ServerFailed("no answer in time")
    monkeypatch.setattr(grader._ForkServer, "_start", broken)
    report, _ = graded("ex04", solution_path(find("ex04")))
    assert report.status == PASSED


def test_a_fork_server_that_fails_during_a_job_costs_only_that_job(monkeypatch, tmp_path):
    """The job is an error (never run again under the grader); the next job gets a new helper."""
    if not sys.platform.startswith("linux"):
        pytest.skip("the fork server is used on Linux only")
    monkeypatch.setattr(grader, "FORK_SERVER", True)
    real, calls = grader._ForkServer._run, []

    def once_broken(self, job, seconds):
        calls.append(job["path"])
        if len(calls) == 1:
            raise grader._ServerFailed("no answer in time")
        return real(self, job, seconds)
    monkeypatch.setattr(grader._ForkServer, "_run", once_broken)
    path = solution_path(find("ex04"))
    first, second = grade_many([("ex04", path), ("ex04", path)], seconds=LIMIT)
    assert first.status == BROKEN and "ended or stopped" in first.load_error
    assert second.status == PASSED and len(calls) == 2


# --- the command line: exit codes ------------------------------------------------------------------

def solutions_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "mine"
    folder.mkdir()
    for exercise in EXERCISES:
        (folder / exercise.filename).write_text(solution_path(exercise).read_text())
    return folder


def status_of(name: str, out: str) -> str:
    """An exercise's status in the summary at the end of ``check``'s output."""
    line = [line for line in out.splitlines() if line.startswith(f"  {name} ")][-1]
    return line.split(maxsplit=1)[1]


def check(*argv, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tinygrad_rnn", "check", *argv], cwd=cwd, capture_output=True,
                          text=True, timeout=WITHIN * 2)


def test_cli_exit_codes_in_a_subprocess(tmp_path):
    folder = solutions_dir(tmp_path)
    everything = check("--dir", str(folder), cwd=tmp_path)
    assert everything.returncode == 0, everything.stdout + everything.stderr
    assert f"Summary: {len(EXERCISES)} of {len(EXERCISES)} exercises pass" in everything.stdout

    (folder / "ex02_mul_backward.py").write_text("import os\nos._exit(0)\n")
    (folder / "ex03_matmul_backward.py").write_text("while True:\n    pass\n")
    start = time.monotonic()
    proc = check("--dir", str(folder), "--time-limit", str(LIMIT), cwd=tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert status_of("ex02_mul_backward", proc.stdout) == "does not load" and "os._exit()" in proc.stdout
    assert status_of("ex03_matmul_backward", proc.stdout) == "does not load" and "timed out" in proc.stdout
    assert status_of("ex04_topological_sort", proc.stdout) == "passed"
    assert time.monotonic() - start < LIMIT + 60

    one = check("ex03", "--dir", str(folder), "--time-limit", str(LIMIT), cwd=tmp_path)
    assert one.returncode == 1 and "timed out: loading ex03_matmul_backward.py" in one.stdout
    other = check("ex01", "--dir", str(folder), "--time-limit", str(LIMIT), cwd=tmp_path)
    assert other.returncode == 0, other.stdout           # the one asked for passes, whatever the others do


@pytest.mark.parametrize("source, code", [("{solution}", 0), ("import os\nos._exit(0)\n", 1),
                                          ("{solution}\nimport os\nos.kill(os.getpid(), 11)\n", 1),
                                          ("def central_difference(f, x, eps=1e-6):\n    import os; os._exit(0)\n", 1)],
                         ids=["solution", "os._exit at import", "segfault at import", "os._exit in the function"])
def test_cli_exit_code_means_every_check_passed(tmp_path, capsys, source, code):
    path = write(tmp_path, "ex01", source)
    assert main(["check", "--file", str(path), "--time-limit", str(LIMIT)]) == code
    out = capsys.readouterr().out
    assert ("-> passed" in out) == (code == 0)


def test_cli_dir_and_time_limit_mistakes(tmp_path, capsys):
    assert main(["check", "--dir", str(tmp_path / "nowhere")]) == 2
    assert "--dir" in capsys.readouterr().err
    (tmp_path / "afile").write_text("")
    assert main(["check", "--dir", str(tmp_path / "afile")]) == 2
    assert "is a file" in capsys.readouterr().err
    assert main(["check", "--dir", str(tmp_path)]) == 2
    assert "no exercise files" in capsys.readouterr().err
    with pytest.raises(SystemExit) as stop:
        main(["check", "--time-limit", "-1"])
    assert stop.value.code == 2 and "--time-limit" in capsys.readouterr().err


# --- hostile files against other students' grading (issue 27, "Between students") ------------------
# Each runs with the sandbox (bubblewrap) and without it (TINYGRAD_RNN_SANDBOX=off: the fork server's
# process isolation). Each attack was reproduced on the code before issue 27, where these tests fail.

@pytest.fixture(params=["sandbox", "no sandbox"])
def isolation(request, monkeypatch):
    """Both ways grade_class isolates the files: bubblewrap where it works, and the fallback."""
    from tinygrad_rnn.exercises import sandbox
    if request.param == "sandbox":
        monkeypatch.delenv(sandbox.SWITCH, raising=False)
        if not sandbox.available():
            if os.environ.get("CI"):
                pytest.fail("bubblewrap (bwrap) is missing or does not work: .ci/run installs it")
            pytest.skip("no working bubblewrap here")
    else:
        monkeypatch.setenv(sandbox.SWITCH, "off")
    return request.param


def class_of(tmp_path: Path, files: dict) -> Path:
    """A class folder: {student: {exercise: source}} ({solution} = the reference solution)."""
    folder = tmp_path / "class"
    for student, exercises in files.items():
        (folder / student).mkdir(parents=True)
        for name, source in exercises.items():
            exercise = find(name)
            text = textwrap.dedent(source).replace("{solution}", solution_path(exercise).read_text())
            (folder / student / exercise.filename).write_text(text.replace("{tmp}", str(tmp_path)))
    return folder


def graded_class(folder: Path, exercises=("ex04",), seconds: float = 10.0) -> dict:
    """{student: [status of each exercise]} from grade_class, within WITHIN seconds."""
    from tinygrad_rnn.exercises.classroom import grade_class
    box = {}
    thread = threading.Thread(target=lambda: box.update(students=grade_class(folder, list(exercises), seconds)),
                              daemon=True)
    thread.start()
    thread.join(WITHIN)
    assert not thread.is_alive(), "grading the class did not finish: the grader hung"
    return {s.name: s for s in box["students"]}


def processes_with(marker: str) -> list:
    """The pids of the processes whose command line holds ``marker``."""
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                if marker in Path(f"/proc/{name}/cmdline").read_bytes().decode("latin-1"):
                    found.append(int(name))
            except OSError:
                pass
    return found


# item 1: the fork server's pipe. A fake job line into the stdin of the process's parent (and its
# grandparent) shifted every later student's grade by one on the old code.
FAKE_JOB = """\
import json, os
def _ancestors():
    pid = os.getppid()
    for _ in range(2):
        yield pid
        try:
            pid = int(open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[1])
        except OSError:
            return
for pid in _ancestors():
    for fd in ("0",):
        try:
            with open(f"/proc/{pid}/fd/{fd}", "w") as f:
                f.write(json.dumps({"token": "x", "exercise": "ex04_topological_sort", "path": "/nonexistent",
                                    "start": 0, "seconds": 1, "results": "/dev/null", "trace": "/dev/null",
                                    "sys_path": []}) + "\\n")
        except OSError:
            pass
{solution}
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux: /proc")
def test_a_fake_job_written_into_the_graders_pipes_changes_no_other_grade(isolation, tmp_path):
    folder = class_of(tmp_path, {"a_hostile": {"ex04": FAKE_JOB}, "b": {"ex04": "{solution}"},
                                 "c": {"ex04": "{solution}"}})
    students = graded_class(folder)
    assert [students[s].reports[0].status for s in ("b", "c")] == [PASSED, PASSED]


# item 2: a process that outlives its grading (fork, setsid, fork) and waits to damage later grading
SURVIVOR = """\
import os
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv("/bin/sleep", ["sleep", "{marker}"])
    os._exit(0)
{solution}
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux: /proc")
def test_no_process_a_file_started_outlives_its_grading(isolation, tmp_path):
    marker = f"{time.time_ns() % 10**6 + 4000}.25"          # sleep's argument: how the test finds it
    folder = class_of(tmp_path, {"a_hostile": {"ex04": SURVIVOR.replace("{marker}", marker)},
                                 "b": {"ex04": "{solution}"}})
    try:
        students = graded_class(folder)
        assert students["b"].reports[0].status == PASSED
        assert processes_with(marker) == [], "a process the hostile file started is still running"
    finally:
        for pid in processes_with(marker):
            os.kill(pid, 9)


# item 3: killing or stopping the process's parent
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="signals")
@pytest.mark.parametrize("signal_name", ["SIGKILL", "SIGSTOP"])
def test_killing_or_stopping_the_parent_costs_only_that_file(isolation, tmp_path, signal_name):
    hostile = f"import os, signal\nos.kill(os.getppid(), signal.{signal_name})\n{{solution}}\n"
    folder = class_of(tmp_path, {"a_hostile": {"ex04": hostile}, "b": {"ex04": "{solution}"},
                                 "c": {"ex04": "{solution}"}})
    students = graded_class(folder)
    assert [students[s].reports[0].status for s in ("b", "c")] == [PASSED, PASSED]


# item 4: limits
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="resource limits")
def test_memory_file_size_and_process_limits_hold(isolation, tmp_path):
    from tinygrad_rnn.exercises import sandbox
    probe = """\
    import resource
    print("limits", *(resource.getrlimit(getattr(resource, n))[0] for n in ("RLIMIT_AS", "RLIMIT_FSIZE", "RLIMIT_NPROC")))
    import numpy as np
    try:
        np.ones(20 * 2**30)
        print("allocated 160 GB")
    except MemoryError:
        print("MemoryError")
    {solution}
    """
    folder = class_of(tmp_path, {"a": {"ex04": probe}})
    report = graded_class(folder)["a"].reports[0]
    assert report.status == PASSED
    assert f"limits {sandbox.MEMORY_BYTES} {sandbox.FILE_BYTES} {sandbox.PROCESSES}" in report.output
    assert "MemoryError" in report.output


# --- a student's own result (issue 27) ---------------------------------------------------------------

@pytest.mark.parametrize("encoding", ["utf-8-sig", "pep263-latin-1"])
def test_a_file_loads_as_python_reads_it(tmp_path, encoding):
    """A UTF-8 file with a byte-order mark, and a Latin-1 file with a PEP 263 coding line, load (on the
    old code both were "does not load")."""
    exercise = find("ex04")
    text = "# résumé of my work\n" + solution_path(exercise).read_text()
    path = tmp_path / exercise.filename
    if encoding == "utf-8-sig":
        path.write_bytes(text.encode("utf-8-sig"))
    else:
        path.write_bytes(("# -*- coding: latin-1 -*-\n" + text).encode("latin-1"))
    report, _ = graded("ex04", path)
    assert report.status == PASSED, report.load_error


#: one-line wrappers around the library's own versions (they passed on the old code)
WRAPPERS = {
    "ex04": "from tinygrad_rnn.core.backward import topological_order as _theirs\n"
            "def topological_order(root):\n    return _theirs(root)\n",
    "ex05": "from tinygrad_rnn import Function\nfrom tinygrad_rnn.core.ops import elementwise as E\n"
            "class Tanh(Function):\n    def forward(self, x):\n        return E.Tanh.forward(self, x)\n"
            "    def backward(self, grad):\n        return E.Tanh.backward(self, grad)\n"
            "class Sigmoid(Function):\n    def forward(self, x):\n        return E.Sigmoid.forward(self, x)\n"
            "    def backward(self, grad):\n        return E.Sigmoid.backward(self, grad)\n",
    "ex06": "from tinygrad_rnn.nn import cells\ndef rnn_step(*a):\n    return cells.rnn_cell(*a)\n",
    "ex10": "from tinygrad_rnn.nn import init\ndef orthogonal(A, gain=1.0):\n    return init._orthogonal_from(A, gain)\n",
    "ex11": "import numpy as np\nfrom tinygrad_rnn import Tensor\nfrom tinygrad_rnn.nn import utils\n"
            "def _tensors(grads):\n    out = []\n    for g in grads:\n        t = Tensor(np.zeros_like(g), requires_grad=True)\n"
            "        t.grad = g\n        out.append(t)\n    return out\n"
            "def clip_grad_norm(grads, max_norm):\n    return float(utils.clip_grad_norm_(_tensors(grads), max_norm))\n"
            "def clip_grad_value(grads, clip_value):\n    utils.clip_grad_value_(_tensors(grads), clip_value)\n",
    "ex13": "from tinygrad_rnn.nn import cells\ndef lstm_step(*a):\n    return cells.lstm_cell(*a)\n",
}


def test_a_wrapper_around_the_librarys_own_version_does_not_pass(tmp_path):
    items = []
    for name in sorted(WRAPPERS):
        path = tmp_path / find(name).filename
        path.write_text(WRAPPERS[name])
        items.append((name, path))
    for report in grade_many(items, seconds=10):
        assert report.passed_count == 0, [(r.outcome, r.message[:100]) for r in report.results]
        assert any("switched off" in r.message for r in report.results), format_report(report)


# --- judging out of the learner's process (issue 27) -------------------------------------------------
# Each attack passed every check on the old code, where the checks judged inside the learner's process.

#: forged records: the run's token and results file found on the call stack, a "pass" for every check
FORGED = """\
import json, sys
def _forge():
    f = sys._getframe(1)
    while f is not None and "token" not in f.f_locals:
        f = f.f_back
    token, results, checks = f.f_locals["token"], f.f_locals["results"], f.f_locals["checks"]
    for i, c in enumerate(checks):
        results.write(json.dumps({"token": token, "kind": "check", "index": i, "name": c.__name__, "outcome": "pass",
                                  "message": "", "where": "", "traceback": "", "seconds": 0.0}) + "\\n")
    results.write(json.dumps({"token": token, "kind": "done", "count": len(checks)}) + "\\n")
    results.flush()
    import posix
    posix._exit(0)
def eigenvalues_2x2(A):
    _forge()
def regime(A):
    _forge()
"""

#: the checks' code replaced by a function that does nothing
REPLACED_CHECKS = """\
from tinygrad_rnn.exercises.checks import ex09_eigenvalues_2x2 as _checks
for _check in _checks.TESTS:
    _check.__code__ = (lambda mod: None).__code__
def eigenvalues_2x2(A):
    return [0.0, 0.0]
def regime(A):
    return "stable"
"""

#: NumPy's comparisons patched to say "equal"
PATCHED_NUMPY = """\
import numpy as np
np.isclose = lambda a, b, *args, **kwargs: np.ones(np.broadcast(np.asarray(a), np.asarray(b)).shape, dtype=bool)
np.allclose = lambda *args, **kwargs: True
def eigenvalues_2x2(A):
    return [0.0, 0.0]
def regime(A):
    return "stable"
"""

#: the expected answer read from the check's frame (ex09's checks computed it before calling the learner)
FRAME_READER = """\
import sys
def _expected(name):
    f = sys._getframe(1)
    while f is not None:
        if name in f.f_locals:
            return f.f_locals[name]
        f = f.f_back
    return None
def eigenvalues_2x2(A):
    return _expected("expected")
def regime(A):
    return _expected("expected")
"""


def test_a_file_that_attacks_the_judge_passes_nothing(model, tmp_path):
    attacks = {"forged records": FORGED, "replaced checks": REPLACED_CHECKS, "patched numpy": PATCHED_NUMPY,
               "frame reader": FRAME_READER}
    items = []
    for k, (attack, source) in enumerate(attacks.items()):
        path = tmp_path / str(k) / find("ex09").filename
        path.parent.mkdir()
        path.write_text(source)
        items.append(("ex09", path))
    for attack, report in zip(attacks, grade_many(items, seconds=10)):
        assert report.passed_count == 0, (attack, [(r.outcome, r.message[:120]) for r in report.results])
