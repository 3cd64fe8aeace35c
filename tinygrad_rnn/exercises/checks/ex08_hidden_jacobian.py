"""Checks for exercise 08: ``hidden_jacobian`` against the engine's Jacobian."""
import numpy as np

from ...autograd import jacobian
from ...nn import cells
from ._helpers import assert_close, get, tensor64


def _sequence(seed, H, T, scale):
    """Weights, inputs, h_0 and the states h_1..h_T of a tanh RNN with I = 2."""
    rng = np.random.default_rng(seed)
    W_ih, W_hh = rng.standard_normal((H, 2)), scale * rng.standard_normal((H, H)) / np.sqrt(H)
    b = 0.1 * rng.standard_normal(H)
    xs, h0 = rng.standard_normal((T, 2)), 0.5 * rng.standard_normal(H)
    hs, h = [], h0
    for x in xs:
        h = np.tanh(x @ W_ih.T + b + h @ W_hh.T)
        hs.append(h)
    return W_ih, W_hh, b, xs, h0, hs


def _engine_jacobian(W_ih, W_hh, b, xs, h0):
    weights = [tensor64(W_ih), tensor64(W_hh), tensor64(b), tensor64(np.zeros_like(b))]

    def unroll(h):
        for x in xs:
            h = cells.rnn_cell(tensor64(x), h, *weights)
        return h

    return jacobian(unroll, h0).data


def _compare(hidden_jacobian, seed, H, T, scale):
    W_ih, W_hh, b, xs, h0, hs = _sequence(seed, H, T, scale)
    result = hidden_jacobian(W_hh.copy(), [h.copy() for h in hs])
    assert_close(result, _engine_jacobian(W_ih, W_hh, b, xs, h0),
                 f"hidden_jacobian for H = {H}, T = {T} (compared with the engine's dh_T/dh_0)", rtol=1e-7, atol=1e-10)


def check_one_step(mod):
    """T = 1: dh_1/dh_0 = diag(1 - h_1^2) W_hh"""
    hidden_jacobian = get(mod, "hidden_jacobian")
    W_ih, W_hh, b, xs, h0, hs = _sequence(17, 3, 1, 1.0)
    assert_close(hidden_jacobian(W_hh.copy(), [hs[0].copy()]), (1 - hs[0] ** 2)[:, None] * W_hh,
                 "hidden_jacobian(W_hh, [h_1])", rtol=1e-9)


def check_several_steps(mod):
    """T = 4, H = 3: the product J_4 J_3 J_2 J_1, as the engine computes it"""
    _compare(get(mod, "hidden_jacobian"), 18, 3, 4, 1.0)


def check_long_and_large(mod):
    """T = 12, H = 5, a large W_hh: order of the product and every factor still right"""
    _compare(get(mod, "hidden_jacobian"), 19, 5, 12, 2.5)


TESTS = [check_one_step, check_several_steps, check_long_and_large]
