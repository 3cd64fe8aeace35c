"""What runs inside a child process: the program it starts with (``_BOOT``) and ``_child_main``,
which loads one learner's file and runs its checks under a watchdog, writing a record after each step.

The records are JSON lines in the results file the parent named, each carrying the run's token:
``ready``, then ``loaded`` (or ``load_error``), one ``check`` per check (its index, name and
outcome) and ``done`` with the number of checks. The watchdog is
``faulthandler.dump_traceback_later(exit=True)``: a thread, in C, that writes where the code was to
the trace file and ends the process, which the learner's Python code can't catch. How the parent
starts and watches the child is in ``runners`` and ``forkserver``; how it reads the records, in
``records``.
"""
import contextlib
import json
import os
import sys
import time
import traceback
from pathlib import Path

from .checking import ERROR, CheckResult, _load_failure, _where_in, load_module, run_check
from .checks._helpers import set_mode
from .judging import JUDGED_OUTSIDE, Recorder
from .registry import find
from .sandbox import set_limits

#: the child's program: read the first line of stdin (JSON), take the parent's sys.path (so that it
#: imports the same tinygrad_rnn), then grade one job, or serve jobs (the fork server). The job stays
#: a local, not a global of __main__.
_BOOT = """\
import json, sys
def _boot(job):
    sys.path[:] = job["sys_path"]
    if job.get("serve"):
        from tinygrad_rnn.exercises.forkserver import _serve
        _serve()
    else:
        from tinygrad_rnn.exercises.child import _child_main
        _child_main(job)
_boot(json.loads(sys.stdin.readline()))
"""


def _child_main(job: dict) -> None:
    """One job, in a process of its own (spawned, or forked by the fork server): load the file, run the
    checks from ``job["start"]`` on, write a record after each step, and end with ``os._exit(0)`` (so that
    neither the learner's atexit handlers nor their threads can change the exit). Never runs in the parent."""
    import faulthandler

    # everything needed later is bound here, before the learner's code runs and could rebind names
    token, seconds, path, start = job["token"], job["seconds"], job["path"], job["start"]
    checks = find(job["exercise"]).checks
    results = open(job["results"], "a", encoding="utf-8")     # appends: what others write there is not hidden
    trace = open(job["trace"], "w", encoding="utf-8")
    dumps, load, check_one, end, clock = (lambda value: json.dumps(value, default=str)), load_module, run_check, \
        os._exit, time.perf_counter
    arm, disarm, dump = (faulthandler.dump_traceback_later, faulthandler.cancel_dump_traceback_later,
                         faulthandler.dump_traceback)
    faulthandler.enable(file=trace)              # a crash (SIGSEGV, SIGABRT ...) writes where it happened
    set_limits()                                 # memory, file size, processes (sandbox.set_limits)
    streams = (sys.stdout, sys.stderr)
    for stream in streams:                       # a pipe: line by line, so little is lost if the process dies
        with contextlib.suppress(Exception):
            stream.reconfigure(line_buffering=True)

    def flush() -> None:
        for stream in streams:
            with contextlib.suppress(Exception):
                stream.flush()

    def send(kind: str, **fields) -> None:
        results.write(dumps({"token": token, "kind": kind, **fields}) + "\n")
        results.flush()

    def exit_here(code=0):                       # os._exit in the learner's code: note where it was called
        flush()
        dump(file=trace, all_threads=False)
        end(code)
    os._exit = exit_here

    def limited(step):
        if seconds:
            arm(seconds, exit=True, file=trace)  # writes "Timeout (...)!" and the stacks, then _exit(1)
        try:
            return step()
        finally:
            disarm()

    send("ready")
    try:
        module = limited(lambda: load(path))
    except BaseException as err:                 # noqa: BLE001 - a syntax error, an import error ...
        message, full = _load_failure(err, Path(path))
        send("load_error", message=message, traceback=full)
        end(0)
    send("loaded")
    outside = job["exercise"] in JUDGED_OUTSIDE
    for index in range(start, len(checks)):
        began = clock()
        recorder = Recorder(path) if outside else None
        set_mode(recorder)                       # judged outside: the learner's calls are recorded (judging)
        try:
            r = limited(lambda: check_one(checks[index], module, path, seconds=0))
        except BaseException as err:             # noqa: BLE001 - e.g. the learner's own KeyboardInterrupt
            r = CheckResult(checks[index], ERROR, f"{type(err).__name__}: {err}",
                            _where_in(Path(path), err.__traceback__),
                            "".join(traceback.format_exception(type(err), err, err.__traceback__)))
        set_mode(None)
        extra = {"events": recorder.events} if outside else {}
        send("check", index=index, name=checks[index].__name__, outcome=r.outcome, message=str(r.message),
             where=str(r.where), traceback=str(r.traceback), seconds=clock() - began, **extra)
    send("done", count=len(checks))
    flush()
    end(0)
