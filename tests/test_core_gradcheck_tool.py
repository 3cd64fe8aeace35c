"""The checking tools themselves: ``gradcheck``, ``jacobian`` and ``autograd.grad``.

Every op test relies on gradcheck, so first we prove it *can* fail: deliberately wrong
ops (a tanh whose backward forgets a factor, an add that forgets to sum a broadcast
gradient back down) must be caught, with a message that names the input, the element
and both values.

Then ``jacobian`` is compared with Jacobians derived by hand, and ``autograd.grad`` is
shown to return gradients of intermediate tensors without touching any ``.grad``.
"""
import re

import numpy as np
import pytest

import tinygrad_rnn as tg
from tinygrad_rnn import Function, autograd
from tinygrad_rnn.autograd import GradcheckError, gradcheck, jacobian

from helpers import leaf


# --- deliberately wrong ops --------------------------------------------------------------------
class WrongTanh(Function):
    def forward(self, x):
        y = np.tanh(x)
        self.save_for_backward(y)
        return y

    def backward(self, grad):
        # WRONG on purpose: d tanh(x)/dx is 1 - y^2, not 1 - y
        (y,) = self.saved
        return (grad * (1 - y),)


class WrongSecondInput(Function):
    """a * b whose gradient for b is wrong (b instead of a)."""

    def forward(self, a, b):
        self.save_for_backward(a, b)
        return a * b

    def backward(self, grad):
        # WRONG on purpose for b: d(ab)/db = a
        a, b = self.saved
        return grad * b, grad * b


class WrongAtOneElement(Function):
    """2x, except that d y_(1,2) / d x_(1,2) comes out as 3."""

    def forward(self, x):
        return 2 * x

    def backward(self, grad):
        # WRONG on purpose at (1, 2): d(2x)/dx = 2 everywhere
        out = 2 * grad
        out[1, 2] += grad[1, 2]
        return (out,)


class AddForgettingUnbroadcast(Function):
    def forward(self, a, b):
        return a + b

    def backward(self, grad):
        # WRONG on purpose: a broadcast input's gradient must be summed back to its shape
        return grad, grad


class CorrectTanh(WrongTanh):
    def backward(self, grad):
        # d tanh(x)/dx = 1 - tanh(x)^2
        (y,) = self.saved
        return (grad * (1 - y * y),)


MESSAGE = re.compile(r"input (\d+).* at index \(([\d, ]*)\), output element (\d+): backward gives (\S+), "
                     r"central difference gives (\S+)")


def test_wrong_tanh_is_caught_with_input_element_and_both_values():
    x_values = np.array([0.3, -0.7, 1.1])
    with pytest.raises(GradcheckError) as err:
        gradcheck(WrongTanh.apply, leaf(x_values))
    match = MESSAGE.search(str(err.value))
    assert match, str(err.value)
    input_index, element, out_row, backward_value, numerical_value = match.groups()
    assert input_index == "0"
    assert element == "0," and out_row == "0"         # the first wrong entry: d y_0 / d x_0
    y0 = np.tanh(x_values[0])
    np.testing.assert_allclose(float(backward_value), 1 - y0, rtol=1e-8)       # what the bad backward said
    np.testing.assert_allclose(float(numerical_value), 1 - y0 ** 2, rtol=1e-6)  # the truth
    assert isinstance(err.value, AssertionError)      # so a bare `assert gradcheck(...)` reads naturally


def test_raise_exception_false_returns_false():
    assert gradcheck(WrongTanh.apply, leaf([0.3, -0.7]), raise_exception=False) is False
    assert gradcheck(CorrectTanh.apply, leaf([0.3, -0.7]), raise_exception=False) is True
    assert gradcheck(CorrectTanh.apply, leaf([0.3, -0.7])) is True


def test_message_names_the_second_input_and_its_name():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 5.0], name="b")
    with pytest.raises(GradcheckError, match=r"input 1 \('b'\) of shape \(2,\) at index \(0,\)") as err:
        gradcheck(WrongSecondInput.apply, (a, b))
    backward_value, numerical_value = MESSAGE.search(str(err.value)).groups()[3:]
    assert float(backward_value) == pytest.approx(3.0)      # b_0, the wrong answer
    assert float(numerical_value) == pytest.approx(1.0)     # a_0, the right one


def test_message_names_a_multi_dimensional_element():
    x = leaf(np.ones((2, 3)))
    with pytest.raises(GradcheckError, match=r"1 of 36 entries differ") as err:
        gradcheck(WrongAtOneElement.apply, x)
    input_index, element, out_row, backward_value, numerical_value = MESSAGE.search(str(err.value)).groups()
    assert (input_index, element, out_row) == ("0", "1, 2", "5")   # y_(1,2) is output element 5 (row-major)
    assert float(backward_value) == pytest.approx(3.0)
    assert float(numerical_value) == pytest.approx(2.0)


def test_gradient_not_summed_over_broadcast_dims_is_caught():
    a, b = leaf(np.ones((2, 3))), leaf(np.ones(3))
    with pytest.raises(GradcheckError, match=r"shape \(2, 3\) for input 1 of shape \(3,\)"):
        gradcheck(AddForgettingUnbroadcast.apply, (a, b))
    assert gradcheck(AddForgettingUnbroadcast.apply, (a, b), raise_exception=False) is False
    assert gradcheck(lambda a, b: a + b, (a, b))            # the real add is fine


def test_gradcheck_leaves_the_callers_tensors_alone():
    x = tg.Tensor(np.array([0.5, 1.5], dtype=np.float32), requires_grad=True)
    before = x.data.copy()
    assert gradcheck(lambda x: (x * x).sum(), x)           # checked in float64 on a copy
    assert x.grad is None and x.dtype == np.float32
    np.testing.assert_array_equal(x.data, before)


def test_gradcheck_checks_only_inputs_that_require_grad():
    x, constant = leaf([1.0, 2.0]), tg.Tensor([3.0, 4.0])
    assert gradcheck(lambda x, c: x * c, (x, constant))
    with pytest.raises(ValueError, match="no input has requires_grad=True"):
        gradcheck(lambda c: c * 2, constant)


# --- jacobian ----------------------------------------------------------------------------------------
def test_jacobian_of_tanh_is_diagonal(rng):
    x = rng.standard_normal(4)
    J = jacobian(lambda t: t.tanh(), tg.Tensor(x))
    np.testing.assert_allclose(J.data, np.diag(1 - np.tanh(x) ** 2), rtol=1e-12)


def test_jacobian_of_a_linear_map_is_the_weight(rng):
    W, x = rng.standard_normal((3, 4)), rng.standard_normal(4)
    J = jacobian(lambda t: t @ tg.Tensor(W).T, x)             # y = W x
    assert J.shape == (3, 4)
    np.testing.assert_allclose(J.data, W, rtol=1e-12)


def test_jacobian_shape_is_output_shape_plus_input_shape(rng):
    x = rng.standard_normal((2, 3))
    J = jacobian(lambda t: t * t, x)                          # dy_ij/dx_kl = 2 x_ij [ij == kl]
    assert J.shape == (2, 3, 2, 3)
    expected = np.zeros((2, 3, 2, 3))
    for i, j in np.ndindex(2, 3):
        expected[i, j, i, j] = 2 * x[i, j]
    np.testing.assert_allclose(J.data, expected, rtol=1e-12)
    np.testing.assert_allclose(jacobian(lambda t: t.sum(), x).data, np.ones((2, 3)))


def test_jacobian_of_a_function_that_ignores_x_is_zero():
    J = jacobian(lambda t: tg.Tensor([1.0, 2.0]), np.ones(3))
    np.testing.assert_array_equal(J.data, np.zeros((2, 3)))


def test_jacobian_rows_one_pass_per_element_or_per_unit_of_every_sample(rng):
    """The loop behind jacobian, gradcheck and analysis.jacobians: row k is d y[k] / d x."""
    W, x = rng.standard_normal((3, 4)), leaf(rng.standard_normal((2, 4)))       # a batch of 2 samples
    unused = leaf([1.0])
    y = x @ tg.Tensor(W).T                                    # (2, 3): y[b] = W x[b]
    full = autograd.jacobian_rows(y, [x, unused])
    assert len(full) == 6 and all(g_unused is None for _, g_unused in full)
    for (b, i), (g, _) in zip(np.ndindex(2, 3), full):      # d y[b, i] / dx: W's row i in sample b only
        expected = np.zeros((2, 4))
        expected[b] = W[i]
        np.testing.assert_allclose(g, expected, rtol=1e-12)
    per_unit = autograd.jacobian_rows(y, [x], per_sample=True)
    assert len(per_unit) == 3                                 # 3 passes, not 6
    for i, (g,) in enumerate(per_unit):                       # row i of both samples' blocks at once
        np.testing.assert_allclose(g, np.stack([W[i], W[i]]), rtol=1e-12)
    assert x.grad is None                                     # the passes only read the graph


# --- autograd.grad -----------------------------------------------------------------------------------
def test_grad_of_an_intermediate_touches_no_dot_grad(rng):
    W, x = leaf(rng.standard_normal((3, 2))), leaf(rng.standard_normal(2))
    h = W @ x
    y = h.tanh().sum()
    (dh,) = autograd.grad(y, h, retain_graph=True)
    np.testing.assert_allclose(dh.data, 1 - np.tanh(h.data) ** 2, rtol=1e-12)
    assert W.grad is None and x.grad is None and h.grad is None
    dh2, dW = autograd.grad(y, [h, W])
    np.testing.assert_allclose(dh2.data, dh.data)
    np.testing.assert_allclose(dW.data, np.outer(dh.data, x.data), rtol=1e-12)   # dL/dW = dL/dh x^T
    assert W.grad is None and x.grad is None


def test_grad_with_grad_outputs_for_a_non_scalar_output():
    x = leaf([1.0, 2.0, 3.0])
    y = x * x
    (dx,) = autograd.grad(y, x, grad_outputs=np.array([1.0, 0.0, 2.0]))
    np.testing.assert_allclose(dx.data, [2, 0, 12])


def test_grad_of_an_unused_input():
    x, unused = leaf([1.0]), leaf([2.0])
    y = (x * 3).sum()
    with pytest.raises(RuntimeError, match=r"grad: input 1 .*allow_unused=True"):
        autograd.grad(y, [x, unused], retain_graph=True)
    dx, du = autograd.grad(y, [x, unused], allow_unused=True)
    np.testing.assert_allclose(dx.data, [3])
    assert du is None
