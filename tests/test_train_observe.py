"""``train(config, observe=f)``: f(model) -> dict of extra numbers for every log record (on_log,
history, metrics.jsonl), checked for its types and for keys that clash with the record's own."""
import json

import pytest

from tinygrad_rnn import nn
from tinygrad_rnn.core import is_grad_enabled
from tinygrad_rnn.train import TrainConfig, train

SETTINGS = dict(cell="rnn", hidden=4, seq_len=6, batch=3, lr=0.05, seed=2)


def radius(model):
    return {"radius": nn.init.spectral_radius(model.cell.weight_hh)}


def test_every_record_gets_the_observed_numbers(tmp_path):
    seen = []
    result = train(TrainConfig(iters=4, log_every=1, out=str(tmp_path), **SETTINGS), on_log=seen.append,
                   observe=radius)
    assert [r["iter"] for r in result.history] == [1, 2, 3, 4]
    assert all(isinstance(r["radius"], float) for r in result.history)
    assert seen == result.history
    logged = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [r["radius"] for r in logged] == [r["radius"] for r in result.history]
    # the run ends on the log grid: the last record is the final model's radius
    assert result.history[-1]["radius"] == nn.init.spectral_radius(result.model.cell.weight_hh)
    assert len({r["radius"] for r in result.history}) == 4                # it changes as W_hh is trained


def test_each_record_is_the_model_after_its_iteration():
    """Record k's radius = the radius of a separate run of k iterations with the same seed."""
    history = train(TrainConfig(iters=3, log_every=1, **SETTINGS), observe=radius).history
    for k in (1, 2):
        alone = train(TrainConfig(iters=k, log_every=100, **SETTINGS)).model
        assert history[k - 1]["radius"] == nn.init.spectral_radius(alone.cell.weight_hh)


def test_the_record_after_the_last_grid_point_is_observed_too():
    calls = []

    def observe(model):
        calls.append(1)
        return radius(model)
    result = train(TrainConfig(iters=5, log_every=2, **SETTINGS), observe=observe)
    assert [r["iter"] for r in result.history] == [2, 4, 5] and len(calls) == 3
    assert result.history[-1]["radius"] == nn.init.spectral_radius(result.model.cell.weight_hh)


def test_observe_does_not_change_training_and_runs_without_a_graph():
    grad_modes = []

    def observe(model):
        grad_modes.append(is_grad_enabled())
        return {"bias_sum": float(model.cell.bias_hh.data.sum()), "steps": 3}
    plain = train(TrainConfig(iters=4, log_every=2, **SETTINGS))
    observed = train(TrainConfig(iters=4, log_every=2, **SETTINGS), observe=observe)
    assert grad_modes == [False, False]
    assert [r["eval"] for r in observed.history] == [r["eval"] for r in plain.history]
    assert observed.history[0]["steps"] == 3.0 and isinstance(observed.history[0]["steps"], float)


def test_a_resumed_run_keeps_observing(tmp_path):
    reference = train(TrainConfig(iters=6, log_every=2, **SETTINGS), observe=radius)
    calls = []
    train(TrainConfig(iters=6, log_every=2, out=str(tmp_path), **SETTINGS), observe=radius,
          should_stop=lambda: calls.append(1) or len(calls) > 3)
    resumed = train(TrainConfig(iters=6, log_every=2, **SETTINGS), observe=radius, resume=tmp_path)
    assert [r["radius"] for r in resumed.history] == [r["radius"] for r in reference.history]


@pytest.mark.parametrize("observe, error, match", [
    (lambda m: None, TypeError, "must return a dict.*NoneType"),
    (lambda m: {"eval": 1.0}, ValueError, "'eval', which the log record already has"),
    (lambda m: {"ok": True}, TypeError, "'ok': True \\(bool\\).*real numbers"),
    (lambda m: {"z": 1j}, TypeError, "'z'.*complex"),
    (lambda m: {"big": float("inf")}, ValueError, "'big': inf.*finite"),
])
def test_bad_observations_are_explained(observe, error, match):
    with pytest.raises(error, match=match):
        train(TrainConfig(iters=1, log_every=1, **SETTINGS), observe=observe)
