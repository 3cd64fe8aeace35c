"""Reference solution of exercise 03 (backward of matmul, batched). Try the exercise first."""
import numpy as np

from tinygrad_rnn import Function
from tinygrad_rnn.core.function import unbroadcast


class MatMul(Function):
    def forward(self, a, b):
        if a.ndim < 2 or b.ndim < 2:
            raise ValueError(f"MatMul (exercise 03): needs at least 2-D inputs, got shapes {a.shape} and {b.shape}")
        self.save_for_backward(a, b)
        return a @ b

    def backward(self, grad):
        a, b = self.saved
        grad_a = grad @ np.swapaxes(b, -1, -2)      # G B^T, one per matrix of the batch
        grad_b = np.swapaxes(a, -1, -2) @ grad      # A^T G
        return unbroadcast(grad_a, a.shape), unbroadcast(grad_b, b.shape)
