"""Checks for exercise 06: ``rnn_step``."""
import numpy as np

from ...core import Tensor
from ...nn import cells
from ._helpers import assert_close, get, not_the_library, tensor64

#: switched off while the learner's code runs (``_helpers.switched_off``)
LIBRARY_OFF = [cells.rnn_cell]

B, I, H = 3, 2, 4


def _weights(seed):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal((H, I)), rng.standard_normal((H, H)), rng.standard_normal(H), rng.standard_normal(H)]
    return [0.6 * a for a in arrays]


def _numpy_step(x, h, W_ih, W_hh, b_ih, b_hh):
    return np.tanh(x @ W_ih.T + b_ih + h @ W_hh.T + b_hh)


def _call(rnn_step, *arrays, requires_grad=False):
    tensors = [tensor64(a, requires_grad=requires_grad) for a in arrays]
    out = rnn_step(*tensors)
    if not isinstance(out, Tensor):
        raise AssertionError(f"rnn_step must return a Tensor (use Tensor ops: @, .T, +, .tanh()), got "
                             f"{type(out).__name__}")
    return out, tensors


def check_batched(mod):
    """a batch: x (3,2), h (3,4) -> tanh(x W_ih^T + b_ih + h W_hh^T + b_hh), shape (3,4)"""
    rnn_step = get(mod, "rnn_step")
    not_the_library(rnn_step, cells.rnn_cell, "rnn_step")
    rng = np.random.default_rng(10)
    x, h = rng.standard_normal((B, I)), rng.standard_normal((B, H))
    out, _ = _call(rnn_step, x, h, *_weights(11))
    assert_close(out, _numpy_step(x, h, *_weights(11)), "rnn_step on a batch of 3 (I = 2, H = 4)")


def check_unbatched(mod):
    """one example: x (2,), h (4,) -> h_t (4,)"""
    rnn_step = get(mod, "rnn_step")
    rng = np.random.default_rng(12)
    x, h = rng.standard_normal(I), rng.standard_normal(H)
    out, _ = _call(rnn_step, x, h, *_weights(13))
    assert_close(out, _numpy_step(x, h, *_weights(13)), "rnn_step on one example (x of shape (2,))")


def check_gradients(mod):
    """gradients flow to x, h and all four parameters, as through the library's RNN cell"""
    rnn_step = get(mod, "rnn_step")
    rng = np.random.default_rng(14)
    x, h = rng.standard_normal((B, I)), rng.standard_normal((B, H))
    arrays = [x, h, *_weights(15)]
    out, mine = _call(rnn_step, *arrays, requires_grad=True)
    if not out.requires_grad:
        raise AssertionError("rnn_step's result does not require grad: compute it with Tensor ops on the inputs, "
                             "not on their .data arrays")
    target = rng.standard_normal((B, H))
    ((out - target) ** 2).sum().backward()
    reference = [tensor64(a, requires_grad=True) for a in arrays]        # the library's cell as the oracle
    ((cells.rnn_cell(*reference) - target) ** 2).sum().backward()
    for name, t, ref in zip(["x", "h", "weight_ih", "weight_hh", "bias_ih", "bias_hh"], mine, reference):
        if t.grad is None:
            raise AssertionError(f"no gradient reached {name}: is it used in rnn_step?")
        assert_close(t.grad, ref.grad, f"dL/d{name} through rnn_step")


TESTS = [check_batched, check_unbatched, check_gradients]
