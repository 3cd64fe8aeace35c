"""Matrix product ``a @ b`` with NumPy's rules: 1-D vectors, 2-D matrices, and batches (..., n, m)."""
import numpy as np

from ..function import Function, unbroadcast


def _check_matmul(a: np.ndarray, b: np.ndarray) -> None:
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul: both operands need at least one dimension, got shapes {a.shape} and "
                         f"{b.shape}. Fix: use * to multiply by a scalar.")
    inner_a = a.shape[-1]
    inner_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if inner_a != inner_b:
        hint = ""
        if a.ndim >= 2 and b.ndim == 2 and a.shape[-1] == b.shape[-1]:
            hint = " Here the last dims agree: did you mean a @ b.T (as in x @ W.T for a weight W of shape (out, in))?"
        raise ValueError(
            f"matmul: shapes {a.shape} and {b.shape} don't line up: the last dim of the left operand "
            f"({inner_a}) must equal the {'only' if b.ndim == 1 else 'second-to-last'} dim of the right "
            f"one ({inner_b}).{hint}")
    try:
        np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    except ValueError:
        raise ValueError(f"matmul: batch dims of {a.shape} and {b.shape} cannot be broadcast together") from None


class MatMul(Function):
    def forward(self, a, b):
        _check_matmul(a, b)
        self.save_for_backward(a, b)
        return np.asarray(a @ b)

    def backward(self, grad):
        # d(A@B)/dA = G @ B^T, d(A@B)/dB = A^T @ G   (G = dL/d(A@B))
        a, b = self.saved
        if a.ndim == 1 and b.ndim == 1:          # dot product: d(a.b)/da = b, d(a.b)/db = a
            return grad * b, grad * a
        # Treat a vector as a matrix with one row (a) or one column (b), as NumPy does.
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g = grad
        if a.ndim == 1:
            g = np.expand_dims(g, -2)
        if b.ndim == 1:
            g = np.expand_dims(g, -1)
        grad_a = g @ np.swapaxes(b2, -1, -2)
        grad_b = np.swapaxes(a2, -1, -2) @ g
        # Sum over batch dims that were broadcast, then drop the dims added for vectors.
        grad_a = unbroadcast(grad_a, a2.shape).reshape(a.shape)
        grad_b = unbroadcast(grad_b, b2.shape).reshape(b.shape)
        return grad_a, grad_b
