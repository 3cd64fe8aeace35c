"""Checks for exercise 05: ``Tanh`` and ``Sigmoid`` (forward and backward)."""
import numpy as np

from ...autograd import GradcheckError, gradcheck
from ...core.ops import elementwise
from ._helpers import assert_close, one_gradient_tuple, own_function, spy_on_backward, tensor64

#: switched off while the learner's code runs (``_helpers.switched_off``)
LIBRARY_OFF = [elementwise.Tanh.forward, elementwise.Tanh.backward, elementwise.Sigmoid.forward,
               elementwise.Sigmoid.backward, elementwise.sigmoid]

_X = np.array([[-3.0, -1.0, -0.25], [0.0, 0.5, 2.5]])
_G = np.array([[0.5, -1.0, 2.0], [1.0, 3.0, -0.5]])


def _sigmoid_derivative(x):
    e = np.exp(-np.abs(x))                    # sigma'(x) = e^-x / (1 + e^-x)^2, symmetric in x
    return e / (1 + e) ** 2


def _direct(cls, what):
    fn = cls()
    y = fn.forward(_X.copy())
    (g,) = one_gradient_tuple(fn.backward(_G), 1, f"{what}.backward")
    return y, g


def check_tanh(mod):
    """Tanh: forward is tanh(x), backward is G * (1 - tanh(x)^2) = G / cosh(x)^2"""
    Tanh = own_function(mod, "Tanh")
    y, g = _direct(Tanh, "Tanh")
    assert_close(y, np.tanh(_X), "Tanh.forward(x)")
    assert_close(g, _G / np.cosh(_X) ** 2, "Tanh.backward(G): dL/dx")


def check_sigmoid(mod):
    """Sigmoid: forward is 1/(1+e^-x), backward is G * sigma(x)(1 - sigma(x))"""
    Sigmoid = own_function(mod, "Sigmoid")
    y, g = _direct(Sigmoid, "Sigmoid")
    assert_close(y, 0.5 * (1 + np.tanh(_X / 2)), "Sigmoid.forward(x)")      # sigma(x) = (1 + tanh(x/2)) / 2
    assert_close(g, _G * _sigmoid_derivative(_X), "Sigmoid.backward(G): dL/dx")


def check_gradcheck(mod):
    """both pass gradcheck (backward vs central differences) inside the engine"""
    rng = np.random.default_rng(9)
    for name in ("Tanh", "Sigmoid"):
        cls = own_function(mod, name)
        x = tensor64(rng.standard_normal((2, 3)) * 2, requires_grad=True)
        try:
            gradcheck(lambda t: cls.apply(t), (x,))
        except GradcheckError as err:
            raise AssertionError(f"{name}: {err}") from None


def check_in_the_engine(mod):
    """loss.backward() runs your backward methods: sigmoid(tanh(x)) chained in a graph"""
    Tanh, Sigmoid = own_function(mod, "Tanh"), own_function(mod, "Sigmoid")
    TanhSpy, tanh_calls = spy_on_backward(Tanh)
    SigmoidSpy, sigmoid_calls = spy_on_backward(Sigmoid)
    x = tensor64([-2.0, -0.5, 0.0, 1.5, 30.0], requires_grad=True)
    out = SigmoidSpy.apply(TanhSpy.apply(x) * 3)
    if not isinstance(out.grad_fn, Sigmoid):
        raise AssertionError(f"Sigmoid.apply(...) should make a node of your Sigmoid class, got {out.grad_fn!r}")
    out.sum().backward()
    if not tanh_calls or not sigmoid_calls:
        raise AssertionError("loss.backward() did not call your "
                             + ("Tanh.backward" if not tanh_calls else "Sigmoid.backward"))
    t = np.tanh(x.data)
    assert_close(x.grad, _sigmoid_derivative(3 * t) * 3 / np.cosh(x.data) ** 2, "x.grad for sum(sigmoid(3 tanh(x)))")


TESTS = [check_tanh, check_sigmoid, check_gradcheck, check_in_the_engine]
