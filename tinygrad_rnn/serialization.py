"""Saving and loading state dicts as NumPy ``.npz`` archives: ``save`` and ``load``.

    tinygrad_rnn.save(model.state_dict(), "model.npz")
    model.load_state_dict(tinygrad_rnn.load("model.npz"))

- Only plain arrays are stored (``np.savez``), and ``load`` never unpickles: loading a file can
  never run code, unlike pickle-based formats. Object arrays are refused both ways.
- ``save`` stores every name exactly or refuses it. Refused, with a message naming the key and
  a fix: names that are not ``str``; the empty name; names holding a path separator (``/`` or
  ``\\``), a NUL character or text that is not valid Unicode; names too long for a zip member;
  ``'file'`` and ``'allow_pickle'`` (``np.savez``'s own arguments); and two names ``k`` and
  ``k + '.npy'`` (``np.savez`` stores ``k`` as the member ``k.npy``, and ``np.load`` would read
  that one member for both).
- ``save`` is atomic: it writes a temporary file next to the target (its name holds the writing
  process's id and a random token, so writers never collide), flushes it to disk, then renames
  it over the target (``os.replace``). A crash or error halfway (a full disk, say) leaves the old
  file intact and no temporary file behind; readers see either the old file or the new one.
- ``load`` returns an ``OrderedDict`` name -> ndarray in the saved order. It is safe on files
  from anywhere: it reads every member's ``.npy`` header first and refuses, before allocating
  anything, a file declaring more than ``max_bytes`` of arrays in total (``DEFAULT_MAX_BYTES``,
  1 GiB, unless you pass ``max_bytes=...``; ``None`` for no limit), shapes with negative or
  overflowing sizes, object dtypes, and members whose size in the zip directory differs from
  what their header declares. It then reads each array in bounded chunks and refuses a member
  whose data is shorter or longer than declared (a "zip bomb" can't expand beyond the declared
  size). Everything is checked before anything is returned.
- Putting the result into a model goes through ``Module.load_state_dict``, which checks every
  name, shape and dtype before changing anything.
"""
import ast
import collections
import collections.abc
import contextlib
import copy
import errno
import math
import operator
import os
import secrets
import socket
import struct
import time
import zipfile
import zlib

import numpy as np

from .core.tensor import Tensor

__all__ = ["save", "load", "atomic_write", "DEFAULT_MAX_BYTES"]

DEFAULT_MAX_BYTES = 1 << 30        # load's default limit: 1 GiB of arrays per file

# np.savez(file, *args, allow_pickle=..., **arrays): these names would clash with its own arguments.
_RESERVED_NAMES = ("file", "allow_pickle")
_MAX_MEMBER_NAME = 0xFFFF - len(".npy")   # a zip member's name is at most 65535 bytes

_NPY_MAGIC = b"\x93NUMPY"
_NPY_VERSIONS = {(1, 0): ("<H", "latin1"), (2, 0): ("<I", "latin1"), (3, 0): ("<I", "utf8")}
_MAX_HEADER = 10000                 # the largest .npy header np.load accepts by default
_CHUNK = 1 << 20                    # load reads array data 1 MiB at a time
# What zipfile and zlib raise on a damaged archive (ValueError includes UnicodeDecodeError).
_DAMAGE = (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, struct.error, NotImplementedError,
           RuntimeError, OverflowError, IndexError, KeyError)


# --- save ---------------------------------------------------------------------------------
def _name_problem(name) -> str | None:
    """Why ``name`` can't be stored as a member of an .npz archive exactly as it is (None if it can)."""
    if name == "":
        return "the empty name '' can't be stored. Fix: give every entry a non-empty name"
    if name in _RESERVED_NAMES:
        return (f"the name '{name}' can't be stored with np.savez (it clashes with one of np.savez's own "
                f"arguments). Fix: rename that entry")
    for separator in ("/", "\\"):
        if separator in name:
            return (f"the name {name!r} contains {separator!r}, a path separator: the zip archive would put the "
                    f"entry in a folder (and '..' parts could point outside it when unzipped). Fix: use '.' "
                    f"instead, e.g. {name.replace(separator, '.')!r} (state_dict() names look like "
                    f"'cells.0.weight_hh')")
    if "\x00" in name:
        return (f"the name {name!r} contains a NUL character ('\\x00'): zip member names end there, so it would "
                f"be stored as {name.partition(chr(0))[0]!r}. Fix: remove it, e.g. {name.replace(chr(0), '')!r}")
    try:
        encoded = name.encode("utf-8")
    except UnicodeEncodeError:
        return (f"the name {name!r} is not valid Unicode text (it holds a lone surrogate), so it can't be a "
                f"zip member's name. Fix: rename that entry")
    if len(encoded) > _MAX_MEMBER_NAME:
        return (f"the name {name[:20]!r}... is {len(encoded)} bytes long; a zip member's name is at most "
                f"{_MAX_MEMBER_NAME} bytes. Fix: use a shorter name")
    return None


def _as_arrays(state_dict, who: str = "save") -> "collections.OrderedDict[str, np.ndarray]":
    """Check ``state_dict`` and turn its values into ndarrays (Tensors give their ``.data``)."""
    if not isinstance(state_dict, collections.abc.Mapping):
        fix = " Fix: save(model.state_dict(), path)" if hasattr(state_dict, "state_dict") else ""
        raise TypeError(f"{who}: expected a state dict (a mapping name -> array), got "
                        f"{type(state_dict).__name__}.{fix}")
    arrays = collections.OrderedDict()
    for name, value in state_dict.items():
        if not isinstance(name, str):
            raise TypeError(f"{who}: every name in the state dict must be a str, got {name!r} "
                            f"({type(name).__name__}). Fix: use str names, e.g. {str(name)!r}")
        problem = _name_problem(name)
        if problem is not None:
            raise ValueError(f"{who}: {problem}")
        array = np.asarray(value.data if isinstance(value, Tensor) else value)
        if array.dtype.hasobject:
            raise TypeError(f"{who}: entry {name!r} is an array of Python objects ({type(value).__name__}), "
                            f"which could only be saved with pickle. Fix: store numeric arrays only")
        arrays[name] = array
    clashes = [(name, name + ".npy") for name in arrays if name + ".npy" in arrays]
    if clashes:
        pairs = ", ".join(f"{a!r} and {b!r}" for a, b in clashes)
        a, b = clashes[0]
        raise ValueError(f"{who}: the names {pairs} can't both be stored: np.savez stores the entry {a!r} as the "
                         f"member {b!r}, and np.load would read that one member for both names (one entry would "
                         f"silently replace the other). Fix: rename one of them, e.g. {b!r} -> "
                         f"{b[:-len('.npy')] + '_npy'!r}")
    return arrays


def save(state_dict, path) -> None:
    """Write ``state_dict`` (mapping str -> ndarray or Tensor) to ``path`` as an ``.npz`` archive, atomically.

    The file is written under exactly the name ``path`` (no extension is added; ``.npz`` is the
    convention). Every name is stored exactly, or refused with a ValueError (TypeError for a name
    that is not a str) before anything is written; see the module docstring for which. If
    anything fails (e.g. the disk is full), an existing file at ``path`` is left unchanged.
    """
    _save(state_dict, path, "save")


def _save(state_dict, path, who: str) -> None:
    arrays = _as_arrays(state_dict, who)
    atomic_write(path, lambda f: np.savez(f, **arrays), who)


# --- atomic writes ------------------------------------------------------------------------
def atomic_write(path, write, who: str = "atomic_write") -> None:
    """Call ``write(f)`` on a temporary binary file next to ``path``, flush it to disk, then rename
    it over ``path``: readers see the old file or the new one, never half of one. If anything
    fails, an existing file at ``path`` is left unchanged and no temporary file stays behind; an
    OSError (full disk, no permission, ...) is raised again with ``path`` and a fix in its message.

    The temporary file is ``.<name>.<writer><token>.tmp``: ``<writer>`` (``_writer_tag()``) names
    this host and process, ``<token>`` is random, so concurrent writers never touch each other's
    files. A process killed outright (SIGKILL, a power loss) can't delete its own: such a file of
    ``path`` is deleted by the next write of ``path`` once it is abandoned (``_abandoned``: this host,
    its writer gone, more than an hour old), and a run folder's at once by the next run that takes
    its lock (``train.checkpoint.remove_stale_temp_files``)."""
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
        temp_path = os.path.join(directory, f".{os.path.basename(path)}.{_writer_tag()}{secrets.token_hex(6)}.tmp")
        try:
            fd = os.open(temp_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
            break
        except FileExistsError:
            continue
        except OSError as error:               # e.g. a read-only folder: name the file asked for
            raise _write_error(who, path, error) from None
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())          # the data is on disk before the rename makes it visible
        os.replace(temp_path, path)
    except BaseException as error:
        try:
            os.unlink(temp_path)
        except FileNotFoundError:
            pass
        if isinstance(error, OSError):
            raise _write_error(who, path, error) from None
        raise
    _fsync_directory(directory)           # make the rename itself durable
    _remove_abandoned_temp_files(directory, os.path.basename(path))


def _remove_abandoned_temp_files(directory: str, name: str) -> None:
    """Delete the temporary files of ``name`` that killed writers left in ``directory`` (``_abandoned``)."""
    prefix = f".{name}."
    try:
        names = os.listdir(directory)
    except OSError:
        return
    for other in names:
        tag = other[len(prefix):-len(".tmp")]
        if other.startswith(prefix) and other.endswith(".tmp") and len(tag) >= 24 and \
                all(c in "0123456789abcdef" for c in tag) and _abandoned(os.path.join(directory, other), tag):
            try:
                os.unlink(os.path.join(directory, other))
            except OSError:
                pass


def _write_error(who: str, path: str, error: OSError, action: str = "write") -> OSError:
    """``error`` (from writing ``path``) again, of the same type and errno, with a message that names
    ``path``, the reason, and a fix for that errno; the file that was at ``path`` is unchanged."""
    folder = os.path.dirname(os.path.abspath(path)) if action == "write" else os.path.abspath(path)
    reason = error.strerror or str(error) or type(error).__name__
    unchanged = (f"; the file that was at '{path}', if any, is unchanged" if action == "write"
                 else "; nothing was written")
    fixes = {
        errno.ENOSPC: "Fix: free disk space, or save to a folder on another disk",
        getattr(errno, "EDQUOT", -1): "Fix: free space within your disk quota, or save to another disk",
        errno.EACCES: f": you have no permission to write in '{folder}'. Fix: save into a folder you can write "
                      f"to, or make this one writable (e.g. chmod u+w '{folder}')",
        errno.EPERM: f": the system does not allow writing in '{folder}'. Fix: save into another folder",
        errno.EROFS: f": '{folder}' is on a read-only file system. Fix: save into another folder",
        errno.EFBIG: "Fix: the file is too large for this file system; save to another disk",
        errno.ENAMETOOLONG: "Fix: use a shorter file name or folder path",
        errno.EEXIST: "Fix: a file is in the way of that folder; remove it or choose another folder",
        errno.ENOTDIR: "Fix: a part of the path is a file, not a folder; choose another path",
    }
    fix = fixes.get(error.errno, f"Fix: check that '{folder}' is writable and its disk has free space")
    separator = "" if fix.startswith(":") else ". "
    message = f"{who}: could not {action} '{path}': {reason}{separator}{fix}{unchanged}"
    # As OSError(errno, strerror) does: the same subclass (PermissionError, ...), ``errno`` kept,
    # str() is "[Errno 28] <message>" and ``strerror`` the message.
    arguments = (message,) if error.errno is None else (error.errno, message)
    try:
        return type(error)(*arguments)
    except Exception:                    # an OSError subclass with another constructor
        return OSError(*arguments)


def _writer_tag() -> str:
    """16 hex digits naming the writing process: a hash of the host's name, then the process id.
    Temporary files (and checkpoint data files) carry it, so a cleanup can tell whose a file is."""
    host = zlib.crc32(socket.gethostname().encode("utf-8", "replace"))
    return f"{host:08x}{os.getpid() & 0xFFFFFFFF:08x}"


_ABANDONED_AFTER = 3600.0          # seconds: no write takes this long between creating and renaming


def _abandoned(path: str, tag: str) -> bool:
    """Whether the file ``path``, whose name carries the hex ``tag`` (a ``_writer_tag()`` then a
    random token), was left behind by a writer that is gone: it was written on this host, by a
    process that no longer exists, more than an hour ago. Anything else (another process's file,
    a file of another host on a shared disk, an old-style name without a writer) is kept."""
    if len(tag) < 24 or os.name != "posix":        # no writer in the name; Windows: no safe liveness check
        return False
    host, pid = tag[:8], int(tag[8:16], 16)
    if host != _writer_tag()[:8] or pid in (0, os.getpid()):
        return False
    try:
        os.kill(pid, 0)                            # signal 0: only asks whether the process exists
        return False
    except ProcessLookupError:
        pass
    except OSError:                                # exists, but belongs to another user
        return False
    try:
        return time.time() - os.stat(path).st_mtime > _ABANDONED_AFTER
    except OSError:
        return False


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


# --- load ---------------------------------------------------------------------------------
def load(path, *, max_bytes: int | None = DEFAULT_MAX_BYTES) -> "collections.OrderedDict[str, np.ndarray]":
    """Read an ``.npz`` archive written by ``save`` (or ``np.savez``); returns an OrderedDict name -> ndarray.

    Safe on files from anywhere: nothing is unpickled (object arrays are refused), and a file
    declaring more than ``max_bytes`` bytes of arrays in total (default ``DEFAULT_MAX_BYTES``,
    1 GiB; ``None``: no limit) is refused from its headers, before any memory is allocated. Damaged,
    truncated or inconsistent files, and members that are not ``.npy`` arrays, raise a ValueError
    saying which; every member is checked before anything is returned.
    To restore a model: ``model.load_state_dict(load(path))``.
    """
    return _load(path, max_bytes, "load")


class _Member:
    """One array of an archive, from its .npy header: what to allocate and how many bytes to read."""

    def __init__(self, info, name, header, dtype, shape, fortran_order):
        self.info, self.name, self.header = info, name, header
        self.dtype, self.shape, self.fortran_order = dtype, shape, fortran_order
        self.count = math.prod(shape)
        self.nbytes = self.count * dtype.itemsize

    def described(self) -> str:
        return f"an array of shape {self.shape} and dtype {self.dtype}: {_bytes(self.nbytes)}"


def _load(path, max_bytes, caller: str) -> "collections.OrderedDict[str, np.ndarray]":
    """``load``; ``caller`` is the public function the user called (it is named in the limit's fix)."""
    max_bytes = _checked_max_bytes(max_bytes, caller)
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"load: no file at '{path}'. Fix: check the path (it is relative to the current "
                                f"directory, {os.getcwd()!r}) and that save() wrote it")
    not_npz = (f"load: '{path}' is not an .npz archive written by tinygrad_rnn.save (or np.savez), or it is "
               f"damaged (e.g. truncated). Fix: pass the file that save(state_dict, path) wrote")
    if os.path.isdir(path):
        raise IsADirectoryError(f"load: '{path}' is a folder, not a file. Fix: pass the .npz file that "
                                f"save(state_dict, path) wrote")
    try:
        with open(path, "rb") as f:
            start = f.read(len(_NPY_MAGIC))
    except PermissionError:
        raise PermissionError(f"load: you have no permission to read '{path}'. Fix: make it readable "
                              f"(e.g. chmod u+r '{path}'), or copy it somewhere you can read it") from None
    except OSError as error:
        raise ValueError(f"{not_npz}. Details: {error}") from None
    if start == _NPY_MAGIC:
        raise ValueError(f"load: '{path}' is not an .npz archive: it holds a single array (an .npy file). Fix: "
                         f"read it with np.load, or save a state dict with tinygrad_rnn.save")
    try:
        archive = zipfile.ZipFile(path)
    except _DAMAGE as error:
        raise ValueError(f"{not_npz}. Details: {error}") from None
    with archive:
        try:
            infos = archive.infolist()
        except _DAMAGE as error:
            raise ValueError(f"{not_npz}. Details: {error}") from None
        members, names, total = [], set(), 0
        for info in infos:                          # first every header: nothing is allocated yet
            member = _read_header(archive, info, path)
            if member.name in names:
                raise ValueError(f"load: '{path}' holds two members named {info.filename!r}; np.savez never "
                                 f"writes that, so the file was built by hand or is damaged. Fix: save it again")
            total += member.nbytes
            if max_bytes is not None and total > max_bytes:
                raise ValueError(_over_limit(member, total, max_bytes, path, caller))
            expected = len(member.header) + member.nbytes
            if info.file_size != expected:
                raise ValueError(f"load: entry {member.name!r} of '{path}' is inconsistent: the zip directory "
                                 f"says its member holds {info.file_size} bytes, but its .npy header declares "
                                 f"{member.described()} after a {len(member.header)}-byte header, "
                                 f"{expected} bytes in all. The file is damaged or was built to mislead; it "
                                 f"was refused before reading its data. Fix: save it again")
            members.append(member)
            names.add(member.name)
        state_dict = collections.OrderedDict()
        for member in members:
            state_dict[member.name] = _read_array(archive, member, path)
    return state_dict


def _checked_max_bytes(max_bytes, caller: str):
    if max_bytes is None:
        return None
    if isinstance(max_bytes, bool):
        raise TypeError(f"{caller}: max_bytes must be a number of bytes (an int) or None, got {max_bytes!r}. "
                        f"Fix: e.g. max_bytes=2 * 1024**3 for 2 GiB, or max_bytes=None for no limit")
    try:
        value = operator.index(max_bytes)
    except TypeError:
        hint = f"max_bytes={int(max_bytes)}" if isinstance(max_bytes, float) and math.isfinite(max_bytes) \
            else "max_bytes=2 * 1024**3 for 2 GiB"
        raise TypeError(f"{caller}: max_bytes must be a number of bytes (an int) or None, got {max_bytes!r} "
                        f"({type(max_bytes).__name__}). Fix: e.g. {hint}, or max_bytes=None for no "
                        f"limit") from None
    if value < 0:
        raise ValueError(f"{caller}: max_bytes must be >= 0, got {value}. Fix: e.g. max_bytes=2 * 1024**3 for "
                         f"2 GiB, or max_bytes=None for no limit")
    return value


def _over_limit(member, total, max_bytes, path, caller) -> str:
    where = f"load: entry {member.name!r} of '{path}' declares {member.described()}"
    if member.nbytes > max_bytes:
        excess = "more than"
    else:
        excess = f"which brings the file's arrays to {_bytes(total)} in all, more than"
    return (f"{where}, {excess} the limit of max_bytes={_bytes(max_bytes)} that {caller} "
            f"reads; it was refused from the headers, before allocating anything. Fix: if you trust this file "
            f"and have the memory, raise the limit: {caller}(path, max_bytes={total}) (or max_bytes=None for "
            f"no limit)")


def _bytes(n: int) -> str:
    """A byte count for people: '16 bytes', '8000000000000 bytes (7.28 TiB)'."""
    if n < 1024:
        return f"{n} bytes"
    size = float(n)
    for unit in ("KiB", "MiB", "GiB", "TiB", "PiB", "EiB"):
        size /= 1024
        if size < 1024 or unit == "EiB":
            return f"{n} bytes ({size:.3g} {unit})"


def _read_header(archive, info, path) -> _Member:
    """Read and check the .npy header of the member ``info`` (at most a few KiB of it)."""
    if not info.filename.endswith(".npy"):
        raise ValueError(_not_npy(path, info.filename))
    name = info.filename[:-len(".npy")]

    def damaged(why):
        return ValueError(f"load: entry {name!r} of '{path}' is damaged ({why}); the file may be truncated, or "
                          f"was not written by tinygrad_rnn.save (or np.savez). Fix: save it again")

    if info.flag_bits & 0x1:
        raise damaged("it is encrypted, which np.savez never does")
    with _opened(archive, info, damaged) as read:
        start = read(len(_NPY_MAGIC) + 2)
        if len(start) < len(_NPY_MAGIC) + 2 or start[:len(_NPY_MAGIC)] != _NPY_MAGIC:
            raise ValueError(_not_npy(path, name))
        version = (start[-2], start[-1])
        if version not in _NPY_VERSIONS:
            raise damaged(f"unknown .npy format version {version[0]}.{version[1]}")
        length_format, encoding = _NPY_VERSIONS[version]
        length_bytes = read(struct.calcsize(length_format))
        if len(length_bytes) < struct.calcsize(length_format):
            raise damaged("its .npy header is cut short")
        (length,) = struct.unpack(length_format, length_bytes)
        if length > _MAX_HEADER:
            raise damaged(f"its .npy header claims to be {length} bytes long; np.load refuses headers over "
                          f"{_MAX_HEADER} bytes")
        text = read(length)
        if len(text) < length:
            raise damaged("its .npy header is cut short")
    try:
        header = ast.literal_eval(text.decode(encoding))
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError, UnicodeDecodeError) as error:
        raise damaged(f"its .npy header is not readable: {error}") from None
    if not isinstance(header, dict) or set(header) != {"descr", "fortran_order", "shape"}:
        raise damaged(f"its .npy header should be a dict with the keys 'descr', 'fortran_order' and 'shape', "
                      f"got {header!r:.200}")
    shape, fortran_order = header["shape"], header["fortran_order"]
    if not isinstance(shape, tuple) or not all(isinstance(n, int) and not isinstance(n, bool) for n in shape):
        raise damaged(f"its .npy header's shape should be a tuple of ints, got {shape!r:.200}")
    if any(n < 0 for n in shape):
        raise damaged(f"its .npy header declares the shape {shape}, with a negative size")
    if not isinstance(fortran_order, bool):
        raise damaged(f"its .npy header's fortran_order should be True or False, got {fortran_order!r:.200}")
    try:
        dtype = np.lib.format.descr_to_dtype(header["descr"])
    except Exception as error:                     # NumPy raises many kinds here; the header is untrusted
        raise damaged(f"its .npy header's dtype {header['descr']!r:.200} is not valid: {error}") from None
    if dtype.hasobject:
        raise ValueError(f"load: entry {name!r} of '{path}' is an array of Python objects, which can only be read "
                         f"with pickle; it is refused because unpickling can run arbitrary code. Fix: save "
                         f"numeric arrays only (tinygrad_rnn.save does)")
    if dtype.subdtype is not None:
        raise damaged(f"its .npy header declares the sub-array dtype {dtype}, which np.save never writes")
    member = _Member(info, name, start + length_bytes + text, dtype, shape, fortran_order)
    limit = np.iinfo(np.intp).max
    if member.count > limit or member.nbytes > limit:
        raise damaged(f"its .npy header declares the shape {shape} and dtype {dtype}: {member.nbytes} bytes, "
                      f"more than NumPy can address")
    return member


@contextlib.contextmanager
def _opened(archive, info, damaged):
    """Open the member ``info``; yields ``read(n)``. What zipfile or zlib raise on a damaged member
    (while opening, reading or closing it) becomes ``damaged(error)``, a clear ValueError."""
    try:
        f = archive.open(info)
    except _DAMAGE as error:
        raise damaged(error) from None

    def read(n):
        try:
            return f.read(n)
        except _DAMAGE as error:
            raise damaged(error) from None

    try:
        yield read
    finally:
        try:
            f.close()
        except _DAMAGE:
            pass


def _not_npy(path, name) -> str:
    return (f"load: '{path}' holds a member '{name}' that is not a .npy array, so it was not written by "
            f"tinygrad_rnn.save (or np.savez). Fix: pass the file that save(state_dict, path) wrote")


def _read_array(archive, member, path) -> np.ndarray:
    """Read the data of ``member`` (whose header was checked) in chunks of at most 1 MiB: memory
    stays bounded by the declared size, whatever the compressed stream would expand to."""
    def damaged(why):
        return ValueError(f"load: entry {member.name!r} of '{path}' is damaged ({why}); the file may be "
                          f"truncated. Fix: save it again")

    bounded = copy.copy(member.info)      # zipfile stops after file_size bytes: a little more than declared,
    bounded.file_size = len(member.header) + member.nbytes + 4096    # so that extra data can be seen
    try:
        array = np.empty(member.count, member.dtype)
    except MemoryError:
        raise MemoryError(f"load: not enough memory for entry {member.name!r} of '{path}', "
                          f"{member.described()}. Fix: free memory, or load it on a larger machine") from None
    with _opened(archive, bounded, damaged) as read:
        if read(len(member.header)) != member.header:
            raise damaged("its header changed while it was being read")
        data = array.view(np.uint8) if member.nbytes else None
        done = 0
        while done < member.nbytes:
            chunk = read(min(_CHUNK, member.nbytes - done))
            if not chunk:
                raise damaged(f"its data ends after {done} of the {member.nbytes} bytes its header declares")
            data[done:done + len(chunk)] = np.frombuffer(chunk, np.uint8)
            done += len(chunk)
        if read(1):
            raise ValueError(f"load: entry {member.name!r} of '{path}' holds more data than its .npy header "
                             f"declares ({member.described()}): the member expands beyond that size, as a "
                             f"\"zip bomb\" does. It was refused after reading only the declared bytes. "
                             f"Fix: save the file again; don't load files built to mislead")
    if member.fortran_order:
        return array.reshape(member.shape[::-1]).transpose()
    return array.reshape(member.shape)
