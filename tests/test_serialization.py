"""save/load: .npz without pickle, atomic writes, bit-exact round trips, and loading into a
module through load_state_dict (which checks everything before changing anything)."""
import collections
import os
import stat
import sys
import zipfile

import numpy as np
import pytest

import tinygrad_rnn as tg
from tinygrad_rnn import serialization
from tinygrad_rnn.nn import Module, Parameter


class _Net(Module):
    def __init__(self, seed=0):
        super().__init__()
        rng = np.random.default_rng(seed)
        self.weight = Parameter(rng.standard_normal((3, 4)).astype(np.float32))
        self.bias = Parameter(rng.standard_normal(3).astype(np.float32))
        self.inner = _Inner(rng)


class _Inner(Module):
    def __init__(self, rng):
        super().__init__()
        self.scale = Parameter(rng.standard_normal((2, 2)))   # float64


# --- round trips --------------------------------------------------------------------
def test_round_trip_is_bit_exact_and_keeps_order(tmp_path):
    rng = np.random.default_rng(0)
    special = np.array([np.nan, -0.0, np.inf, -np.inf, 5e-324, np.finfo(np.float64).max])
    state = collections.OrderedDict([
        ("z.last_name_first", rng.standard_normal((2, 3)).astype(np.float32)),
        ("cells.0.weight_hh", rng.standard_normal((4, 4))),
        ("special", special),
        ("scalar", np.array(3.5, dtype=np.float32)),
        ("empty", np.zeros((0, 3))),
        ("steps", np.arange(5, dtype=np.int64)),
        ("fortran", np.asfortranarray(rng.standard_normal((3, 2)))),
    ])
    path = tmp_path / "state.npz"
    assert tg.save(state, path) is None
    loaded = tg.load(path)
    assert isinstance(loaded, collections.OrderedDict)
    assert list(loaded) == list(state)
    for name, array in state.items():
        assert isinstance(loaded[name], np.ndarray)
        assert loaded[name].dtype == array.dtype and loaded[name].shape == array.shape
        assert loaded[name].tobytes() == array.tobytes(), name       # bit for bit (nan, -0.0 included)


def test_tensors_and_str_paths_are_accepted(tmp_path):
    path = str(tmp_path / "t.npz")
    tg.save({"w": tg.tensor(np.array([1.0, 2.0]))}, path)
    np.testing.assert_array_equal(tg.load(path)["w"], [1.0, 2.0])


def test_the_file_is_a_plain_npz_without_pickle(tmp_path):
    path = tmp_path / "plain.npz"
    tg.save({"a": np.ones(3)}, path)
    with zipfile.ZipFile(path) as archive:
        assert archive.namelist() == ["a.npy"]
    with np.load(path, allow_pickle=False) as npz:
        np.testing.assert_array_equal(npz["a"], np.ones(3))


def test_module_round_trip(tmp_path):
    source, target = _Net(seed=1), _Net(seed=2)
    path = tmp_path / "net.npz"
    tg.save(source.state_dict(), path)
    target.load_state_dict(tg.load(path))
    for (name, p), (other_name, q) in zip(source.named_parameters(), target.named_parameters()):
        assert name == other_name
        assert p.data.tobytes() == q.data.tobytes() and p.dtype == q.dtype


def test_saving_overwrites_an_existing_file(tmp_path):
    path = tmp_path / "x.npz"
    tg.save({"a": np.zeros(2)}, path)
    tg.save({"b": np.ones(3)}, path)
    assert list(tg.load(path)) == ["b"]
    assert os.listdir(tmp_path) == ["x.npz"]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_new_file_gets_the_usual_permissions(tmp_path):
    umask = os.umask(0o022)
    try:
        path = tmp_path / "perm.npz"
        tg.save({"a": np.zeros(1)}, path)
    finally:
        os.umask(umask)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644      # not the 0o600 of a private temp file


# --- loading into a module validates everything first ------------------------------------
def test_corrupt_state_dict_changes_nothing_and_lists_every_problem(tmp_path):
    net = _Net(seed=3)
    before = {name: p.data.copy() for name, p in net.named_parameters()}
    arrays = {name: p.data for name, p in net.named_parameters()}
    state = tg.load(_saved(tmp_path, _Net(seed=4).state_dict()))
    state["weight"] = state["weight"][:2]                      # wrong shape (2, 4)
    state["inner.scale"] = state["inner.scale"].astype(np.float32)   # wrong dtype
    del state["bias"]                                          # missing
    state["extra"] = np.zeros(1)                               # unexpected
    with pytest.raises(ValueError) as error:
        net.load_state_dict(state)
    message = str(error.value)
    assert "nothing was loaded" in message
    for part in ("'weight': shape (2, 4)", "'inner.scale': dtype float32", "missing: 'bias'", "unexpected: 'extra'"):
        assert part in message
    for name, p in net.named_parameters():
        assert p.data is arrays[name]
        assert p.data.tobytes() == before[name].tobytes(), name


def test_one_bad_entry_among_good_ones_loads_nothing(tmp_path):
    net = _Net(seed=5)
    before = {name: p.data.copy() for name, p in net.named_parameters()}
    state = tg.load(_saved(tmp_path, _Net(seed=6).state_dict()))
    state["inner.scale"] = np.zeros((3, 3))                   # only this one is wrong
    with pytest.raises(ValueError, match=r"'inner.scale': shape \(3, 3\) in the state dict, \(2, 2\) in the module"):
        net.load_state_dict(state)
    for name, p in net.named_parameters():
        np.testing.assert_array_equal(p.data, before[name])   # including the valid 'weight' and 'bias'


def _saved(tmp_path, state):
    path = tmp_path / "saved.npz"
    tg.save(state, path)
    return path


# --- atomic writes ------------------------------------------------------------------
@pytest.mark.parametrize("exception", [RuntimeError("disk on fire"), KeyboardInterrupt()])
def test_a_failure_while_writing_leaves_the_old_file_and_no_temp_file(tmp_path, monkeypatch, exception):
    path = tmp_path / "model.npz"
    tg.save({"old": np.arange(4.0)}, path)
    old_bytes = path.read_bytes()
    real_savez = np.savez

    def savez_that_fails_halfway(file, *args, **kwds):
        real_savez(file, *args, **kwds)                      # the temp file really gets bytes...
        file.write(b"garbage")
        raise exception                                      # ...then the writer dies

    monkeypatch.setattr(np, "savez", savez_that_fails_halfway)
    with pytest.raises(type(exception)):
        tg.save({"new": np.ones((100, 100))}, path)
    assert path.read_bytes() == old_bytes
    assert os.listdir(tmp_path) == ["model.npz"]
    monkeypatch.undo()
    np.testing.assert_array_equal(tg.load(path)["old"], np.arange(4.0))


def test_a_failure_on_first_save_leaves_nothing(tmp_path, monkeypatch):
    def failing(*args, **kwargs):
        raise OSError("no space left on device")

    monkeypatch.setattr(serialization.os, "replace", failing)
    with pytest.raises(OSError, match="no space left"):
        tg.save({"a": np.ones(2)}, tmp_path / "fresh.npz")
    assert os.listdir(tmp_path) == []


def test_data_reaches_the_disk_before_the_rename(tmp_path, monkeypatch):
    events = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        events.append(("fsync", os.fstat(fd).st_size))
        real_fsync(fd)

    def replace(source, target):
        events.append(("replace", os.path.getsize(source)))
        real_replace(source, target)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    path = tmp_path / "durable.npz"
    tg.save({"a": np.ones(10)}, path)
    size = os.path.getsize(path)
    assert events.index(("fsync", size)) < events.index(("replace", size))   # the full file was synced first


# --- errors -----------------------------------------------------------------------
def test_load_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"load: no file at '.*nope.npz'"):
        tg.load(tmp_path / "nope.npz")


def test_load_something_that_is_not_an_npz(tmp_path):
    text = tmp_path / "notes.npz"
    text.write_text("these are not arrays")
    with pytest.raises(ValueError, match=r"load: '.*notes.npz' is not an .npz archive"):
        tg.load(text)
    npy = tmp_path / "single.npy"
    np.save(npy, np.ones(3))
    with pytest.raises(ValueError, match=r"is not an .npz archive.*single array \(an .npy file\)"):
        tg.load(npy)


def test_load_truncated_archive(tmp_path):
    path = _saved(tmp_path, {"a": np.ones(1000)})
    path.write_bytes(path.read_bytes()[:500])
    with pytest.raises(ValueError, match="load: "):
        tg.load(path)


def test_load_refuses_object_arrays(tmp_path):
    path = tmp_path / "objects.npz"
    np.savez(path, fine=np.ones(2), evil=np.array([{"a": 1}, None], dtype=object))
    with pytest.raises(ValueError, match="load: entry 'evil' .* Python objects.*pickle"):
        tg.load(path)


def test_save_errors(tmp_path):
    with pytest.raises(TypeError, match=r"save: expected a state dict .* got _Net. Fix: save\(model.state_dict\(\)"):
        tg.save(_Net(), tmp_path / "m.npz")
    with pytest.raises(TypeError, match="save: entry 'bad' is an array of Python objects"):
        tg.save({"bad": [{"a": 1}]}, tmp_path / "m.npz")
    with pytest.raises(TypeError, match="save: every name in the state dict must be a str"):
        tg.save({3: np.ones(1)}, tmp_path / "m.npz")
    with pytest.raises(ValueError, match="save: the name 'file' can't be stored"):
        tg.save({"file": np.ones(1)}, tmp_path / "m.npz")
    with pytest.raises(FileNotFoundError, match="save: the directory .*missing.* does not exist"):
        tg.save({"a": np.ones(1)}, tmp_path / "missing" / "m.npz")
    assert os.listdir(tmp_path) == []


# --- damaged and foreign files: always a clear ValueError, never a NumPy traceback --------------
def test_load_truncated_anywhere_is_a_clear_error(tmp_path):
    full = _saved(tmp_path, {"weight": np.arange(600.0).reshape(20, 30), "bias": np.ones(20)}).read_bytes()
    path = tmp_path / "cut.npz"
    for size in (0, 1, 4, 30, len(full) // 3, len(full) // 2, len(full) - 30, len(full) - 1):
        path.write_bytes(full[:size])
        with pytest.raises(ValueError, match=r"load: .*cut.npz.*(not an .npz archive|damaged|truncated)"):
            tg.load(path)


def test_load_random_bytes(tmp_path):
    path = tmp_path / "noise.npz"
    for seed in range(5):
        path.write_bytes(np.random.default_rng(seed).bytes(2000))
        with pytest.raises(ValueError, match="load: .*noise.npz' is not an .npz archive"):
            tg.load(path)


def test_load_a_corrupted_byte_inside_the_archive(tmp_path):
    path = _saved(tmp_path, {"a": np.arange(1000.0)})
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF                               # inside a.npy's data: the zip CRC no longer fits
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="load: entry 'a' of .* is damaged"):
        tg.load(path)


@pytest.mark.parametrize("member,content", [("notes.txt", b"hello"), ("b.npy", b"not a .npy array")])
def test_load_refuses_members_that_are_not_npy_arrays(tmp_path, member, content):
    path = tmp_path / "mixed.npz"
    with zipfile.ZipFile(path, "w") as archive:
        with archive.open("a.npy", "w") as f:
            np.save(f, np.ones(2))
        archive.writestr(member, content)
    name = member.removesuffix(".npy")
    with pytest.raises(ValueError, match=f"load: .*mixed.npz' holds a member '{name}' that is not a .npy array"):
        tg.load(path)


def test_load_refuses_a_single_object_array_that_would_need_pickle(tmp_path):
    path = tmp_path / "pickled.npz"
    np.savez(path, evil=np.array([len], dtype=object))          # a function: unpickling would import and call
    with pytest.raises(ValueError, match="load: entry 'evil' .* Python objects.*refused"):
        tg.load(path)


def test_a_module_is_unchanged_when_the_file_is_refused(tmp_path):
    net = _Net(seed=7)
    before = {name: p.data.copy() for name, p in net.named_parameters()}
    path = _saved(tmp_path, _Net(seed=8).state_dict())
    path.write_bytes(path.read_bytes()[:-40])
    with pytest.raises(ValueError):
        net.load_state_dict(tg.load(path))
    for name, p in net.named_parameters():
        assert p.data.tobytes() == before[name].tobytes(), name
