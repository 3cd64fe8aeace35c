"""The two halves of cross-entropy, as PyTorch splits them: ``log_softmax`` and ``nll_loss``.

Each is one node, with the whole softmax Jacobian folded into one line of backward, so a
read-out at every time step costs two nodes, not the ten of exp, sum, log, subtract and pick.
"""
import numpy as np

from ..function import Function


class LogSoftmax(Function):
    """y_i = x_i - log sum_j e^{x_j} along ``dim`` (stable: shifted by the max first)."""

    name = "log_softmax"
    derivative = "dy_i/dx_k = [i = k] - softmax_k, so dL/dx = G - softmax * sum_i G_i   (softmax = e^y)"

    def forward(self, x, *, dim=-1):
        self.dim = dim
        if x.ndim and x.shape[dim] == 0:            # over an empty dim: an empty result, as PyTorch
            y = x.copy()
            self.save_for_backward(y)
            return y
        shifted = x - np.maximum.reduce(x, axis=dim, keepdims=True)   # e^shifted <= 1: never overflows
        y = shifted - np.log(np.add.reduce(np.exp(shifted), axis=dim, keepdims=True))
        self.dim = dim
        self.save_for_backward(y)
        return y

    def backward(self, grad):
        # dy_i/dx_k = [i = k] - softmax_k, so dL/dx = G - softmax * sum_i G_i   (softmax = e^y)
        (y,) = self.saved
        return (grad - np.exp(y) * np.add.reduce(grad, axis=self.dim, keepdims=True),)


class NLLLoss(Function):
    """Negative log-likelihood of class indices: -logp[n, target[n]], averaged, summed or per row.

    ``logp`` (N, C) log-probabilities; ``target`` (N,) integer classes (checked by the caller).
    """

    name = "nll_loss"
    derivative = "d(-logp[n, t_n])/d logp[n, t_n] = -1 (divided by N for the mean); 0 for every other class"

    def forward(self, logp, *, target, reduction="mean"):
        self.shape, self.target, self.reduction = logp.shape, target, reduction
        picked = -logp[np.arange(len(target)), target]
        if reduction == "none":
            return picked
        total = np.add.reduce(picked)                 # what .sum() and .mean() do, without their wrappers
        return total / len(target) if reduction == "mean" else total

    def backward(self, grad):
        # d(-logp[n, t_n])/d logp[n, t_n] = -1 (divided by N for the mean); 0 for every other class
        n = len(self.target)
        per_row = np.broadcast_to(grad / n if self.reduction == "mean" else grad, (n,))
        out = np.zeros(self.shape, dtype=grad.dtype)
        out[np.arange(n), self.target] = -per_row
        return (out,)
