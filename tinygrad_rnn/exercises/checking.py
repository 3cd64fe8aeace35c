"""A learner's file and its checks, in the current process: the names of the outcomes, the result
types (``CheckResult`` for one check, ``Report`` for one file), ``load_module`` and ``run_check``.

Nothing here starts a process. ``grade`` (in ``grader``) calls ``load_module`` and ``run_check``
inside a child process (``child``), never in the caller's; tests call them directly.
"""
import contextlib
import dataclasses
import signal
import sys
import threading
import time
import traceback
import types
from pathlib import Path

from .registry import Exercise

PASS, FAIL, NOT_STARTED, ERROR = "pass", "fail", "not started", "error"
PASSED, IN_PROGRESS, FAILED, MISSING, BROKEN = "passed", "in progress", "failed", "missing", "does not load"


# --- loading the learner's file ----------------------------------------------------------------

def load_module(path, module_name: str | None = None) -> types.ModuleType:
    """Run the Python file ``path`` as a fresh module and return it (in this process: ``grade``
    calls it in its child process, never in the caller's).

    The source is read and executed every time (no ``__pycache__`` is written next to the
    learner's file, and an edit is never hidden by a stale cache). Its bytes are compiled, so that a
    UTF-8 byte-order mark or a ``# -*- coding: ... -*-`` line is read as Python reads it.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"load_module: no file at '{path}'" + (" (it is a folder)" if path.is_dir() else "")
                                + ". Fix: pass the path of your exercise file, e.g. tutorials/exercises/ex01_...py")
    name = module_name or f"_exercise_{path.stem}"
    source = path.read_bytes()                 # compiled as bytes: a BOM or a PEP 263 coding line works as in Python
    code = compile(source, str(path), "exec")
    module = types.ModuleType(name)
    module.__file__ = str(path)
    sys.modules[name] = module                 # classes and dataclasses look their module up by name
    exec(code, module.__dict__)
    return module


def _load_failure(err: BaseException, path: Path) -> tuple:
    """(message, traceback) for an exception raised while loading the learner's file."""
    where = _where_in(path, err.__traceback__)
    if isinstance(err, SyntaxError):
        where = f"{path.name} line {err.lineno}: {(err.text or '').strip()}"
    message = f"{type(err).__name__}: {err}" + (f"\n    at {where}" if where else "")
    if isinstance(err, SystemExit):
        message += ("\n    Your file calls sys.exit() (or exit()) when it is loaded, so there was nothing to grade. "
                    "Remove the call, or put it under `if __name__ == \"__main__\":` (the checker skips that part).")
    return message, "".join(traceback.format_exception(type(err), err, err.__traceback__))


# --- running the checks -----------------------------------------------------------------------

def _is_stub_error(err: BaseException) -> bool:
    return isinstance(err, NotImplementedError) and str(err).startswith("exercise ")


def _where_in(path: Path, tb) -> str:
    """'line N, in fn: code' for the deepest frame of ``tb`` that is in the learner's file, or ''."""
    frames = [f for f in traceback.extract_tb(tb) if Path(f.filename) == path]
    if not frames:
        return ""
    f = frames[-1]
    return f"{path.name} line {f.lineno}, in {f.name}: {f.line}" if f.line else f"{path.name} line {f.lineno}"


@dataclasses.dataclass
class CheckResult:
    check: object             # the check function
    outcome: str              # PASS, FAIL, NOT_STARTED or ERROR
    message: str = ""
    where: str = ""           # where in the learner's file an error happened
    traceback: str = ""
    seconds: float | None = None   # how long the check ran (None: not measured, e.g. its process died)

    @property
    def description(self) -> str:
        doc = (self.check.__doc__ or self.check.__name__).strip()
        return doc.splitlines()[0]


#: how long loading a file, and each check, may run before it is stopped as an error (a learner's
#: endless loop must not hang `check`); ``grade(..., seconds=)`` and ``check --time-limit`` change it
CHECK_SECONDS = 60.0


class CheckTimeout(BaseException):
    """A check ran longer than its time limit (in-process ``run_check``). A BaseException, like
    KeyboardInterrupt, so that the learner's ``except Exception:`` doesn't swallow it."""


def _timeout_message(seconds: float) -> str:
    return (f"timed out: the check ran for more than {seconds:g} s and was stopped. Is there a loop that never "
            "ends (a while loop whose condition never changes, or a recursion without a base case)?")


@contextlib.contextmanager
def _time_limit(seconds: float):
    """Raise CheckTimeout in the block after ``seconds`` (a SIGALRM timer; where there is none, no limit)."""
    if not seconds or not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, frame):
        raise CheckTimeout(_timeout_message(seconds))
    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def run_check(check, module, path, seconds: float | None = None) -> CheckResult:
    """Run one check on the learner's module, in this process, and classify the outcome. The check
    is stopped, as an error, after ``seconds`` (default ``CHECK_SECONDS``; 0: no limit) by a SIGALRM
    timer — which a learner's bare ``except:`` can still swallow: ``grade`` has its own limits.
    The result's ``seconds`` is how long the check ran."""
    began = time.perf_counter()
    try:
        with _time_limit(CHECK_SECONDS if seconds is None else seconds):
            check(module)
    except (Exception, SystemExit, CheckTimeout) as err:      # noqa: BLE001 - any learner error is reported
        took = time.perf_counter() - began
        full = traceback.format_exc()
        if _is_stub_error(err):
            return CheckResult(check, NOT_STARTED, str(err), traceback=full, seconds=took)
        if isinstance(err, AssertionError):
            return CheckResult(check, FAIL, str(err) or "assertion failed", traceback=full, seconds=took)
        message = str(err) if isinstance(err, CheckTimeout) else f"{type(err).__name__}: {err}"
        if isinstance(err, SystemExit):
            message += (" (your code called sys.exit() or exit() during the check; a function that is graded "
                        "must return its result instead)")
        # an error of the learner's code rebuilt by the grader (judging) says where it was in the child
        where = getattr(err, "learner_where", None) or _where_in(Path(path), err.__traceback__)
        return CheckResult(check, ERROR, message, where, getattr(err, "learner_traceback", None) or full, took)
    return CheckResult(check, PASS, seconds=time.perf_counter() - began)


@dataclasses.dataclass
class Report:
    exercise: Exercise
    path: Path
    results: list
    load_error: str = ""
    load_traceback: str = ""
    output: str = ""          # what the learner's code printed (stdout and stderr), truncated
    seconds: float | None = None   # how long grading the file took, child processes included

    @property
    def passed_count(self) -> int:
        return sum(r.outcome == PASS for r in self.results)

    @property
    def total(self) -> int:
        """How many checks the exercise has (also when the file is missing or does not load)."""
        return len(self.results) or len(self.exercise.checks)

    @property
    def status(self) -> str:
        if self.load_error.startswith("refused:"):       # a symbolic link (classroom): not graded, said why
            return BROKEN
        if not self.path.is_file():
            return MISSING
        if self.load_error:
            return BROKEN
        outcomes = {r.outcome for r in self.results}
        if outcomes == {PASS}:
            return PASSED
        if outcomes == {NOT_STARTED}:
            return NOT_STARTED
        if outcomes == {PASS, NOT_STARTED}:
            return IN_PROGRESS
        return FAILED

    @property
    def passed(self) -> bool:
        return self.status == PASSED

    @property
    def counts(self) -> str:
        return f"{self.passed_count}/{len(self.results)} checks pass"
