"""Checks for exercise 13: ``lstm_step``."""
import numpy as np

from ...core import Tensor
from ...nn import cells
from ._helpers import assert_close, get, not_the_library, tensor64

#: switched off while the learner's code runs (``_helpers.switched_off``)
LIBRARY_OFF = [cells.lstm_cell]

B, I, H = 2, 3, 4


def _sigmoid(z):
    return 0.5 * (1 + np.tanh(z / 2))


def _numpy_lstm(x, h, c, W_ih, W_hh, b_ih, b_hh):
    gates = x @ W_ih.T + b_ih + h @ W_hh.T + b_hh
    i, f, g, o = (gates[..., k * H:(k + 1) * H] for k in range(4))
    c_new = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
    return _sigmoid(o) * np.tanh(c_new), c_new


def _weights(seed):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((4 * H, I)), rng.standard_normal((4 * H, H)), rng.standard_normal(4 * H),
            rng.standard_normal(4 * H)]


def _call(lstm_step, arrays, requires_grad=False):
    tensors = [tensor64(a, requires_grad=requires_grad) for a in arrays]
    result = lstm_step(*tensors)
    if not (isinstance(result, (tuple, list)) and len(result) == 2 and all(isinstance(t, Tensor) for t in result)):
        raise AssertionError(f"lstm_step must return a tuple of two Tensors (h', c'), got {result!r:.100}")
    return result, tensors


def check_batched(mod):
    """a batch: h' and c' match the equations with gates i, f, g, o"""
    lstm_step = get(mod, "lstm_step")
    not_the_library(lstm_step, cells.lstm_cell, "lstm_step")
    rng = np.random.default_rng(30)
    arrays = [rng.standard_normal((B, I)), rng.standard_normal((B, H)), rng.standard_normal((B, H)), *_weights(31)]
    (h_new, c_new), _ = _call(lstm_step, arrays)
    h_ref, c_ref = _numpy_lstm(*arrays)
    assert_close(c_new, c_ref, "c' on a batch (is the gate order i, f, g, o?)")
    assert_close(h_new, h_ref, "h' on a batch")


def check_unbatched(mod):
    """one example: x (3,), h and c (4,) -> (h', c') of shape (4,)"""
    lstm_step = get(mod, "lstm_step")
    rng = np.random.default_rng(32)
    arrays = [rng.standard_normal(I), rng.standard_normal(H), rng.standard_normal(H), *_weights(33)]
    (h_new, c_new), _ = _call(lstm_step, arrays)
    h_ref, c_ref = _numpy_lstm(*arrays)
    assert_close(c_new, c_ref, "c' for one example")
    assert_close(h_new, h_ref, "h' for one example")


def check_gradients(mod):
    """gradients to x, h, c and the four parameters equal those through the library's LSTM cell"""
    lstm_step = get(mod, "lstm_step")
    rng = np.random.default_rng(34)
    arrays = [rng.standard_normal((B, I)), rng.standard_normal((B, H)), rng.standard_normal((B, H)), *_weights(35)]
    (h_new, c_new), mine = _call(lstm_step, arrays, requires_grad=True)
    u, v = rng.standard_normal((B, H)), rng.standard_normal((B, H))
    ((h_new * u).sum() + (c_new * v).sum()).backward()
    ref = [tensor64(a, requires_grad=True) for a in arrays]          # the library's cell as the oracle
    h_ref, c_ref = cells.lstm_cell(*ref)
    ((h_ref * u).sum() + (c_ref * v).sum()).backward()
    for name, t, r in zip(["x", "h", "c", "weight_ih", "weight_hh", "bias_ih", "bias_hh"], mine, ref):
        if t.grad is None:
            raise AssertionError(f"no gradient reached {name}: is it used in lstm_step, with Tensor ops?")
        assert_close(t.grad, r.grad, f"dL/d{name} through lstm_step")


TESTS = [check_batched, check_unbatched, check_gradients]
