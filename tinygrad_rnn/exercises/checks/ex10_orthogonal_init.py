"""Checks for exercise 10: ``orthogonal(A, gain)``."""
import numpy as np

from ...nn import init
from ._helpers import as_array, assert_close, get, not_the_library

#: switched off while the learner's code runs (``_helpers.switched_off``)
LIBRARY_OFF = [init._orthogonal_from, init.orthogonal_, init.orthogonal_per_gate_]


def _call(orthogonal, A, what, **kwargs):
    before = A.copy()
    Q = as_array(orthogonal(A, **kwargs), what)
    if not np.array_equal(A, before):
        raise AssertionError(f"{what} changed its input A; work on a copy (np.linalg.qr does not change A)")
    if Q.shape != A.shape:
        raise AssertionError(f"{what}: the result must have A's shape {A.shape}, got {Q.shape}")
    return Q


def _assert_sign_fixed(Q, A, what):
    """Q^T A = R must be upper triangular with a positive diagonal (for tall or square A)."""
    R = Q.T @ A
    if not np.allclose(np.tril(R, -1), 0, atol=1e-9):
        raise AssertionError(f"{what}: Q^T A should be upper triangular (Q must come from the QR of A itself), "
                             f"got\n{np.round(R, 4)}")
    diag = np.diag(R)
    if np.any(diag <= 0):
        raise AssertionError(f"{what}: diag(Q^T A) = diag(R) = {np.round(diag, 4)} has negative entries. Apply the "
                             "sign fix: multiply column j of Q by sign(R[j, j]).")


def check_square(mod):
    """square 5x5: Q^T Q = I, |eigenvalues| = 1, and Q^T A has a positive diagonal"""
    orthogonal = get(mod, "orthogonal")
    not_the_library(orthogonal, init._orthogonal_from, "orthogonal")
    A = np.random.default_rng(21).standard_normal((5, 5))
    Q = _call(orthogonal, A, "orthogonal(A) for A of shape (5, 5)")
    assert_close(Q.T @ Q, np.eye(5), "Q^T Q for A of shape (5, 5)", atol=1e-10)
    assert_close(np.abs(np.linalg.eigvals(Q)), np.ones(5), "|eigenvalues| of Q", atol=1e-9)
    _assert_sign_fixed(Q, A, "orthogonal(A) for A of shape (5, 5)")


def check_sign_fix(mod):
    """the sign fix makes Q unique: the same Q as PyTorch's algorithm, for several draws"""
    orthogonal = get(mod, "orthogonal")
    rng = np.random.default_rng(22)
    for k in range(4):
        A = rng.standard_normal((4, 4))
        what = f"orthogonal(A) for random draw #{k} of shape (4, 4)"
        Q = _call(orthogonal, A, what)
        _assert_sign_fixed(Q, A, what)
        assert_close(Q, init._orthogonal_from(A), what, atol=1e-10)


def check_tall_and_wide(mod):
    """tall (6,3): orthonormal columns; wide (3,6): orthonormal rows"""
    orthogonal = get(mod, "orthogonal")
    rng = np.random.default_rng(23)
    A = rng.standard_normal((6, 3))
    Q = _call(orthogonal, A, "orthogonal(A) for A of shape (6, 3)")
    assert_close(Q.T @ Q, np.eye(3), "Q^T Q for a tall A (6, 3): the columns must be orthonormal", atol=1e-10)
    _assert_sign_fixed(Q, A, "orthogonal(A) for A of shape (6, 3)")
    A = rng.standard_normal((3, 6))
    Q = _call(orthogonal, A, "orthogonal(A) for A of shape (3, 6)")
    assert_close(Q @ Q.T, np.eye(3), "Q Q^T for a wide A (3, 6): the rows must be orthonormal", atol=1e-10)
    _assert_sign_fixed(Q.T, A.T, "orthogonal(A) for A of shape (3, 6) (checked on the transposes)")


def check_gain(mod):
    """gain scales Q: orthogonal(A, gain=1.5) = 1.5 Q, |eigenvalues| = 1.5"""
    orthogonal = get(mod, "orthogonal")
    A = np.random.default_rng(24).standard_normal((4, 4))
    Q = _call(orthogonal, A, "orthogonal(A, gain=1.5)", gain=1.5)
    assert_close(Q.T @ Q, 2.25 * np.eye(4), "Q^T Q for gain=1.5 (should be 1.5^2 I)", atol=1e-10)
    assert_close(Q, 1.5 * init._orthogonal_from(A), "orthogonal(A, gain=1.5)", atol=1e-10)


TESTS = [check_square, check_sign_fix, check_tall_and_wide, check_gain]
