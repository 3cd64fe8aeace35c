"""The shape of the computation graph: diamonds, repeated inputs, fan-out, recurrences, deep chains.

The backward pass (``core/backward.py``) orders the graph topologically and walks it
in reverse, *summing* the gradients that reach a tensor along different paths. Each
test here builds a graph whose gradient we can derive by hand and checks that sum.

The deep-chain tests check the two loop-based (non-recursive) walks: a 100,000-op chain
must not hit Python's recursion limit, and every node must be visited exactly once
(that is what makes the backward pass linear in the graph's size — we check the visit
count, never a timing).
"""
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import tinygrad_rnn as tg
from tinygrad_rnn.core.backward import topological_order

from helpers import leaf


def test_diamond_gradient_is_sum_over_both_paths(rng):
    """b = a + a; c = b * b = 4a^2, so dc/da = 8a."""
    a_values = rng.standard_normal(5)
    a = leaf(a_values)
    b = a + a
    c = b * b
    c.sum().backward()
    np.testing.assert_allclose(a.grad, 8 * a_values)


def test_diamond_topological_order_lists_each_node_once():
    a = leaf([1.0, 2.0])
    b = a + a
    c = b * b
    loss = c.sum()
    order = topological_order(loss)
    assert len(order) == 4                                   # a, b, c, loss
    assert len({id(t) for t in order}) == 4
    position = {id(t): i for i, t in enumerate(order)}
    assert position[id(a)] < position[id(b)] < position[id(c)] < position[id(loss)]


def test_same_tensor_twice_keeps_both_parents():
    """``a * a`` records a twice, in order; the gradient is the sum of both slots: 2a."""
    a = leaf([1.5, -2.0, 3.0])
    y = a * a
    parents = y.grad_fn.parents
    assert isinstance(parents, tuple)
    assert len(parents) == 2
    assert parents[0] is a and parents[1] is a
    y.sum().backward()
    np.testing.assert_allclose(a.grad, 2 * a.data)


def test_ordered_parents_for_non_commutative_ops():
    a, b = leaf([6.0]), leaf([3.0])
    q = a / b
    assert q.grad_fn.parents[0] is a and q.grad_fn.parents[1] is b
    q.backward(np.ones(1))
    np.testing.assert_allclose(a.grad, [1 / 3])        # d(a/b)/da = 1/b
    np.testing.assert_allclose(b.grad, [-6 / 9])       # d(a/b)/db = -a/b^2


def test_one_tensor_feeding_many_consumers(rng):
    """x feeds five ops; dL/dx is the sum of what each sends back."""
    x_values = rng.uniform(0.5, 2.0, 4)
    x = leaf(x_values)
    loss = (3 * x).sum() + (x * x).sum() + x.tanh().sum() + x.exp().sum() + x.log().sum()
    loss.backward()
    expected = 3 + 2 * x_values + (1 - np.tanh(x_values) ** 2) + np.exp(x_values) + 1 / x_values
    np.testing.assert_allclose(x.grad, expected)
    assert sum(1 for t in topological_order(loss) if t is x) == 1


def test_fan_out_through_an_intermediate(rng):
    """h = tanh(x) used by two branches: dL/dh is summed before going back through tanh."""
    x_values = rng.standard_normal(3)
    x = leaf(x_values)
    h = x.tanh()
    loss = (h * 2).sum() + (h ** 2).sum()
    loss.backward()
    h_values = np.tanh(x_values)
    np.testing.assert_allclose(x.grad, (2 + 2 * h_values) * (1 - h_values ** 2))


@pytest.mark.parametrize("T", [1, 2, 5, 10])
def test_scalar_linear_recurrence_matches_hand_derivation(T):
    """h_t = w h_{t-1}, so h_T = w^T h_0: dh_T/dw = T w^(T-1) h_0 and dh_T/dh_0 = w^T."""
    w_value, h0_value = 0.9, 1.7
    w, h0 = leaf(w_value), leaf(h0_value)
    h = h0
    for _ in range(T):
        h = w * h
    h.backward()
    np.testing.assert_allclose(w.grad, T * w_value ** (T - 1) * h0_value)
    np.testing.assert_allclose(h0.grad, w_value ** T)


def test_tanh_recurrence_matches_hand_written_bptt(rng):
    """h_t = tanh(w h_{t-1} + x_t), L = sum_t h_t. The hand-written BPTT below walks the
    steps backwards: dL/dh_t = 1 + dL/dh_{t+1} * (1 - h_{t+1}^2) * w."""
    T, w_value, xs = 6, 0.8, rng.standard_normal(6)
    hs = [0.0]
    for t in range(T):
        hs.append(np.tanh(w_value * hs[-1] + xs[t]))
    dw, dh_next = 0.0, 0.0
    for t in reversed(range(1, T + 1)):
        dh = 1.0 + dh_next                    # from L directly, plus from h_{t+1}
        da = dh * (1 - hs[t] ** 2)            # through tanh
        dw += da * hs[t - 1]                  # a_t = w h_{t-1} + x_t
        dh_next = da * w_value

    w = leaf(w_value)
    h, loss = tg.Tensor(np.float64(0.0)), 0
    for t in range(T):
        h = (w * h + float(xs[t])).tanh()
        loss = loss + h
    loss.backward()
    np.testing.assert_allclose(w.grad, dw)


def test_exponentially_many_paths_are_visited_once():
    """h = h + h 60 times: 2^60 paths from the output back to x, but only 61 nodes. A walk
    that followed paths instead of nodes would never finish; the gradient is exactly 2^60."""
    x = leaf(1.0)
    h = x
    for _ in range(60):
        h = h + h
    assert len(topological_order(h)) == 61
    h.backward()
    assert x.grad == 2.0 ** 60


DEPTH = 100_000


def test_chain_of_100000_ops_backpropagates_without_recursion_error():
    """Alternating h*c and h+1: dh/dx = c^(DEPTH/2). Every node is visited exactly once."""
    c = 1.00001
    x = leaf(1.0)
    h = x
    for i in range(DEPTH):
        h = h * c if i % 2 else h + 1.0
    order = topological_order(h)
    assert len(order) == DEPTH + 1
    assert len({id(t) for t in order}) == DEPTH + 1
    h.backward()
    np.testing.assert_allclose(x.grad, c ** (DEPTH // 2), rtol=1e-9)


def test_deleting_a_100000_op_graph_does_not_crash():
    """Freeing a deep chain of tensor -> node -> tensor references must not overflow the C
    stack. Run in a fresh interpreter so a crash shows up as a failed test, not a dead run."""
    script = textwrap.dedent(f"""
        import gc, numpy as np, tinygrad_rnn as tg
        x = tg.Tensor(np.float64(1.0), requires_grad=True)
        for keep_graph in (False, True):
            h = x
            for i in range({DEPTH}):
                h = (h * 1.0) if i % 2 else (h + 0.0)
            h.backward(retain_graph=keep_graph)
            del h
            gc.collect()
        print("ok", x.grad)
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["ok", "2.0"]


def test_only_tensors_that_require_grad_are_visited():
    x = leaf([1.0, 2.0])
    constant = tg.Tensor([3.0, 4.0])
    y = (x * constant + constant.exp()).sum()
    order = topological_order(y)
    assert all(t.requires_grad for t in order)
    assert not any(t is constant for t in order)
