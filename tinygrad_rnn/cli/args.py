"""What every command shares: argument types that check their value, and one-line error reports.

A mistake on the command line ends in exactly one line on stderr and exit code 2, never a
traceback::

    tinygrad-rnn graph: error: argument --steps: must be an int >= 1, got '0'

- ``Parser``: argparse's parser with a one-line ``error`` (argparse prints a usage block otherwise).
- ``positive_int``, ``nonnegative_float``, ``finite_float``: ``type=`` functions for numbers;
  ``int_at_least(low, fix)``: an int >= low whose error names the right fix for that option.
- ``output_file(*suffixes)``, ``output_dir``: ``type=`` functions that check, before any work is
  done, that a file can be written there (the folder exists, is a folder, and is writable).
- ``CommandError``: raise it from a command for a problem the user can fix; ``main`` reports it.
- ``missing_extra(what, package, extra)``: the CommandError for an optional dependency that is not
  installed, naming the extra that brings it (``pip install "tinygrad-rnn[plots]"``).
- ``report(command, message)``: print the one line; ``one_line`` folds a multi-line message.
- ``json_text(value)``: the ``--json`` output of every command. JSON has no infinite or NaN numbers
  (Python's json module would print the bare words ``Infinity`` and ``NaN``, which JSON parsers refuse),
  so a non-finite number is written as the string ``"inf"``, ``"-inf"`` or ``"nan"``; ``float()`` reads
  each back (``float("inf")``), and a reader that expects a number fails loudly instead of misreading it.
"""
import argparse
import json
import math
import numbers
import os
import pathlib
import sys

PROG = "tinygrad-rnn"
EXIT_USAGE = 2          # a mistake in the arguments or the input (argparse's code too)
EXIT_INTERRUPTED = 130  # 128 + SIGINT, what shells report for Ctrl-C


class CommandError(Exception):
    """A problem with what the user asked for (not a bug): reported in one line, exit code 2."""


def missing_extra(what: str, package: str, extra: str) -> CommandError:
    """The error for an optional dependency that is missing: ``what`` needs ``package``; the fix names
    the package's extra (from a checkout: the editable install with that extra)."""
    return CommandError(f"{what} needs {package}, which is not installed. Fix: pip install \"{PROG}[{extra}]\" "
                        f"(in a checkout: python3 -m pip install -e \".[{extra}]\"), or pip install {package}")


class Failed(SystemExit):
    """Raised by ``main`` after reporting an error: exit code 2, and ``str()`` is the line it printed,
    so in-process callers (and tests) can read what went wrong."""

    def __init__(self, message: str, code: int = EXIT_USAGE):
        super().__init__(code)
        self.message = message

    def __str__(self):
        return self.message


def one_line(message: str) -> str:
    """Fold a multi-line message into one line: a line ending in ':' runs on, others are joined by '; '."""
    parts = [line.strip() for line in str(message).splitlines() if line.strip()]
    text = ""
    for part in parts:
        text = part if not text else text + (" " if text.endswith(":") else "; ") + part
    return " ".join(text.split())


def report(command: str | None, message: str) -> None:
    """Print ``tinygrad-rnn <command>: error: <message>`` as one line on stderr."""
    prefix = f"{PROG} {command}" if command else PROG
    print(f"{prefix}: error: {one_line(message)}", file=sys.stderr, flush=True)


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (with a pointer to ``--help``) instead of a usage block.
    Sub-parsers made with ``add_subparsers`` are of this class too."""

    def error(self, message):
        self.exit(EXIT_USAGE, f"{self.prog}: error: {one_line(message)} (see: {self.prog} --help)\n")


# --- numbers ----------------------------------------------------------------------------------

def _number(text: str, kind, rule: str):
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be {rule}, got {text!r}") from None
    if kind is float and not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be {rule}, got {text!r}")
    return value


def _int_at_least(text: str, low: int, fix: str = "") -> int:
    """``text`` as an int >= ``low``, or argparse's error (ending in ``Fix: <fix>`` when one is given)."""
    rule = f"an int >= {low}"
    tail = f". Fix: {fix}" if fix else ""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be {rule}, got {text!r}{tail}") from None
    if value < low:
        raise argparse.ArgumentTypeError(f"must be {rule}, got {text!r}{tail}")
    return value


def positive_int(text: str) -> int:
    """An int >= 1 (time steps, sizes, iterations)."""
    return _int_at_least(text, 1)


def int_at_least(low: int, fix: str):
    """A ``type=`` for an int >= ``low`` whose error message ends in ``Fix: <fix>``, the fix that fits
    the option (``int_at_least(1, "--tbptt 50, or leave --tbptt out for full BPTT")``)."""
    def check(text: str) -> int:
        return _int_at_least(text, low, fix)
    check.__name__ = f"int >= {low}"
    return check


def seed_int(text: str) -> int:
    """A seed: an int >= 0 (NumPy's generators take no negative seeds)."""
    return _int_at_least(text, 0)


def finite_float(text: str) -> float:
    """Any finite number (not nan or inf)."""
    return _number(text, float, "a finite number")


def nonnegative_float(text: str) -> float:
    """A finite number >= 0 (tolerances, thresholds)."""
    value = _number(text, float, "a number >= 0")
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be a number >= 0, got {text!r}")
    return value


# --- where files go ---------------------------------------------------------------------------

def _check_writable_folder(folder: pathlib.Path, what: str) -> None:
    """Raise ArgumentTypeError if ``folder``, or the folder that would hold it, is a file or not writable."""
    existing = folder
    while not existing.exists() and existing.parent != existing:     # the nearest ancestor that exists
        existing = existing.parent
    if not existing.is_dir():
        raise argparse.ArgumentTypeError(f"can't write {what}: '{existing}' is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise argparse.ArgumentTypeError(f"can't write {what}: no permission to write in '{existing}'")


def output_file(*suffixes: str):
    """A ``type=`` for a file to write: its suffix must be one of ``suffixes`` (if given), and its
    folder must exist and be writable. Checked before any work is done."""
    def check(text: str) -> pathlib.Path:
        path = pathlib.Path(text)
        if suffixes and path.suffix.lower() not in suffixes:
            raise argparse.ArgumentTypeError(f"can't tell the format from {text!r}: use a name ending in "
                                             f"{', '.join(suffixes)}")
        if path.is_dir():
            raise argparse.ArgumentTypeError(f"'{text}' is a folder; give a file name inside it")
        folder = path.parent
        _check_writable_folder(folder, f"'{text}'")
        if not folder.is_dir():
            raise argparse.ArgumentTypeError(f"can't write '{text}': the folder '{folder}' does not exist "
                                             f"(create it first: mkdir -p {folder})")
        return path
    return check


def output_dir(text: str) -> pathlib.Path:
    """A ``type=`` for a folder to write into (made if missing): it must not be a file, and the
    nearest folder that exists must be writable."""
    path = pathlib.Path(text)
    _check_writable_folder(path, f"into '{text}'")
    return path


def make_dir(path: pathlib.Path) -> pathlib.Path:
    """``mkdir -p path``, or a CommandError saying why it can't be made."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise CommandError(f"can't create the folder '{path}': {err.strerror or err}") from None
    return path


def input_file(text: str) -> pathlib.Path:
    """A ``type=`` for a file to read: it must exist and be a file."""
    path = pathlib.Path(text)
    if not path.exists():
        where = "" if path.is_absolute() else f"; a relative path starts from the current folder, {os.getcwd()}"
        raise argparse.ArgumentTypeError(f"no such file: '{text}'. Fix: check the path{where}")
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"'{text}' is a folder, not a file. Fix: name a file in it")
    return path


def json_text(value) -> str:
    """``value`` as one line of strict JSON: non-finite numbers become the strings "inf", "-inf", "nan"
    (see the module docstring); NumPy numbers and arrays become plain numbers and lists."""
    return json.dumps(_finite_json(value), allow_nan=False)


def _finite_json(value):
    if isinstance(value, dict):
        return {key: _finite_json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite_json(item) for item in value]
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):      # NumPy arrays and scalars
        return _finite_json(value.tolist())
    if isinstance(value, numbers.Real) and not isinstance(value, (bool, int)) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    return value
