"""Elementwise ops. Binary ones broadcast like NumPy; their backward sums the gradient
back down to each input's shape (``unbroadcast``)."""
import numpy as np

from ..function import Function, unbroadcast


class _Binary(Function):
    """What the four arithmetic ops share: the message when their operands do not broadcast."""

    def _explained(self, err, parents):
        a, b = (p.shape for p in parents)
        if not isinstance(err, ValueError) or a == b:
            return super()._explained(err, parents)
        return ValueError(
            f"{self.op_name}: shapes {a} and {b} cannot be broadcast together. Broadcasting "
            "lines shapes up from the right; each pair of sizes must be equal or one of them 1. Fix: "
            "reshape one operand (e.g. .unsqueeze(dim) or .reshape(...)), or transpose it (.T) if its "
            "axes are swapped.")


class Add(_Binary):
    derivative = "d(a+b)/da = 1, d(a+b)/db = 1"

    def forward(self, a, b):
        self.shapes = (a.shape, b.shape)
        return a + b

    def backward(self, grad):
        # d(a+b)/da = 1, d(a+b)/db = 1
        need_a, need_b = self.needs_input_grad
        return (unbroadcast(grad, self.shapes[0]) if need_a else None,
                unbroadcast(grad, self.shapes[1]) if need_b else None)


class Sub(_Binary):
    derivative = "d(a-b)/da = 1, d(a-b)/db = -1"

    def forward(self, a, b):
        self.shapes = (a.shape, b.shape)
        return a - b

    def backward(self, grad):
        # d(a-b)/da = 1, d(a-b)/db = -1
        need_a, need_b = self.needs_input_grad
        return (unbroadcast(grad, self.shapes[0]) if need_a else None,
                unbroadcast(-grad, self.shapes[1]) if need_b else None)


class Mul(_Binary):
    derivative = "d(ab)/da = b, d(ab)/db = a"

    def forward(self, a, b):
        self.save_for_backward(a, b)
        return a * b

    def backward(self, grad):
        # d(ab)/da = b, d(ab)/db = a
        a, b = self.saved
        need_a, need_b = self.needs_input_grad
        return (unbroadcast(grad * b, a.shape) if need_a else None,
                unbroadcast(grad * a, b.shape) if need_b else None)


class Div(_Binary):
    derivative = "d(a/b)/da = 1/b, d(a/b)/db = -a/b^2"

    def forward(self, a, b):
        self.save_for_backward(a, b)
        return a / b

    def backward(self, grad):
        # d(a/b)/da = 1/b, d(a/b)/db = -a/b^2
        a, b = self.saved
        need_a, need_b = self.needs_input_grad
        return (unbroadcast(grad / b, a.shape) if need_a else None,
                unbroadcast(-grad * a / (b * b), b.shape) if need_b else None)


class Neg(Function):
    derivative = "d(-x)/dx = -1"

    def forward(self, x):
        return -x

    def backward(self, grad):
        # d(-x)/dx = -1
        return (-grad,)


class Pow(Function):
    """``x ** p`` for a number ``p`` (the exponent is not differentiated)."""

    derivative = "d x^p/dx = p x^(p-1)  (0 for p = 0, x = 0 included, as PyTorch)"

    def forward(self, x, *, exponent):
        self.exponent = exponent
        self.save_for_backward(x)
        return x ** exponent

    def backward(self, grad):
        # d x^p/dx = p x^(p-1)  (0 for p = 0, x = 0 included, as PyTorch)
        (x,) = self.saved
        p = self.exponent
        if p == 0:                          # x^0 = 1 everywhere: 0 * 0^(-1) would give nan at x = 0
            return (np.zeros_like(grad),)
        return (grad * p * x ** (p - 1),)


class Exp(Function):
    derivative = "d e^x/dx = e^x"

    def forward(self, x):
        y = np.exp(x)
        self.save_for_backward(y)
        return y

    def backward(self, grad):
        # d e^x/dx = e^x
        (y,) = self.saved
        return (grad * y,)


class Log(Function):
    derivative = "d ln(x)/dx = 1/x"

    def forward(self, x):
        self.save_for_backward(x)
        return np.log(x)

    def backward(self, grad):
        # d ln(x)/dx = 1/x
        (x,) = self.saved
        return (grad / x,)


class Tanh(Function):
    derivative = "d tanh(x)/dx = 1 - tanh(x)^2"

    def forward(self, x):
        y = np.tanh(x)
        self.save_for_backward(y)
        return y

    def backward(self, grad):
        # d tanh(x)/dx = 1 - tanh(x)^2
        (y,) = self.saved
        return (grad * (1 - y * y),)


def sigmoid(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """1/(1+e^-x) as an array, into ``out`` if given (which may be ``x`` itself).

    For very negative x, e^-x overflows to inf and 1/inf = 0 is the right limit, so only the
    overflow warning is silenced. Computed in place after the exp: two arrays fewer.
    """
    with np.errstate(over="ignore"):
        if out is None:
            out = np.asarray(np.exp(-x))    # a 0-d input gives a NumPy scalar: make it an array
        else:
            np.exp(np.negative(x, out=out), out=out)
        out += 1
        return np.reciprocal(out, out=out)


class Sigmoid(Function):
    derivative = "d sigmoid(x)/dx = sigmoid(x) (1 - sigmoid(x))"

    def forward(self, x):
        y = sigmoid(x)
        self.save_for_backward(y)
        return y

    def backward(self, grad):
        # d sigmoid(x)/dx = sigmoid(x) (1 - sigmoid(x))
        (y,) = self.saved
        return (grad * y * (1 - y),)


class ReLU(Function):
    name = "relu"
    derivative = "d relu(x)/dx = 1 if x > 0 else 0"

    def forward(self, x):
        self.save_for_backward(x > 0)
        return np.maximum(x, 0)

    def backward(self, grad):
        # d relu(x)/dx = 1 if x > 0 else 0
        (positive,) = self.saved
        return (grad * positive,)


class Abs(Function):
    derivative = "d|x|/dx = sign(x)  (0 at x = 0, as PyTorch)"

    def forward(self, x):
        self.save_for_backward(np.sign(x))
        return np.abs(x)

    def backward(self, grad):
        # d|x|/dx = sign(x)  (0 at x = 0, as PyTorch)
        (sign,) = self.saved
        return (grad * sign,)


class Clamp(Function):
    """``clamp(x, min, max)``: numbers as bounds; the gradient passes only where x was inside them."""

    derivative = "d clamp(x)/dx = 1 inside [min, max], 0 where clamped"

    def forward(self, x, *, min=None, max=None):
        inside = np.ones(x.shape, dtype=bool)
        if min is not None:
            inside &= x >= min
        if max is not None:
            inside &= x <= max
        self.save_for_backward(inside)
        return np.clip(x, min, max)

    def backward(self, grad):
        # d clamp(x)/dx = 1 inside [min, max], 0 where clamped
        (inside,) = self.saved
        return (grad * inside,)


class Where(Function):
    """``where(condition, a, b)``: a where condition holds, else b (all three broadcast)."""

    derivative = "d where(c, a, b)/da = c, /db = not c"

    def forward(self, condition, a, b):
        if condition.dtype != bool:
            raise TypeError(f"where: condition must be a bool tensor (e.g. x > 0), got {condition.dtype}")
        shape = np.broadcast_shapes(condition.shape, a.shape, b.shape)
        self.save_for_backward(condition)
        self.shapes = (condition.shape, a.shape, b.shape, shape)
        return np.where(condition, a, b)

    def backward(self, grad):
        # d where(c, a, b)/da = c, /db = not c
        (condition,) = self.saved
        _, a_shape, b_shape, shape = self.shapes
        grad = np.broadcast_to(grad, shape)
        return (None, unbroadcast(np.where(condition, grad, 0), a_shape),
                unbroadcast(np.where(condition, 0, grad), b_shape))


class Cast(Function):
    """Change the dtype (``.float()``, ``.double()``); the gradient is cast back."""

    derivative = "d cast(x)/dx = 1"

    def forward(self, x, *, dtype):
        self.input_dtype = x.dtype
        return x.astype(dtype)

    def backward(self, grad):
        # d cast(x)/dx = 1
        return (grad.astype(self.input_dtype),)
