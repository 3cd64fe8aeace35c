"""The ``tinygrad-rnn`` command (also ``python -m tinygrad_rnn``). Each subcommand lives in its own
module and only composes library calls.

Errors: a mistake the user can fix — a bad argument, a missing input file, a folder that can't be
written, or any ValueError / TypeError / OSError the library raises for what it was given — ends in
one line on stderr, ``tinygrad-rnn <command>: error: <what and how to fix it>``, and exit code 2
(Ctrl-C: exit code 130). NumPy's MemoryError becomes one line too, naming the options to make smaller
(``MEMORY_FIXES``). Any other exception is a bug and keeps its traceback.

Global options (``GLOBAL_OPTIONS``: ``--blas-threads``) go before or after the subcommand, and every
help page lists them; ``--version`` prints the package's version (``tinygrad_rnn.__version__``). Output piped into a
program that stops reading early (``| head``) ends quietly. A terminal that cannot show λ, σ or ‖
gets them spelled in ASCII (``terminal.py``).
"""
import argparse
import contextlib
import errno
import os
import signal
import sys

from threadpoolctl import threadpool_limits

from .. import __version__
from . import check, eig, figures, grade, gradflow, graph, reproduce, tour, train
from .terminal import use_ascii_fallback
from .args import EXIT_INTERRUPTED, PROG, CommandError, Failed, Parser, one_line, positive_int, report

COMMANDS = {"tour": tour, "train": train, "eig": eig, "graph": graph, "gradflow": gradflow, "figures": figures, "check": check,
            "grade": grade, "reproduce": reproduce}

#: exceptions that mean "what you asked for can't be done", not "the program is broken"
USER_ERRORS = (CommandError, ValueError, TypeError, OSError)

#: what to make smaller when a command runs out of memory (MemoryError), by command
MEMORY_FIXES = {
    "train": "a smaller --hidden, --batch or --seq-len (or truncated BPTT: --tbptt 50)",
    "graph": "fewer --steps, or a smaller --hidden",
    "gradflow": "fewer --steps",
    "eig": "a smaller matrix",
    "tour": "tour --quick",
}

#: a plain OSError ("[Errno 17] File exists: 'x'") in words, by errno; {0} is the path
OS_PROBLEMS = {
    errno.ENOENT: "no such file or folder: '{0}'",
    errno.EEXIST: "'{0}' already exists and is not a folder",
    errno.ENOTDIR: "'{0}': part of this path is a file, not a folder",
    errno.EISDIR: "'{0}' is a folder, not a file",
    errno.EACCES: "no permission to use '{0}'",
    errno.EPERM: "not allowed to use '{0}'",
    errno.EROFS: "'{0}' is on a read-only file system",
    errno.ENOSPC: "no space left on the device for '{0}'",
}


def build_parser() -> Parser:
    parser = Parser(
        prog=PROG,
        description="Autodiff and recurrent nets you can read: see why RNN gradients explode and vanish.")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}",
                        help="print the version and exit")
    add_global_options(parser.add_argument_group("global options (before or after the command)"), defaults=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    parser.commands = {name: module.add_parser(sub) for name, module in COMMANDS.items()}
    for command in parser.commands.values():      # after the command too: a value given there wins
        add_global_options(command.add_argument_group("global options (before or after the command)"),
                           defaults=False)
    return parser


#: the options every command takes: (flags, add_argument's keywords with the default)
GLOBAL_OPTIONS = [
    (("--blas-threads",), dict(type=positive_int, default=1, metavar="N",
                               help="BLAS threads for NumPy's matrix products (default 1: the matrices here are "
                                    "small, and one thread measured as fast or faster; see "
                                    "benchmarks/bench_blas_threads.py)")),
]


def add_global_options(group, defaults: bool) -> None:
    """Add GLOBAL_OPTIONS to the main parser (with their defaults) or to a command's parser (without:
    an option left out there keeps the value given before the command, or the default)."""
    for flags, settings in GLOBAL_OPTIONS:
        group.add_argument(*flags, **(settings if defaults else {**settings, "default": argparse.SUPPRESS}))


def error_message(err: BaseException, command: str) -> str:
    """The text of a user-facing error, on one line, without a repeated ``error:`` or ``<command>:``."""
    if isinstance(err, OSError) and err.strerror and str(err).startswith("[Errno"):     # not the library's words
        if err.filename is None:
            message = err.strerror
        else:
            message = OS_PROBLEMS.get(err.errno, "'{0}': " + err.strerror).format(err.filename)
    else:
        message = str(err) or type(err).__name__
    message = one_line(message)
    for prefix in ("error: ", f"{command}: "):
        message = message.removeprefix(prefix)
    return message


def _fail(command: str, message: str):
    report(command, message)
    raise Failed(f"{PROG} {command}: error: {message}") from None


def _silence_stdout() -> None:
    """After a broken pipe: send what is still buffered to /dev/null, so exiting prints nothing."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


class Terminated(BaseException):
    """Raised by the SIGTERM handler ``main`` installs while a command runs: like Ctrl-C's KeyboardInterrupt,
    it unwinds the command, so that ``finally`` blocks run (an interrupted ``atomic_write`` deletes its
    temporary file) instead of the process vanishing mid-write. ``train`` handles SIGTERM its own way."""


EXIT_TERMINATED = 128 + int(signal.SIGTERM)      # 143, as shells report a process ended by SIGTERM


@contextlib.contextmanager
def _sigterm_raises():
    """While the block runs (in the main thread), SIGTERM raises ``Terminated``; the old handler is put back."""
    def handler(signum, frame):
        raise Terminated
    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:                         # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv=None) -> int:
    """Run one command; returns its exit code. A user error is reported in one line on stderr and
    raises ``SystemExit(2)`` (``args.Failed``, whose ``str()`` is that line)."""
    for stream in (sys.stdout, sys.stderr):    # cp1252 and other encodings without λ, σ, ‖
        use_ascii_fallback(stream)
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)    # a usage error: one line, SystemExit(2)
    if extra:                                  # reported by the command's own parser, which names it
        (parser.commands.get(args.command) or parser).error(f"unrecognized arguments: {' '.join(extra)}")
    if args.command is None:
        parser.print_help()
        return 0
    command = args.command
    try:
        with threadpool_limits(limits=args.blas_threads, user_api="blas"), _sigterm_raises():
            code = COMMANDS[command].run(args) or 0
        sys.stdout.flush()                     # a broken pipe shows up here, not at exit
        return code
    except Terminated:                         # SIGTERM: the writes under way removed their temporary files
        print(f"\n{PROG} {command}: terminated", file=sys.stderr)
        return EXIT_TERMINATED
    except BrokenPipeError:                    # e.g. `tinygrad-rnn graph | head`: the reader has enough
        _silence_stdout()
        return 0
    except KeyboardInterrupt:
        print(f"\n{PROG} {command}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except MemoryError:                        # NumPy could not allocate: sizes too large for this machine
        _fail(command, f"out of memory: the sizes asked for need more memory than this machine has. Fix: "
                       f"{MEMORY_FIXES.get(command, 'smaller sizes')}")
    except Failed:
        raise
    except SystemExit as stop:                 # a command's own `raise SystemExit("error: ...")`
        if isinstance(stop.code, str):
            _fail(command, error_message(Exception(stop.code), command))
        raise
    except USER_ERRORS as err:
        _fail(command, error_message(err, command))


if __name__ == "__main__":
    sys.exit(main())
