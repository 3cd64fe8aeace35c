"""``TrainConfig.forget_bias`` / ``SequenceModel(..., forget_bias=B)``: the LSTM's forget-gate bias
at initialisation, nothing else; other cells refuse it; old checkpoints (without the setting) resume."""
import json

import numpy as np
import pytest

from tinygrad_rnn.train import SequenceModel, TrainConfig, train
from tinygrad_rnn.train.checkpoint import load_checkpoint


def models(**options):
    return [SequenceModel("lstm", 3, 4, 2, generator=np.random.default_rng(0), **extra)
            for extra in ({}, options)]


def test_sequence_model_sets_the_forget_slice_and_nothing_else():
    plain, biased = models(forget_bias=1.0)
    for (name, p), (_, q) in zip(plain.named_parameters(), biased.named_parameters()):
        if name == "cell.bias_ih":
            np.testing.assert_array_equal(q.data[4:8], np.ones(4))
            np.testing.assert_array_equal(np.delete(q.data, range(4, 8)), np.delete(p.data, range(4, 8)))
        elif name == "cell.bias_hh":
            np.testing.assert_array_equal(q.data[4:8], np.zeros(4))
            np.testing.assert_array_equal(np.delete(q.data, range(4, 8)), np.delete(p.data, range(4, 8)))
        else:                                          # the same random draws: no generator use
            np.testing.assert_array_equal(q.data, p.data, err_msg=name)


def test_none_keeps_pytorchs_init():
    plain, unchanged = models(forget_bias=None)
    for (name, p), (_, q) in zip(plain.named_parameters(), unchanged.named_parameters()):
        np.testing.assert_array_equal(q.data, p.data, err_msg=name)


@pytest.mark.parametrize("cell", ["rnn", "gru"])
def test_other_cells_refuse_a_forget_bias(cell):
    with pytest.raises(ValueError, match=f"forget_bias=1.0 applies to the 'lstm' cell only; the {cell} cell"):
        SequenceModel(cell, 3, 4, 2, forget_bias=1.0)
    with pytest.raises(ValueError, match=f"--forget-bias.*cell '{cell}' has no forget gate"):
        TrainConfig(cell=cell, forget_bias=1.0).check()


@pytest.mark.parametrize("bad", ["1", True, float("inf"), [1.0]])
def test_train_config_checks_the_value(bad):
    with pytest.raises(ValueError, match="forget-bias must be a"):
        TrainConfig(forget_bias=bad).check()


def test_train_starts_from_the_forget_bias():
    config = dict(cell="lstm", hidden=3, seq_len=5, batch=2, iters=1, log_every=1, optim="sgd", lr=1e-12)
    model = train(TrainConfig(forget_bias=2.5, **config)).model
    np.testing.assert_allclose(model.cell.bias_ih.data[3:6], 2.5, atol=1e-6)   # an SGD step of ~1e-12
    np.testing.assert_allclose(model.cell.bias_hh.data[3:6], 0.0, atol=1e-6)


def test_a_checkpoint_without_the_setting_resumes(tmp_path):
    """Checkpoints written before forget_bias existed have no such key: it means None."""
    settings = dict(cell="lstm", hidden=3, seq_len=5, batch=2, log_every=2)
    reference = train(TrainConfig(iters=4, **settings))
    train(TrainConfig(iters=2, out=str(tmp_path), **settings))
    path = tmp_path / "checkpoint" / "checkpoint.json"
    document = json.loads(path.read_text())
    del document["config"]["forget_bias"]
    path.write_text(json.dumps(document))
    assert "forget_bias" not in load_checkpoint(tmp_path).config
    resumed = train(TrainConfig(iters=4, **settings), resume=tmp_path)
    assert resumed.value == reference.value
    with pytest.raises(ValueError, match=r"forget_bias: checkpoint None, this run 1.0"):
        train(TrainConfig(iters=4, forget_bias=1.0, **settings), resume=tmp_path)
