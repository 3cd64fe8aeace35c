"""The fork server (Linux), both ends: ``_ForkServer`` in the parent, and in the helper process it
starts, ``_serve`` (the loop), ``_supervise`` (one per job, between the helper and the worker),
``_worker`` (the job) and ``_watch_worker`` (the helper's backstop, and the sweep that ends every
process a job started).

The helper imports NumPy, tinygrad_rnn and the checks once and, per file, forks a supervisor that
forks the worker: a few milliseconds instead of a fresh interpreter's 0.3-0.5 s. It runs no learner
code itself. The isolation without a sandbox (``sandbox``), against a hostile file:

- a private channel per job: the parent sends each job over a socket pair (a socket can't be opened
  through ``/proc/<pid>/fd``) with a new socket of its own, on which the helper answers for that job
  only; the helper's stdin is /dev/null; the supervisor closes both before the worker starts; the helper
  and the supervisors are not dumpable (for an ordinary user their /proc entries are then closed to
  the worker);
- the helper is a child subreaper (``prctl(PR_SET_CHILD_SUBREAPER)``): whatever a worker leaves
  behind (``fork(); setsid(); fork()``) becomes the helper's child when its parent ends, and every child
  of the helper is killed and reaped before the next job starts;
- the worker's parent is its supervisor, not the helper: ``os.kill(os.getppid(), ...)`` ends or stops
  only the supervisor; the job is then an error, the sweep ends the rest;
- if the helper itself dies or stops mid-job, that job is an error and the next job gets a new
  helper; a job is never run again under the grader;
- limits (``sandbox.set_limits``) in the worker.

The protocol, JSON: the helper says it is ready; the parent sends a job (one packet, with the job's
socket); on that socket the helper answers with the supervisor's pid, then with how the worker ended
(its exit code, whether it was killed, and what it printed), one line each.
"""
import contextlib
import json
import math
import os
import signal
import socket
import subprocess
import sys
import time
import traceback
from pathlib import Path

from .child import _child_main
from .registry import EXERCISES, find
from .runners import (GRACE_SECONDS, OUTPUT_BYTES, START_SECONDS, _child_env, _Deadline, _Ended, _shown_output,
                      _Spawner)

#: the helper's program: its channel's file descriptor and the parent's sys.path are its arguments
_SERVE_BOOT = """\
import json, sys
def _boot(fd, path):
    sys.path[:] = json.loads(path)
    from tinygrad_rnn.exercises.forkserver import _serve
    _serve(int(fd))
_boot(sys.argv[1], sys.argv[2])
"""

_PR_SET_PDEATHSIG, _PR_SET_DUMPABLE, _PR_SET_CHILD_SUBREAPER = 1, 4, 36


def _prctl(option: int, value: int) -> bool:
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(option, value, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _children(pid: int) -> list:
    """The pids of ``pid``'s children (Linux: /proc/PID/task/*/children; else a scan of /proc)."""
    found = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError), open(f"/proc/{pid}/task/{task}/children") as f:
                found += [int(x) for x in f.read().split()]
        return found
    except OSError:
        return found


def _kill_tree(root: int) -> None:
    """Stop ``root`` and every descendant (so that none forks or is reparented meanwhile), then kill them."""
    stack, found = [root], []
    while stack:
        pid = stack.pop()
        if pid in found:
            continue
        found.append(pid)
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGSTOP)
        stack += _children(pid)
    for pid in found:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


def _kill_session(sid: int) -> None:
    """Kill every process of session ``sid`` (the helper's: its supervisors and workers keep it unless
    they leave it), found in /proc."""
    with contextlib.suppress(OSError):
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            with contextlib.suppress(OSError, ValueError, IndexError):
                with open(f"/proc/{name}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                if int(fields[3]) == sid and int(name) != os.getpid():
                    os.kill(int(name), signal.SIGKILL)


def _end_every_child() -> None:
    """Kill every child of this process (a subreaper: also what a job left behind) and their children,
    top-down, and reap them, until none is left."""
    me = os.getpid()
    for _ in range(10000):
        stack, seen = _children(me), set()
        if not stack:
            with contextlib.suppress(ChildProcessError):
                while os.waitpid(-1, os.WNOHANG)[0]:
                    pass
            return
        while stack:
            pid = stack.pop()
            if pid in seen:
                continue
            seen.add(pid)
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
            stack += _children(pid)
        with contextlib.suppress(ChildProcessError):
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass
        time.sleep(0.001)


class _ServerFailed(Exception):
    """The fork server did not answer as it should."""


def _serve(fd: int) -> None:
    """The fork server's loop (a child process; see _ForkServer). It imports what the learner's files
    and the checks need once, runs no learner code itself, and for each job on its channel forks a
    supervisor (which forks the worker); it answers with the supervisor's pid, then with how the worker
    ended, after every process the job started is gone."""
    _prctl(_PR_SET_CHILD_SUBREAPER, 1)
    _prctl(_PR_SET_DUMPABLE, 0)
    import tinygrad_rnn  # noqa: F401  - what the learner's files import, imported once here
    for exercise in EXERCISES:
        exercise.checks                                  # noqa: B018 - the checks' modules, imported once
    control = socket.socket(fileno=fd)                   # a socket pair of packets: one job per message
    control.send(json.dumps({"ready": True}).encode())
    while True:
        message, fds, _, _ = socket.recv_fds(control, 1 << 20, 1)
        if not message:                                  # the parent closed the channel: done
            return
        job = json.loads(message)
        channel = socket.socket(fileno=fds[0])           # this job's own channel for the answers

        def answer(**fields) -> None:
            channel.sendall((json.dumps(fields) + "\n").encode())

        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:
            _supervise(job, (fd, fds[0]), read_end, write_end)     # never returns
        os.close(write_end)
        answer(pid=pid)
        ended = _watch_worker(pid, read_end, Path(job["results"]), job["seconds"])
        os.close(read_end)
        answer(**ended)
        channel.close()


def _supervise(job: dict, fds: tuple, read_end: int, write_end: int) -> None:
    """The supervisor: the worker's parent. It holds nothing of the helper's (its channels are closed
    here), forks the worker, waits for it, and ends with its exit code (a signal as 128 + its number)."""
    try:
        for fd in fds:
            os.close(fd)
        os.setpgid(0, 0)
        _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)        # the helper died: so do the supervisor and the worker
        pid = os.fork()
        if pid == 0:
            _worker(job, read_end, write_end)            # never returns
        os.close(read_end)
        os.close(write_end)
        _, status = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(status)
        os._exit(128 - code if code < 0 else min(code, 127))
    finally:
        os._exit(127)


def _worker(job: dict, read_end: int, write_end: int) -> None:
    """In the forked worker: its own process group, stdout and stderr on the pipe the server reads,
    stdin from /dev/null; then the job. Always ends with os._exit, never back in the server's loop."""
    end = os._exit
    try:
        os.setpgid(0, 0)
        _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        _prctl(_PR_SET_DUMPABLE, 1)               # its own /proc entries, for faulthandler and the learner
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
    """Drain the worker's output pipe (keeping OUTPUT_BYTES) until its supervisor ``pid`` ends; kill the
    job when the backstop says so. Then end every process the job started (``_end_every_child``)."""
    import select
    kept, total, reading, killed, stopped = bytearray(), 0, True, False, False
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
        done, status = os.waitpid(pid, os.WNOHANG | os.WUNTRACED)
        if done and os.WIFSTOPPED(status):             # the supervisor was stopped (SIGSTOP from the worker)
            _end_every_child()
            stopped = True
            break
        if done:
            break
        if deadline.passed():
            _end_every_child()                          # the supervisor, the worker, what they started
            killed = True
            break
    parent_ended = stopped
    if stopped:
        code = -signal.SIGSTOP
    elif killed:
        code = -signal.SIGKILL
    else:
        code = os.waitstatus_to_exitcode(status)
        if code < 0:                                    # the supervisor itself was killed: by the worker
            parent_ended = True
        elif code > 128:
            code = 128 - code
    _end_every_child()
    while reading and select.select([fd], [], [], 0)[0]:     # what is still in the pipe
        reading = read()
    return {"code": code, "killed": killed, "parent_ended": parent_ended, "total": total,
            "output": bytes(kept).decode("latin-1")}


class _ForkServer:
    """Linux: one helper process (``python -c _SERVE_BOOT``) imports NumPy, tinygrad_rnn and the checks
    once, then forks a supervisor and a worker per job (see the module docstring): a few milliseconds
    instead of a fresh interpreter's 0.3-0.5 s. Jobs run one at a time. If the helper fails before a job
    is sent (it does not start), this job and the later ones go to a _Spawner; if it dies or stops
    during a job, that job is an error and the next one gets a new helper."""

    def __init__(self):
        self.proc, self.channel, self.buffer, self.fallback = None, None, b"", None

    def run(self, job: dict, seconds: float) -> _Ended:
        if self.fallback is None:
            try:
                self._start()
            except (_ServerFailed, OSError, ValueError, KeyError, TypeError):
                self.close(kill=True)
                self.fallback = _Spawner()
            except BaseException:                        # Ctrl-C
                self.close(kill=True)
                raise
        if self.fallback is not None:
            return self.fallback.run(job, seconds)
        try:
            return self._run(job, seconds)
        except (_ServerFailed, OSError, ValueError, KeyError, TypeError):
            code = self.proc.poll() if self.proc is not None else None
            self.close(kill=True)                        # the next job gets a new helper
            return _Ended(-signal.SIGKILL if code is None else code, False, "", parent_ended=True)
        except BaseException:                            # Ctrl-C
            self.close(kill=True)
            raise

    def _start(self) -> None:
        if self.proc is not None:
            return
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self.proc = subprocess.Popen([sys.executable, "-c", _SERVE_BOOT, str(theirs.fileno()),
                                          json.dumps([str(p) for p in sys.path])],
                                         stdin=subprocess.DEVNULL, pass_fds=(theirs.fileno(),),
                                         env=_child_env(), start_new_session=True)
        finally:
            theirs.close()
        self.channel = ours
        if not self._receive(ours, START_SECONDS, packet=True).get("ready"):
            raise _ServerFailed("it did not say it was ready")

    def _run(self, job: dict, seconds: float) -> _Ended:
        """Send the job with a socket of its own, on which the helper answers: what reaches the helper's
        sockets during one job can't answer for another."""
        ours, theirs = socket.socketpair()
        try:
            socket.send_fds(self.channel, [json.dumps(job).encode()], [theirs.fileno()])
            theirs.close()
            self.buffer = b""
            self._receive(ours, START_SECONDS)["pid"]            # noqa: B018 - the supervisor started
            steps = len(find(job["exercise"]).checks) - job["start"] + 2
            ended = self._receive(ours, START_SECONDS + steps * (seconds + GRACE_SECONDS) + GRACE_SECONDS
                                  if seconds else math.inf)
        finally:
            theirs.close()
            ours.close()
        output = _shown_output(str(ended["output"]).encode("latin-1"), int(ended["total"]))
        return _Ended(int(ended["code"]), bool(ended["killed"]), output, parent_ended=bool(ended["parent_ended"]))

    def _receive(self, channel, timeout: float, packet: bool = False) -> dict:
        import select
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise _ServerFailed("no answer in time")
            if select.select([channel], [], [], min(left, 1.0))[0]:
                chunk = channel.recv(1 << 16)
                if not chunk:
                    raise _ServerFailed("it ended")
                self.buffer += chunk + (b"\n" if packet else b"")
        line, _, self.buffer = self.buffer.partition(b"\n")
        answer = json.loads(line)
        if not isinstance(answer, dict):
            raise _ServerFailed("not an answer")
        return answer

    def stop(self) -> None:
        self.close(kill=True)

    def close(self, kill: bool = False) -> None:
        """End the helper: politely (no more jobs) or, with ``kill``, at once with its jobs (killing its
        process group; what a job left behind dies with the helper's children or was already swept)."""
        if self.channel is not None:
            with contextlib.suppress(OSError):
                self.channel.close()
            self.channel = None
        if self.proc is not None:
            try:
                self.proc.wait(timeout=0 if kill else 5)    # no more jobs: it ends
            except subprocess.TimeoutExpired:
                _kill_tree(self.proc.pid)
                self.proc.wait()
            _kill_session(self.proc.pid)                    # a job's processes, if the helper died under them
            self.proc, self.buffer = None, b""
        if self.fallback is not None:
            self.fallback.close()
