"""The numbers quoted in the lectures, checked from the mathematics.

Eigenvalues of the small example matrices, the orthogonal matrices orthogonal_ produces, and
the gradient-clipping examples (8, 6) and (80, 60) at threshold 10."""
import math

import numpy as np
import pytest

import tinygrad_rnn as tg
from tinygrad_rnn.nn import Parameter, init
from tinygrad_rnn.nn.utils import clip_grad_norm_

SQRT_HALF = 1 / math.sqrt(2)


# --- eigenvalues of the example matrices -----------------------------------------------
def test_all_ones_matrix_has_eigenvalues_0_and_2():
    a = np.array([[1.0, 1.0], [1.0, 1.0]])
    # characteristic polynomial: λ² - trace·λ + det = λ² - 2λ = λ(λ - 2)
    assert np.trace(a) == 2.0 and np.linalg.det(a) == pytest.approx(0.0, abs=1e-15)
    np.testing.assert_allclose(np.sort(np.linalg.eigvals(a).real), [0.0, 2.0], atol=1e-12)
    # eigenvectors: (1, 1) is stretched by 2, (1, -1) is sent to 0
    np.testing.assert_array_equal(a @ [1.0, 1.0], [2.0, 2.0])
    np.testing.assert_array_equal(a @ [1.0, -1.0], [0.0, 0.0])
    assert init.spectral_radius(tg.tensor(a)) == pytest.approx(2.0)
    halved = init.scale_to_spectral_radius_(tg.tensor(a.copy()), 1.0)
    np.testing.assert_allclose(halved.data, a / 2, rtol=1e-12)


def test_the_example_reflection_is_orthogonal_with_eigenvalues_plus_minus_one():
    q = np.array([[SQRT_HALF, -SQRT_HALF], [-SQRT_HALF, -SQRT_HALF]])
    np.testing.assert_allclose(q.T @ q, np.eye(2), atol=1e-15)
    # symmetric with trace 0 and det -1/2 - 1/2 = -1, so λ² - 1 = 0: λ = ±1
    assert np.trace(q) == 0.0
    assert np.linalg.det(q) == pytest.approx(-1.0, rel=1e-15)
    np.testing.assert_allclose(np.sort(np.linalg.eigvals(q).real), [-1.0, 1.0], atol=1e-15)
    x = np.array([3.0, -4.0])
    assert np.linalg.norm(q @ x) == pytest.approx(5.0, rel=1e-15)   # lengths are kept
    assert init.spectral_radius(tg.tensor(q)) == pytest.approx(1.0)


# --- orthogonal_ ------------------------------------------------------------------------
@pytest.mark.parametrize("n", [1, 2, 3, 4, 10, 50])
def test_orthogonal_square_matrices(n):
    w = Parameter(np.zeros((n, n)))
    init.orthogonal_(w, generator=np.random.default_rng(n))
    np.testing.assert_allclose(w.data.T @ w.data, np.eye(n), atol=1e-12)
    np.testing.assert_allclose(np.abs(np.linalg.eigvals(w.data)), 1.0, atol=1e-10)
    assert abs(np.linalg.det(w.data)) == pytest.approx(1.0, rel=1e-10)
    # so repeated application neither explodes nor vanishes
    h = np.random.default_rng(0).standard_normal(n)
    for _ in range(100):
        h_next = w.data @ h
        assert np.linalg.norm(h_next) == pytest.approx(np.linalg.norm(h), rel=1e-10)
        h = h_next


@pytest.mark.parametrize("shape", [(2, 5), (5, 2), (3, 8), (8, 3)])
def test_orthogonal_non_square_matrices(shape):
    w = Parameter(np.zeros(shape))
    init.orthogonal_(w, generator=np.random.default_rng(0))
    rows, cols = shape
    if rows < cols:
        np.testing.assert_allclose(w.data @ w.data.T, np.eye(rows), atol=1e-12)   # orthonormal rows
    else:
        np.testing.assert_allclose(w.data.T @ w.data, np.eye(cols), atol=1e-12)   # orthonormal columns


# --- gradient clipping at threshold 10 ----------------------------------------------------
def _gradient(values):
    p = Parameter(np.zeros(2))
    p.grad = np.array(values, dtype=np.float64)
    return p


def test_gradient_8_6_has_norm_10_and_is_clipped_only_by_the_1e_minus_6():
    """||(8, 6)|| = sqrt(64 + 36) = 10, exactly the threshold. PyTorch's coefficient
    10 / (10 + 1e-6) is just below 1, so the gradient shrinks by 1e-7 relative:
    unchanged to 7 significant digits, but not bit for bit."""
    p = _gradient([8.0, 6.0])
    total = clip_grad_norm_([p], max_norm=10.0)
    assert total.item() == 10.0
    coef = 10 / (10 + 1e-6)
    assert 1 - coef == pytest.approx(1e-7, rel=1e-6)
    np.testing.assert_allclose(p.grad, [8.0 * coef, 6.0 * coef], rtol=1e-15)
    np.testing.assert_allclose(p.grad, [8.0, 6.0], rtol=2e-7)


def test_gradient_8_6_below_a_larger_threshold_is_unchanged_exactly():
    """With threshold 11 the coefficient 11 / (10 + 1e-6) > 1 is clamped to 1: no change at all."""
    p = _gradient([8.0, 6.0])
    assert clip_grad_norm_([p], max_norm=11.0).item() == 10.0
    np.testing.assert_array_equal(p.grad, [8.0, 6.0])


def test_gradient_80_60_is_clipped_to_8_6():
    """||(80, 60)|| = 100; coefficient 10 / (100 + 1e-6), so (80, 60) becomes
    (7.99999992..., 5.99999994...): the direction is kept and the norm is 10 (minus 1e-7)."""
    p = _gradient([80.0, 60.0])
    total = clip_grad_norm_([p], max_norm=10.0)
    assert total.item() == 100.0                              # the norm before clipping
    np.testing.assert_allclose(p.grad, [80 * 10 / (100 + 1e-6), 60 * 10 / (100 + 1e-6)], rtol=1e-15)
    assert p.grad[0] == pytest.approx(7.99999992, abs=1e-8)
    assert p.grad[1] == pytest.approx(5.99999994, abs=1e-8)
    assert p.grad[0] / p.grad[1] == pytest.approx(80 / 60, rel=1e-15)
    assert np.linalg.norm(p.grad) == pytest.approx(10.0, rel=2e-8)
