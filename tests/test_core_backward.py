"""What ``backward()`` does to ``.grad``: PyTorch's rules.

- Gradients *add up* across ``backward()`` calls until you reset them (``x.grad = None``).
- Only leaves that require grad get ``.grad``; an intermediate keeps its gradient only
  after ``retain_grad()``.
- Every ``.grad`` is a private array: changing one never changes another.
- ``backward()`` frees what the ops saved, so a second pass through the same graph raises
  ``GraphFreedError`` unless the first used ``retain_graph=True`` (then the gradients
  are added a second time).
- ``backward(gradient)`` on a non-scalar computes a vector-Jacobian product.
"""
import numpy as np
import pytest

import tinygrad_rnn as tg

from helpers import leaf


# --- accumulation and zeroing ----------------------------------------------------------------
def test_gradients_accumulate_across_backward_calls(rng):
    a, b_values = leaf(rng.standard_normal(3)), rng.standard_normal(3)
    b = tg.Tensor(b_values)
    for _ in range(3):
        (a * b).sum().backward()            # a fresh graph each time
    np.testing.assert_allclose(a.grad, 3 * b_values)


def test_setting_grad_to_none_zeroes_it(rng):
    a, b_values = leaf(rng.standard_normal(3)), rng.standard_normal(3)
    (a * tg.Tensor(b_values)).sum().backward()
    a.grad = None
    (a * 5).sum().backward()
    np.testing.assert_allclose(a.grad, [5, 5, 5])


def test_leaves_get_grad_intermediates_do_not():
    x = leaf([1.0, 2.0])
    constant = tg.Tensor([3.0, 4.0])              # a leaf that does not require grad
    h = x * constant
    loss = h.tanh().sum()
    loss.backward()
    assert x.grad is not None
    assert h.grad is None and loss.grad is None
    assert constant.grad is None
    assert x.is_leaf and constant.is_leaf and not h.is_leaf


def test_retain_grad_keeps_an_intermediate_gradient(rng):
    x_values = rng.standard_normal(4)
    x = leaf(x_values)
    h = x * 3
    h.retain_grad()
    assert h.retains_grad and not x.retains_grad
    y = h.tanh()
    y.sum().backward()
    np.testing.assert_allclose(h.grad, 1 - np.tanh(3 * x_values) ** 2)   # dL/dh
    np.testing.assert_allclose(x.grad, 3 * h.grad)                       # dL/dx = dL/dh * 3
    assert y.grad is None


def test_retained_intermediate_gradient_also_accumulates():
    x = leaf([1.0, 2.0])
    h = x * 2
    h.retain_grad()
    (h * 3).sum().backward(retain_graph=True)
    (h * 3).sum().backward()
    np.testing.assert_allclose(h.grad, [6, 6])
    np.testing.assert_allclose(x.grad, [12, 12])


def test_grad_arrays_never_alias_each_other():
    """Add's backward hands the same array to both inputs; each .grad must still be private."""
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    c = a + b
    c.retain_grad()
    c.sum().backward()
    a.grad *= 2
    np.testing.assert_array_equal(b.grad, [1, 1])
    np.testing.assert_array_equal(c.grad, [1, 1])
    for first, second in [(a.grad, b.grad), (a.grad, c.grad), (b.grad, c.grad), (a.grad, a.data)]:
        assert not np.shares_memory(first, second)


def test_grad_does_not_alias_the_gradient_passed_in():
    x = leaf([1.0, 2.0, 3.0])
    seed = np.array([1.0, 10.0, 100.0])
    y = x.reshape(3)                          # reshape's backward returns a view of its input
    y.backward(seed)
    seed[:] = 0
    np.testing.assert_array_equal(x.grad, [1, 10, 100])


def test_grad_has_the_tensor_dtype():
    x32 = leaf([1.0, 2.0], dtype=np.float32)
    x64 = leaf([1.0, 2.0], dtype=np.float64)
    (x32 * x64).sum().backward()                     # result is float64 (NumPy's promotion)
    assert x32.grad.dtype == np.float32
    assert x64.grad.dtype == np.float64
    np.testing.assert_array_equal(x32.grad, [1, 2])


# --- backward twice --------------------------------------------------------------------------
def test_second_backward_through_freed_graph_raises():
    x = leaf([1.0, 2.0])
    loss = (x * x).sum()
    loss.backward()
    with pytest.raises(tg.GraphFreedError, match="retain_graph"):
        loss.backward()
    assert issubclass(tg.GraphFreedError, RuntimeError)


def test_ops_that_save_nothing_are_freed_too():
    """Add and sum save no arrays, but a second pass must still be refused (and not count twice)."""
    x = leaf([1.0, 2.0])
    loss = (x + x).sum()
    loss.backward()
    with pytest.raises(tg.GraphFreedError, match="retain_graph=True"):
        loss.backward()
    np.testing.assert_array_equal(x.grad, [2, 2])


def test_a_shared_subgraph_is_freed_by_the_first_backward():
    x = leaf([1.0, 2.0])
    h = x.tanh()
    h.sum().backward()
    with pytest.raises(tg.GraphFreedError, match="tanh"):
        (h * 2).sum().backward()


def test_retain_graph_lets_the_second_call_add_the_same_gradients(rng):
    x_values = rng.standard_normal(3)
    x = leaf(x_values)
    loss = (x * x).tanh().sum()
    loss.backward(retain_graph=True)
    first = x.grad.copy()
    np.testing.assert_allclose(first, (1 - np.tanh(x_values ** 2) ** 2) * 2 * x_values)
    loss.backward(retain_graph=True)
    np.testing.assert_allclose(x.grad, 2 * first)
    loss.backward()                            # a third pass is fine: the second one retained too
    np.testing.assert_allclose(x.grad, 3 * first)
    with pytest.raises(tg.GraphFreedError):    # ... but this one freed the graph
        loss.backward()


# --- backward with an explicit gradient ---------------------------------------------------------
def test_backward_with_gradient_is_a_vector_jacobian_product(rng):
    x_values, seed = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    x = leaf(x_values)
    (x * x).backward(seed)                     # J is diag(2x): J^T seed = 2 x seed
    np.testing.assert_allclose(x.grad, 2 * x_values * seed)


def test_backward_seed_for_a_one_element_tensor_is_one():
    x = leaf([[2.0]])
    (x * 3).backward()                         # shape (1, 1): one element, so the seed is 1
    np.testing.assert_array_equal(x.grad, [[3]])
    y = leaf(4.0)
    y.backward()                               # a leaf's own backward: dy/dy = 1
    assert y.grad == 1.0


# --- gradients toward chosen tensors (autograd.grad) walk only what can reach them -----------------
def test_a_gradient_toward_an_intermediate_walks_only_the_graph_above_it(monkeypatch):
    x = leaf([0.5, -0.2])
    states = [x]
    for _ in range(300):                       # a chain h_t = tanh(0.9 h_(t-1)): 600 nodes
        states.append((states[-1] * 0.9).tanh())
    calls = []
    tanh_backward = tg.core.ops.Tanh.backward
    monkeypatch.setattr(tg.core.ops.Tanh, "backward", lambda self, g: calls.append(1) or tanh_backward(self, g))
    (dh,) = tg.autograd.grad(states[-1].sum(), [states[-2]])
    h = states[-1].data
    np.testing.assert_allclose(dh.data, 0.9 * (1 - h * h), rtol=1e-6)     # d tanh(0.9 u)/du, by hand
    assert len(calls) == 1                     # the last step's backward only, not the 299 below it
    # the ops below h_299 were not walked, so they kept their saved arrays (as in PyTorch): a gradient
    # through them works without retain_graph, and walks every step down to x
    (dx,) = tg.autograd.grad(states[-2].sum(), [x])
    assert len(calls) == 1 + 299
    expected = np.ones(2)
    for s in reversed(states[1:-1]):
        expected = expected * 0.9 * (1 - s.data * s.data)
    np.testing.assert_allclose(dx.data, expected, rtol=1e-5)
