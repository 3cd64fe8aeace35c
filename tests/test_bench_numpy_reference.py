"""The benchmark's hand-written NumPy model (benchmarks/numpy_reference.py) computes the same loss
and gradients as the engine, so the benchmark compares like with like.

The engine's side is written here directly from the public API (cells, Linear, and either
cross_entropy at every step or mse_loss at the last step); the two implementations share no
code, so agreement to 1e-6 in float64 checks both.
"""
import pathlib
import sys

import numpy as np
import pytest

import tinygrad_rnn as tg
from tinygrad_rnn import functional as F
from tinygrad_rnn import nn

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "benchmarks"))
import numpy_reference  # noqa: E402

I, H, C, T = 3, 5, 4, 4
CELL_CLASSES = {"rnn": nn.RNNCell, "lstm": nn.LSTMCell, "gru": nn.GRUCell}


def make_targets(loss, rng, B):
    """Cross-entropy: class indices (T, B); last-step MSE: real targets (B, C) for the last read-out."""
    return rng.integers(0, C, (T, B)) if loss == "cross_entropy" else rng.standard_normal((B, C))


def engine_loss_and_grads(cell_name, xs, targets, seed, loss="cross_entropy"):
    """Loss and parameter gradients from the engine, float64, and the parameters it started from
    under numpy_reference's names. ``loss``: "cross_entropy" (the mean over all T*B steps and
    samples) or "last_mse" (mse_loss of the last step's read-out against ``targets`` (B, C))."""
    rng = np.random.default_rng(seed)
    cell = CELL_CLASSES[cell_name](I, H, dtype=np.float64, generator=rng)
    readout = nn.Linear(H, C, dtype=np.float64, generator=rng)
    modules = {"cell": cell, "readout": readout}
    params = {f"{prefix}.{name}": p for prefix, m in modules.items() for name, p in m.named_parameters()}
    start = {name: p.data.copy() for name, p in params.items()}
    state, total = None, None
    for t, x in enumerate(xs):
        state = cell(tg.tensor(x), state)
        h = state[0] if cell_name == "lstm" else state
        if loss == "cross_entropy":
            loss_t = F.cross_entropy(readout(h), targets[t])     # mean over the batch
            total = loss_t if total is None else total + loss_t
    value = total / len(xs) if loss == "cross_entropy" else F.mse_loss(readout(h), tg.tensor(targets))
    value.backward()
    return value.item(), {name: p.grad for name, p in params.items()}, start


@pytest.mark.parametrize("loss", ["cross_entropy", "last_mse"])
@pytest.mark.parametrize("cell_name", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("B", [1, 3])
def test_loss_and_every_gradient_match_the_engine(cell_name, B, loss):
    rng = np.random.default_rng(7)
    xs = rng.standard_normal((T, B, I))
    targets = make_targets(loss, rng, B)
    value, grads, params = engine_loss_and_grads(cell_name, xs, targets, seed=B, loss=loss)
    ref_value, ref_grads = numpy_reference.LOSSES[loss](cell_name, params, xs, targets)
    assert ref_value == pytest.approx(value, rel=1e-6)
    assert sorted(ref_grads) == sorted(grads)
    for name in grads:
        assert np.abs(grads[name]).max() > 1e-4, name     # a gradient that actually flows
        np.testing.assert_allclose(ref_grads[name], grads[name], rtol=1e-6, atol=1e-12, err_msg=name)


def test_train_step_is_sgd_on_those_gradients():
    rng = np.random.default_rng(3)
    xs, targets = rng.standard_normal((T, 2, I)), rng.integers(0, C, (T, 2))
    _, grads, params = engine_loss_and_grads("lstm", xs, targets, seed=0)
    before = {k: v.copy() for k, v in params.items()}
    numpy_reference.train_step("lstm", params, xs, targets, lr=0.5)
    for name in params:
        np.testing.assert_allclose(params[name], before[name] - 0.5 * grads[name], rtol=1e-6, atol=1e-12)


@pytest.mark.parametrize("loss", ["cross_entropy", "last_mse"])
def test_gradient_matches_finite_differences(loss):
    """Independent of the engine: central differences of the reference's own loss."""
    rng = np.random.default_rng(5)
    xs = rng.standard_normal((T, 2, I))
    targets = make_targets(loss, rng, 2)
    loss_and_grads = numpy_reference.LOSSES[loss]
    for cell_name, gates in numpy_reference.GATES.items():
        params = {"cell.weight_ih": rng.uniform(-0.5, 0.5, (gates * H, I)),
                  "cell.weight_hh": rng.uniform(-0.5, 0.5, (gates * H, H)),
                  "cell.bias_ih": rng.uniform(-0.5, 0.5, gates * H),
                  "cell.bias_hh": rng.uniform(-0.5, 0.5, gates * H),
                  "readout.weight": rng.uniform(-0.5, 0.5, (C, H)), "readout.bias": rng.uniform(-0.5, 0.5, C)}
        _, grads = loss_and_grads(cell_name, params, xs, targets)
        for name, value in params.items():
            index = tuple(rng.integers(0, n) for n in value.shape)
            eps, saved = 1e-6, value[index]
            value[index] = saved + eps
            up, _ = loss_and_grads(cell_name, params, xs, targets)
            value[index] = saved - eps
            down, _ = loss_and_grads(cell_name, params, xs, targets)
            value[index] = saved
            assert grads[name][index] == pytest.approx((up - down) / (2 * eps), rel=1e-5, abs=1e-9), \
                (cell_name, name)
