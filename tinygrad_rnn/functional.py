"""Functions on tensors, as PyTorch's ``torch.nn.functional`` (import it as ``F``).

All are built from the core ops, so they need no backward of their own and show
up in drawings as the ops they are made of.
"""
import numpy as np

from .core import Tensor
from .core.tensor import as_tensor


def tanh(x: Tensor) -> Tensor:
    return x.tanh()


def sigmoid(x: Tensor) -> Tensor:
    return x.sigmoid()


def relu(x: Tensor) -> Tensor:
    return x.relu()


def log_softmax(x: Tensor, dim: int = -1) -> Tensor:
    """log(softmax(x)) along ``dim``, computed stably.

    log softmax(x)_i = x_i - m - log sum_j exp(x_j - m) for any constant m; taking m = max(x)
    keeps every exp() <= 1, so nothing overflows. m is a constant (no gradient): the
    result does not depend on it.
    """
    shifted = x - Tensor._wrap(x.data.max(axis=dim, keepdims=True))
    return shifted - shifted.exp().sum(dim=dim, keepdim=True).log()


def softmax(x: Tensor, dim: int = -1) -> Tensor:
    """exp(x_i) / sum_j exp(x_j) along ``dim`` (stable: shifted by the max first)."""
    shifted = (x - Tensor._wrap(x.data.max(axis=dim, keepdims=True))).exp()
    return shifted / shifted.sum(dim=dim, keepdim=True)


def cross_entropy(input: Tensor, target, reduction: str = "mean") -> Tensor:
    """Cross-entropy of logits ``input`` (N, C) — or (C,) for one sample — against class indices
    ``target`` (N,) — or a scalar — : -log softmax(input)[n, target[n]], averaged (``"mean"``),
    summed (``"sum"``) or per sample (``"none"``)."""
    target = np.asarray(target.data if isinstance(target, Tensor) else target)
    if input.ndim == 1:
        input, target = input.unsqueeze(0), target.reshape(1)
    if input.ndim != 2:
        raise ValueError(f"cross_entropy: input must be (N, C) logits or (C,), got shape {input.shape}. "
                         "For a sequence (T, N, C), reshape to (T*N, C) and the target to (T*N,).")
    if not np.issubdtype(target.dtype, np.integer):
        raise TypeError(f"cross_entropy: target must hold integer class indices, got dtype {target.dtype}")
    n, classes = input.shape
    if target.shape != (n,):
        raise ValueError(f"cross_entropy: target shape {target.shape} does not match input shape {input.shape}; "
                         f"expected ({n},), one class index per row")
    if target.size and (target.min() < 0 or target.max() >= classes):
        raise IndexError(f"cross_entropy: target values must be in [0, {classes - 1}], got range "
                         f"[{target.min()}, {target.max()}]")
    picked = log_softmax(input, dim=1)[np.arange(n), target]
    return _reduce(-picked, reduction, "cross_entropy")


def mse_loss(input: Tensor, target, reduction: str = "mean") -> Tensor:
    """Mean squared error, (input - target)^2 averaged over every element (``"mean"``)."""
    target = as_tensor(target, like=input)
    if input.shape != target.shape:
        raise ValueError(f"mse_loss: input shape {input.shape} and target shape {target.shape} differ; "
                         "they must match (broadcasting here is almost always a bug). Fix: reshape one, "
                         "e.g. target.reshape(input.shape) or input.squeeze(-1).")
    return _reduce((input - target) ** 2, reduction, "mse_loss")


def _reduce(loss: Tensor, reduction: str, op: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{op}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
