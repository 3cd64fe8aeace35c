"""The benchmark's hand-written NumPy model (benchmarks/numpy_reference.py) computes the same loss
and gradients as the engine, so the benchmark compares like with like.

The engine's side is written here directly from the public API (cells, Linear, cross_entropy
per step); the two implementations share no code, so agreement to 1e-6 in float64 checks both.
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


def engine_loss_and_grads(cell_name, xs, targets, seed):
    """Loss (mean over all T*B cross-entropies) and parameter gradients from the engine, float64,
    and the parameters it started from under numpy_reference's names."""
    rng = np.random.default_rng(seed)
    cell = CELL_CLASSES[cell_name](I, H, dtype=np.float64, generator=rng)
    readout = nn.Linear(H, C, dtype=np.float64, generator=rng)
    modules = {"cell": cell, "readout": readout}
    params = {f"{prefix}.{name}": p for prefix, m in modules.items() for name, p in m.named_parameters()}
    start = {name: p.data.copy() for name, p in params.items()}
    state, total = None, None
    for x, y in zip(xs, targets):
        state = cell(tg.tensor(x), state)
        h = state[0] if cell_name == "lstm" else state
        loss_t = F.cross_entropy(readout(h), y)          # mean over the batch
        total = loss_t if total is None else total + loss_t
    loss = total / len(xs)
    loss.backward()
    return loss.item(), {name: p.grad for name, p in params.items()}, start


@pytest.mark.parametrize("cell_name", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("B", [1, 3])
def test_loss_and_every_gradient_match_the_engine(cell_name, B):
    rng = np.random.default_rng(7)
    xs = rng.standard_normal((T, B, I))
    targets = rng.integers(0, C, (T, B))
    loss, grads, params = engine_loss_and_grads(cell_name, xs, targets, seed=B)
    ref_loss, ref_grads = numpy_reference.loss_and_grads(cell_name, params, xs, targets)
    assert ref_loss == pytest.approx(loss, rel=1e-6)
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


def test_gradient_matches_finite_differences():
    """Independent of the engine: central differences of the reference's own loss."""
    rng = np.random.default_rng(5)
    xs, targets = rng.standard_normal((3, 2, I)), rng.integers(0, C, (3, 2))
    for cell_name, gates in numpy_reference.GATES.items():
        params = {"cell.weight_ih": rng.uniform(-0.5, 0.5, (gates * H, I)),
                  "cell.weight_hh": rng.uniform(-0.5, 0.5, (gates * H, H)),
                  "cell.bias_ih": rng.uniform(-0.5, 0.5, gates * H),
                  "cell.bias_hh": rng.uniform(-0.5, 0.5, gates * H),
                  "readout.weight": rng.uniform(-0.5, 0.5, (C, H)), "readout.bias": rng.uniform(-0.5, 0.5, C)}
        _, grads = numpy_reference.loss_and_grads(cell_name, params, xs, targets)
        for name, value in params.items():
            index = tuple(rng.integers(0, n) for n in value.shape)
            eps, saved = 1e-6, value[index]
            value[index] = saved + eps
            up, _ = numpy_reference.loss_and_grads(cell_name, params, xs, targets)
            value[index] = saved - eps
            down, _ = numpy_reference.loss_and_grads(cell_name, params, xs, targets)
            value[index] = saved
            assert grads[name][index] == pytest.approx((up - down) / (2 * eps), rel=1e-5, abs=1e-9), \
                (cell_name, name)
