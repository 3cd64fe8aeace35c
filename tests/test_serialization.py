"""save/load: .npz without pickle, atomic writes, bit-exact round trips, and loading into a
module through load_state_dict (which checks everything before changing anything)."""
import collections
import errno
import os
import re
import stat
import struct
import sys
import tempfile
import time
import tracemalloc
import zipfile
import zlib

import hypothesis.extra.numpy as hnp
import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import given, settings

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


# --- names: every accepted name round-trips exactly; the others are refused ---------------------
def test_names_that_collide_in_the_archive_are_refused(tmp_path):
    # np.savez stores 'w' as the member 'w.npy', and np.load reads that member for the name 'w.npy' too:
    # the file loaded back as two arrays of zeros.
    with pytest.raises(ValueError) as error:
        tg.save({"w.npy": np.ones(3), "w": np.zeros(3)}, tmp_path / "m.npz")
    message = str(error.value)
    assert message.startswith("save: ") and "'w' and 'w.npy'" in message and "Fix: rename" in message
    assert os.listdir(tmp_path) == []                            # refused before writing anything


def test_a_name_ending_in_npy_alone_round_trips(tmp_path):
    state = collections.OrderedDict([("w.npy", np.ones(3)), ("v", np.zeros(2)), ("x.npy.npy", np.arange(2))])
    loaded = tg.load(_saved(tmp_path, state))
    assert list(loaded) == list(state)
    for name in state:
        assert loaded[name].tobytes() == state[name].tobytes()


@pytest.mark.parametrize("name,fragment", [
    ("", "the empty name"), ("cells/0", "path separator"), ("..\\evil", "path separator"),
    ("a\x00b", "NUL"), ("\ud800", "not valid Unicode"), ("x" * 70000, "at most"),
    ("allow_pickle", "np.savez's own arguments"),
], ids=["empty", "slash", "backslash", "NUL", "surrogate", "too long", "reserved"])
def test_names_that_cant_be_stored_exactly_are_refused(tmp_path, name, fragment):
    with pytest.raises(ValueError) as error:
        tg.save({"ok": np.ones(1), name: np.ones(1)}, tmp_path / "m.npz")
    message = str(error.value)
    assert message.startswith("save: ") and fragment in message and "Fix:" in message
    assert (repr(name) in message) or (repr(name[:20]) in message)
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("name", [3, b"w", ("a", 1), None])
def test_names_that_are_not_str_are_refused(tmp_path, name):
    with pytest.raises(TypeError, match=r"save: every name in the state dict must be a str, got .*Fix: use str"):
        tg.save({name: np.ones(1)}, tmp_path / "m.npz")


_TRICKY_NAMES = ["", "w", "w.npy", "w.npy.npy", ".npy", "a/b", "/abs", "a\\b", "..", ".", "nul\x00", "\ud800",
                 "file", "allow_pickle", "arr_0", "é", "名前", "tab\there", "new\nline", "😀", " ", "CON", "\x7f"]
_names = st.one_of(st.sampled_from(_TRICKY_NAMES), st.text(max_size=6),
                   st.text(max_size=3).map(lambda s: s + ".npy"), st.integers(-2, 2), st.binary(max_size=3))
_DTYPES = ["<f4", "<f8", ">f8", "<i8", "|i1", "<u2", "|b1", "<c16", "<f2"]
_arrays = st.sampled_from(_DTYPES).flatmap(
    lambda d: hnp.arrays(np.dtype(d), hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3)))


@given(st.lists(st.tuples(_names, _arrays), max_size=5))
@settings(max_examples=80)
def test_every_accepted_name_round_trips_exactly(items):
    state = collections.OrderedDict(items)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "state.npz")
        try:
            tg.save(state, path)
        except (ValueError, TypeError) as error:
            message = str(error)
            assert message.startswith("save: ") and "Fix" in message
            assert not os.path.exists(path)
            return
        loaded = tg.load(path)
        with np.load(path, allow_pickle=False) as npz:          # NumPy itself reads the same names and arrays
            assert list(npz.files) == list(state)
            by_numpy = {name: npz[name] for name in npz.files}
    assert list(loaded) == list(state)
    for name, array in state.items():
        for got in (loaded[name], by_numpy[name]):
            assert got.dtype == array.dtype and got.shape == array.shape, name
            assert got.tobytes() == array.tobytes(), name


# --- loading files from anywhere: sizes are checked before anything is allocated ----------------
def _npy_header(descr="<f8", shape=(3,), fortran_order=False, version=(1, 0), text=None) -> bytes:
    """The bytes of a .npy header, as np.save writes them (or ``text`` instead of the dict)."""
    if text is None:
        text = f"{{'descr': {descr!r}, 'fortran_order': {fortran_order}, 'shape': {shape!r}, }}"
    body = text.encode("latin1")
    size_format = "<H" if version == (1, 0) else "<I"
    start = len(b"\x93NUMPY") + 2 + struct.calcsize(size_format)
    padding = -(start + len(body) + 1) % 64
    body += b" " * padding + b"\n"
    return b"\x93NUMPY" + bytes(version) + struct.pack(size_format, len(body)) + body


def _hand_made(path, members, compression=zipfile.ZIP_STORED):
    """An .npz with the members (name, bytes) exactly as given."""
    with zipfile.ZipFile(path, "w", compression) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return path


def _peak_memory(call):
    """(the exception ``call`` raised, the peak of Python allocations while it ran, seconds)."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        call()
    except Exception as error:                 # noqa: BLE001 - handed back to the test
        raised = error
    else:
        raised = None
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return raised, peak, seconds


def test_a_tiny_file_declaring_a_huge_array_is_refused_fast_without_allocating(tmp_path):
    path = _hand_made(tmp_path / "huge.npz", [("w.npy", _npy_header("<f8", (10**12,)))])
    assert os.path.getsize(path) < 400                          # ~300 bytes; np.load: MemoryError "7.28 TiB"
    error, peak, seconds = _peak_memory(lambda: tg.load(path))
    assert isinstance(error, ValueError), repr(error)
    message = str(error)
    for part in ("load: entry 'w'", "huge.npz", "(1000000000000,)", "float64", "8000000000000 bytes", "7.28 TiB",
                 f"max_bytes={tg.serialization.DEFAULT_MAX_BYTES}", "1 GiB", "before allocating",
                 "Fix:", "load(path, max_bytes=8000000000000)", "max_bytes=None"):
        assert part in message, part
    assert peak < 50 * 2**20 and seconds < 5
    # No limit: still refused before reading, since the zip member is far smaller than declared.
    error, peak, _ = _peak_memory(lambda: tg.load(path, max_bytes=None))
    assert isinstance(error, ValueError) and "inconsistent" in str(error) and "before reading" in str(error)
    assert peak < 50 * 2**20


def test_the_limit_counts_all_entries_together(tmp_path):
    path = _saved(tmp_path, {"a": np.zeros(100_000), "b": np.zeros(100_000)})     # 800 kB each
    with pytest.raises(ValueError) as error:
        tg.load(path, max_bytes=1_000_000)
    message = str(error.value)
    assert "entry 'b'" in message and "1600000 bytes" in message and "in all" in message
    assert "max_bytes=1000000" in message and "load(path, max_bytes=1600000)" in message
    assert list(tg.load(path, max_bytes=1_600_000)) == ["a", "b"]


def test_max_bytes_raises_the_limit_and_then_the_file_loads(tmp_path):
    path = tmp_path / "big.npz"
    array = np.zeros(2**19)                                        # 4 MiB
    array[::997] = np.arange(len(array[::997]))
    np.savez_compressed(path, big=array)
    with pytest.raises(ValueError, match=r"entry 'big' .*4194304 bytes \(4 MiB\), more than the limit of "
                                         r"max_bytes=1048576 bytes \(1 MiB\).*load\(path, max_bytes=4194304\)"):
        tg.load(path, max_bytes=2**20)
    for limit in (2**22, None):
        loaded = tg.load(path, max_bytes=limit)
        assert loaded["big"].tobytes() == array.tobytes()


def test_a_declared_400_mib_array_is_refused_under_a_smaller_limit(tmp_path):
    header = _npy_header("<f4", (100, 1024, 1024))                 # 400 MiB declared
    path = tmp_path / "large.npz"
    with zipfile.ZipFile(path, "w") as archive:                     # the zip directory agrees with the header
        with archive.open("x.npy", "w", force_zip64=True) as f:
            f.write(header)
    _patch_member_sizes(path, len(header) + 400 * 2**20)
    error, peak, _ = _peak_memory(lambda: tg.load(path, max_bytes=100 * 2**20))
    assert isinstance(error, ValueError) and "entry 'x'" in str(error) and "400 MiB" in str(error)
    assert "max_bytes=104857600" in str(error) and peak < 50 * 2**20
    # Under the default limit the header passes, and the missing data is found while reading, in chunks.
    error, peak, _ = _peak_memory(lambda: tg.load(path))
    assert isinstance(error, ValueError) and "entry 'x'" in str(error) and "damaged" in str(error)


def _patch_member_sizes(path, file_size, crc=None):
    """Make the zip directory (and the local header) of the one member of ``path`` claim
    ``file_size`` uncompressed bytes (and the CRC ``crc``): a lying archive."""
    data = bytearray(path.read_bytes())
    local, central = data.index(b"PK\x03\x04"), data.index(b"PK\x01\x02")
    for offset, crc_at, size_at in ((local, 14, 22), (central, 16, 24)):
        if crc is not None:
            struct.pack_into("<I", data, offset + crc_at, crc)
        if struct.unpack_from("<I", data, offset + size_at)[0] == 0xFFFFFFFF:     # zip64: the size is in the extra
            extra_at = data.index(b"\x01\x00", offset + (30 if offset == local else 46))
            struct.pack_into("<Q", data, extra_at + 4, file_size)
        else:
            struct.pack_into("<I", data, offset + size_at, file_size)
    path.write_bytes(bytes(data))


@pytest.fixture(scope="module")
def deflate_bomb(tmp_path_factory):
    """A 1 KiB array's .npy header followed by 100 MB of zeros, deflated to ~100 KB."""
    header = _npy_header("<f8", (128,))
    path = tmp_path_factory.mktemp("bomb") / "bomb.npz"
    zeros = bytes(2**20)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("w.npy", "w") as f:
            f.write(header)
            for _ in range(100):
                f.write(zeros)
    assert os.path.getsize(path) < 2**20
    return path, header


def test_a_deflate_bomb_is_refused_from_the_zip_directory(deflate_bomb):
    path, _ = deflate_bomb                       # the directory honestly says 100 MB; the header says 1 KiB
    error, peak, _ = _peak_memory(lambda: tg.load(path))
    assert isinstance(error, ValueError), repr(error)
    assert "entry 'w'" in str(error) and "inconsistent" in str(error) and "(128,)" in str(error)
    assert peak < 50 * 2**20


def test_a_deflate_bomb_with_a_lying_zip_directory_is_refused_while_reading(deflate_bomb, tmp_path):
    source, header = deflate_bomb
    path = tmp_path / "liar.npz"
    path.write_bytes(source.read_bytes())
    declared = header + bytes(1024)            # what the header and the patched directory claim, CRC included
    _patch_member_sizes(path, len(declared), crc=zlib.crc32(declared))
    error, peak, seconds = _peak_memory(lambda: tg.load(path))
    assert isinstance(error, ValueError), repr(error)
    assert "entry 'w'" in str(error) and "more data than its .npy header declares" in str(error)
    assert peak < 50 * 2**20 and seconds < 5


@pytest.mark.parametrize("header,fragment", [
    (_npy_header("<f8", (3, -2)), "negative size"),
    (_npy_header("<f8", (2**40, 2**40)), "more than NumPy can address"),
    (_npy_header("<f8", (3.0,)), "shape should be a tuple of ints"),
    (_npy_header("<f8", [3]), "shape should be a tuple of ints"),
    (_npy_header("<f8", (True,)), "shape should be a tuple of ints"),
    (_npy_header("<f8", (3,), fortran_order="'no'"), "fortran_order should be True or False"),
    (_npy_header("<q7", (3,)), "dtype '<q7' is not valid"),
    (_npy_header(("<f8", (2,)), (3,)), "sub-array dtype"),
    (_npy_header(text="{'descr': '<f8', 'shape': (3,)}"), "with the keys 'descr', 'fortran_order' and 'shape'"),
    (_npy_header(text="{'descr': '<f8', 'fortran_order': False, 'shape': (3,), 'x': 1}"), "with the keys"),
    (_npy_header(text="__import__('os').system('echo hi')"), "not readable"),
    (_npy_header(text="(" * 500 + ")" * 500), "not readable"),
    (_npy_header(version=(9, 0)), "unknown .npy format version 9.0"),
    (b"\x93NUMPY\x02\x00" + struct.pack("<I", 2**31) + b"{", "claims to be 2147483648 bytes long"),
    (b"\x93NUMPY\x01\x00" + struct.pack("<H", 200) + b"{'descr'", "cut short"),
])
def test_a_bad_npy_header_is_refused(tmp_path, header, fragment):
    path = _hand_made(tmp_path / "bad.npz", [("ok.npy", _npy_header("<f8", (1,)) + bytes(8)), ("w.npy", header)])
    with pytest.raises(ValueError) as error:
        tg.load(path, max_bytes=None)
    message = str(error.value)
    assert message.startswith("load: entry 'w' of ") and fragment in message and "Fix:" in message


def test_object_dtypes_in_a_header_are_refused_without_unpickling(tmp_path):
    path = _hand_made(tmp_path / "objects.npz", [("w.npy", _npy_header("|O", (1,)) + b"cos\nsystem\n.")])
    with pytest.raises(ValueError, match="load: entry 'w' .* Python objects.*refused"):
        tg.load(path)


def test_other_archive_tricks_are_refused(tmp_path):
    good = _npy_header("<f8", (1,)) + bytes(8)
    with pytest.warns(UserWarning, match="Duplicate name"):
        path = _hand_made(tmp_path / "twice.npz", [("w.npy", good), ("w.npy", good)])
    with pytest.raises(ValueError, match="holds two members named 'w.npy'"):
        tg.load(path)
    path = _hand_made(tmp_path / "short.npz", [("w.npy", good[:-3])])
    with pytest.raises(ValueError, match="entry 'w' .* is inconsistent"):
        tg.load(path)
    path = _hand_made(tmp_path / "long.npz", [("w.npy", good + b"extra")])
    with pytest.raises(ValueError, match="entry 'w' .* is inconsistent"):
        tg.load(path)
    encrypted = bytearray(_hand_made(tmp_path / "enc.npz", [("w.npy", good)]).read_bytes())
    for signature, flags_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        encrypted[encrypted.index(signature) + flags_at] |= 1
    (tmp_path / "enc.npz").write_bytes(bytes(encrypted))
    with pytest.raises(ValueError, match="entry 'w' .* encrypted"):
        tg.load(tmp_path / "enc.npz")


def test_compressed_and_fortran_and_big_endian_arrays_load_exactly(tmp_path):
    rng = np.random.default_rng(0)
    state = {"f": np.asfortranarray(rng.standard_normal((5, 7))), "b": np.arange(6, dtype=">i4").reshape(2, 3),
             "c": rng.standard_normal(3000).astype(np.float32)}
    path = tmp_path / "c.npz"
    np.savez_compressed(path, **state)
    loaded = tg.load(path)
    assert list(loaded) == list(state)
    for name, array in state.items():
        assert loaded[name].dtype == array.dtype and loaded[name].tobytes() == array.tobytes()
    assert loaded["f"].flags.f_contiguous and loaded["c"].flags.writeable


@pytest.mark.parametrize("compressed", [False, True])
@given(data=st.data())
@settings(max_examples=60)
def test_a_mangled_file_is_a_clear_value_error_or_loads(compressed, data):
    """Any byte flipped, cut or inserted: load returns arrays or raises a ValueError that starts 'load:'."""
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "m.npz")
        (np.savez_compressed if compressed else np.savez)(path, a=np.arange(20.0), b=np.ones((2, 3), np.int8))
        blob = bytearray(open(path, "rb").read())
        for _ in range(data.draw(st.integers(1, 3))):
            at = data.draw(st.integers(0, len(blob) - 1))
            action = data.draw(st.sampled_from(["flip", "cut", "insert"]))
            if action == "flip":
                blob[at] ^= data.draw(st.integers(1, 255))
            elif action == "cut":
                del blob[at:at + data.draw(st.integers(1, 40))]
            else:
                blob[at:at] = data.draw(st.binary(min_size=1, max_size=8))
        with open(path, "wb") as f:
            f.write(bytes(blob))
        try:
            loaded = tg.load(path)
        except ValueError as error:
            assert str(error).startswith("load: ") and "Fix" in str(error)
        else:
            assert all(isinstance(v, np.ndarray) for v in loaded.values())


@pytest.mark.parametrize("value,error,fragment", [
    ("1GB", TypeError, "got '1GB' (str)"), (1e9, TypeError, "max_bytes=1000000000"), (True, TypeError, "got True"),
    (-1, ValueError, "must be >= 0, got -1"),
])
def test_max_bytes_must_be_a_count_of_bytes(tmp_path, value, error, fragment):
    path = _saved(tmp_path, {"a": np.ones(2)})
    with pytest.raises(error) as info:
        tg.load(path, max_bytes=value)
    assert str(info.value).startswith("load: max_bytes must") and fragment in str(info.value)
    assert list(tg.load(path, max_bytes=np.int64(16))) == ["a"]      # exactly the array's 16 bytes


# --- a full disk or a read-only folder: the path, the reason, a fix; the old file stays ---------
def test_a_full_disk_names_the_path_and_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "model.npz"
    tg.save({"old": np.arange(4.0)}, path)
    old_bytes = path.read_bytes()
    real_savez = np.savez

    def savez_on_a_full_disk(file, *args, **kwds):
        file.write(b"PK\x03\x04 some bytes got out")               # half of the file was written...
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))    # ...then the disk was full

    monkeypatch.setattr(np, "savez", savez_on_a_full_disk)
    with pytest.raises(OSError) as error:
        tg.save({"new": np.ones((100, 100))}, path)
    message = str(error.value)
    assert error.value.errno == errno.ENOSPC
    assert message.startswith(f"[Errno {errno.ENOSPC}] save: could not write '{path}': {os.strerror(errno.ENOSPC)}. ")
    assert "Fix: free disk space" in message and "is unchanged" in message
    assert path.read_bytes() == old_bytes and os.listdir(tmp_path) == ["model.npz"]
    monkeypatch.setattr(np, "savez", real_savez)
    assert list(tg.load(path)) == ["old"]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_a_folder_without_write_permission_is_named_with_a_fix(tmp_path, monkeypatch):
    folder = tmp_path / "locked"
    folder.mkdir()
    path = folder / "model.npz"
    tg.save({"old": np.arange(3.0)}, path)
    old_bytes = path.read_bytes()
    if os.geteuid() == 0:                        # root writes anyway: simulate what a user would get
        real_open = os.open

        def open_denied(name, *args, **kwds):
            if str(name).endswith(".tmp"):
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), name)
            return real_open(name, *args, **kwds)

        monkeypatch.setattr(serialization.os, "open", open_denied)
    else:
        folder.chmod(0o555)
    try:
        with pytest.raises(PermissionError) as error:
            tg.save({"new": np.ones(2)}, path)
    finally:
        folder.chmod(0o755)
    message = str(error.value)
    assert message.startswith(f"[Errno {errno.EACCES}] save: could not write '{path}': {os.strerror(errno.EACCES)}")
    assert f"no permission to write in '{folder}'" in message and "Fix:" in message and "chmod u+w" in message
    assert path.read_bytes() == old_bytes and os.listdir(folder) == ["model.npz"]


def test_an_error_without_errno_still_names_the_path(tmp_path, monkeypatch):
    monkeypatch.setattr(serialization.os, "fsync", lambda fd: (_ for _ in ()).throw(OSError("device gone")))
    with pytest.raises(OSError, match=r"^save: could not write '.*m.npz': device gone. Fix: check that"):
        tg.save({"a": np.ones(1)}, tmp_path / "m.npz")
    assert os.listdir(tmp_path) == []


# --- temporary files: one per writer, never another's -----------------------------------------
def test_temporary_names_carry_the_writer_and_a_random_token(tmp_path):
    seen = []
    serialization.atomic_write(tmp_path / "x.bin", lambda f: seen.extend(os.listdir(tmp_path)))
    tag = serialization._writer_tag()
    assert len(tag) == 16 and int(tag[8:], 16) == os.getpid()
    assert len(seen) == 1 and re.fullmatch(rf"\.x\.bin\.{tag}[0-9a-f]{{12}}\.tmp", seen[0])
    assert os.listdir(tmp_path) == ["x.bin"]


def test_two_writers_of_one_file_dont_touch_each_others_temporary_files(tmp_path):
    path = tmp_path / "shared.npz"

    def outer(f):                                # another writer saves the same file while this one writes
        tg.save({"inner": np.zeros(2)}, path)
        np.savez(f, outer=np.ones(2))

    serialization.atomic_write(path, outer, "save")
    assert list(tg.load(path)) == ["outer"] and os.listdir(tmp_path) == ["shared.npz"]
