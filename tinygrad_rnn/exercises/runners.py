"""Starting and watching a child process from the parent: the limits (``GRACE_SECONDS``,
``START_SECONDS``, ``OUTPUT_*``), the backstop (``_Deadline``: a step that makes no progress for its
time limit plus ``GRACE_SECONDS`` gets its process group killed with SIGKILL), reading what the
learner's code prints (at most ``OUTPUT_BYTES`` kept) and how a child ended (``_Ended``).

And the simple runner, ``_Spawner``: a fresh ``python -c _BOOT`` per job, several at a time, used
everywhere but Linux and when the fork server (``forkserver``) fails. A runner's ``run(job,
seconds)`` starts a child for the job, waits for it to end and returns an ``_Ended``.
"""
import contextlib
import dataclasses
import json
import math
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from .child import _BOOT

#: the backstop: a step that makes no progress for its limit plus this long gets its process killed
GRACE_SECONDS = 2.0
#: how long a child may take to start (Python, NumPy, tinygrad_rnn) before its first record
START_SECONDS = 60.0
#: how much of what the learner's code prints is kept (the rest is read and dropped), and shown
OUTPUT_BYTES, OUTPUT_LINES, OUTPUT_CHARS = 64 * 1024, 60, 6000

_POSIX = os.name == "posix"
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")     # terminal escapes etc. in the output: shown as \xNN


class _Deadline:
    """The backstop. A child writes a record after each step; a step that makes no progress for
    ``seconds + GRACE_SECONDS`` (START_SECONDS more before the first record) is overdue: the child's own
    limit failed (e.g. the learner's code stopped faulthandler's watchdog), so it is killed."""

    def __init__(self, results: Path, seconds: float):
        self.results, self.seconds, self.size = results, seconds, 0
        self.at = time.monotonic() + START_SECONDS + seconds

    def passed(self) -> bool:
        try:
            size = self.results.stat().st_size
        except OSError:
            size = 0
        if size != self.size:
            self.size = size
            self.at = time.monotonic() + self.seconds + GRACE_SECONDS if self.seconds else math.inf
        return time.monotonic() > self.at


@dataclasses.dataclass
class _Ended:
    """How a child ended: its exit code (negative: the signal that killed it), whether the backstop
    killed it, and what it printed (as shown)."""
    code: int
    killed: bool
    output: str
    parent_ended: bool = False    # the process that watched it (supervisor, fork server) ended or stopped


def _shown_output(data: bytes, total: int) -> str:
    """The learner's output as text to show: control characters escaped, at most OUTPUT_LINES lines
    and OUTPUT_CHARS characters, with a note when it was cut."""
    text = data.decode("utf-8", errors="replace").replace("\r\n", "\n")
    lines = _CONTROL.sub(lambda m: f"\\x{ord(m[0]):02x}", text).splitlines()
    shown = "\n".join(lines[:OUTPUT_LINES])[:OUTPUT_CHARS]
    if total > len(data) or len(shown) < len("\n".join(lines)):
        shown += f"\n[... truncated: your code printed {total} bytes in all; only the start is shown]"
    return shown


def _child_env() -> dict:
    env = dict(os.environ, PYTHONIOENCODING="utf-8:backslashreplace")
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[name] = "1"      # the checks' matrices are tiny; no BLAS threads (and none in a process that forks)
    return env


# --- a fresh interpreter per job (anywhere) -------------------------------------------------------

class _Captured(threading.Thread):
    """Reads a child's stdout and stderr (one pipe) until it closes, keeping the first OUTPUT_BYTES:
    a print loop can't fill the parent's memory, nor block the child on a full pipe."""

    def __init__(self, pipe):
        super().__init__(daemon=True)
        self.pipe, self.kept, self.total = pipe, bytearray(), 0
        self.start()

    def run(self):
        while True:
            try:
                chunk = os.read(self.pipe.fileno(), 65536)
            except OSError:
                break
            if not chunk:
                break
            self.total += len(chunk)
            self.kept += chunk[:max(0, OUTPUT_BYTES - len(self.kept))]

    def text(self) -> str:
        self.join(timeout=2)          # a process the learner's code started may still hold the pipe open
        if not self.is_alive():
            self.pipe.close()
        return _shown_output(bytes(self.kept), self.total)


def _kill_group(proc) -> None:
    """SIGKILL a child that is not reaped yet, and its process group (what the learner's code started):
    until it is reaped, its pid is still its group's id."""
    with contextlib.suppress(OSError):
        if _POSIX:
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            proc.kill()


class _Spawner:
    """Runs each job in a fresh ``python -c _BOOT`` (about 0.3-0.5 s to start: Python, NumPy, the package).
    Safe to use from several threads at once; ``stop`` kills the children running now (Ctrl-C)."""

    def __init__(self):
        self.live = set()

    def _command(self, job: dict) -> list:
        return [sys.executable, "-c", _BOOT]

    def run(self, job: dict, seconds: float) -> _Ended:
        command = self._command(job)
        proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, env=_child_env(), start_new_session=_POSIX)
        self.live.add(proc)
        killed = False
        try:
            captured = _Captured(proc.stdout)
            with contextlib.suppress(OSError):      # a child that ended at once: what it printed says why
                proc.stdin.write((json.dumps(job) + "\n").encode())
                proc.stdin.close()
            deadline = _Deadline(Path(job["results"]), seconds)
            while True:
                try:
                    proc.wait(timeout=0.1)
                    break
                except subprocess.TimeoutExpired:
                    pass
                if deadline.passed():
                    _kill_group(proc)
                    killed = True
        finally:
            if proc.returncode is None:             # interrupted (Ctrl-C) while waiting
                _kill_group(proc)
                proc.wait()
            self.live.discard(proc)
        return _Ended(proc.returncode, killed, captured.text())

    def stop(self) -> None:
        for proc in list(self.live):
            if proc.poll() is None:
                _kill_group(proc)

    def close(self) -> None:
        pass


class _Sandboxed(_Spawner):
    """Each job in a fresh interpreter inside a bubblewrap sandbox of its own (``sandbox``): it sees only
    the Python installation, the package, the learner's folder (read-only) and its job's private folder;
    when its first process ends, the kernel ends every process it started. Several at a time."""

    def _command(self, job: dict) -> list:
        from .sandbox import sandbox_command, sandbox_sys_path
        sys_path = sandbox_sys_path(job["sys_path"])
        job["sys_path"] = sys_path
        folder = os.path.dirname(job["results"])
        return sandbox_command(["-c", _BOOT], readable=[os.path.dirname(job["path"])], writable=[folder],
                               sys_path=sys_path)

    def run(self, job: dict, seconds: float) -> _Ended:
        ended = super().run(job, seconds)
        if 128 < ended.code < 128 + 65:        # bwrap passes a signal on as the exit code 128 + its number
            ended.code = 128 - ended.code
        return ended
