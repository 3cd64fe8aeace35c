"""Training checkpoints (train/checkpoint.py) and the optimizers' state_dict / load_state_dict:
PyTorch's layout, exact round trips, crash-safe saves, and loads that refuse bad files while
leaving the model, the optimizer and the random generator exactly as they were."""
import errno
import json
import os
import subprocess
import sys
import threading
import time
import zipfile

import numpy as np
import pytest

from tinygrad_rnn import optim, serialization
from tinygrad_rnn.nn import Parameter
from tinygrad_rnn.train import SequenceModel
from tinygrad_rnn.train import checkpoint as ckpt
from tinygrad_rnn.train.checkpoint import load_checkpoint, save_checkpoint


def _model(seed=0, hidden=3, dtype=None):
    return SequenceModel("gru", 2, hidden, 1, dtype=dtype, generator=np.random.default_rng(seed))


def _step(model, optimizer, rng, steps=2):
    """``steps`` optimizer steps with random gradients (drawn from ``rng``)."""
    for _ in range(steps):
        for p in model.parameters():
            p.grad = rng.standard_normal(p.shape).astype(p.dtype)
        optimizer.step()
        optimizer.zero_grad()


def _trained(seed=0, make=lambda ps: optim.Adam(ps, lr=0.01), steps=2):
    model = _model(seed)
    optimizer = make(list(model.parameters()))
    rng = np.random.default_rng(seed + 100)
    _step(model, optimizer, rng, steps)
    return model, optimizer, rng


def _save(directory, model, optimizer, rng, iteration=5):
    save_checkpoint(directory, model, optimizer, iteration=iteration, config={"hidden": 3},
                    rngs={"train": rng}, extra={"note": "x"})


def _snapshot(model, optimizer, rng):
    """Everything restore could change, as plain values to compare with ==."""
    params = {name: p.data.tobytes() for name, p in model.named_parameters()}
    state = {p.name: {k: v.tobytes() if isinstance(v, np.ndarray) else v for k, v in s.items()}
             for p, s in optimizer.state.items()}
    groups = [{k: v for k, v in g.items() if k != "params"} for g in optimizer.param_groups]
    return params, state, groups, json.dumps(rng.bit_generator.state)


def _files(directory):
    return {name: (directory / name).read_bytes() for name in sorted(os.listdir(directory))}


# --- the optimizers' state_dict: PyTorch's layout and numbers --------------------------------
@pytest.fixture
def torch():
    return pytest.importorskip("torch", reason="PyTorch parity tests need the torch extra: pip install -e '.[torch]'")


@pytest.mark.parametrize("name,kwargs", [("SGD", dict(lr=0.1, momentum=0.9)), ("Adagrad", dict(lr=0.1)),
                                         ("Adam", dict(lr=0.1)), ("Adam", dict(lr=0.1, amsgrad=True))])
def test_state_dict_has_torchs_layout_and_values(torch, name, kwargs):
    rng = np.random.default_rng(0)
    shapes = [(3, 2), (3,)]
    start = [rng.standard_normal(s) for s in shapes]
    ours = [Parameter(x.copy()) for x in start]
    theirs = [torch.tensor(x.copy(), requires_grad=True) for x in start]
    our_opt, their_opt = getattr(optim, name)(ours, **kwargs), getattr(torch.optim, name)(theirs, **kwargs)
    for _ in range(3):
        grads = [rng.standard_normal(s) for s in shapes]
        for p, t, g in zip(ours, theirs, grads):
            p.grad, t.grad = g.copy(), torch.tensor(g)
        our_opt.step()
        their_opt.step()
    our_sd, their_sd = our_opt.state_dict(), their_opt.state_dict()
    assert set(our_sd) == {"state", "param_groups"}
    assert [g["params"] for g in our_sd["param_groups"]] == [g["params"] for g in their_sd["param_groups"]]
    for key, value in our_sd["param_groups"][0].items():               # ours is a subset of torch's options
        assert their_sd["param_groups"][0][key] == value, key
    assert set(our_sd["state"]) == set(their_sd["state"]) == {0, 1}
    for index, entries in their_sd["state"].items():
        assert set(our_sd["state"][index]) == set(entries)
        for key, value in entries.items():
            np.testing.assert_allclose(our_sd["state"][index][key], value.numpy(), rtol=1e-12)


@pytest.mark.parametrize("make", [lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True),
                                  lambda ps: optim.Adagrad(ps, lr=0.1, lr_decay=0.01),
                                  lambda ps: optim.Adam(ps, lr=0.01, amsgrad=True)])
def test_load_state_dict_continues_exactly(make):
    model, optimizer, _ = _trained(make=make)
    saved_params = model.state_dict()
    saved_state = optimizer.state_dict()
    copy = _model(seed=9)
    copy.load_state_dict(saved_params)
    copy_optimizer = make(list(copy.parameters()))
    copy_optimizer.load_state_dict(saved_state)
    saved_state["param_groups"][0]["lr"] = 123.0                        # the optimizer holds its own copies
    for entries in saved_state["state"].values():
        for value in entries.values():
            if isinstance(value, np.ndarray):
                value.fill(7.0)
    _step(model, optimizer, np.random.default_rng(5), steps=3)
    _step(copy, copy_optimizer, np.random.default_rng(5), steps=3)
    for (name, p), (_, q) in zip(model.named_parameters(), copy.named_parameters()):
        assert np.array_equal(p.data, q.data), name


def test_state_dict_is_a_copy():
    model, optimizer, _ = _trained()
    state = optimizer.state_dict()
    _step(model, optimizer, np.random.default_rng(1))
    assert state["state"][0]["step"] == 2
    assert not np.array_equal(state["state"][0]["exp_avg"], optimizer.state_dict()["state"][0]["exp_avg"])


def _break_shape(sd):
    sd["state"][0]["exp_avg"] = sd["state"][0]["exp_avg"][:1]


def _break_dtype(sd):
    sd["state"][1]["exp_avg_sq"] = sd["state"][1]["exp_avg_sq"].astype(np.float64)


def _break_entry_names(sd):
    sd["state"][2]["momentum_buffer"] = sd["state"][2].pop("exp_avg")


def _break_step(sd):
    sd["state"][0]["step"] = -1


def _break_lr(sd):
    sd["param_groups"][0]["lr"] = -0.5


def _break_group_size(sd):
    sd["param_groups"][0]["params"].pop()


def _break_hyperparameter_names(sd):
    sd["param_groups"][0]["momentum"] = 0.9


@pytest.mark.parametrize("corrupt,match", [
    (_break_shape, r"state of parameter 0 .*'exp_avg' has shape \(1, 2\)"),
    (_break_dtype, "'exp_avg_sq' has shape .* dtype float64, the parameter .* float32"),
    (_break_entry_names, r"state of parameter 2 .*saved entries are \['exp_avg_sq', 'momentum_buffer', 'step'\]"),
    (_break_step, "'step' must be a count"),
    (_break_lr, "invalid lr=-0.5"),
    (_break_group_size, "the saved group has 5 parameters, this optimizer's has 6"),
    (_break_hyperparameter_names, "saved by another optimizer"),
])
def test_load_state_dict_refuses_and_changes_nothing(corrupt, match):
    model, optimizer, rng = _trained()
    before = _snapshot(model, optimizer, rng)
    good = _trained(seed=3)[1].state_dict()
    corrupt(good)
    with pytest.raises(ValueError, match=match):
        optimizer.load_state_dict(good)
    assert _snapshot(model, optimizer, rng) == before


def test_load_state_dict_of_another_optimizer_or_no_state_dict():
    model, optimizer, rng = _trained()
    before = _snapshot(model, optimizer, rng)
    sgd = _trained(make=lambda ps: optim.SGD(ps, lr=0.1, momentum=0.5))[1].state_dict()
    with pytest.raises(ValueError, match=r"(?s)Adam.load_state_dict: nothing was loaded.*saved by another optimizer"):
        optimizer.load_state_dict(sgd)
    with pytest.raises(ValueError, match="expected a dict with the keys 'state' and 'param_groups'"):
        optimizer.load_state_dict(model.state_dict())
    assert _snapshot(model, optimizer, rng) == before


# --- save and load a checkpoint ---------------------------------------------------------------
def test_round_trip_restores_everything_exactly(tmp_path):
    model, optimizer, rng = _trained()
    _save(tmp_path / "ck", model, optimizer, rng, iteration=17)
    expected = _snapshot(model, optimizer, rng)
    names = sorted(os.listdir(tmp_path / "ck"))
    assert names[0] == "checkpoint.json" and names[1].startswith("model-000017-")
    assert names[2].startswith("optimizer-000017-") and len(names) == 3
    with zipfile.ZipFile(tmp_path / "ck" / names[2]) as archive:       # arrays flattened by name
        assert "optimizer.state.0.exp_avg.npy" in archive.namelist()

    other, other_optimizer, other_rng = _trained(seed=4, steps=1)
    checkpoint = load_checkpoint(tmp_path / "ck")
    assert (checkpoint.iteration, checkpoint.config, checkpoint.extra) == (17, {"hidden": 3}, {"note": "x"})
    checkpoint.restore(other, other_optimizer, {"train": other_rng})
    assert _snapshot(other, other_optimizer, other_rng) == expected
    assert other_rng.random() == rng.random()                           # the generator goes on identically


def test_a_run_folder_is_accepted(tmp_path):
    model, optimizer, rng = _trained()
    _save(tmp_path / "run" / ckpt.CHECKPOINT_SUBDIR, model, optimizer, rng)
    assert load_checkpoint(tmp_path / "run").directory == str(tmp_path / "run" / ckpt.CHECKPOINT_SUBDIR)
    with pytest.raises(FileNotFoundError, match="there is no checkpoint in .*empty"):
        load_checkpoint((tmp_path / "empty").mkdir() or tmp_path / "empty")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_checkpoint(tmp_path / "nowhere")


def test_a_new_save_replaces_the_old_files(tmp_path):
    model, optimizer, rng = _trained()
    for iteration in (1, 2, 3):
        _step(model, optimizer, rng, steps=1)
        _save(tmp_path, model, optimizer, rng, iteration=iteration)
    names = sorted(os.listdir(tmp_path))
    assert len(names) == 3 and all("000003" in n for n in names[1:])
    assert load_checkpoint(tmp_path).iteration == 3


# --- a crash during a save leaves the previous checkpoint as it was -------------------------------
@pytest.mark.parametrize("failing_write", [0, 1, 2])                  # model .npz, optimizer .npz, the JSON
@pytest.mark.parametrize("exception", [OSError("disk full"), KeyboardInterrupt()])
def test_a_crash_while_saving_keeps_the_previous_checkpoint(tmp_path, monkeypatch, failing_write, exception):
    model, optimizer, rng = _trained()
    _save(tmp_path, model, optimizer, rng, iteration=1)
    before_files, before_state = _files(tmp_path), _snapshot(model, optimizer, rng)
    _step(model, optimizer, rng)
    real_atomic_write, calls = serialization.atomic_write, []

    def dies_half_way(path, write, who="atomic_write"):
        calls.append(path)
        if len(calls) - 1 != failing_write:
            return real_atomic_write(path, write, who)

        def half(f):
            write(f)
            f.truncate(f.tell() // 2)                 # the temporary file holds half of the bytes...
            raise exception                           # ...when the process "dies"
        return real_atomic_write(path, half, who)

    monkeypatch.setattr(serialization, "atomic_write", dies_half_way)
    monkeypatch.setattr(ckpt, "atomic_write", dies_half_way)
    with pytest.raises(type(exception)):
        _save(tmp_path, model, optimizer, rng, iteration=2)
    monkeypatch.undo()
    written = ("model-", "optimizer-", "checkpoint.json")[failing_write]
    assert len(calls) == failing_write + 1 and os.path.basename(calls[-1]).startswith(written)
    assert _files(tmp_path) == before_files                              # byte for byte, nothing added
    fresh, fresh_optimizer, fresh_rng = _trained(seed=6, steps=1)
    load_checkpoint(tmp_path).restore(fresh, fresh_optimizer, {"train": fresh_rng})
    assert _snapshot(fresh, fresh_optimizer, fresh_rng) == before_state


def test_an_interrupt_just_after_the_json_was_replaced_keeps_the_new_checkpoint(tmp_path, monkeypatch):
    model, optimizer, rng = _trained()
    _save(tmp_path, model, optimizer, rng, iteration=1)
    _step(model, optimizer, rng)
    expected = _snapshot(model, optimizer, rng)
    real_fsync_directory = serialization._fsync_directory

    def interrupted_after_rename(directory):     # runs after os.replace; the JSON is the new one by now
        if json.loads((tmp_path / "checkpoint.json").read_text())["iteration"] == 2:
            raise KeyboardInterrupt
        real_fsync_directory(directory)

    monkeypatch.setattr(serialization, "_fsync_directory", interrupted_after_rename)
    with pytest.raises(KeyboardInterrupt):
        _save(tmp_path, model, optimizer, rng, iteration=2)
    monkeypatch.undo()
    fresh, fresh_optimizer, fresh_rng = _trained(seed=6, steps=1)
    checkpoint = load_checkpoint(tmp_path)
    checkpoint.restore(fresh, fresh_optimizer, {"train": fresh_rng})
    assert checkpoint.iteration == 2 and _snapshot(fresh, fresh_optimizer, fresh_rng) == expected


# --- loading refuses bad files, and nothing changes -------------------------------------------------
def _named(directory, key):
    return directory / json.loads((directory / "checkpoint.json").read_text())[key]


def _truncate(path):
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])


def _edit_json(directory, change):
    document = json.loads((directory / "checkpoint.json").read_text())
    change(document)
    (directory / "checkpoint.json").write_text(json.dumps(document))


def _rewrite_npz(path, change):
    arrays = dict(np.load(path, allow_pickle=False))
    change(arrays)
    with open(path, "wb") as f:
        np.savez(f, **arrays)


def _zip_with_a_text_member(path):
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("readme.txt", "hello")


def _object_array(path):
    arrays = dict(np.load(path, allow_pickle=False))
    arrays["cell.weight_hh"] = np.array([print], dtype=object)
    with open(path, "wb") as f:
        np.savez(f, **arrays)


CORRUPTIONS = {
    "truncated model": (lambda d: _truncate(_named(d, "model")), "is not an .npz archive|damaged"),
    "truncated optimizer": (lambda d: _truncate(_named(d, "optimizer")), "is not an .npz archive|damaged"),
    "random bytes": (lambda d: _named(d, "model").write_bytes(np.random.default_rng(0).bytes(900)),
                     "is not an .npz archive"),
    "non-.npy member": (lambda d: _zip_with_a_text_member(_named(d, "model")), "'readme.txt' that is not a .npy"),
    "object array": (lambda d: _object_array(_named(d, "model")), "Python objects.*pickle"),
    "missing name": (lambda d: _rewrite_npz(_named(d, "model"), lambda a: a.pop("readout.bias")),
                     "missing: 'readout.bias'"),
    "unexpected name": (lambda d: _rewrite_npz(_named(d, "model"), lambda a: a.update(extra=np.ones(1))),
                        "unexpected: 'extra'"),
    "wrong shape": (lambda d: _rewrite_npz(_named(d, "model"),
                                           lambda a: a.update({"cell.bias_hh": np.ones(4, np.float32)})),
                    r"'cell.bias_hh': shape \(4,\) and dtype float32 in the checkpoint, \(9,\) and float32"),
    "wrong dtype": (lambda d: _rewrite_npz(_named(d, "model"),
                                           lambda a: a.update({"readout.weight": a["readout.weight"].astype(int)})),
                    r"'readout.weight': shape \(1, 3\) and dtype int64 in the checkpoint, \(1, 3\) and float32"),
    "optimizer array shape": (lambda d: _rewrite_npz(_named(d, "optimizer"),
                                                     lambda a: a.update({"optimizer.state.3.exp_avg": np.ones(2)})),
                              r"state of parameter 3 .*'exp_avg' has shape \(2,\)"),
    "optimizer name": (lambda d: _rewrite_npz(_named(d, "optimizer"), lambda a: a.update(stray=np.ones(1))),
                       "unexpected entry 'stray'"),
    "truncated json": (lambda d: (d / "checkpoint.json").write_text((d / "checkpoint.json").read_text()[:40]),
                       "checkpoint.json' is damaged .*not valid JSON"),
    "json names a path outside": (lambda d: _edit_json(d, lambda j: j.update(model="../model-000005-aa.npz")),
                                  "'model' must name a model-<iteration>-<tag>.npz file in the same folder"),
    "json names a missing file": (lambda d: _edit_json(d, lambda j: j.update(optimizer="optimizer-000001-ab.npz")),
                                  "the optimizer file 'optimizer-000001-ab.npz' it names is missing"),
    "newer format": (lambda d: _edit_json(d, lambda j: j.update(format_version=99)), "format_version 99"),
    "rng of another kind": (lambda d: _edit_json(d, lambda j: j["rngs"]["train"].update(bit_generator="MT19937")),
                            "random generator 'train' that does not fit a PCG64"),
    "optimizer steps": (lambda d: _edit_json(d, lambda j: j["optimizer_state"]["state"]["0"].update(step=-3)),
                        "'step' must be a count"),
}


@pytest.mark.parametrize("case", list(CORRUPTIONS))
def test_a_bad_checkpoint_is_refused_and_nothing_changes(tmp_path, case):
    source, source_optimizer, source_rng = _trained(seed=1)
    _save(tmp_path, source, source_optimizer, source_rng)
    corrupt, match = CORRUPTIONS[case]
    corrupt(tmp_path)
    model, optimizer, rng = _trained(seed=2, steps=3)
    before = _snapshot(model, optimizer, rng)
    with pytest.raises(ValueError, match=match):
        load_checkpoint(tmp_path).restore(model, optimizer, {"train": rng})
    assert _snapshot(model, optimizer, rng) == before


def test_restore_into_a_model_of_another_size_changes_nothing(tmp_path):
    source, source_optimizer, source_rng = _trained()
    _save(tmp_path, source, source_optimizer, source_rng)
    model = _model(hidden=4)
    optimizer = optim.Adam(list(model.parameters()), lr=0.01)
    rng = np.random.default_rng(8)
    _step(model, optimizer, rng)
    before = _snapshot(model, optimizer, rng)
    with pytest.raises(ValueError, match=r"does not fit this model .*\n  'cell.weight_ih': shape \(9, 2\) and dtype "
                                         r"float32 in the checkpoint, \(12, 2\) and float32 in the model"):
        load_checkpoint(tmp_path).restore(model, optimizer, {"train": rng})
    assert _snapshot(model, optimizer, rng) == before


# --- loading limits, full disks, and two writers in one folder ---------------------------------
def test_load_checkpoint_has_loads_size_limit(tmp_path):
    model, optimizer, rng = _trained()
    _save(tmp_path, model, optimizer, rng)
    with pytest.raises(ValueError) as error:
        load_checkpoint(tmp_path, max_bytes=64)
    message = str(error.value)
    assert "max_bytes=64" in message and "load_checkpoint(path, max_bytes=" in message and "model-" in message
    assert load_checkpoint(tmp_path, max_bytes=None).iteration == 5
    with pytest.raises(TypeError, match="load_checkpoint: max_bytes must be a number of bytes"):
        load_checkpoint(tmp_path, max_bytes="1GB")


def test_a_full_disk_during_a_checkpoint_save_names_the_file_and_keeps_the_old_checkpoint(tmp_path, monkeypatch):
    model, optimizer, rng = _trained()
    _save(tmp_path, model, optimizer, rng, iteration=1)
    before = _files(tmp_path)

    def savez_on_a_full_disk(file, *args, **kwds):
        file.write(b"half")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(np, "savez", savez_on_a_full_disk)
    with pytest.raises(OSError) as error:
        _save(tmp_path, model, optimizer, rng, iteration=2)
    monkeypatch.undo()
    message = str(error.value)
    assert message.startswith(f"[Errno {errno.ENOSPC}] save_checkpoint: could not write '{tmp_path / 'model-000002-'}")
    assert error.value.errno == errno.ENOSPC and "Fix: free disk space" in message
    assert _files(tmp_path) == before and load_checkpoint(tmp_path).iteration == 1


def test_a_folder_that_cant_be_created_is_named(tmp_path, monkeypatch):
    model, optimizer, rng = _trained()

    def denied(path, *args, **kwargs):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), path)

    monkeypatch.setattr(ckpt.os, "makedirs", denied)
    with pytest.raises(PermissionError, match=r"save_checkpoint: could not create the folder '.*run'.*"
                                              r"no permission to write in .*Fix:.*nothing was written"):
        _save(tmp_path / "run", model, optimizer, rng)


def _dead_pid():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _plant(directory, pid, age_seconds=0.0, host=None):
    """A temporary file and an unnamed data file as another process ``pid`` would leave them."""
    host = host or serialization._writer_tag()[:8]
    writer = f"{host}{pid:08x}"
    names = [f".model-000009-{writer}abcd0123.npz.{writer}0123456789ab.tmp", f"optimizer-000009-{writer}abcd0123.npz",
             f".checkpoint.json.{writer}ba9876543210.tmp"]
    for name in names:
        (directory / name).write_bytes(b"being written")
        then = time.time() - age_seconds
        os.utime(directory / name, (then, then))
    return names


def test_a_save_never_deletes_the_files_another_writer_is_still_writing(tmp_path):
    model, optimizer, rng = _trained()
    _save(tmp_path, model, optimizer, rng, iteration=1)
    alive = _plant(tmp_path, os.getppid(), age_seconds=7200)      # a live process: kept however old
    recent = _plant(tmp_path, _dead_pid())                        # gone, but too recent to be sure
    elsewhere = _plant(tmp_path, _dead_pid(), age_seconds=7200, host="0badc0de")   # another host's
    old_style = [".model-000003-0123abcd.npz.0123456789ab.tmp"]  # no writer in the name
    (tmp_path / old_style[0]).write_bytes(b"?")
    _save(tmp_path, model, optimizer, rng, iteration=2)
    left = set(os.listdir(tmp_path))
    assert set(alive + recent + elsewhere + old_style) <= left
    assert load_checkpoint(tmp_path).iteration == 2 and len(left) == 3 + 10


def test_a_save_removes_what_a_killed_writer_left(tmp_path):
    model, optimizer, rng = _trained()
    abandoned = _plant(tmp_path, _dead_pid(), age_seconds=7200)
    _save(tmp_path, model, optimizer, rng, iteration=1)
    assert not set(abandoned) & set(os.listdir(tmp_path)) and len(os.listdir(tmp_path)) == 3


def test_two_writers_saving_into_one_folder_dont_break_each_other(tmp_path):
    errors = []

    def run(seed):
        try:
            model, optimizer, rng = _trained(seed=seed)
            for iteration in range(1, 9):
                _save(tmp_path, model, optimizer, rng, iteration=iteration)
        except BaseException as error:           # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(seed,)) for seed in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert load_checkpoint(tmp_path).iteration == 8            # the last JSON written names complete files
    assert not [name for name in os.listdir(tmp_path) if name.endswith(".tmp")]
