"""``tinygrad_rnn.nn.functional`` (PyTorch's ``torch.nn.functional``, ``F``): values, gradients, and
numerical stability.

Expected values are written out with NumPy from the textbook formulas:

    softmax(x)_i     = exp(x_i) / sum_j exp(x_j)
    log_softmax(x)_i = x_i - logsumexp(x)
    cross_entropy    = mean_n [ logsumexp(x_n) - x_n[target_n] ],   d/dx = (softmax(x) - onehot) / N
    mse_loss         = mean (input - target)^2

Gradients of every shape are covered by gradcheck in ``test_core_gradcheck_ops.py``;
here we check values, the closed-form gradients, and that huge inputs
(sigmoid(±1000), logits ~1e4) neither overflow nor warn.
"""
import warnings

import numpy as np
import pytest

import tinygrad_rnn as tg
from tinygrad_rnn.nn import functional as F

from helpers import leaf


def np_logsumexp(x, axis):
    m = x.max(axis=axis, keepdims=True)
    return m + np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


@pytest.fixture
def strict_floats():
    """Any overflow, invalid operation, division by zero, or warning is an error."""
    with np.errstate(over="raise", invalid="raise", divide="raise"), warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


# --- where it lives --------------------------------------------------------------------------------
def test_the_old_place_re_exports_the_same_functions():
    import tinygrad_rnn.functional as old_place
    import tinygrad_rnn.nn.functional as nn_functional
    from tinygrad_rnn import functional as old_from
    assert F is nn_functional and tg.nn.functional is F and old_from is old_place
    assert old_place.__all__ == F.__all__ and "cross_entropy" in F.__all__
    for name in F.__all__:
        assert getattr(old_place, name) is getattr(F, name), name
    assert F.linear.__module__ == "tinygrad_rnn.nn.functional"


# --- values ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmax_matches_formula_and_sums_to_one(dim, rng):
    x = rng.standard_normal((3, 4))
    expected = np.exp(x) / np.exp(x).sum(axis=dim, keepdims=True)
    out = F.softmax(leaf(x), dim=dim).data
    np.testing.assert_allclose(out, expected, rtol=1e-12)
    np.testing.assert_allclose(out.sum(axis=dim), 1.0, rtol=1e-12)


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_log_softmax_matches_formula(dim, rng):
    x = rng.standard_normal((3, 4))
    expected = x - np.log(np.exp(x).sum(axis=dim, keepdims=True))
    np.testing.assert_allclose(F.log_softmax(leaf(x), dim=dim).data, expected, rtol=1e-12)


def test_softmax_gradient_closed_form(rng):
    """d(sum_i w_i s_i)/dx_j = s_j (w_j - sum_i w_i s_i)."""
    x, w = rng.standard_normal(5), rng.standard_normal(5)
    s = np.exp(x) / np.exp(x).sum()
    t = leaf(x)
    (F.softmax(t) * tg.Tensor(w)).sum().backward()
    np.testing.assert_allclose(t.grad, s * (w - (w * s).sum()), rtol=1e-10)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_value_and_gradient(reduction, rng):
    n, classes = 4, 3
    x, target = rng.standard_normal((n, classes)), np.array([0, 2, 1, 2])
    per_sample = np_logsumexp(x, 1)[:, 0] - x[np.arange(n), target]
    expected = {"mean": per_sample.mean(), "sum": per_sample.sum(), "none": per_sample}[reduction]
    logits = leaf(x)
    loss = F.cross_entropy(logits, target, reduction=reduction)
    np.testing.assert_allclose(loss.data, expected, rtol=1e-12)
    loss.sum().backward()
    softmax = np.exp(x) / np.exp(x).sum(axis=1, keepdims=True)
    scale = 1 / n if reduction == "mean" else 1.0
    np.testing.assert_allclose(logits.grad, (softmax - np.eye(classes)[target]) * scale, rtol=1e-10)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_nll_loss_picks_minus_the_target_entry(reduction, rng):
    """nll_loss(logp, t) = -logp[n, t_n], averaged/summed/per row; d/dlogp = -onehot (/ N for the mean)."""
    n, classes = 5, 4
    x, target = rng.standard_normal((n, classes)), np.array([3, 0, 1, 3, 2])
    per_row = -x[np.arange(n), target]
    expected = {"mean": per_row.mean(), "sum": per_row.sum(), "none": per_row}[reduction]
    logp = leaf(x)
    loss = F.nll_loss(logp, tg.Tensor(target), reduction=reduction)
    np.testing.assert_allclose(loss.data, expected, rtol=1e-12)
    loss.sum().backward()
    scale = 1 / n if reduction == "mean" else 1.0
    np.testing.assert_allclose(logp.grad, -np.eye(classes)[target] * scale, rtol=1e-12)


def test_cross_entropy_is_nll_loss_of_log_softmax(rng):
    x, target = rng.standard_normal((3, 5)), [4, 0, 2]
    np.testing.assert_allclose(F.cross_entropy(leaf(x), target).data,
                               F.nll_loss(F.log_softmax(leaf(x), dim=1), target).data, rtol=1e-12)


@pytest.mark.parametrize("call, error, fragment", [
    (lambda x: F.nll_loss(x, [0.5, 1.0]), TypeError, "integer class indices"),
    (lambda x: F.nll_loss(x, [0, 1, 2]), ValueError, "one class index per row"),
    (lambda x: F.nll_loss(x, [0, 3]), IndexError, "must be in [0, 2]"),
    (lambda x: F.nll_loss(x[0], [0]), ValueError, "(N, C) log-probabilities"),
    (lambda x: F.nll_loss(x, [0, 1], reduction="avg"), ValueError, "'mean', 'sum' or 'none'"),
    (lambda x: F.nll_loss(x.data, [0, 1]), TypeError, "must be a Tensor"),
])
def test_nll_loss_errors_name_the_problem(call, error, fragment, rng):
    with pytest.raises(error) as caught:
        call(leaf(rng.standard_normal((2, 3))))
    assert "nll_loss" in str(caught.value) and fragment in str(caught.value)


def test_cross_entropy_accepts_tensor_target_and_single_sample(rng):
    x = rng.standard_normal((2, 3))
    by_list = F.cross_entropy(leaf(x), [1, 0]).data
    np.testing.assert_array_equal(F.cross_entropy(leaf(x), tg.Tensor([1, 0])).data, by_list)
    single = F.cross_entropy(leaf(x[0]), 1).data                 # (C,) logits and a scalar target
    np.testing.assert_allclose(single, np_logsumexp(x[0], 0)[0] - x[0, 1], rtol=1e-12)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_loss_value_and_gradient(reduction, rng):
    a, b = rng.standard_normal((3, 2)), rng.standard_normal((3, 2))
    squared = (a - b) ** 2
    expected = {"mean": squared.mean(), "sum": squared.sum(), "none": squared}[reduction]
    x, y = leaf(a), leaf(b)
    loss = F.mse_loss(x, y, reduction=reduction)
    np.testing.assert_allclose(loss.data, expected, rtol=1e-12)
    loss.sum().backward()
    scale = 1 / a.size if reduction == "mean" else 1.0
    np.testing.assert_allclose(x.grad, 2 * (a - b) * scale, rtol=1e-12)
    np.testing.assert_allclose(y.grad, -2 * (a - b) * scale, rtol=1e-12)


def test_mse_loss_accepts_an_array_or_list_target():
    x = leaf([1.0, 2.0])
    np.testing.assert_allclose(F.mse_loss(x, [0.0, 0.0]).data, 2.5)
    np.testing.assert_allclose(F.mse_loss(x, np.array([1.0, 4.0])).data, 2.0)


# --- numerical stability ------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_of_huge_inputs_is_exact_without_overflow(dtype, strict_floats):
    x = tg.Tensor(np.array([-1000.0, 1000.0, -50.0, 0.0], dtype=dtype), requires_grad=True)
    y = x.sigmoid()
    assert y.data[0] == 0.0 and y.data[1] == 1.0
    np.testing.assert_allclose(y.data[2], np.exp(-50.0) / (1 + np.exp(-50.0)), rtol=1e-6)
    assert y.data[3] == 0.5
    y.sum().backward()
    assert np.isfinite(x.grad).all()
    np.testing.assert_array_equal(x.grad[:2], [0, 0])
    assert x.grad[3] == 0.25                                           # s (1 - s) at 0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_log_softmax_of_huge_logits_is_finite_and_correct(dtype, strict_floats):
    x = np.array([[1e4, 0.0, -1e4], [1e4, 1e4 - 1.0, 1e4 - 3.0]], dtype=dtype)
    logits = tg.Tensor(x, requires_grad=True)
    out = F.log_softmax(logits, dim=1)
    # row 0: logsumexp = 1e4 + log(1 + e^-1e4 + e^-2e4) = 1e4 (in floating point)
    # row 1: logsumexp = 1e4 + log(1 + e^-1 + e^-3)
    lse1 = np.log(1 + np.exp(-1.0) + np.exp(-3.0))
    expected = np.array([[0.0, -1e4, -2e4], [-lse1, -1 - lse1, -3 - lse1]])
    assert np.isfinite(out.data).all()
    np.testing.assert_allclose(out.data, expected, rtol=1e-6, atol=1e-5)
    out.sum().backward()
    assert np.isfinite(logits.grad).all()
    softmax = F.softmax(logits, dim=1).data
    assert np.isfinite(softmax).all()
    np.testing.assert_allclose(softmax.sum(axis=1), 1.0, rtol=1e-6)


def test_cross_entropy_of_huge_logits_is_finite_and_correct(strict_floats):
    x = np.array([[1e4, 0.0, -1e4], [1e4, 0.0, -1e4], [5e3, 5e3, 0.0]])
    logits = leaf(x)
    loss = F.cross_entropy(logits, [0, 1, 1], reduction="none")
    # -log softmax: 0 for the dominant class, 1e4 one class below it, log 2 for an exact tie
    np.testing.assert_allclose(loss.data, [0.0, 1e4, np.log(2)], rtol=1e-12, atol=1e-12)
    loss.sum().backward()
    np.testing.assert_allclose(logits.grad, [[0, 0, 0], [1, -1, 0], [0.5, -0.5, 0]], atol=1e-12)
