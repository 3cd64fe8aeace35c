"""Saving and loading state dicts as NumPy ``.npz`` archives: ``save`` and ``load``.

    tinygrad_rnn.save(model.state_dict(), "model.npz")
    model.load_state_dict(tinygrad_rnn.load("model.npz"))

- Only plain numeric arrays are stored (``np.savez``), and ``load`` reads with
  ``allow_pickle=False``: loading a file can never run code, unlike pickle-based formats.
- ``save`` is atomic: it writes a temporary file next to the target, flushes it to disk,
  then renames it over the target (``os.replace``). A crash or error halfway leaves the old
  file intact and no temporary file behind; readers see either the old file or the new one.
- ``load`` returns an ``OrderedDict`` name -> ndarray in the saved order. Putting it into a
  model goes through ``Module.load_state_dict``, which checks every name, shape and dtype
  before changing anything.
"""
import collections
import collections.abc
import os
import secrets
import zipfile

import numpy as np

from .core.tensor import Tensor

__all__ = ["save", "load", "atomic_write"]

# np.savez(file, *args, allow_pickle=..., **arrays): these names would clash with its own arguments.
_RESERVED_NAMES = ("file", "allow_pickle")


def _as_arrays(state_dict) -> "collections.OrderedDict[str, np.ndarray]":
    """Check ``state_dict`` and turn its values into ndarrays (Tensors give their ``.data``)."""
    if not isinstance(state_dict, collections.abc.Mapping):
        fix = " Fix: save(model.state_dict(), path)" if hasattr(state_dict, "state_dict") else ""
        raise TypeError(f"save: expected a state dict (a mapping name -> array), got "
                        f"{type(state_dict).__name__}.{fix}")
    arrays = collections.OrderedDict()
    for name, value in state_dict.items():
        if not isinstance(name, str):
            raise TypeError(f"save: every name in the state dict must be a str, got {name!r} "
                            f"({type(name).__name__})")
        if name in _RESERVED_NAMES:
            raise ValueError(f"save: the name '{name}' can't be stored with np.savez (it clashes with one of "
                             f"np.savez's own arguments). Fix: rename that entry")
        array = np.asarray(value.data if isinstance(value, Tensor) else value)
        if array.dtype.hasobject:
            raise TypeError(f"save: entry '{name}' is an array of Python objects ({type(value).__name__}), "
                            f"which could only be saved with pickle. Fix: store numeric arrays only")
        arrays[name] = array
    return arrays


def save(state_dict, path) -> None:
    """Write ``state_dict`` (mapping str -> ndarray or Tensor) to ``path`` as an ``.npz`` archive, atomically.

    The file is written under exactly the name ``path`` (no extension is added; ``.npz`` is the
    convention). If anything fails, an existing file at ``path`` is left unchanged.
    """
    arrays = _as_arrays(state_dict)
    atomic_write(path, lambda f: np.savez(f, **arrays), "save")


def atomic_write(path, write, who: str = "atomic_write") -> None:
    """Call ``write(f)`` on a temporary binary file next to ``path``, flush it to disk, then rename
    it over ``path``: readers see the old file or the new one, never half of one. If anything
    fails, an existing file at ``path`` is left unchanged and no temporary file stays behind."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"{who}: the directory '{directory}' does not exist. Fix: create it first "
                                f"(os.makedirs('{directory}', exist_ok=True))")
    if os.path.isdir(path):
        raise IsADirectoryError(f"{who}: '{path}' is a folder, so no file can be written there. Fix: give a "
                                f"file name inside it, e.g. '{os.path.join(path, 'model.npz')}'")
    # A fresh temporary name in the same directory (os.replace is atomic only within one file
    # system). O_EXCL: never reuse an existing file; mode 0o666 lets the umask decide permissions.
    while True:
        temp_path = os.path.join(directory, f".{os.path.basename(path)}.{secrets.token_hex(6)}.tmp")
        try:
            fd = os.open(temp_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
            break
        except FileExistsError:
            continue
        except OSError as err:                 # e.g. a read-only folder: name the file asked for
            raise type(err)(err.errno, f"{who}: cannot write '{path}': {err.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())          # the data is on disk before the rename makes it visible
        os.replace(temp_path, path)
    except BaseException:
        try:
            os.unlink(temp_path)
        except FileNotFoundError:
            pass
        raise
    _fsync_directory(directory)           # make the rename itself durable


def _fsync_directory(directory: str) -> None:
    """Flush a directory entry to disk (POSIX); a no-op where directories can't be opened (Windows)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def load(path) -> "collections.OrderedDict[str, np.ndarray]":
    """Read an ``.npz`` archive written by ``save`` (or ``np.savez``); returns an OrderedDict name -> ndarray.

    Reads with ``allow_pickle=False``, so object arrays are refused; so are damaged or truncated
    files and archives with members that are not ``.npy`` arrays (a clear ValueError for each).
    To restore a model: ``model.load_state_dict(load(path))``.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"load: no file at '{path}'. Fix: check the path (it is relative to the current "
                                f"directory, {os.getcwd()!r}) and that save() wrote it")
    not_npz = (f"load: '{path}' is not an .npz archive written by tinygrad_rnn.save (or np.savez), or it is "
               f"damaged (e.g. truncated). Fix: pass the file that save(state_dict, path) wrote")
    try:
        archive = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as error:
        raise ValueError(f"{not_npz}. Details: {error}") from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ValueError(f"load: '{path}' is not an .npz archive: it holds a single array (an .npy file). Fix: "
                         f"read it with np.load, or save a state dict with tinygrad_rnn.save")
    state_dict = collections.OrderedDict()
    with archive:
        for name in archive.files:
            try:
                state_dict[name] = archive[name]
            except ValueError as error:
                if "object arrays" not in str(error).lower():
                    raise ValueError(f"load: entry '{name}' of '{path}' could not be read ({error}); the file may "
                                     f"be damaged. Fix: save it again") from None
                raise ValueError(f"load: entry '{name}' of '{path}' is an array of Python objects, which can "
                                 f"only be read with pickle; it is refused because unpickling can run arbitrary "
                                 f"code. Fix: save numeric arrays only (tinygrad_rnn.save does)") from None
            except (OSError, EOFError, zipfile.BadZipFile) as error:
                raise ValueError(f"load: entry '{name}' of '{path}' is damaged ({error}); the file may be "
                                 f"truncated. Fix: save it again") from None
            if not isinstance(state_dict[name], np.ndarray):     # NpzFile gives raw bytes for other members
                raise ValueError(f"load: '{path}' holds a member '{name}' that is not a .npy array, so it was "
                                 f"not written by tinygrad_rnn.save (or np.savez). Fix: pass the file that "
                                 f"save(state_dict, path) wrote")
    return state_dict
