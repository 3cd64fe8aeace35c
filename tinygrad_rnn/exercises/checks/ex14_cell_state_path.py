"""Checks for exercise 14: ``forget_gate_product`` against the engine's dc_T/dc_0."""
import numpy as np

from ...autograd import jacobian
from ...nn import cells
from ._helpers import assert_close, get, tensor64

I, H = 3, 4


def _lstm(seed, forget_bias=0.0):
    """weight_ih, bias_ih, bias_hh of an LSTM with I = 3, H = 4 (and weight_hh = 0)."""
    rng = np.random.default_rng(seed)
    W_ih = rng.standard_normal((4 * H, I))
    b_ih, b_hh = rng.standard_normal(4 * H), rng.standard_normal(4 * H)
    b_hh[H:2 * H] += forget_bias
    return W_ih, b_ih, b_hh


def _engine_cell_path(xs, W_ih, b_ih, b_hh, c0):
    """c_T as a function of c_0, through the library's LSTM cell with weight_hh = 0."""
    weights = [tensor64(W_ih), tensor64(np.zeros((4 * H, H))), tensor64(b_ih), tensor64(b_hh)]
    h0 = np.full(c0.shape, 0.5)

    def unroll(c):
        h = tensor64(h0)
        for x in xs:
            h, c = cells.lstm_cell(tensor64(x), h, c, *weights)
        return c

    return unroll


def check_short_sequence(mod):
    """T = 5, unbatched: your product is the diagonal of the engine's dc_T/dc_0 (which is diagonal)"""
    forget_gate_product = get(mod, "forget_gate_product")
    W_ih, b_ih, b_hh = _lstm(36)
    xs = np.random.default_rng(37).standard_normal((5, I))
    J = jacobian(_engine_cell_path(xs, W_ih, b_ih, b_hh, np.zeros(H)), np.linspace(-1, 1, H)).data
    if not np.allclose(J, np.diag(np.diag(J)), atol=1e-12):       # with weight_hh = 0 it must be diagonal
        raise RuntimeError("internal error in the check: the engine's dc_T/dc_0 is not diagonal")
    result = forget_gate_product(xs.copy(), W_ih.copy(), b_ih.copy(), b_hh.copy())
    assert_close(result, np.diag(J), "forget_gate_product for T = 5 (the diagonal of dc_5/dc_0)", rtol=1e-9)


def check_batched(mod):
    """a batch (T = 4, B = 3): shape (3, 4), each row that example's product"""
    forget_gate_product = get(mod, "forget_gate_product")
    W_ih, b_ih, b_hh = _lstm(38)
    xs = np.random.default_rng(39).standard_normal((4, 3, I))
    c0 = tensor64(np.zeros((3, H)), requires_grad=True)
    _engine_cell_path(xs, W_ih, b_ih, b_hh, c0.data)(c0).sum().backward()     # diagonal: sum picks it out
    result = forget_gate_product(xs.copy(), W_ih.copy(), b_ih.copy(), b_hh.copy())
    assert_close(result, c0.grad, "forget_gate_product for a batch of 3, T = 4", rtol=1e-9)


def check_long_sequence(mod):
    """T = 50 with a forget-gate bias of +5: the product stays of order 1 (it would be < 1e-8 without)"""
    forget_gate_product = get(mod, "forget_gate_product")
    W_ih, b_ih, b_hh = _lstm(40, forget_bias=5.0)
    xs = 0.3 * np.random.default_rng(41).standard_normal((50, I))
    c0 = tensor64(np.zeros(H), requires_grad=True)
    _engine_cell_path(xs, W_ih, b_ih, b_hh, c0.data)(c0).sum().backward()
    result = forget_gate_product(xs.copy(), W_ih.copy(), b_ih.copy(), b_hh.copy())
    assert_close(result, c0.grad, "forget_gate_product for T = 50, forget bias +5", rtol=1e-8)


TESTS = [check_short_sequence, check_batched, check_long_sequence]
