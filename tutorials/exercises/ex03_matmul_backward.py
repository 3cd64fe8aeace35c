"""Exercise 03 — the backward of ``@``, for matrices and batches of matrices
(chapter 1: Autograd from scratch).

An RNN step computes ``x @ W_ih.T`` and ``h @ W_hh.T``: almost all of its gradient work is
the backward of a matrix product. Write ``MatMul.backward`` (forward is given).

For out = A @ B with A (n, k), B (k, m), out (n, m) and G = dL/d(out) of shape (n, m):

    dL/dA = G @ B^T        (n, m) @ (m, k) -> (n, k)
    dL/dB = A^T @ G        (k, n) @ (n, m) -> (k, m)

(Check one entry: out[i, j] = sum_p A[i, p] B[p, j], so dL/dA[i, p] = sum_j G[i, j] B[p, j].)

Batches: NumPy's ``@`` also takes stacks of matrices, shape (..., n, k) @ (..., k, m), and
broadcasts the leading "batch" axes like any elementwise op. The formulas hold for each
matrix of the stack (transpose only the last two axes), and then — exactly as in
exercise 02 — each gradient must be summed back down to its input's shape. The common case
is a batch of inputs times one weight matrix: (B, n, k) @ (k, m). The weight was used by
all B matrices, so its gradient is the sum over the batch.

This version only handles inputs with at least 2 dims (forward refuses 1-D vectors).

Hints:
- ``np.swapaxes(B, -1, -2)`` transposes the last two axes of a stack of matrices.
- ``unbroadcast`` is imported below: it is the library's version of what you wrote in
  exercise 02, and sums a gradient down to a shape.
- Shapes first: write down the shape of every array for A (2, 3, 4) @ B (4, 5).

Check your work:   tinygrad-rnn check ex03
"""
import numpy as np

from tinygrad_rnn import Function
from tinygrad_rnn.core.function import unbroadcast


class MatMul(Function):
    """out = a @ b for a (..., n, k) and b (..., k, m), batch axes broadcast as in NumPy."""

    def forward(self, a, b):
        if a.ndim < 2 or b.ndim < 2:
            raise ValueError(f"MatMul (exercise 03): needs at least 2-D inputs, got shapes {a.shape} and {b.shape}")
        self.save_for_backward(a, b)
        return a @ b

    def backward(self, grad):
        """``grad`` = dL/d(out). Return (dL/da, dL/db), shaped like a and b."""
        raise NotImplementedError("exercise ex03: write MatMul.backward (delete this line)")
