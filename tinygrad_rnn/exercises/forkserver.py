"""The fork server (Linux), both ends: ``_ForkServer`` in the parent, and in the helper process it
starts, ``_serve`` (the loop), ``_worker`` (in each forked worker) and ``_watch_worker`` (the
helper's backstop for a worker).

The helper imports NumPy, tinygrad_rnn and the checks once and forks a worker per file: a few
milliseconds instead of a fresh interpreter's 0.3-0.5 s. It runs no learner code itself, and each
worker is a process of its own, so one file can't change how another is graded. The protocol, one
JSON line each way: the parent sends a job; the helper answers with the worker's pid, then with how
the worker ended (its exit code, whether it was killed, and what it printed).
"""
import contextlib
import json
import math
import os
import signal
import subprocess
import sys
import time
import traceback
from pathlib import Path

from .child import _BOOT, _child_main
from .registry import EXERCISES, find
from .runners import (GRACE_SECONDS, OUTPUT_BYTES, START_SECONDS, _child_env, _Deadline, _Ended, _kill_group,
                      _shown_output, _Spawner)


class _ServerFailed(Exception):
    """The fork server did not answer as it should."""


def _serve() -> None:
    """The fork server's loop (a child process; see _ForkServer). It imports what the learner's files
    and the checks need once, runs no learner code itself, and for each job on stdin forks a worker;
    it answers on stdout with the worker's pid, then with how the worker ended."""
    import tinygrad_rnn  # noqa: F401  - what the learner's files import, imported once here
    for exercise in EXERCISES:
        exercise.checks                                  # noqa: B018 - the checks' modules, imported once
    out = sys.stdout.buffer

    def answer(**fields) -> None:
        out.write((json.dumps(fields) + "\n").encode())
        out.flush()

    while True:
        line = sys.stdin.readline()
        if not line:                                     # the parent closed the pipe: done
            return
        job = json.loads(line)
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:
            _worker(job, read_end, write_end)            # never returns
        os.close(write_end)
        answer(pid=pid)
        answer(**_watch_worker(pid, read_end, Path(job["results"]), job["seconds"]))
        os.close(read_end)


def _worker(job: dict, read_end: int, write_end: int) -> None:
    """In the forked worker: its own process group, stdout and stderr on the pipe the server reads,
    stdin from /dev/null; then the job. Always ends with os._exit, never back in the server's loop."""
    end = os._exit
    try:
        os.setpgid(0, 0)
        os.dup2(write_end, 1)
        os.dup2(write_end, 2)
        os.close(read_end)
        os.close(write_end)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        sys.stdin = open(0, closefd=False)      # noqa: SIM115 - not the server's buffered stdin
        _child_main(job)
    except BaseException:                       # noqa: BLE001 - a bug of the grader's: say so, and end
        traceback.print_exc()
    finally:
        end(1)


def _watch_worker(pid: int, fd: int, results: Path, seconds: float) -> dict:
    """Drain the worker's output pipe (keeping OUTPUT_BYTES) until it ends; kill it when the backstop
    says so. Before reaping it, kill what is left of its process group (what the learner's code started)."""
    import select
    kept, total, reading, killed = bytearray(), 0, True, False
    deadline = _Deadline(results, seconds)

    def read() -> bool:
        nonlocal kept, total
        chunk = os.read(fd, 65536)
        total += len(chunk)
        kept += chunk[:max(0, OUTPUT_BYTES - len(kept))]
        return bool(chunk)

    while True:
        if reading and select.select([fd], [], [], 0.05)[0]:
            reading = read()
        elif not reading:                               # its stdout is closed: it is ending (or closed it)
            time.sleep(0.002)
        if os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
            break                                       # ended, not reaped yet: its group id is still valid
        if not killed and deadline.passed():
            with contextlib.suppress(OSError):
                os.killpg(pid, signal.SIGKILL)
            killed = True
    with contextlib.suppress(OSError):
        os.killpg(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    while reading and select.select([fd], [], [], 0)[0]:     # what is still in the pipe
        reading = read()
    return {"code": os.waitstatus_to_exitcode(status), "killed": killed, "total": total,
            "output": bytes(kept).decode("latin-1")}


class _ForkServer:
    """Linux: one helper process (``python -c _BOOT`` in serve mode) imports NumPy, tinygrad_rnn and the
    checks once, then forks a worker per job: a few milliseconds instead of a fresh interpreter's
    0.3-0.5 s. Each worker is a process of its own that loads one file and ends, so one file can't
    change how another is graded; the helper runs no learner code. Jobs run one at a time. If the helper
    fails, this job and the later ones go to a _Spawner."""

    def __init__(self):
        self.proc, self.buffer, self.worker, self.fallback = None, b"", None, None

    def run(self, job: dict, seconds: float) -> _Ended:
        if self.fallback is None:
            try:
                return self._run(job, seconds)
            except (_ServerFailed, OSError, ValueError, KeyError, TypeError):
                self.close(kill=True)
                self.fallback = _Spawner()
                for name in ("results", "trace"):            # the job starts over
                    Path(job[name]).write_text("")
            except BaseException:                        # Ctrl-C
                self.close(kill=True)
                raise
        return self.fallback.run(job, seconds)

    def _run(self, job: dict, seconds: float) -> _Ended:
        if self.proc is None:
            self.proc = subprocess.Popen([sys.executable, "-c", _BOOT], stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, env=_child_env(), start_new_session=True)
            self._send({"serve": True, "sys_path": job["sys_path"]})
        self._send(job)
        self.worker = int(self._receive(START_SECONDS)["pid"])
        steps = len(find(job["exercise"]).checks) - job["start"] + 2
        ended = self._receive(START_SECONDS + steps * (seconds + GRACE_SECONDS) if seconds else math.inf)
        self.worker = None
        output = _shown_output(str(ended["output"]).encode("latin-1"), int(ended["total"]))
        return _Ended(int(ended["code"]), bool(ended["killed"]), output)

    def _send(self, message: dict) -> None:
        self.proc.stdin.write((json.dumps(message) + "\n").encode())
        self.proc.stdin.flush()

    def _receive(self, timeout: float) -> dict:
        import select
        deadline, fd = time.monotonic() + timeout, self.proc.stdout.fileno()
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise _ServerFailed("no answer in time")
            if select.select([fd], [], [], min(left, 1.0))[0]:
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    raise _ServerFailed("it ended")
                self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        answer = json.loads(line)
        if not isinstance(answer, dict):
            raise _ServerFailed("not an answer")
        return answer

    def stop(self) -> None:
        self.close(kill=True)

    def close(self, kill: bool = False) -> None:
        """End the helper: politely (no more jobs) or, with ``kill``, at once with its current worker."""
        if self.worker is not None:
            with contextlib.suppress(OSError):
                os.killpg(self.worker, signal.SIGKILL)
            self.worker = None
        if self.proc is not None:
            with contextlib.suppress(OSError):
                self.proc.stdin.close()
            try:
                self.proc.wait(timeout=0 if kill else 5)    # no more jobs: it ends
            except subprocess.TimeoutExpired:
                _kill_group(self.proc)
                self.proc.wait()
            self.proc.stdout.close()
            self.proc, self.buffer = None, b""
        if self.fallback is not None:
            self.fallback.close()
