"""Grading a learner's exercise file: load it, run the exercise's checks, report.

A check's outcome is one of

- ``pass``
- ``fail``         it raised AssertionError: the work is wrong; the message says how
- ``not started``  the learner's code still raises the stub's NotImplementedError("exercise ...")
- ``error``        any other exception (a crash in the learner's code, e.g. a shape error)

and an exercise's status is ``passed`` (every check passes), ``not started`` (none started),
``in progress`` (some pass, the others are not started), ``failed`` (some check fails or
errors), ``missing`` (no file) or ``does not load`` (e.g. a syntax error).
"""
import contextlib
import dataclasses
import os
import signal
import sys
import threading
import traceback
import types
from pathlib import Path

from .registry import CHAPTERS, EXERCISES, Exercise, find

PASS, FAIL, NOT_STARTED, ERROR = "pass", "fail", "not started", "error"
PASSED, IN_PROGRESS, FAILED, MISSING, BROKEN = "passed", "in progress", "failed", "missing", "does not load"


# --- finding and loading the learner's file -----------------------------------------------

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


def load_module(path, module_name: str | None = None) -> types.ModuleType:
    """Run the Python file ``path`` as a fresh module and return it.

    The source is read and executed every time (no ``__pycache__`` is written next to the
    learner's file, and an edit is never hidden by a stale cache).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"load_module: no file at '{path}'" + (" (it is a folder)" if path.is_dir() else "")
                                + ". Fix: pass the path of your exercise file, e.g. tutorials/exercises/ex01_...py")
    name = module_name or f"_exercise_{path.stem}"
    source = path.read_text(encoding="utf-8")
    code = compile(source, str(path), "exec")
    module = types.ModuleType(name)
    module.__file__ = str(path)
    sys.modules[name] = module                 # classes and dataclasses look their module up by name
    exec(code, module.__dict__)
    return module


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

    @property
    def description(self) -> str:
        doc = (self.check.__doc__ or self.check.__name__).strip()
        return doc.splitlines()[0]


#: how long one check may run before it is stopped as an error (a learner's endless loop must not hang `check`)
CHECK_SECONDS = 60.0


class CheckTimeout(Exception):
    """A check ran longer than its time limit."""


@contextlib.contextmanager
def _time_limit(seconds: float):
    """Raise CheckTimeout in the block after ``seconds`` (a SIGALRM timer; where there is none, no limit)."""
    if not seconds or not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, frame):
        raise CheckTimeout(f"the check ran for more than {seconds:g} s and was stopped. Is there a loop that "
                           "never ends (a while loop whose condition never changes, or a recursion without a "
                           "base case)?")
    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def run_check(check, module, path, seconds: float | None = None) -> CheckResult:
    """Run one check on the learner's module and classify the outcome. The check is stopped, as an
    error, after ``seconds`` (default ``CHECK_SECONDS``)."""
    try:
        with _time_limit(CHECK_SECONDS if seconds is None else seconds):
            check(module)
    except (Exception, SystemExit) as err:                    # noqa: BLE001 - any learner error is reported
        full = traceback.format_exc()
        if _is_stub_error(err):
            return CheckResult(check, NOT_STARTED, str(err), traceback=full)
        if isinstance(err, AssertionError):
            return CheckResult(check, FAIL, str(err) or "assertion failed", traceback=full)
        return CheckResult(check, ERROR, f"{type(err).__name__}: {err}", _where_in(Path(path), err.__traceback__),
                           full)
    return CheckResult(check, PASS)


@dataclasses.dataclass
class Report:
    exercise: Exercise
    path: Path
    results: list
    load_error: str = ""
    load_traceback: str = ""

    @property
    def status(self) -> str:
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
        return f"{sum(r.outcome == PASS for r in self.results)}/{len(self.results)} checks pass"


def grade(exercise: Exercise, path) -> Report:
    """Load ``path`` and run every check of ``exercise`` (an ``Exercise``, or a name as ``find`` takes:
    ``3``, ``"ex03"``, ``"ex03_matmul_backward"``) on it."""
    if not isinstance(exercise, Exercise):
        exercise = find(exercise)                  # UnknownExercise (a ValueError) lists the valid names
    path = Path(path)
    if not path.is_file():
        return Report(exercise, path, [], f"no file at {path}")
    try:
        module = load_module(path)
    except (Exception, SystemExit) as err:                    # noqa: BLE001 - a syntax error, an import error ...
        where = _where_in(path, err.__traceback__)
        if isinstance(err, SyntaxError):
            where = f"{path.name} line {err.lineno}: {(err.text or '').strip()}"
        message = f"{type(err).__name__}: {err}" + (f"\n    at {where}" if where else "")
        return Report(exercise, path, [], message, traceback.format_exc())
    return Report(exercise, path, [run_check(check, module, path) for check in exercise.checks])


# --- printing -------------------------------------------------------------------------------

_MARK = {PASS: "PASS", FAIL: "FAIL", NOT_STARTED: "TODO", ERROR: "ERROR"}


def shown_path(path: Path) -> str:
    """``path`` relative to the current directory when it is below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line for line in text.splitlines())


def format_report(report: Report, verbose: bool = False) -> str:
    """The report of one exercise: each check with PASS/FAIL/TODO/ERROR, the messages, hints."""
    ex = report.exercise
    status = report.status
    head = f"{ex.name} — {ex.title} (chapter {ex.chapter}: {ex.chapter_title})"
    lines = [head, f"  file: {shown_path(report.path)}"]
    if status == MISSING:
        lines.append(f"  missing: {report.load_error}. Restore the stub (git checkout {shown_path(report.path)}) "
                     "or pass --file PATH.")
        return "\n".join(lines)
    if status == BROKEN:
        lines.append("  the file could not be loaded:")
        lines.append(_indent(report.load_error, "    "))
        if verbose:
            lines.append(_indent(report.load_traceback.rstrip(), "    "))
        return "\n".join(lines)
    for r in report.results:
        lines.append(f"  {_MARK[r.outcome]:<5} {r.description}")
        if r.outcome in (FAIL, ERROR):
            lines.append(_indent(r.message, "          "))
            if r.where:
                lines.append(f"          at {r.where}")
        if verbose and r.outcome in (FAIL, ERROR):
            lines.append(_indent(r.traceback.rstrip(), "          | "))
    if status == NOT_STARTED:
        lines.append(f"  -> not started: open {shown_path(report.path)}, read its docstring, and replace the "
                     "`raise NotImplementedError(...)` lines with your code.")
    elif status == IN_PROGRESS:
        lines.append(f"  -> in progress ({report.counts}; the rest are not started yet)")
    elif status == FAILED:
        lines.append(f"  -> failed ({report.counts})")
        lines.extend(f"     hint: {hint}" for hint in ex.hints)
        if not verbose:
            lines.append("     (run with --verbose for full tracebacks)")
    else:
        lines.append(f"  -> passed ({report.counts})")
    return "\n".join(lines)


def format_overview(reports: dict, titles: bool = False) -> str:
    """Every exercise by chapter with its status; ``reports`` maps exercise name -> Report (or a
    string status). ``titles`` adds each exercise's title and what it teaches (for --list)."""
    lines = []
    for chapter, chapter_title in CHAPTERS.items():
        exercises = [e for e in EXERCISES if e.chapter == chapter]
        if not exercises:
            continue
        lines.append(f"Chapter {chapter}: {chapter_title}")
        for e in exercises:
            report = reports.get(e.name)
            status = report if isinstance(report, str) else report.status if report else "-"
            if titles:
                lines.append(f"  {e.name:<25} {status:<12}  {e.title}")
                lines.append(f"      {e.teaches}")
                continue
            if isinstance(report, Report) and status in (FAILED, IN_PROGRESS):
                status += f" ({report.counts})"
            lines.append(f"  {e.name:<25} {status}")
    return "\n".join(lines)
