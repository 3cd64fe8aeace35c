"""``train(config, resume=DIR)`` / ``tinygrad-rnn train --resume DIR``: a run stopped at iteration k
and resumed ends exactly where the uninterrupted run ends (parameters, optimizer state, random
generator, log); and a non-finite loss stops training without touching the last good checkpoint."""
import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest

import tinygrad_rnn as tg
from tinygrad_rnn.cli import main
from tinygrad_rnn.train import SequenceModel, TrainConfig, loop, train
from tinygrad_rnn.train.checkpoint import load_checkpoint

from helpers import metrics_of, without_seconds

CONFIGS = {
    "gru, adam, full BPTT, clip": dict(cell="gru", hidden=4, seq_len=6, batch=3, log_every=3, clip=0.5),
    "lstm, sgd, random truncation": dict(cell="lstm", hidden=3, seq_len=8, batch=2, log_every=2, optim="sgd",
                                         lr=0.1, tbptt=3, random_truncation=True, clip_value=0.5),
    "rnn, adagrad, copy task, tbptt": dict(task="copy", cell="rnn", hidden=4, seq_len=24, batch=2, log_every=4,
                                           optim="adagrad", tbptt=5, seed=7),
}
N = 9
EXPLODES = dict(cell="rnn", optim="sgd", lr=1e4, seq_len=20, hidden=8, batch=2, log_every=2, iters=50)


def _assert_same_state(a, b):
    """Two checkpoints hold exactly the same run state."""
    assert a.iteration == b.iteration and a.rngs == b.rngs
    assert list(a.model_state) == list(b.model_state)
    for name in a.model_state:
        assert np.array_equal(a.model_state[name], b.model_state[name]), name
    assert a.optimizer_state["param_groups"] == b.optimizer_state["param_groups"]
    assert a.optimizer_state["state"].keys() == b.optimizer_state["state"].keys()
    for index, entries in a.optimizer_state["state"].items():
        other = b.optimizer_state["state"][index]
        assert entries.keys() == other.keys()
        for key, value in entries.items():
            assert np.array_equal(value, other[key]), (index, key)
    assert without_seconds(a.extra["history"]) == without_seconds(b.extra["history"])
    assert a.extra["pending"] == b.extra["pending"]


def _assert_same_models(a, b):
    for (name, p), (_, q) in zip(a.named_parameters(), b.named_parameters()):
        assert np.array_equal(p.data, q.data), name


def _stop_after(k):
    calls = []

    def should_stop():
        calls.append(1)
        return len(calls) > k
    return should_stop


# --- in the library -----------------------------------------------------------------------------
@pytest.mark.parametrize("k", [3, 5])                       # on the log grid (for some configs) and off it
@pytest.mark.parametrize("name", list(CONFIGS))
def test_stop_and_resume_equals_the_uninterrupted_run(tmp_path, name, k):
    settings = CONFIGS[name]
    reference = train(TrainConfig(iters=N, out=str(tmp_path / "ref"), **settings))
    first = train(TrainConfig(iters=N, out=str(tmp_path / "run"), **settings), should_stop=_stop_after(k))
    assert first.interrupted and first.iters == k and first.checkpoint_iteration == k
    iterations = []
    resumed = train(TrainConfig(iters=N, **settings), resume=str(tmp_path / "run"),
                    on_iter=lambda i, loss: iterations.append(i))
    assert iterations == list(range(k + 1, N + 1))           # it went on from k, not from the start
    assert resumed.iters == N and not resumed.interrupted and resumed.stopped is None
    _assert_same_models(resumed.model, reference.model)
    assert resumed.value == reference.value
    assert without_seconds(resumed.history) == without_seconds(reference.history)
    assert metrics_of(tmp_path / "run") == metrics_of(tmp_path / "ref")
    _assert_same_state(load_checkpoint(tmp_path / "run"), load_checkpoint(tmp_path / "ref"))


def test_a_finished_run_can_be_extended(tmp_path):
    settings = CONFIGS["gru, adam, full BPTT, clip"]
    reference = train(TrainConfig(iters=N, out=str(tmp_path / "ref"), **settings))
    train(TrainConfig(iters=4, out=str(tmp_path / "run"), **settings))
    resumed = train(TrainConfig(iters=N, **settings), resume=tmp_path / "run")
    _assert_same_models(resumed.model, reference.model)
    assert metrics_of(tmp_path / "run") == metrics_of(tmp_path / "ref")
    _assert_same_state(load_checkpoint(tmp_path / "run"), load_checkpoint(tmp_path / "ref"))


def test_resuming_a_finished_run_again_changes_nothing(tmp_path):
    settings = CONFIGS["gru, adam, full BPTT, clip"]
    done = train(TrainConfig(iters=5, out=str(tmp_path), **settings))
    files = {name: (tmp_path / "checkpoint" / name).read_bytes() for name in os.listdir(tmp_path / "checkpoint")}
    again = train(TrainConfig(iters=5, **settings), resume=tmp_path)
    _assert_same_models(again.model, done.model)
    assert again.iters == 5 and without_seconds(again.history) == without_seconds(done.history)
    assert {name: (tmp_path / "checkpoint" / name).read_bytes() for name in os.listdir(tmp_path / "checkpoint")} \
        == files


def test_resume_refuses_other_settings_naming_both_values(tmp_path):
    settings = CONFIGS["gru, adam, full BPTT, clip"]
    train(TrainConfig(iters=3, out=str(tmp_path), **settings))
    other = {**settings, "cell": "lstm", "hidden": 5}
    with pytest.raises(ValueError, match=r"can't resume from .*cell: checkpoint 'gru', this run 'lstm'; "
                                         r"hidden: checkpoint 4, this run 5\)"):
        train(TrainConfig(iters=6, **other), resume=tmp_path)
    with pytest.raises(ValueError, match="its checkpoint is at iteration 3, past iters=2"):
        train(TrainConfig(iters=2, **settings), resume=tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="there is no checkpoint in .*empty"):
        train(TrainConfig(iters=6, **settings), resume=tmp_path / "empty")


class _InterruptedTask:
    """A task whose ``at``-th training batch raises KeyboardInterrupt half-way through its iteration
    (after the batch was drawn and the model run): a second Ctrl-C at the worst moment."""

    def __init__(self, task, at):
        self.task, self.at, self.batches = task, at, 0

    def __getattr__(self, name):
        return getattr(self.task, name)

    def batch(self, batch_size, rng=None):
        if isinstance(rng, np.random.Generator):
            self.batches += 1
        return self.task.batch(batch_size, rng)

    def step_loss(self, y, batch, t):
        if self.batches == self.at:
            raise KeyboardInterrupt
        return self.task.step_loss(y, batch, t)

    def window_loss(self, outputs, batch, start, stop):      # the loss train computes for a window
        if self.batches == self.at:
            raise KeyboardInterrupt
        return self.task.window_loss(outputs, batch, start, stop)


def test_an_abort_in_the_middle_of_an_iteration_keeps_the_last_checkpoint(tmp_path):
    settings = CONFIGS["gru, adam, full BPTT, clip"]
    reference = train(TrainConfig(iters=N, **settings))
    config = TrainConfig(iters=N, out=str(tmp_path), **settings)
    aborted = train(config, task=_InterruptedTask(loop.build_task(config), at=5))
    assert aborted.interrupted and aborted.stopped == "aborted during iteration 5"
    assert aborted.iters == 4 and aborted.checkpoint_iteration == 3 and load_checkpoint(tmp_path).iteration == 3
    resumed = train(TrainConfig(iters=N, **settings), resume=tmp_path)
    _assert_same_models(resumed.model, reference.model)


# --- non-finite values -------------------------------------------------------------------------------
def test_a_non_finite_loss_stops_training_and_keeps_the_last_good_checkpoint(tmp_path):
    result = train(TrainConfig(out=str(tmp_path / "run"), **EXPLODES))
    found = re.fullmatch(r"non-finite loss \((nan|inf)\) at iteration (\d+)", result.stopped or "")
    assert found, result.stopped
    bad = int(found.group(2))
    last_log = (bad - 1) // EXPLODES["log_every"] * EXPLODES["log_every"]
    assert 0 < last_log < bad < EXPLODES["iters"]
    assert not result.interrupted and result.iters == bad - 1 and result.checkpoint_iteration == last_log
    # the iteration with the bad loss took no step: the model is the one after iteration bad - 1
    _assert_same_models(result.model, train(TrainConfig(**{**EXPLODES, "iters": bad - 1})).model)
    # the checkpoint on disk is the state after iteration last_log, finite, and loads
    good = train(TrainConfig(**{**EXPLODES, "iters": last_log, "out": str(tmp_path / "good")}))
    _assert_same_state(load_checkpoint(tmp_path / "run"), load_checkpoint(tmp_path / "good"))
    assert all(np.isfinite(p.data).all() for p in good.model.parameters())
    assert [r["iter"] for r in metrics_of(tmp_path / "run")] == list(range(2, last_log + 1, 2))
    model = SequenceModel("rnn", 2, 8, 1)
    model.load_state_dict(tg.load(tmp_path / "run" / "model.npz"))


def test_a_non_finite_gradient_norm_stops_before_the_step(monkeypatch):
    settings = CONFIGS["gru, adam, full BPTT, clip"]
    norms = []
    real_gradient_norm = loop.gradient_norm

    def third_norm_is_nan(params):               # full BPTT: one gradient norm per iteration
        norms.append(1)
        return float("nan") if len(norms) == 3 else real_gradient_norm(params)

    monkeypatch.setattr(loop, "gradient_norm", third_norm_is_nan)
    result = train(TrainConfig(iters=N, **{**settings, "clip": None}))
    monkeypatch.undo()
    assert result.stopped == "non-finite gradient norm (nan) at iteration 3" and result.iters == 2
    _assert_same_models(result.model, train(TrainConfig(iters=2, **{**settings, "clip": None})).model)


# --- on the command line ------------------------------------------------------------------------------
def test_cli_non_finite_loss_is_one_clear_line_and_exit_1(tmp_path, capsys):
    argv = ["train", "--cell", "rnn", "--optim", "sgd", "--lr", "1e4", "--seq-len", "20", "--hidden", "8",
            "--batch", "2", "--log-every", "2", "--iters", "50", "--out", str(tmp_path)]
    assert main(argv) == 1
    captured = capsys.readouterr()
    errors = [line for line in captured.err.splitlines() if "error" in line]
    assert len(errors) == 1 and "Traceback" not in captured.err and captured.out == ""
    assert re.fullmatch(r"tinygrad-rnn train: error: training stopped: non-finite loss \((nan|inf)\) at iteration "
                        r"\d+; the checkpoint in .* still holds iteration \d+\. Fix: a smaller --lr.*detect_anomaly.*",
                        errors[0]), errors[0]


def test_cli_resume_takes_the_settings_from_the_checkpoint(tmp_path, capsys):
    options = ["--cell", "gru", "--hidden", "4", "--seq-len", "6", "--batch", "3", "--log-every", "3", "--clip", "0.5"]
    assert main(["train", *options, "--iters", "4", "--out", str(tmp_path), "--json"]) == 0
    assert main(["train", "--resume", str(tmp_path), "--iters", str(N), "--json"]) == 0   # nothing repeated
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["iters"] == N
    reference = train(TrainConfig(iters=N, **CONFIGS["gru, adam, full BPTT, clip"]))
    saved = tg.load(tmp_path / "model.npz")
    for name, p in reference.model.named_parameters():
        assert np.array_equal(saved[name], p.data), name
    with pytest.raises(SystemExit) as error:
        main(["train", "--resume", str(tmp_path), "--hidden", "5", "--iters", "20"])
    assert error.value.code == 2 and "hidden: checkpoint 4, this run 5" in str(error.value)


def test_cli_sigint_then_resume_equals_the_uninterrupted_run(tmp_path, interrupt_training):
    """A real Ctrl-C (SIGINT) at some iteration k of `tinygrad-rnn train`, then `--resume`."""
    options = ["--cell", "gru", "--hidden", "4", "--seq-len", "6", "--batch", "3", "--log-every", "4", "--seed", "3"]
    run = tmp_path / "run"
    returncode, stdout, stderr = interrupt_training([*options, "--json", "--iters", "1000000"], run)
    assert returncode == 130, stderr
    k = json.loads(stdout)["iters"]
    assert k >= 4 and load_checkpoint(run).iteration == k
    resumed = subprocess.run([sys.executable, "-m", "tinygrad_rnn", "train", "--resume", str(run), "--iters",
                              str(k + 5), "--json"], capture_output=True, text=True, timeout=60)
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout)["iters"] == k + 5
    settings = dict(cell="gru", hidden=4, seq_len=6, batch=3, log_every=4, seed=3)
    train(TrainConfig(iters=k + 5, out=str(tmp_path / "ref"), **settings))
    assert metrics_of(run) == metrics_of(tmp_path / "ref")
    _assert_same_state(load_checkpoint(run), load_checkpoint(tmp_path / "ref"))
