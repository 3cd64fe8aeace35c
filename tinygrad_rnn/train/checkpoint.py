"""Training checkpoints: everything needed to continue a run exactly where it stopped.

    save_checkpoint("run/checkpoint", model, optimizer, iteration=100, config={...}, rngs={"train": rng})
    checkpoint = load_checkpoint("run")              # the run folder or the checkpoint folder itself
    checkpoint.restore(model, optimizer, {"train": rng})

A checkpoint is one directory holding three files:

- ``checkpoint.json``: the format version, the iteration, the run's config, the state of each
  NumPy random generator (``Generator.bit_generator.state``), the optimizer's hyperparameters
  and counters, anything else the caller passes as ``extra``, and the names of the two
  ``.npz`` files. It is written last.
- ``model-<iteration>-<tag>.npz``: the model's ``state_dict()`` (``tinygrad_rnn.save``).
- ``optimizer-<iteration>-<tag>.npz``: the optimizer's arrays, named
  ``optimizer.state.<parameter index>.<entry>`` (e.g. ``optimizer.state.0.exp_avg``).

Why a crash can't leave a broken checkpoint: each save writes its two ``.npz`` files under new
names (the tag is random), each atomically, and only then replaces ``checkpoint.json``
atomically. Until that rename the old JSON names the old, untouched files; after it, the new
JSON names new, complete ones. Only then are the older files deleted. If the save fails, the
files it wrote are removed and the previous checkpoint is byte-for-byte what it was (a full disk
or a folder without write permission is reported with the file's path and a fix).

Two processes saving into the same folder don't break each other: a save deletes only the files
named by the checkpoint.json it replaced, and files (temporary ones included) left by a writer
that is gone (``serialization._abandoned``: this host, a process that no longer exists, more than
an hour old). Data file tags and temporary names carry the writer (``_writer_tag()``), so a
file another process is still writing is never deleted. (The last checkpoint.json written wins.)

Loading never unpickles, refuses ``.npz`` files declaring more than ``max_bytes`` of arrays
(``tinygrad_rnn.load``'s limit, 1 GiB per file by default), and checks everything (file names, format
version, every array's name, shape and dtype, the optimizer's groups and state, the random
generators' states) before ``restore`` changes anything: if something is wrong, a ValueError
says what and the model, optimizer and generators are left as they were.

Two *runs* writing into one folder would still interleave their logs and checkpoints, so a run
holds its folder's lock, ``<out>/.lock`` (``lock_run_folder``), for as long as it writes: an OS lock
(``fcntl.flock``), which the OS drops when the process ends, however it ends, so a crash never
leaves a stale lock. A second run on the folder fails at once with ``RunFolderBusy`` naming the
holder's pid (the lock file holds it). Limitation: without ``fcntl`` (Windows) there is no lock.

A save killed outright (SIGKILL, a power loss) can't delete its temporary file. The next run that takes
the folder's lock deletes every temporary file in ``<out>`` and ``<out>/checkpoint`` whose writer (on this
host) is gone (``remove_stale_temp_files``), at once: holding the lock, it knows no other run writes there.
A ``tinygrad-rnn`` command stopped by SIGTERM or Ctrl-C removes its own (``cli.main`` turns SIGTERM into
an exception, so the writes' cleanup runs).
"""
import collections
import contextlib
import dataclasses
import json
import os
import re
import secrets
import threading
import time

try:
    import fcntl
except ImportError:                   # Windows: no run-folder lock (see lock_run_folder)
    fcntl = None

import numpy as np

from ..serialization import DEFAULT_MAX_BYTES, _abandoned, _load, _save, _write_error, _writer_tag, atomic_write

__all__ = ["Checkpoint", "save_checkpoint", "load_checkpoint", "FORMAT_VERSION", "CHECKPOINT_SUBDIR",
           "lock_run_folder", "RunFolderBusy", "LOCK_FILE", "remove_stale_temp_files"]

FORMAT_VERSION = 1
CHECKPOINT_JSON = "checkpoint.json"
CHECKPOINT_SUBDIR = "checkpoint"      # ``train`` keeps the checkpoint of a run in <out>/checkpoint/
LOCK_FILE = ".lock"                   # <out>/.lock: held by the run writing into <out> (lock_run_folder)
_DATA_FILE = re.compile(r"(model|optimizer)-\d+-([0-9a-f]+)\.npz")             # group 2: the tag
_TEMP_FILE = re.compile(r"\.((model|optimizer)-\d+-[0-9a-f]+\.npz|checkpoint\.json)\.([0-9a-f]+)\.tmp")  # 3
_OPTIMIZER_PREFIX = "optimizer.state."


@dataclasses.dataclass
class Checkpoint:
    """A checkpoint read (and checked) by ``load_checkpoint``.

    ``model_state``: name -> ndarray, for ``model.load_state_dict``. ``optimizer_state``: PyTorch's
    layout ``{"state": {index: {...}}, "param_groups": [...]}``, for ``optimizer.load_state_dict``.
    ``rngs``: name -> ``bit_generator.state`` dict. ``extra``: what the writer added (for ``train``:
    the log so far)."""
    directory: str
    iteration: int
    config: dict
    model_state: "collections.OrderedDict[str, np.ndarray]"
    optimizer_state: dict
    rngs: dict
    extra: dict

    def nonfinite(self) -> list:
        """The names of the saved arrays (model weights, optimizer state) holding nan or inf: a run never
        saves such a state (it stops first), so any name here means the checkpoint was damaged."""
        bad = [name for name, array in self.model_state.items()
               if array.dtype.kind == "f" and not np.isfinite(array).all()]
        for index, entries in self.optimizer_state.get("state", {}).items():
            bad += [f"optimizer state {index}.{key}" for key, value in entries.items()
                    if isinstance(value, np.ndarray) and value.dtype.kind == "f" and not np.isfinite(value).all()]
        return bad

    def restore(self, model, optimizer, rngs: dict) -> None:
        """Put the saved state into ``model``, ``optimizer`` and the generators ``rngs`` (name ->
        ``np.random.Generator``, the same names as when saved). Everything is checked first; on
        any problem a ValueError says what, and nothing has changed."""
        where = f"the checkpoint in '{self.directory}'"
        if set(rngs) != set(self.rngs):
            raise ValueError(f"restore: {where} has random generators {sorted(self.rngs)}, but "
                             f"{sorted(rngs)} were given to restore")
        problems = _model_problems(model, self.model_state)
        if problems:                                         # checked first: the likeliest mistake
            raise ValueError(f"restore: {where} does not fit this model (nothing was loaded):\n  "
                             + "\n  ".join(problems))
        try:
            new_optimizer_state = optimizer._checked_state_dict(self.optimizer_state)
        except ValueError as error:
            raise ValueError(f"restore: {where} does not fit this optimizer: {error}") from None
        for name, rng in rngs.items():
            scratch = np.random.Generator(type(rng.bit_generator)())
            try:
                scratch.bit_generator.state = self.rngs[name]
            except (TypeError, ValueError, KeyError) as error:
                raise ValueError(f"restore: {where} has a state for the random generator '{name}' that does "
                                 f"not fit a {type(rng.bit_generator).__name__} generator ({error!r})") from None
        model.load_state_dict(self.model_state)              # checks all again, then copies
        optimizer._apply_state_dict(*new_optimizer_state)    # checked above; cannot fail
        for name, rng in rngs.items():
            rng.bit_generator.state = self.rngs[name]


def save_checkpoint(directory, model, optimizer, *, iteration: int, config: dict, rngs: dict,
                    extra: dict | None = None) -> None:
    """Write a checkpoint of ``model``, ``optimizer`` and the generators ``rngs`` (name ->
    ``np.random.Generator``) into ``directory`` (created if needed), replacing the one there
    without ever leaving a broken one (see the module docstring). ``config`` and ``extra``
    must be JSON-serializable dicts."""
    directory = os.fspath(directory)
    try:
        os.makedirs(directory, exist_ok=True)
    except OSError as error:
        raise _write_error("save_checkpoint", directory, error, "create the folder") from None
    tag = f"{int(iteration):06d}-{_writer_tag()}{secrets.token_hex(4)}"   # whose file it is, and a random part
    model_file, optimizer_file = f"model-{tag}.npz", f"optimizer-{tag}.npz"
    optimizer_arrays, optimizer_json = _flatten_optimizer_state(optimizer.state_dict())
    document = {"format_version": FORMAT_VERSION, "iteration": int(iteration), "model": model_file,
                "optimizer": optimizer_file, "config": config, "optimizer_state": optimizer_json,
                "rngs": {name: rng.bit_generator.state for name, rng in rngs.items()}, "extra": extra or {}}
    text = (json.dumps(document, indent=1, default=_json_default) + "\n").encode("utf-8")   # fails before any write
    written = []
    replaced = _named_files(directory)      # the checkpoint this save replaces: its files go afterwards
    try:
        for name, arrays in ((model_file, model.state_dict()), (optimizer_file, optimizer_arrays)):
            _save(arrays, os.path.join(directory, name), "save_checkpoint")
            written.append(name)
        atomic_write(os.path.join(directory, CHECKPOINT_JSON), lambda f: f.write(text), "save_checkpoint")
    except BaseException:
        keep = _named_files(directory)      # the JSON may have been replaced just before the interruption
        for name in written:
            if name not in keep:
                _remove(os.path.join(directory, name))
        raise
    keep = _named_files(directory)          # (another process may have replaced the JSON since)
    for name in os.listdir(directory):
        data, temp = _DATA_FILE.fullmatch(name), _TEMP_FILE.fullmatch(name)
        if name in keep or not (data or temp):
            continue
        path = os.path.join(directory, name)
        if (data and name in replaced) or _abandoned(path, data.group(2) if data else temp.group(3)):
            _remove(path)                   # the older checkpoint's files; what killed writers left


def load_checkpoint(path, *, max_bytes: int | None = DEFAULT_MAX_BYTES) -> Checkpoint:
    """Read and check the checkpoint in ``path``: a checkpoint directory, or a run folder written by
    ``train(TrainConfig(out=...))`` (its checkpoint is in ``<out>/checkpoint/``). Nothing is
    pickled; a missing, damaged or inconsistent file raises a ValueError (FileNotFoundError for a
    missing checkpoint) that says which and why. ``max_bytes``: the most bytes of arrays each of
    its two ``.npz`` files may declare (as for ``tinygrad_rnn.load``; ``None``: no limit)."""
    directory = _find_directory(path)
    json_path = os.path.join(directory, CHECKPOINT_JSON)
    try:
        with open(json_path, "rb") as f:
            document = json.loads(f.read().decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as error:
        raise ValueError(f"load_checkpoint: '{json_path}' is damaged (it is not valid JSON: {error}). Fix: "
                         f"resume from another checkpoint, or start the run again") from None
    _check_document(document, json_path)
    model_state = _load(os.path.join(directory, document["model"]), max_bytes, "load_checkpoint")
    optimizer_arrays = _load(os.path.join(directory, document["optimizer"]), max_bytes, "load_checkpoint")
    optimizer_state = _unflatten_optimizer_state(document["optimizer_state"], optimizer_arrays,
                                                 os.path.join(directory, document["optimizer"]))
    return Checkpoint(directory, document["iteration"], document["config"], model_state, optimizer_state,
                      document["rngs"], document["extra"])


def _model_problems(model, state) -> list:
    """What keeps ``model.load_state_dict(state)`` from working: missing or unexpected names, shapes, dtypes."""
    own = dict(model.named_parameters())
    problems = [f"missing: '{name}' (shape {p.shape})" for name, p in own.items() if name not in state]
    problems += [f"unexpected: '{name}'" for name in state if name not in own]
    problems += [f"'{name}': shape {array.shape} and dtype {array.dtype} in the checkpoint, {own[name].shape} "
                 f"and {own[name].dtype} in the model" for name, array in state.items()
                 if name in own and (array.shape != own[name].shape or array.dtype != own[name].dtype)]
    return problems


# --- the files -----------------------------------------------------------------------------
def _find_directory(path) -> str:
    path = os.fspath(path)
    for directory in (path, os.path.join(path, CHECKPOINT_SUBDIR)):
        if os.path.isfile(os.path.join(directory, CHECKPOINT_JSON)):
            return directory
    if not os.path.exists(path):
        raise FileNotFoundError(f"load_checkpoint: '{path}' does not exist. Fix: pass the --out folder of an "
                                f"earlier `tinygrad-rnn train` run (relative to {os.getcwd()!r})")
    raise FileNotFoundError(f"load_checkpoint: there is no checkpoint in '{path}' (no {CHECKPOINT_JSON} in it or "
                            f"in its '{CHECKPOINT_SUBDIR}' folder). A run writes one every --log-every "
                            f"iterations into <out>/{CHECKPOINT_SUBDIR}; pass that run's --out folder")


def _named_files(directory) -> set:
    """The data files the current checkpoint.json names (none if it is missing or unreadable)."""
    try:
        with open(os.path.join(directory, CHECKPOINT_JSON), "rb") as f:
            document = json.loads(f.read().decode("utf-8"))
        return {document["model"], document["optimizer"]}
    except (OSError, ValueError, UnicodeDecodeError, TypeError, KeyError):
        return set()


def _remove(path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _json_default(value):
    if isinstance(value, np.generic):          # NumPy scalars (e.g. a float32 learning rate)
        return value.item()
    raise TypeError(f"save_checkpoint: can't store a {type(value).__name__} in checkpoint.json ({value!r}); "
                    f"config and extra must hold plain numbers, strings, lists and dicts")


def _check_document(document, json_path) -> None:
    """Check checkpoint.json's fields; a ValueError lists every problem."""
    if not isinstance(document, dict):
        raise ValueError(f"load_checkpoint: '{json_path}' should hold a JSON object, got a "
                         f"{type(document).__name__}; it was not written by tinygrad_rnn")
    version = document.get("format_version")
    if version != FORMAT_VERSION:
        raise ValueError(f"load_checkpoint: '{json_path}' has format_version {version!r}; this tinygrad_rnn "
                         f"reads version {FORMAT_VERSION}. Fix: use the tinygrad_rnn version that wrote it")
    problems = []
    iteration = document.get("iteration")
    if isinstance(iteration, bool) or not isinstance(iteration, int) or iteration < 0:
        problems.append(f"'iteration' must be an int >= 0, got {iteration!r}")
    for key in ("model", "optimizer"):
        name = document.get(key)
        if not (isinstance(name, str) and _DATA_FILE.fullmatch(name) and name.startswith(key)):
            problems.append(f"'{key}' must name a {key}-<iteration>-<tag>.npz file in the same folder, got {name!r}")
        elif not os.path.isfile(os.path.join(os.path.dirname(json_path), name)):
            problems.append(f"the {key} file '{name}' it names is missing")
    for key in ("config", "optimizer_state", "rngs", "extra"):
        if not isinstance(document.get(key), dict):
            problems.append(f"'{key}' must be a JSON object, got {type(document.get(key)).__name__}")
    if isinstance(document.get("rngs"), dict):
        problems += [f"'rngs.{name}' must be a JSON object (a bit_generator.state)"
                     for name, state in document["rngs"].items() if not isinstance(state, dict)]
    if problems:
        raise ValueError(f"load_checkpoint: '{json_path}' is damaged or was not written by tinygrad_rnn:\n  "
                         + "\n  ".join(problems))


# --- the optimizer's state: arrays in the .npz, the rest in JSON --------------------------------
def _flatten_optimizer_state(state_dict) -> tuple:
    """PyTorch's layout -> (``{"optimizer.state.<i>.<entry>": array}``, the JSON-able rest)."""
    arrays, counters = collections.OrderedDict(), {}
    for index, entries in state_dict["state"].items():
        for key, value in entries.items():
            if isinstance(value, np.ndarray):
                arrays[f"{_OPTIMIZER_PREFIX}{index}.{key}"] = value
            else:
                counters.setdefault(str(index), {})[key] = value
    groups = [{k: list(v) if isinstance(v, tuple) else v for k, v in group.items()}
              for group in state_dict["param_groups"]]
    return arrays, {"param_groups": groups, "state": counters}


def _unflatten_optimizer_state(saved: dict, arrays, npz_path) -> dict:
    """The inverse of ``_flatten_optimizer_state``; checks the names (the optimizer checks the rest)."""
    state = {}
    problems = []
    for name, array in arrays.items():
        index, _, key = name[len(_OPTIMIZER_PREFIX):].partition(".")
        if not (name.startswith(_OPTIMIZER_PREFIX) and index.isdigit() and key):
            problems.append(f"unexpected entry '{name}' (expected names like '{_OPTIMIZER_PREFIX}0.exp_avg')")
            continue
        state.setdefault(int(index), {})[key] = array
    counters = saved.get("state", {})
    if not isinstance(counters, dict):
        problems.append("'optimizer_state.state' in checkpoint.json must be a JSON object")
        counters = {}
    for index, entries in counters.items():
        if not (index.isdigit() and isinstance(entries, dict)):
            problems.append(f"'optimizer_state.state' in checkpoint.json has a bad entry {index!r}: {entries!r}")
            continue
        for key, value in entries.items():
            state.setdefault(int(index), {})[key] = value
    if not isinstance(saved.get("param_groups"), list):
        problems.append("'optimizer_state.param_groups' in checkpoint.json must be a list")
    if problems:
        raise ValueError(f"load_checkpoint: the optimizer state in '{npz_path}' is damaged:\n  "
                         + "\n  ".join(problems))
    return {"state": state, "param_groups": saved["param_groups"]}


# --- one run per folder ----------------------------------------------------------------------
class RunFolderBusy(OSError):
    """Another process holds the run folder's lock: it is writing into that folder right now."""


_held = threading.local()             # .folders: {real path: how many nested lock_run_folder hold it}


@contextlib.contextmanager
def lock_run_folder(folder, owner: str = "train"):
    """Hold ``folder``'s lock, ``<folder>/.lock`` (the folder is made if missing), while the block runs.

    The lock is ``fcntl.flock`` on that file, which the OS releases when the file is closed or the
    process ends in any way (kill -9 and crashes included): a stale lock can't outlive its run. The
    holder writes its pid into the file. If another process (or another thread) holds it,
    ``RunFolderBusy`` is raised at once: "another run is writing to 'DIR' (pid N); ...". Nested calls
    for the same folder in the same thread just go on holding it (the CLI takes the lock before
    reading a checkpoint, then ``train`` takes it again). Without ``fcntl`` (Windows), or on a file
    system that does not support ``flock``, nothing is locked."""
    folder = os.fspath(folder)
    key = os.path.realpath(folder)
    held = _held.__dict__.setdefault("folders", {})
    if key in held or fcntl is None:
        held[key] = held.get(key, 0) + 1
        try:
            yield
        finally:
            held[key] -= 1
            if not held[key]:
                del held[key]
        return
    os.makedirs(folder, exist_ok=True)
    fd = os.open(os.path.join(folder, LOCK_FILE), os.O_RDWR | os.O_CREAT, 0o666)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            locked = True
        except BlockingIOError:
            raise RunFolderBusy(f"{owner}: another run is writing to '{folder}' (pid {_lock_holder(fd)}); "
                                f"wait for it, or use another --out") from None
        except OSError:               # e.g. ENOLCK, EOPNOTSUPP: a file system without flock
            locked = False
        if locked:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
            remove_stale_temp_files(folder)
        held[key] = 1
        try:
            yield
        finally:
            del held[key]
            if locked:
                with contextlib.suppress(OSError):
                    os.ftruncate(fd, 0)   # no pid of a finished run is left in the file
    finally:
        os.close(fd)                  # closing the file releases the lock


#: a temporary file of ``atomic_write`` (``.<name>.<writer tag><token>.tmp``); group 1: the tag
_ANY_TEMP_FILE = re.compile(r"\..+\.([0-9a-f]{24,})\.tmp")


def remove_stale_temp_files(folder) -> list:
    """Delete the temporary files that killed writers left in a run folder and its checkpoint folder
    (a save cut short by SIGKILL or a power loss can't remove its own), and return their paths.

    Called by ``lock_run_folder`` once it holds the lock: no other run can be writing there, so a
    temporary file of a writer on this host that no longer runs is deleted at once (``save_checkpoint``
    alone, without the lock, waits an hour before it trusts that). Files of a live process, of another
    host, or without a writer in the name are kept."""
    removed = []
    for directory in (folder, os.path.join(folder, CHECKPOINT_SUBDIR)):
        try:
            names = os.listdir(directory)
        except OSError:
            continue
        for name in names:
            match = _ANY_TEMP_FILE.fullmatch(name)
            if match and _writer_gone(match.group(1)):
                path = os.path.join(directory, name)
                _remove(path)
                removed.append(path)
    return removed


def _writer_gone(tag: str) -> bool:
    """Whether the writer named by a temporary file's ``tag`` (``serialization._writer_tag()`` first) was a
    process of this host that no longer exists."""
    if os.name != "posix" or tag[:8] != _writer_tag()[:8]:
        return False
    pid = int(tag[8:16], 16)
    if pid in (0, os.getpid()):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:                   # it exists, as another user's process
        return False
    return False


def _lock_holder(fd) -> str:
    """The pid the holder wrote into the lock file ("unknown" if it has not written it yet)."""
    for _ in range(20):               # the holder writes its pid just after taking the lock
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
        if text.isdigit():
            return text
        time.sleep(0.01)
    return "unknown"
