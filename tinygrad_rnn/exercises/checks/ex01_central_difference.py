"""Checks for exercise 01: ``central_difference(f, x, eps)``."""
import numpy as np

from ._helpers import as_array, assert_close, get


def check_cubic_vector(mod):
    """the gradient of sum(x^3) on a vector is 3 x^2"""
    central_difference = get(mod, "central_difference")
    x = np.array([1.0, -2.0, 0.5])
    g = central_difference(lambda v: float(np.sum(v ** 3)), x)
    assert_close(g, 3 * x ** 2, "central_difference(sum(x**3), [1, -2, 0.5])", rtol=1e-6, atol=1e-6)


def check_matrix_input(mod):
    """works on a matrix: the gradient of sum(tanh(X X^T)) is 2 (1 - tanh^2(X X^T)) X"""
    central_difference = get(mod, "central_difference")
    X = np.array([[0.3, -0.2, 0.1], [0.5, 0.4, -0.6]])
    g = central_difference(lambda M: float(np.sum(np.tanh(M @ M.T))), X)
    S = 1 - np.tanh(X @ X.T) ** 2                    # symmetric, so d/dX sum(tanh(X X^T)) = 2 S X
    assert_close(g, 2 * S @ X, "central_difference(sum(tanh(X X^T)), X) for X of shape (2, 3)",
                 rtol=1e-5, atol=1e-7)


def check_x_unchanged(mod):
    """leaves the caller's x unchanged"""
    central_difference = get(mod, "central_difference")
    x = np.array([[0.25, -1.5], [2.0, 0.125]])
    before = x.copy()
    g = central_difference(lambda v: float(np.sum(np.sin(v))), x)
    if not np.array_equal(x, before):
        raise AssertionError(f"x was changed by central_difference: it was\n{before}\nand is now\n{x}\n"
                             "Work on a copy, or put each entry back after nudging it.")
    if as_array(g, "the result") is x:
        raise AssertionError("central_difference returned x itself; return a new array of gradients")


def check_central_not_forward(mod):
    """uses the given eps in both directions: for x^3 at 1 with eps = 0.1 the estimate is exactly 3.01"""
    central_difference = get(mod, "central_difference")
    g = as_array(central_difference(lambda v: float(np.sum(v ** 3)), np.array([1.0]), eps=0.1),
                 "central_difference(x**3, [1.0], eps=0.1)")
    # ((1.1)^3 - (0.9)^3) / 0.2 = 3 + 0.1^2 = 3.01; a forward difference would give 3.31.
    if g.shape != (1,) or not np.isclose(g[0], 3.01, rtol=0, atol=1e-9):
        hint = " That is the forward difference (f(x+eps) - f(x)) / eps." if np.isclose(g.ravel()[0], 3.31) else ""
        raise AssertionError(f"central_difference(x**3, [1.0], eps=0.1) should be [3.01] "
                             f"(= ((1.1)^3 - (0.9)^3) / 0.2), got {g}.{hint}")


TESTS = [check_cubic_vector, check_matrix_input, check_x_unchanged, check_central_not_forward]
