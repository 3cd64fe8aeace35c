"""Reference solution of exercise 02 (backward of mul with broadcasting). Try the exercise first."""

from tinygrad_rnn import Function


def unbroadcast(grad, shape):
    extra = grad.ndim - len(shape)
    if extra > 0:                                   # axes broadcasting added in front
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:                                   # size-1 axes that were copied n times
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad


class Mul(Function):
    def forward(self, a, b):
        self.save_for_backward(a, b)
        return a * b

    def backward(self, grad):
        a, b = self.saved
        return unbroadcast(grad * b, a.shape), unbroadcast(grad * a, b.shape)
