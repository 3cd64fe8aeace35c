"""Where the children run, and with what limits: the sandbox (bubblewrap, Linux) and the resource limits.

With bubblewrap (``bwrap``, Debian package ``bubblewrap``) installed, ``grade_class`` runs each file in
a sandbox of its own (``sandbox_command``): its own PID, IPC, UTS and network namespaces (it can see
and signal no process outside, and reach no network), a new session (no terminal), a file system that
holds only the Python installation and its packages (read-only), this package (read-only, without the
repository's tests and solutions), the student's own folder (read-only) and a private folder for its
results (writable), with an empty /tmp; it dies with the grader, and when its first process ends the
kernel ends every process it started. ``TINYGRAD_RNN_SANDBOX=off`` in the environment switches the
sandbox off (the tests grade both ways); without it the grader falls back to process isolation
(``forkserver``) and says so once (``isolation_note``).

``set_limits`` runs in every child, sandbox or not, before the learner's file is loaded: memory
(address space), file size and core dumps through ``resource``, and the number of processes (which
the kernel does not enforce for root).
"""
import functools
import os
import shutil
import subprocess
import sys
from pathlib import Path

#: the limits each child runs under (``set_limits``): address space, the size of any file it writes,
#: the number of processes of its user (not enforced for root), no core files
MEMORY_BYTES = 4 * 2**30
FILE_BYTES = 64 * 2**20
PROCESSES = 256

SWITCH = "TINYGRAD_RNN_SANDBOX"          # "off": never use the sandbox (the fallback, e.g. to test it)
#: where the package is mounted inside the sandbox
PACKAGE_ROOT = "/opt/tinygrad-rnn-package"


def set_limits() -> None:
    """Resource limits for this process and what it starts (in the child, before the learner's code)."""
    import resource
    for name, value in (("RLIMIT_AS", MEMORY_BYTES), ("RLIMIT_FSIZE", FILE_BYTES), ("RLIMIT_NPROC", PROCESSES),
                        ("RLIMIT_CORE", 0)):
        limit = getattr(resource, name, None)
        if limit is None:
            continue
        try:
            soft, hard = resource.getrlimit(limit)
            value = value if hard == resource.RLIM_INFINITY else min(value, hard)
            resource.setrlimit(limit, (value, value))
        except (ValueError, OSError):
            pass


@functools.lru_cache(maxsize=1)
def _bwrap() -> str | None:
    """The bwrap binary if it is installed and works here (some containers forbid namespaces), else None."""
    if not sys.platform.startswith("linux"):
        return None
    path = shutil.which("bwrap")
    if path is None:
        return None
    try:
        probe = subprocess.run([path, *_base_options(), "--ro-bind", "/", "/", "true"], capture_output=True,
                               timeout=20)
    except (OSError, subprocess.SubprocessError):
        return None
    return path if probe.returncode == 0 else None


def available() -> bool:
    """Whether files are graded in the sandbox: bwrap works here and ``TINYGRAD_RNN_SANDBOX`` is not off."""
    if os.environ.get(SWITCH, "").strip().lower() in ("off", "0", "no", "false"):
        return False
    return _bwrap() is not None


def isolation_note() -> str:
    """One sentence for the instructor: how the files are isolated from each other and from the grader."""
    if available():
        return ("each file runs in a bubblewrap sandbox of its own (no network, no other processes, only its "
                "folder and the package readable), with memory, file-size and process limits")
    why = ("switched off by TINYGRAD_RNN_SANDBOX" if os.environ.get(SWITCH) and _bwrap()
           else "no working bubblewrap (bwrap) on this system; Debian/Ubuntu: apt-get install bubblewrap")
    return (f"no sandbox ({why}): each file runs in a process of its own with memory, file-size and process "
            "limits, and every process it starts is ended before the next file, but it can read and write "
            "whatever your user can. Install bubblewrap to grade untrusted files in a sandbox")


def _base_options() -> list:
    return ["--unshare-pid", "--unshare-ipc", "--unshare-net", "--unshare-uts", "--die-with-parent",
            "--new-session", "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]


def _package_dir() -> Path:
    return Path(__file__).resolve().parent.parent       # .../tinygrad_rnn


def _is_installation(path: str) -> bool:
    """Whether ``path`` is part of the Python installation (the standard library, site-packages), not
    a folder of the user's (the current directory, a checkout, a folder of submissions)."""
    path = os.path.realpath(path)
    homes = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix)}
    return (any(path == home or path.startswith(home + os.sep) for home in homes)
            or os.path.basename(path) in ("site-packages", "dist-packages"))


def sandbox_sys_path(sys_path: list) -> list:
    """The child's sys.path inside the sandbox: the package at PACKAGE_ROOT first, then the parent's
    entries that are folders of the Python installation (the standard library and site-packages). The
    others (the current directory, a repository checkout with its tests and solutions, a folder that
    holds the submissions) are not mounted."""
    parent = os.path.realpath(_package_dir().parent)
    kept = [p for p in sys_path if p and os.path.isdir(p) and _is_installation(p) and os.path.realpath(p) != parent]
    return [PACKAGE_ROOT] + kept


def sandbox_command(python_args: list, readable: list, writable: list, sys_path: list) -> list:
    """The bwrap command that runs ``python_args`` (after the interpreter) in a fresh sandbox, with the
    folders ``readable`` mounted read-only and ``writable`` read-write, each at its own path."""
    command = [_bwrap(), *_base_options()]
    system = [p for p in ("/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin", "/etc/alternatives",
                          "/etc/ld.so.cache", "/etc/localtime") if os.path.exists(p)]
    python_home = {os.path.realpath(sys.prefix), os.path.realpath(sys.base_prefix),
                   os.path.dirname(os.path.dirname(os.path.realpath(sys.executable)))}
    for path in [*system, *sorted(python_home), *sys_path[1:], *readable]:
        if os.path.exists(path):
            command += ["--ro-bind", path, path]
    command += ["--ro-bind", str(_package_dir()), f"{PACKAGE_ROOT}/tinygrad_rnn"]
    for path in writable:
        command += ["--bind", path, path]
    command += ["--chdir", "/tmp", "--clearenv", "--setenv", "PATH", "/usr/bin:/bin", "--setenv", "HOME", "/tmp",
                "--setenv", "PYTHONIOENCODING", "utf-8:backslashreplace", "--setenv", "PYTHONDONTWRITEBYTECODE", "1"]
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        command += ["--setenv", name, "1"]
    for name in ("OPENBLAS_CORETYPE", "LANG", "LC_ALL"):
        if name in os.environ:
            command += ["--setenv", name, os.environ[name]]
    return command + ["--", sys.executable, "-I", "-S", *python_args]
