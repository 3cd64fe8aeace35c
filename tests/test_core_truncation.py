"""Cutting the graph: ``detach()`` versus ``unchain_backward()`` (truncated BPTT).

Truncated backpropagation through time runs an RNN over a long sequence in windows and
stops gradients at each window boundary. There are two ways to make the cut:

- ``h = h.detach()``: carry on from a *new* leaf that shares ``h``'s data;
- ``h.unchain_backward()`` (or ``loss.unchain_backward()``): cut every link above ``h``
  *in place*, so ``h`` and everything it came from become leaves.

Both must give exactly the same parameter gradients, and those must differ from
full (untruncated) BPTT, whose gradient also flows across the window boundary.
"""
import gc
import weakref

import numpy as np
import pytest

import tinygrad_rnn as tg

H, D, T, WINDOW = 3, 2, 6, 3


@pytest.fixture
def rnn_data(rng):
    return {
        "W_hh": rng.standard_normal((H, H)) * 0.8,
        "W_xh": rng.standard_normal((H, D)),
        "xs": rng.standard_normal((T, D)),
    }


def params(rnn_data):
    return (tg.Tensor(rnn_data["W_hh"], requires_grad=True, name="W_hh"),
            tg.Tensor(rnn_data["W_xh"], requires_grad=True, name="W_xh"))


def step(W_hh, W_xh, h, x):
    """h_t = tanh(W_hh h_{t-1} + W_xh x_t)"""
    return (W_hh @ h + W_xh @ tg.Tensor(x)).tanh()


def truncated(rnn_data, cut):
    """Two windows of WINDOW steps, one backward() per window, cut between windows."""
    W_hh, W_xh = params(rnn_data)
    h = tg.zeros(H, dtype=np.float64)
    for start in range(0, T, WINDOW):
        loss = 0
        for x in rnn_data["xs"][start:start + WINDOW]:
            h = step(W_hh, W_xh, h, x)
            loss = loss + (h * h).sum()
        loss.backward()
        if cut == "detach":
            h = h.detach()
        elif cut == "unchain h":
            h.unchain_backward()
        elif cut == "unchain loss":
            loss.unchain_backward()
    return W_hh.grad, W_xh.grad


def full_bptt(rnn_data):
    W_hh, W_xh = params(rnn_data)
    h, loss = tg.zeros(H, dtype=np.float64), 0
    for x in rnn_data["xs"]:
        h = step(W_hh, W_xh, h, x)
        loss = loss + (h * h).sum()
    loss.backward()
    return W_hh.grad, W_xh.grad


@pytest.mark.parametrize("cut", ["unchain h", "unchain loss"])
def test_detach_and_unchain_backward_give_identical_gradients(rnn_data, cut):
    by_detach = truncated(rnn_data, "detach")
    by_unchain = truncated(rnn_data, cut)
    for g_detach, g_unchain in zip(by_detach, by_unchain):
        assert g_detach.dtype == np.float64
        np.testing.assert_array_equal(g_unchain, g_detach)


def test_truncated_gradients_differ_from_full_bptt(rnn_data):
    for g_truncated, g_full in zip(truncated(rnn_data, "detach"), full_bptt(rnn_data)):
        assert not np.allclose(g_truncated, g_full)


def test_truncated_gradient_equals_sum_of_independent_windows(rnn_data):
    """Independent check: window 2 started from a plain constant h (no graph at all)."""
    W_hh, W_xh = params(rnn_data)
    h = tg.zeros(H, dtype=np.float64)
    for start in range(0, T, WINDOW):
        h = tg.Tensor(h.data.copy())                # a brand-new constant: nothing to cut
        loss = 0
        for x in rnn_data["xs"][start:start + WINDOW]:
            h = step(W_hh, W_xh, h, x)
            loss = loss + (h * h).sum()
        loss.backward()
    for expected, got in zip((W_hh.grad, W_xh.grad), truncated(rnn_data, "unchain h")):
        np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_unchain_backward_makes_the_tensor_and_everything_upstream_leaves(rnn_data):
    W_hh, W_xh = params(rnn_data)
    h = tg.zeros(H, dtype=np.float64)
    states = []
    for x in rnn_data["xs"][:WINDOW]:
        h = step(W_hh, W_xh, h, x)
        states.append(h)
    pre_activation = h.grad_fn.parents[0]           # W_hh @ h + W_xh @ x, upstream of h
    assert not h.is_leaf and not pre_activation.is_leaf
    h.unchain_backward()
    assert h.is_leaf and h.grad_fn is None
    assert h.requires_grad                          # unchanged: a later backward still reaches h
    assert pre_activation.is_leaf
    assert all(s.is_leaf for s in states)
    assert W_hh.is_leaf and W_xh.is_leaf
    (h * 2).sum().backward()                        # goes no further than h
    np.testing.assert_array_equal(h.grad, [2, 2, 2])
    assert W_hh.grad is None and W_xh.grad is None


def test_unchain_backward_frees_the_old_graph():
    x = tg.Tensor(np.ones(2), requires_grad=True)
    h = (x * 2).tanh()
    node = weakref.ref(h.grad_fn.parents[0].grad_fn)  # the multiply node, two links up
    h.unchain_backward()
    gc.collect()
    assert node() is None


def test_detach_shares_data_and_is_a_new_leaf():
    x = tg.Tensor(np.ones(3), requires_grad=True)
    h = x * 2
    d = h.detach()
    assert d.is_leaf and not d.requires_grad and d.grad_fn is None
    assert np.shares_memory(d.data, h.data)          # not a copy ...
    d.data[0] = 7.0
    assert h.data[0] == 7.0                          # ... so a change shows through
    assert not h.is_leaf                             # the original keeps its history


def test_detach_records_where_it_was_cut_from_weakly():
    h = tg.Tensor(np.ones(3), requires_grad=True) * 2
    d = h.detach()
    assert d._cut_from() is h
    del h
    gc.collect()
    assert d._cut_from() is None                     # a weak reference keeps nothing alive


def test_gradient_stops_at_a_detached_tensor():
    x = tg.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = x * 3
    z = y.detach() * x                               # only the direct path x -> z counts
    z.sum().backward()
    np.testing.assert_array_equal(x.grad, 3 * np.array([1.0, 2.0]))
