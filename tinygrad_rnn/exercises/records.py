"""One child run, as the parent sees it: ``_run_child`` gives the child a job (with a random token
and a private temporary folder for the results and trace files), has a runner run it, then reads the
records back and checks them — only that file, only lines with the run's token, only in the order
``ready``, ``loaded`` (or ``load_error``), one ``check`` per check with the names the registry lists,
``done``. When the records stop early, ``_why_stopped`` says why, in words, for the step the child
was on (a time limit, a crash, an early exit, or results that don't check out).
"""
import contextlib
import dataclasses
import json
import os
import re
import secrets
import signal
import sys
import tempfile
from pathlib import Path

from .checking import ERROR, FAIL, NOT_STARTED, PASS, _timeout_message
from .registry import Exercise
from .runners import GRACE_SECONDS, START_SECONDS

_FRAME = re.compile(r'File "(?P<file>.+)", line (?P<line>\d+) in (?P<func>.+)')   # a faulthandler frame


@dataclasses.dataclass
class _Run:
    """What one child process reported."""
    checks: list                # the records of the checks it finished, in order
    output: str = ""
    load_error: str = ""        # the file could not be loaded (the message, with where)
    load_traceback: str = ""
    finished: bool = False      # it wrote "done" after a record for every check from `start` on
    problem: str = ""           # why it stopped before that, for the step it was on
    where: str = ""
    detail: str = ""            # the stacks the child left (faulthandler), for --verbose


def _read_records(path: Path, token: str) -> tuple:
    """The child's records, up to the first line that is not one (not JSON, or without this run's
    token), and what was wrong with that line ('' if nothing). An unfinished last line (the child
    died while writing it) is dropped."""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").split("\n")
    except OSError:
        return [], ""
    records = []
    for number, line in enumerate(lines[:-1], 1):          # what follows the last "\n" is unfinished
        try:
            record = json.loads(line)
        except ValueError:
            return records, f"line {number} of the results file is not JSON"
        if not isinstance(record, dict) or record.get("token") != token:
            return records, f"line {number} of the results file does not carry this run's token"
        records.append(record)
    return records, ""


def _is_check_record(record: dict, checks: list, index: int) -> bool:
    return (record.get("kind") == "check" and record.get("index") == index and index < len(checks)
            and record.get("name") == checks[index].__name__
            and record.get("outcome") in (PASS, FAIL, NOT_STARTED, ERROR)
            and all(isinstance(record.get(key), str) for key in ("message", "where", "traceback"))
            and isinstance(record.get("seconds", 0.0), (int, float)))


def _where_in_dump(path: Path, dump: str) -> str:
    """'name line N, in fn: code' for the first (innermost) frame in the learner's file of a
    faulthandler dump, or ''."""
    for m in _FRAME.finditer(dump):
        if m["file"] == str(path):
            number = int(m["line"])
            with contextlib.suppress(OSError, IndexError):
                code = path.read_text(encoding="utf-8", errors="replace").splitlines()[number - 1].strip()
                return f"{path.name} line {number}, in {m['func'].strip()}: {code}"
            return f"{path.name} line {number}"
    return ""


_SIGNALS = {
    "SIGSEGV": "a segmentation fault: memory was used that should not be, e.g. through ctypes or a C extension, "
               "or by a recursion so deep that the C stack overflowed (after sys.setrecursionlimit was raised)",
    "SIGBUS": "a bus error: memory was used that should not be, e.g. through ctypes or a C extension",
    "SIGKILL": "it was killed from outside, often by the system when memory runs out: does your code build an "
               "array or a list that grows without end?",
    "SIGABRT": "a C library gave up (run with --verbose to see what it printed)",
    "SIGFPE": "an arithmetic error in C code",
}


def _why_stopped(step: str, path: Path, code: int, killed: bool, dump: str, damage: str, seconds: float,
                 parent_ended: bool = False) -> str:
    """Why the child stopped during ``step`` ("start", "load" or "check"), and what to do, in words."""
    if parent_ended and not damage:
        what = f"while {path.name} was being loaded" if step in ("start", "load") else "during the check"
        return (f"the grader's process that watched yours was ended or stopped {what}, so the rest could not be "
                "graded; the other files are graded by a new one. Does your code send signals to other processes "
                "(os.kill, os.killpg, signal.pthread_kill)? Your functions must only compute their results.")
    if damage:
        return (f"the grader's results could not be trusted ({damage}), so nothing here counts as graded. Does your "
                "code write to or delete files it did not create? The grader's are in a temporary folder; leave "
                "them alone.")
    if killed or dump.startswith("Timeout ("):
        after = (f" (It did not stop at its time limit, so the grader killed its process after "
                 f"{seconds + GRACE_SECONDS:g} s.)" if killed else "")
        if step == "start":
            return (f"the grader's process did not start within {START_SECONDS:g} s (it starts Python and imports "
                    "NumPy and tinygrad_rnn). Is the computer very busy? Try again in a moment.")
        if step == "load":
            return (f"timed out: loading {path.name} took more than {seconds:g} s, so it was stopped. The code at the "
                    "top level of your file (outside any function) runs when the file is loaded: is there a loop "
                    "there that never ends? Move experiments into a function, or under "
                    "`if __name__ == \"__main__\":` (the checker skips that part)." + after)
        return _timeout_message(seconds) + after
    if code < 0:
        name = signal.Signals(-code).name if -code in signal.valid_signals() else f"signal {-code}"
        why = name + (f", {_SIGNALS[name]}" if name in _SIGNALS else "")
        if step == "start":
            return f"the grader's process crashed while starting ({why}), before it loaded your file."
        what = f"while loading {path.name}" if step == "load" else "during the check"
        return f"the grader's process crashed {what}: it was ended by {why}."
    if step == "start":
        return (f"the grader's process ended before it loaded your file (exit code {code}); this is not caused by "
                "your file. Does `python -c \"import tinygrad_rnn\"` work? Run with --verbose to see what it printed.")
    if step == "load":
        return (f"{path.name} ended the grader's process while it was being loaded (exit code {code}), so nothing "
                "could be graded. Does it call os._exit()? Remove the call, or put it under "
                "`if __name__ == \"__main__\":` (the checker skips that part).")
    return (f"your code ended the grader's process during the check (exit code {code}), so the check could not "
            "finish. Does it call os._exit()? A function that is graded must return its result instead.")


def _run_child(runner, exercise: Exercise, path: Path, checks: list, start: int, seconds: float) -> _Run:
    """Grade ``path`` from check number ``start`` on in one child process (made by ``runner``)."""
    token = secrets.token_hex(16)
    with tempfile.TemporaryDirectory(prefix="tinygrad-rnn-check-", ignore_cleanup_errors=True) as folder:
        results, trace = Path(folder, "results.jsonl"), Path(folder, "trace.txt")
        job = {"token": token, "exercise": exercise.name, "path": os.path.abspath(path), "start": start,
               "seconds": seconds,
               "results": str(results), "trace": str(trace), "sys_path": [str(p) for p in sys.path]}
        ended = runner.run(job, seconds)
        records, damage = _read_records(results, token)
        dump = trace.read_text(encoding="utf-8", errors="replace") if trace.is_file() else ""

    run = _Run(checks=[], output=ended.output)
    step = "start"                      # what the child was doing when its records end
    for record in records:
        kind = record.get("kind")
        if step == "start" and kind == "ready":
            step = "load"
        elif step == "load" and kind == "load_error" and isinstance(record.get("message"), str):
            run.load_error, run.load_traceback = record["message"], str(record.get("traceback", ""))
            return run
        elif step == "load" and kind == "loaded":
            step = "check"
        elif step == "check" and _is_check_record(record, checks, start + len(run.checks)):
            run.checks.append(record)
        elif step == "check" and kind == "done" and record.get("count") == len(checks) \
                and start + len(run.checks) == len(checks):
            run.finished = True
            return run
        else:
            damage = f"an unexpected {str(kind)[:40]!r} record"
            break
    run.problem = _why_stopped(step, path, ended.code, ended.killed, dump, damage, seconds, ended.parent_ended)
    run.where, run.detail = _where_in_dump(Path(os.path.abspath(path)), dump), dump
    if step != "check":
        run.load_error = run.problem + (f"\n    at {run.where}" if run.where else "")
        run.load_traceback = dump
    return run
