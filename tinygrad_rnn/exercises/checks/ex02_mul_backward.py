"""Checks for exercise 02: ``unbroadcast`` and ``Mul.backward``."""
import numpy as np

from ...core import function as library_function
from ._helpers import assert_close, get, not_the_library, one_gradient_tuple, own_function, spy_on_backward, tensor64


def check_unbroadcast(mod):
    """unbroadcast sums a gradient down to the input's shape: (2,3)->(3,), (2,3)->(2,1), (4,2,3)->(1,3), ->()"""
    unbroadcast = get(mod, "unbroadcast")
    not_the_library(unbroadcast, library_function.unbroadcast, "unbroadcast")
    g = np.arange(6.0).reshape(2, 3)
    assert_close(unbroadcast(g, (3,)), [3.0, 5.0, 7.0], "unbroadcast(grad of shape (2, 3), (3,))")
    assert_close(unbroadcast(g, (2, 1)), [[3.0], [12.0]], "unbroadcast(grad of shape (2, 3), (2, 1))")
    assert_close(unbroadcast(g, (2, 3)), g, "unbroadcast(grad of shape (2, 3), (2, 3)) (nothing to sum)")
    assert_close(unbroadcast(g, ()), 15.0, "unbroadcast(grad of shape (2, 3), ()) (a scalar input)")
    g3 = np.arange(24.0).reshape(4, 2, 3)
    assert_close(unbroadcast(g3, (1, 3)), g3.sum(axis=(0, 1)).reshape(1, 3),
                 "unbroadcast(grad of shape (4, 2, 3), (1, 3))")


def check_same_shapes(mod):
    """Mul.backward without broadcasting: (G * b, G * a)"""
    Mul = own_function(mod, "Mul")
    rng = np.random.default_rng(2)
    a, b, G = rng.standard_normal((3, 4)), rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    fn = Mul()
    fn.forward(a, b)
    g_a, g_b = one_gradient_tuple(fn.backward(G), 2, "Mul.backward")
    assert_close(g_a, G * b, "dL/da for a, b of shape (3, 4)")
    assert_close(g_b, G * a, "dL/db for a, b of shape (3, 4)")


def check_broadcasting(mod):
    """Mul.backward with broadcasting: (3,4)*(4,) and (2,1,3)*(4,1) give gradients of the inputs' shapes"""
    Mul = own_function(mod, "Mul")
    rng = np.random.default_rng(3)
    # a row vector b (4,) used by all 3 rows of a (3, 4): dL/db sums over the rows
    a, b, G = rng.standard_normal((3, 4)), rng.standard_normal(4), rng.standard_normal((3, 4))
    fn = Mul()
    fn.forward(a, b)
    g_a, g_b = one_gradient_tuple(fn.backward(G), 2, "Mul.backward")
    assert_close(g_a, G * b[None, :], "dL/da for a (3, 4) * b (4,)")
    assert_close(g_b, np.einsum("ij,ij->j", G, a), "dL/db for a (3, 4) * b (4,) (b was used by every row)")
    # both sides stretched: (2, 1, 3) * (4, 1) -> (2, 4, 3)
    a, b, G = rng.standard_normal((2, 1, 3)), rng.standard_normal((4, 1)), rng.standard_normal((2, 4, 3))
    fn = Mul()
    fn.forward(a, b)
    g_a, g_b = one_gradient_tuple(fn.backward(G), 2, "Mul.backward")
    assert_close(g_a, np.einsum("ijk,jl->ik", G, b)[:, None, :], "dL/da for a (2, 1, 3) * b (4, 1)")
    assert_close(g_b, np.einsum("ijk,ilk->j", G, a)[:, None], "dL/db for a (2, 1, 3) * b (4, 1)")


def check_in_the_engine(mod):
    """in a graph: loss.backward() runs your Mul.backward, and a*a (fan-in) gives 2a"""
    Mul = own_function(mod, "Mul")
    Spy, calls = spy_on_backward(Mul)
    rng = np.random.default_rng(4)
    a = tensor64(rng.standard_normal((2, 3)), requires_grad=True)
    b = tensor64(rng.standard_normal(3), requires_grad=True)
    out = Spy.apply(a, b)
    if not isinstance(out.grad_fn, Mul):
        raise AssertionError(f"Mul.apply(a, b) should make a node of your Mul class, got {out.grad_fn!r}")
    (out * out).sum().backward()                  # L = sum((a b)^2): dL/d(out) = 2 out
    if not calls:
        raise AssertionError("loss.backward() never called your Mul.backward")
    assert_close(a.grad, 2 * a.data * b.data ** 2, "a.grad for L = sum((a * b)^2)")
    assert_close(b.grad, (2 * a.data ** 2 * b.data).sum(axis=0), "b.grad for L = sum((a * b)^2), b of shape (3,)")
    x = tensor64([1.0, -2.0, 3.0], requires_grad=True)
    Mul.apply(x, x).sum().backward()
    assert_close(x.grad, 2 * x.data, "x.grad for L = sum(x * x) (x feeds both inputs)")


TESTS = [check_unbroadcast, check_same_shapes, check_broadcasting, check_in_the_engine]
