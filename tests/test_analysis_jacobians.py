"""Jacobians of an unrolled net from the engine's reverse mode, against exact cases and formulas.

Expected values come from mathematics or from an independent path (NumPy by hand, or
``autograd.jacobian`` of a function that reruns the steps), never from the functions under test.
"""
import numpy as np
import pytest

import tinygrad_rnn as tg
from tinygrad_rnn import autograd
from tinygrad_rnn.analysis import (all_gradients, grad_norm, grad_norms, jacobian_between, jacobian_products,
                                   jacobians_to_last, lstm_cell_jacobian_formula, rnn_jacobian_formula, spectral_norm,
                                   step_jacobians, unroll)
from tinygrad_rnn.nn.cells import lstm_cell, rnn_cell


def orthogonal(n, seed):
    q, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((n, n)))
    return q


def linear_chain(W, xs, h0):
    """h_t = h_(t-1) W^T + x_t, by hand; returns [h_0, ..., h_T] (h_0 a leaf requiring grad)."""
    W = tg.tensor(W, requires_grad=True, name="W_hh")
    hs = [tg.tensor(h0, requires_grad=True, name="h_0")]
    for t, x in enumerate(xs, 1):
        with tg.time_step(t):
            hs.append(hs[-1] @ W.T + tg.tensor(x))
    return hs


@pytest.mark.parametrize("lam", [0.7, 1.0, 1.3])
def test_linear_rnn_with_lambda_times_orthogonal_gives_lambda_to_the_T(lam):
    H, T = 5, 12
    rng = np.random.default_rng(0)
    hs = linear_chain(lam * orthogonal(H, 1), rng.standard_normal((T, H)), rng.standard_normal(H))
    to_last = jacobians_to_last(hs)
    assert spectral_norm(to_last[0]) == pytest.approx(lam ** T, rel=1e-10)
    for k in range(T + 1):                                   # every singular value is lam^(T-k)
        np.testing.assert_allclose(np.linalg.svd(to_last[k], compute_uv=False), lam ** (T - k), rtol=1e-10)
    products = jacobian_products(step_jacobians(hs))
    assert spectral_norm(products[0]) == pytest.approx(lam ** T, rel=1e-10)


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_step_jacobians_match_diag_phi_prime_times_W(nonlinearity):
    H, T = 4, 5
    rng = np.random.default_rng(2)
    W_hh, W_ih = tg.tensor(rng.standard_normal((H, H)), requires_grad=True), tg.tensor(rng.standard_normal((H, 3)))
    hs = [tg.tensor(rng.standard_normal(H), requires_grad=True)]
    for t in range(1, T + 1):
        hs.append(rnn_cell(tg.tensor(rng.standard_normal(3)), hs[-1], W_ih, W_hh, nonlinearity=nonlinearity, t=t))
    for t, J in enumerate(step_jacobians(hs), 1):
        h = hs[t].data
        derivative = 1 - h ** 2 if nonlinearity == "tanh" else (h > 0).astype(float)
        expected = derivative[:, None] * W_hh.data                   # diag(phi'(a_t)) W_hh, row i scaled
        np.testing.assert_allclose(J, expected, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(rnn_jacobian_formula(hs[t], W_hh, nonlinearity), expected, rtol=1e-12)


def test_jacobian_product_equals_the_engines_jacobian_of_h_T_wrt_h_0():
    H, T = 3, 6
    net = unroll("rnn", steps=T, hidden_size=H, seed=4)
    params = net.params
    xs = [x.data for x in net.inputs]

    def run_from(h0):
        h = h0
        for t, x in enumerate(xs, 1):
            h = rnn_cell(tg.tensor(x), h, params["weight_ih"], params["weight_hh"], params["bias_ih"],
                         params["bias_hh"], t=t)
        return h

    expected = autograd.jacobian(run_from, net.hidden[0].data).data             # (H, H): a fresh graph
    np.testing.assert_allclose(jacobian_products(step_jacobians(net.hidden))[0], expected, rtol=1e-10)
    np.testing.assert_allclose(jacobians_to_last(net.hidden)[0], expected, rtol=1e-10)


def test_lstm_h_to_h_jacobian_equals_the_engines_jacobian_with_c_0_fixed():
    """For the LSTM, ∂h_T/∂h_0 must include the gradient that travels back along c."""
    H, T = 3, 4
    net = unroll("lstm", steps=T, hidden_size=H, seed=6)
    weights = tuple(net.params.values())
    c0, xs = net.cell_states[0].data, [x.data for x in net.inputs]

    def run_from(h0):
        h, c = h0, tg.tensor(c0)
        for x in xs:
            h, c = lstm_cell(tg.tensor(x), h, c, *weights)
        return h

    expected = autograd.jacobian(run_from, net.hidden[0].data).data
    np.testing.assert_allclose(jacobians_to_last(net.hidden)[0], expected, rtol=1e-9, atol=1e-14)


def test_lstm_with_zero_recurrent_weight_passes_the_cell_state_through_the_forget_gates():
    """weight_hh = 0: c_T = f_T ⊙ ... ⊙ f_1 ⊙ c_0 + (terms without c_0), so ∂c_T/∂c_0 = Π diag(f_t)."""
    H, T = 3, 5
    net = unroll("lstm", steps=T, hidden_size=H, init="identity", scale=0.0, seed=8)
    assert not net.params["weight_hh"].data.any()
    W_ih = net.params["weight_ih"].data
    b = net.params["bias_ih"].data + net.params["bias_hh"].data
    forget = [1 / (1 + np.exp(-(x.data @ W_ih.T + b)[H:2 * H])) for x in net.inputs]   # f_t by hand (i, f, g, o)
    np.testing.assert_allclose(jacobians_to_last(net.cell_states)[0], np.diag(np.prod(forget, axis=0)),
                               rtol=1e-10, atol=1e-15)
    for J, f in zip(step_jacobians(net.cell_states), forget):     # each step: diag(f_t)
        np.testing.assert_allclose(J, np.diag(f), rtol=1e-10, atol=1e-15)
        np.testing.assert_allclose(lstm_cell_jacobian_formula(f), np.diag(f))


def test_batches_give_one_block_per_sample():
    H, T, B = 3, 4, 2
    net = unroll("gru", steps=T, hidden_size=H, batch=B, seed=9)
    blocks = jacobians_to_last(net.hidden)[0]
    assert blocks.shape == (B, H, H)
    for b in range(B):                                      # each sample alone, through the engine
        seed = np.zeros((B, H))
        rows = []
        for i in range(H):
            seed[:] = 0
            seed[b, i] = 1
            (g,) = autograd.grad(net.hidden[-1], net.hidden[0], grad_outputs=seed, retain_graph=True)
            rows.append(g.data[b])
            assert not np.delete(g.data, b, axis=0).any()   # no sample influences another
        np.testing.assert_allclose(blocks[b], np.array(rows), rtol=1e-12)
    assert spectral_norm(blocks) == pytest.approx(max(np.linalg.norm(blocks[b], 2) for b in range(B)))


def test_a_cut_stops_the_jacobians():
    net = unroll("rnn", steps=5, hidden_size=2, cut_at=2)
    jacobians = step_jacobians(net.hidden)
    assert jacobians[2] is None and all(J is not None for k, J in enumerate(jacobians) if k != 2)
    products = jacobian_products(jacobians)
    assert [P is None for P in products] == [True, True, True, False, False, False]
    assert [J is None for J in jacobians_to_last(net.hidden)] == [True, True, True, False, False, False]
    x = tg.tensor([1.0, 2.0])                                   # not requiring grad: no graph at all
    assert jacobian_between(x * 2, x) is None


def test_grad_norms_read_without_writing_and_match_backward():
    net = unroll("lstm", steps=4, hidden_size=3, seed=1)
    grads = all_gradients(net.loss)
    assert all(p.grad is None for p in net.params.values())    # nothing written
    for h in net.hidden[1:]:
        h.retain_grad()
    net.loss.backward()                                          # the graph is still whole
    for h in net.hidden:
        assert grad_norm(grads[h]) == pytest.approx(np.linalg.norm(h.grad), rel=1e-12)
    after_backward = grad_norms(net.hidden)                       # read from .grad
    assert after_backward == pytest.approx(grad_norms(net.hidden, grads), rel=1e-12)
    assert after_backward == pytest.approx([np.sqrt((h.grad ** 2).sum()) for h in net.hidden], rel=1e-12)
    for p in net.params.values():
        np.testing.assert_allclose(grads[p], p.grad, rtol=1e-12)


def test_jacobians_need_the_graph():
    net = unroll("rnn", steps=3, hidden_size=2)
    net.loss.backward()
    with pytest.raises(tg.GraphFreedError):
        step_jacobians(net.hidden)
