"""Grading a learner's exercise file: load it, run the exercise's checks, report.

A check's outcome is one of

- ``pass``
- ``fail``         it raised AssertionError: the work is wrong; the message says how
- ``not started``  the learner's code still raises the stub's NotImplementedError("exercise ...")
- ``error``        any other exception (a crash in the learner's code, e.g. a shape error), or the check
                   did not finish: it ran past its time limit, the process crashed, or the learner's code
                   ended the process (``os._exit``). The message says which, and what to do.

and an exercise's status is ``passed`` (every check passes), ``not started`` (none started),
``in progress`` (some pass, the others are not started), ``failed`` (some check fails or
errors), ``missing`` (no file) or ``does not load`` (e.g. a syntax error; or loading the file ran
past the time limit, crashed or ended the process).

Each file is graded in a child process
--------------------------------------
``grade`` never imports the learner's file. A child process loads the file, runs the checks and
writes one JSON line per step to a results file in a private temporary folder: ``ready``, then
``loaded`` (or ``load_error``), one line per check (its index, name and outcome), and ``done`` with
the number of checks. Every line carries a random token that the child got from the parent, and the
parent accepts only that file, only lines with that token, only in that order and with exactly the
checks the registry lists. What the learner's code prints (stdout and stderr, read through a pipe)
is kept apart, up to ``OUTPUT_BYTES``, and shown with ``--verbose``; it can't pass for a result.

The children: on Linux (``FORK_SERVER``) one helper process, started per ``grade`` / ``grade_many``
call, imports NumPy, tinygrad_rnn and the checks once and forks a worker per file (milliseconds,
instead of 0.3-0.5 s for a fresh interpreter); the helper runs no learner code, and each worker is
a process of its own, so one file can't change how another is graded. Elsewhere, or if the helper
fails, each file gets a fresh ``python -c _BOOT``, several at a time.

Time limits: loading the file, and each check, may take ``seconds`` (``CHECK_SECONDS`` unless told).
The child enforces it with ``faulthandler.dump_traceback_later(exit=True)``: a watchdog thread, in C,
that writes where the code was and ends the process. Python code can't catch that (``except
Exception: pass`` in a loop doesn't stop it). The backstop (the parent, or the fork server): a step
that makes no progress for ``seconds + GRACE_SECONDS`` gets its process group killed (SIGKILL).

A child that stops early (a time limit, a crash such as a segfault, ``os._exit``, results that
don't check out) gets the step it was on reported as an error that says why, never as a pass; a new
child then runs the remaining checks, so one endless loop doesn't hide the other checks' results.

Judging happens here, not in the child (``judging``): for every exercise but ex12 the child only
records the learner's outputs as values, and this process runs the check against them, so nothing the
learner's code does in its own process (forging records, replacing the checks, patching NumPy, reading
the check's frames) can make a check pass.

A sandbox only with ``sandboxed=True`` (``grade_class`` asks for it) where bubblewrap works
(``sandbox``): then each file runs in a sandbox of its own. Otherwise the learner's file runs as
ordinary Python, with the rights of the user who runs the checker (it can read and write their files,
like any script they run); the fork server (``forkserver``) still keeps one file from changing how
another is graded, and ends every process a file started before the next one.

``load_module`` and ``run_check`` work in the current process (the child uses them; so do tests).

Where the code is
-----------------
This module is the public API: ``grade``, ``grade_many``, ``find_exercises_dir`` and, from the
others, everything a caller needs (``Report``, ``load_module``, ``run_check``, the printing ...).

- ``checking``:   the outcomes, ``CheckResult``, ``Report``, ``load_module`` and ``run_check`` (in
                  this process)
- ``child``:      what runs in the child process: ``_BOOT`` and ``_child_main`` (the watchdog, the records)
- ``runners``:    starting and watching a child: the limits, the backstop, its output; ``_Spawner``
- ``forkserver``: the fork server (Linux), both ends: private channel, subreaper, supervisor
- ``sandbox``:    bubblewrap (each file in a sandbox of its own) and the resource limits
- ``judging``:    the learner's outputs as values (recorded in the child, replayed here)
- ``records``:    one child run as the parent sees it: the job, reading and checking the records,
                  why a child stopped
- ``report``:     printing: ``format_report``, ``format_overview``, ``shown_path``
"""
import concurrent.futures
import os
import sys
import time
import types
from pathlib import Path

from .checking import (BROKEN, CHECK_SECONDS, ERROR, FAIL, FAILED, IN_PROGRESS, MISSING, NOT_STARTED, PASS, PASSED,
                       CheckResult, CheckTimeout, Report, load_module, run_check)
from .checks._helpers import set_mode
from .judging import JUDGED_OUTSIDE, Mismatch, Replayer
from .forkserver import _ForkServer, _ServerFailed  # noqa: F401 - _ServerFailed: tests raise it as grader._ServerFailed
from .records import _run_child
from .registry import Exercise, find
from .report import format_overview, format_report, shown_path
from .runners import GRACE_SECONDS, OUTPUT_BYTES, OUTPUT_CHARS, OUTPUT_LINES, START_SECONDS, _Sandboxed, _Spawner
from . import sandbox

__all__ = ["PASS", "FAIL", "NOT_STARTED", "ERROR", "PASSED", "IN_PROGRESS", "FAILED", "MISSING", "BROKEN",
           "CHECK_SECONDS", "GRACE_SECONDS", "START_SECONDS", "OUTPUT_BYTES", "OUTPUT_LINES", "OUTPUT_CHARS",
           "FORK_SERVER", "CheckResult", "CheckTimeout", "Report", "find_exercises_dir", "load_module", "run_check",
           "grade", "grade_many", "format_report", "format_overview", "shown_path"]

#: how the children are made: on Linux one fork server forks a worker per file (cheap); elsewhere (and
#: if the fork server fails) a fresh interpreter per file, several at a time. Tests switch it (it is
#: read here, by ``grade`` and ``grade_many``, at each call).
FORK_SERVER = sys.platform.startswith("linux")


# --- finding the learner's files -------------------------------------------------------------

def _is_exercises_dir(path: Path) -> bool:
    return path.is_dir() and any(path.glob("ex[0-9][0-9]_*.py"))


def find_exercises_dir(cwd=None) -> Path | None:
    """The ``tutorials/exercises`` folder: looked for from the current directory upwards (so
    any folder inside the repository works), then upwards from this package's own location
    (an editable install lives inside the repository). None if neither finds it."""
    starts = [Path(cwd or os.getcwd()).resolve(), Path(__file__).resolve().parent]
    for start in starts:
        for folder in (start, *start.parents):
            if folder.name == "exercises" and folder.parent.name == "tutorials" and _is_exercises_dir(folder):
                return folder
            if _is_exercises_dir(folder / "tutorials" / "exercises"):
                return folder / "tutorials" / "exercises"
    return None


# --- grading ------------------------------------------------------------------------------------

def _joined(outputs: list) -> str:
    """The outputs of the runs of one file (one run unless a check stopped its process), at most
    OUTPUT_LINES lines in all."""
    lines = "\n[... the grader loaded your file again for the remaining checks ...]\n".join(
        o for o in outputs if o).splitlines()
    if len(lines) > OUTPUT_LINES:
        lines = lines[:OUTPUT_LINES] + ["[... truncated: what the later runs printed is not shown]"]
    return "\n".join(lines)


def _grade(exercise, path, seconds, runner) -> Report:
    began = time.monotonic()
    report = _grade_file(exercise, path, seconds, runner)
    report.seconds = time.monotonic() - began
    return report


def _judged(exercise, check, record: dict, path) -> CheckResult:
    """One check's result: for an exercise judged outside the learner's process (``judging``), the check
    run here on the values the child recorded; otherwise the outcome the child reported."""
    seconds = float(record.get("seconds", 0.0))
    if exercise.name not in JUDGED_OUTSIDE:
        return CheckResult(check, record["outcome"], record["message"], record["where"], record["traceback"], seconds)
    try:
        replayer = Replayer(record.get("events"))
    except Mismatch as err:
        return CheckResult(check, ERROR, _untrusted(err), seconds=seconds)
    set_mode(replayer)
    try:
        result = run_check(check, types.SimpleNamespace(), path, seconds=0)   # no module: the records
    finally:
        set_mode(None)
    if result.outcome == ERROR and result.message.startswith("Mismatch: "):
        result.message = _untrusted(result.message[len("Mismatch: "):])
    elif result.outcome == PASS and not replayer.finished():
        result = CheckResult(check, ERROR, _untrusted("your code was called more often than the check calls it"))
    result.seconds = seconds
    return result


def _untrusted(why) -> str:
    return (f"the grader's results could not be trusted ({why}), so this check counts as not passed. Does your "
            "code change the grader, the checks or the records? Your functions must only compute their results.")


def _grade_file(exercise, path, seconds, runner) -> Report:
    if not isinstance(exercise, Exercise):
        exercise = find(exercise)                  # UnknownExercise (a ValueError) lists the valid names
    path = Path(path)
    if not path.is_file():
        return Report(exercise, path, [], f"no file at {path}")
    seconds = CHECK_SECONDS if seconds is None else float(seconds)
    checks = exercise.checks
    results, outputs, start = [], [], 0
    while start < len(checks):
        run = _run_child(runner, exercise, path, checks, start, seconds)
        outputs.append(run.output)
        if run.load_error and not results:
            return Report(exercise, path, [], run.load_error, run.load_traceback, _joined(outputs))
        if run.load_error:                         # loading it again, for the checks after one that stopped
            again = "not run: loading your file again (for the checks after the one that stopped) failed: "
            results += [CheckResult(check, ERROR, again + run.load_error, traceback=run.load_traceback)
                        for check in checks[start:]]
            break
        results += [_judged(exercise, checks[r["index"]], r, path) for r in run.checks]
        if run.finished:
            break
        stopped = start + len(run.checks)          # the check that was running when the child stopped
        results.append(CheckResult(checks[stopped], ERROR, run.problem, run.where, run.detail))
        start = stopped + 1
    return Report(exercise, path, results, output=_joined(outputs))


def _runner(sandboxed: bool):
    """The runner for a call: the sandbox when asked for and available, else the fork server on Linux,
    else a fresh interpreter per file."""
    if sandboxed and sandbox.available():
        return _Sandboxed()
    return _ForkServer() if FORK_SERVER else _Spawner()


def grade(exercise, path, seconds: float | None = None, sandboxed: bool = False) -> Report:
    """Load ``path`` and run every check of ``exercise`` (an ``Exercise``, or a name as ``find`` takes:
    ``3``, ``"ex03"``, ``"ex03_matmul_backward"``) on it — in a child process, never in this one (see
    the module docstring). Loading the file, and each check, may take ``seconds`` (default
    ``CHECK_SECONDS``; 0: no limit). ``sandboxed``: in a bubblewrap sandbox where there is one."""
    runner = _runner(sandboxed)
    try:
        return _grade(exercise, path, seconds, runner)
    finally:
        runner.close()


def _cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def grade_many(items, seconds: float | None = None, jobs: int | None = None, sandboxed: bool = False):
    """Grade several files; ``items`` are (exercise, path) pairs. Yields their Reports in that order,
    each as soon as it is ready (``list(grade_many(...))`` for all). With the fork server they are
    graded one after the other; otherwise (a sandbox per file, or a fresh interpreter per file) ``jobs``
    at a time (default: one per CPU core, at most 8). Stopping early (Ctrl-C, or not reading on) stops
    the children. ``sandboxed``: each file in a bubblewrap sandbox of its own where there is one
    (``sandbox.available()``; ``grade_class`` asks for it)."""
    items = list(items)
    runner = _runner(sandboxed)
    if isinstance(runner, _ForkServer):
        try:
            for exercise, path in items:
                yield _grade(exercise, path, seconds, runner)
        finally:
            runner.close()
        return
    pool = concurrent.futures.ThreadPoolExecutor(max(1, min(jobs or min(_cpus(), 8), len(items) or 1)))
    futures = [pool.submit(_grade, exercise, path, seconds, runner) for exercise, path in items]
    try:
        for future in futures:
            yield future.result()
    except BaseException:
        for future in futures:
            future.cancel()
        runner.stop()                              # their threads see the children end, and return at once
        raise
    finally:
        pool.shutdown(wait=True)
