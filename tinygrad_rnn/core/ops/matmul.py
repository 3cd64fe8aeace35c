"""Matrix products: ``a @ b`` with NumPy's rules (1-D vectors, 2-D matrices, batches (..., n, m)),
and ``linear`` = x W^T + b, PyTorch's ``F.linear``: the affine map of every layer and gate here, as
one node (one matmul forward, and three products back) instead of transpose, matmul and add."""
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
    derivative = "d(A@B)/dA = G @ B^T, d(A@B)/dB = A^T @ G   (G = dL/d(A@B))"

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
        # Only the products that are needed (x @ W: the data x usually needs no gradient).
        # Sum over batch dims that were broadcast, then drop the dims added for vectors.
        grad_a = grad_b = None
        if self.needs_input_grad[0]:
            grad_a = unbroadcast(g @ np.swapaxes(b2, -1, -2), a2.shape).reshape(a.shape)
        if self.needs_input_grad[1]:
            grad_b = unbroadcast(np.swapaxes(a2, -1, -2) @ g, b2.shape).reshape(b.shape)
        return grad_a, grad_b


def _check_linear(x: np.ndarray, weight: np.ndarray, bias) -> None:
    if weight.ndim != 2:
        raise ValueError(f"linear: weight must be a matrix (out_features, in_features), got shape {weight.shape}")
    if x.ndim == 0 or x.shape[-1] != weight.shape[1]:
        raise ValueError(
            f"linear: input of shape {x.shape} and weight of shape {weight.shape} don't line up: the input's "
            f"last dim must equal the weight's in_features ({weight.shape[1]}), since y = x W^T + b. Fix: "
            f"give inputs of shape (..., {weight.shape[1]}).")
    if bias is not None and bias.shape != weight.shape[:1]:
        raise ValueError(f"linear: bias has shape {bias.shape}, expected ({weight.shape[0]},) for a weight of "
                         f"shape {weight.shape}")


class Linear(Function):
    """y = x W^T + b: ``x`` (..., in), ``weight`` (out, in), ``bias`` (out,) or omitted -> y (..., out)."""

    name = "linear"
    derivative = "y = x W^T + b:  dL/dx = G W,  dL/dW = G^T x,  dL/db = G summed over the batch   (G = dL/dy)"

    def forward(self, x, weight, bias=None):
        _check_linear(x, weight, bias)
        self.save_for_backward(x, weight)
        if x.ndim > 2:         # a sequence (T, B, in): one (T*B, in) matmul, much faster than T small ones
            y = (x.reshape(-1, x.shape[-1]) @ weight.T).reshape(x.shape[:-1] + weight.shape[:1])
        else:
            y = x @ weight.T
        if bias is None:
            return y
        return np.add(y, bias, out=y) if bias.dtype == y.dtype else y + bias  # in place: one array fewer

    def backward(self, grad):
        # y = x W^T + b:  dL/dx = G W,  dL/dW = G^T x,  dL/db = G summed over the batch   (G = dL/dy)
        x, weight = self.saved
        needs = self.needs_input_grad
        grad_x = (grad.reshape(-1, grad.shape[-1]) @ weight).reshape(x.shape) if needs[0] else None
        grad_w = grad_b = None
        if x.ndim == 1:                                  # unbatched: an outer product
            grad_w = np.outer(grad, x) if needs[1] else None
        elif needs[1]:
            grad_w = grad.reshape(-1, grad.shape[-1]).T @ x.reshape(-1, x.shape[-1])
        if len(needs) == 3 and needs[2]:
            grad_b = np.add.reduce(grad.reshape(-1, grad.shape[-1]), axis=0)
        return grad_x, grad_w, grad_b
