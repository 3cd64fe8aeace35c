"""Functions on tensors, as PyTorch's ``torch.nn.functional`` (import it as ``F``).

Most are compositions of core ops, so they need no backward of their own and show up in
drawings as the ops they are made of. ``linear``, ``log_softmax`` and ``nll_loss`` are one op
each (as in PyTorch): they run at every time step, and one node is much cheaper than ten.

Import it as PyTorch's: ``from tinygrad_rnn.nn import functional as F``. The old place,
``tinygrad_rnn.functional``, re-exports the same functions.
"""
import numpy as np

from ..core import Tensor
from ..core import ops
from ..core.tensor import as_tensor

__all__ = ["tanh", "sigmoid", "relu", "linear", "log_softmax", "softmax", "cross_entropy", "mse_loss", "nll_loss"]


def _check_tensor(fn: str, x) -> None:
    """A TypeError naming ``fn`` unless ``x`` is a Tensor (as in PyTorch, arrays are not converted)."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}: input must be a Tensor, got {type(x).__name__}. Fix: wrap it first, "
                        f"e.g. {fn}(tinygrad_rnn.tensor(x))")


def _check_dim(fn: str, x: Tensor, dim) -> None:
    """An IndexError naming ``fn`` unless ``dim`` is an int in [-x.ndim, x.ndim - 1]."""
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{fn}: dim must be an int, got {dim!r} ({type(dim).__name__})")
    if not -max(x.ndim, 1) <= dim < max(x.ndim, 1):
        raise IndexError(f"{fn}: dim {dim} is out of range for an input of shape {x.shape} (expected a dim in "
                         f"[{-max(x.ndim, 1)}, {max(x.ndim, 1) - 1}]). Fix: dim=-1 is the last dim (the classes)")


def tanh(x: Tensor) -> Tensor:
    _check_tensor("tanh", x)
    return x.tanh()


def sigmoid(x: Tensor) -> Tensor:
    _check_tensor("sigmoid", x)
    return x.sigmoid()


def relu(x: Tensor) -> Tensor:
    _check_tensor("relu", x)
    return x.relu()


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x W^T + b: ``input`` (..., in), ``weight`` (out, in), ``bias`` (out,) -> (..., out). One node."""
    return ops.Linear.apply(input, weight) if bias is None else ops.Linear.apply(input, weight, bias)


def log_softmax(x: Tensor, dim: int = -1) -> Tensor:
    """log(softmax(x)) along ``dim``, computed stably, as one node.

    log softmax(x)_i = x_i - m - log sum_j exp(x_j - m) for any constant m; taking m = max(x)
    keeps every exp() <= 1, so nothing overflows.
    """
    _check_tensor("log_softmax", x)
    _check_dim("log_softmax", x, dim)
    return ops.LogSoftmax.apply(x, dim=dim)


def softmax(x: Tensor, dim: int = -1) -> Tensor:
    """exp(x_i) / sum_j exp(x_j) along ``dim`` (stable: shifted by the max first)."""
    _check_tensor("softmax", x)
    _check_dim("softmax", x, dim)
    if x.ndim and x.shape[dim] == 0:            # over an empty dim: an empty result, as PyTorch
        return x * 1
    shifted = (x - Tensor._wrap(x.data.max(axis=dim, keepdims=True))).exp()
    return shifted / shifted.sum(dim=dim, keepdim=True)


def cross_entropy(input: Tensor, target, reduction: str = "mean") -> Tensor:
    """Cross-entropy of logits ``input`` (N, C) — or (C,) for one sample — against class indices
    ``target`` (N,) — or a scalar — : -log softmax(input)[n, target[n]], averaged (``"mean"``),
    summed (``"sum"``) or per sample (``"none"``)."""
    _check_tensor("cross_entropy", input)
    target = np.asarray(target.data if isinstance(target, Tensor) else target)
    if input.ndim == 1:
        input, target = input.unsqueeze(0), target.reshape(1)
    if input.ndim != 2:
        raise ValueError(f"cross_entropy: input must be (N, C) logits or (C,), got shape {input.shape}. "
                         "For a sequence (T, N, C), reshape to (T*N, C) and the target to (T*N,).")
    _check_class_targets("cross_entropy", target, input.shape)
    _check_reduction(reduction, "cross_entropy")
    return ops.NLLLoss.apply(log_softmax(input, dim=1), target=target, reduction=reduction)


def mse_loss(input: Tensor, target, reduction: str = "mean") -> Tensor:
    """Mean squared error, (input - target)^2 averaged over every element (``"mean"``)."""
    _check_tensor("mse_loss", input)
    target = as_tensor(target, like=input)
    if input.shape != target.shape:
        raise ValueError(f"mse_loss: input shape {input.shape} and target shape {target.shape} differ; "
                         "they must match (broadcasting here is almost always a bug). Fix: reshape one, "
                         "e.g. target.reshape(input.shape) or input.squeeze(-1).")
    return _reduce((input - target) ** 2, reduction, "mse_loss")


def nll_loss(input: Tensor, target, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood: -input[n, target[n]] for log-probabilities ``input`` (N, C) and
    class indices ``target`` (N,), averaged (``"mean"``), summed or per sample (``"none"``)."""
    _check_tensor("nll_loss", input)
    target = np.asarray(target.data if isinstance(target, Tensor) else target)
    if input.ndim != 2:
        raise ValueError(f"nll_loss: input must be (N, C) log-probabilities, got shape {input.shape}. For one "
                         "sample, use input.unsqueeze(0) and a target of shape (1,).")
    _check_class_targets("nll_loss", target, input.shape)
    _check_reduction(reduction, "nll_loss")
    return ops.NLLLoss.apply(input, target=target, reduction=reduction)


def _check_class_targets(op: str, target: np.ndarray, shape: tuple) -> None:
    """Raise unless ``target`` holds one integer class index in [0, C) per row of an (N, C) input."""
    if target.dtype.kind not in "iu":
        raise TypeError(f"{op}: target must hold integer class indices, got dtype {target.dtype}")
    n, classes = shape
    if target.shape != (n,):
        raise ValueError(f"{op}: target shape {target.shape} does not match input shape {shape}; "
                         f"expected ({n},), one class index per row")
    if target.size and (np.minimum.reduce(target) < 0 or np.maximum.reduce(target) >= classes):
        raise IndexError(f"{op}: target values must be in [0, {classes - 1}], got range "
                         f"[{target.min()}, {target.max()}]")


def _check_reduction(reduction: str, op: str) -> None:
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{op}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _reduce(loss: Tensor, reduction: str, op: str) -> Tensor:
    _check_reduction(reduction, op)
    if reduction == "mean":
        return loss.mean()
    return loss.sum() if reduction == "sum" else loss
