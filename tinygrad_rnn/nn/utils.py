"""Gradient clipping, with PyTorch's ``nn.utils`` names and numbers.

Call between ``loss.backward()`` and ``optimizer.step()``; both functions change each
parameter's ``.grad`` array in place and skip parameters whose ``.grad`` is None. They leave
``.data`` alone, so no parameter's version (``Tensor._version``) changes: no op saves a ``.grad``
for backward, so clipping cannot spoil a later ``backward(retain_graph=True)`` pass. (PyTorch bumps
the version of the ``.grad`` tensor itself; here ``.grad`` is a plain NumPy array.)

- ``clip_grad_norm_``: if all the gradients together, seen as one long vector g, are longer
  than ``max_norm``, shrink them all by the same factor. The direction of g is kept, only its
  length is capped — the usual cure for exploding gradients in RNNs (Pascanu et al., 2013).
- ``clip_grad_value_``: clamp every gradient entry to [-clip_value, clip_value]. Simpler, but it
  changes g's direction.
"""
import math
import numbers
import warnings

import numpy as np

from ..core.checks import describe
from ..core.tensor import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_", "total_norm"]


def _threshold(fn: str, name: str, value, example: str) -> float:
    """``max_norm``/``clip_value`` as a float: a real number (or a one-element Tensor), never None or a str."""
    if isinstance(value, Tensor) and value.numel() == 1:
        value = value.item()
    if isinstance(value, np.ndarray) and value.size == 1:
        value = value.item()
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        hint = {type(None): f"; to leave the gradients as they are, don't call {fn}",
                str: f"; convert it first with float({value!r})"}.get(type(value), "")
        raise TypeError(f"{fn}: {name} must be a number, got {describe(value)}{hint}. Fix: {example}")
    return float(value)


def total_norm(arrays, norm_type: float = 2.0) -> float:
    """The p-norm of all entries of ``arrays`` seen as one vector (the p-norm of their p-norms), in float64,
    as a Python float, without overflowing or underflowing on the way: entries of 1e200 give 1.4e200, not
    inf, and entries of 1e-170 not 0 (an array whose plain norm would leave that range is divided by its
    largest entry before the powers are taken)."""
    norm_type = float(norm_type)
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        norms = [_safe_norm(np.asarray(a, dtype=np.float64).ravel(), norm_type) for a in arrays]
        return _safe_norm(np.array(norms, dtype=np.float64), norm_type) if norms else 0.0


def _safe_norm(x: np.ndarray, norm_type: float) -> float:
    plain = float(np.linalg.vector_norm(x, ord=norm_type)) if x.size else 0.0
    if 1e-150 < plain < 1e150 or norm_type in (0.0, math.inf, -math.inf) or not x.size:
        return plain
    largest = float(np.max(np.abs(x)))
    if not math.isfinite(largest) or largest == 0.0:     # inf/nan entries, or all zeros: the plain norm is right
        return plain
    return largest * float(np.linalg.vector_norm(x / largest, ord=norm_type))


def _grads(fn: str, parameters) -> list:
    """The non-None ``.grad`` arrays of ``parameters`` (one Tensor or an iterable of them)."""
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    if isinstance(parameters, dict):
        raise TypeError(f"{fn}: parameters must be a Tensor or an iterable of Tensors, got a dict (its keys are "
                        f"names). Fix: pass model.parameters(), or the dict's .values()")
    one_pass = hasattr(parameters, "__next__")      # a generator or iterator: used up after one pass
    try:
        parameters = list(parameters)
    except TypeError:
        raise TypeError(f"{fn}: parameters must be a Tensor or an iterable of Tensors (e.g. model.parameters()), "
                        f"got {type(parameters).__name__}") from None
    if one_pass and not parameters:                # as PyTorch warns: most often a generator used twice
        warnings.warn(f"{fn}: `parameters` is an empty generator, no gradient clipping will occur. A generator "
                      f"such as model.parameters() is used up after one pass (by an optimizer, or an earlier "
                      f"call). Fix: call model.parameters() again here, or keep a list: "
                      f"params = list(model.parameters())", UserWarning, stacklevel=3)
    for p in parameters:
        if not isinstance(p, Tensor):
            raise TypeError(f"{fn}: every parameter must be a Tensor, got a {type(p).__name__}. Fix: pass "
                            f"model.parameters() or a list of tensors, not their .grad arrays")
    for i, p in enumerate(parameters):       # integers scaled in place would be rounded (e.g. to 0)
        g = p.grad
        if g is not None and not (isinstance(g, np.ndarray) and g.dtype.kind == "f"):
            what = f"dtype {g.dtype}" if isinstance(g, np.ndarray) else f"type {type(g).__name__}"
            raise TypeError(f"{fn}: the .grad of parameter {i} has {what}; a gradient must be a float array (clipping "
                            f"integers in place would round them, e.g. to 0). Fix: p.grad = np.asarray(p.grad, "
                            f"dtype=p.dtype) before clipping, or let backward() write .grad")
    return [p.grad for p in parameters if p.grad is not None]


def _vector_norm(x: np.ndarray, norm_type: float):
    """The p-norm of all entries of ``x`` seen as one vector, as a 0-d value of ``x``'s dtype. As PyTorch's,
    it overflows to inf for entries above ~1e154 (float64): clip_grad_norm_ then acts as PyTorch does on a
    non-finite norm. ``total_norm`` gives the finite norm of such gradients."""
    return np.linalg.vector_norm(x, ord=norm_type).astype(x.dtype)


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach: bool | None = None) -> Tensor:
    """Scale all gradients together so that their total norm is at most ``max_norm``; in place.

    ``parameters``: a Tensor or an iterable of Tensors (``model.parameters()``); those whose
    ``.grad`` is None are skipped. ``norm_type``: p of the p-norm, ``float('inf')`` for the
    largest absolute entry.

    With g the concatenation of all the gradients::

        total_norm = ||g||_p           (= the p-norm of the per-parameter p-norms)
        coef       = max_norm / (total_norm + 1e-6)
        each grad *= min(coef, 1)

    so gradients with total norm well below ``max_norm`` are unchanged and the others end up
    with norm just under ``max_norm``. The 1e-6 guards against dividing by zero; it also means
    a total norm *exactly* equal to ``max_norm`` is still scaled, by max_norm / (max_norm + 1e-6).

    Returns the total norm **before** clipping, as a 0-d Tensor (as PyTorch does); ``.item()``
    gives it as a Python float. With no gradients at all it returns ``tensor(0.)``.

    If the total norm is nan or inf: with ``error_if_nonfinite=True`` a RuntimeError is raised
    (nothing is changed); otherwise, as in PyTorch, the gradients are scaled by the resulting
    coefficient anyway (nan total: all become nan; inf total: finite entries become 0, inf
    entries nan).

    ``foreach`` is accepted for PyTorch compatibility (there it picks the multi-tensor CUDA/CPU
    kernels); NumPy has no such kernels, so every value gives the same numbers.
    """
    if foreach is not None and not isinstance(foreach, bool):
        raise TypeError(f"clip_grad_norm_: foreach must be None, True or False, got {foreach!r}")
    grads = _grads("clip_grad_norm_", parameters)
    try:
        norm_type = float(norm_type)                  # also accepts "inf", as float() does
    except (TypeError, ValueError):
        raise ValueError(f"clip_grad_norm_: norm_type must be a number p (the p-norm; 2 is the usual one) or "
                         f"'inf', got {norm_type!r}") from None
    max_norm = _threshold("clip_grad_norm_", "max_norm", max_norm, "the largest gradient norm to allow, e.g. "
                                                                   "clip_grad_norm_(model.parameters(), max_norm=1.0)")
    if not max_norm >= 0:
        raise ValueError(f"clip_grad_norm_: max_norm must be >= 0, got {max_norm}. Fix: the largest gradient norm "
                         f"to allow, e.g. clip_grad_norm_(model.parameters(), max_norm=1.0)")
    if not grads:
        return Tensor(0.0)
    with np.errstate(over="ignore", invalid="ignore"):     # an overflowing norm is handled below, not warned
        norms = np.stack([_vector_norm(g, norm_type) for g in grads])    # one norm per parameter
        total_norm = _vector_norm(norms, norm_type)                      # 0-d, the grads' dtype
    if error_if_nonfinite and not np.isfinite(total_norm):
        raise RuntimeError(f"clip_grad_norm_: the total norm of order {norm_type} of the gradients from "
                           f"`parameters` is non-finite ({total_norm.item()}), so they cannot be scaled "
                           f"to max_norm={max_norm} (nothing was changed). Fix: lower the learning rate, clip "
                           f"earlier in training (or with a smaller max_norm) before the gradients overflow, or "
                           f"find the op that made the first nan/inf with `with "
                           f"tinygrad_rnn.autograd.detect_anomaly():` around forward and backward. To scale "
                           f"by the non-finite norm anyway (PyTorch's default), pass error_if_nonfinite=False")
    # coef = max_norm / (total + 1e-6), computed in the grads' dtype like PyTorch, which
    # evaluates `number / tensor` as `tensor.reciprocal() * number` (this matters in float32).
    coef = np.reciprocal(total_norm + total_norm.dtype.type(1e-6)) * total_norm.dtype.type(max_norm)
    coef_clamped = np.minimum(coef, total_norm.dtype.type(1.0))         # never scale up; nan stays nan
    with np.errstate(invalid="ignore"):                    # inf * 0 = nan, as in PyTorch
        for g in grads:
            g *= coef_clamped                                            # in place; times 1.0 is exact
    return Tensor._wrap(total_norm)


def clip_grad_value_(parameters, clip_value: float) -> None:
    """Clamp every gradient entry to [-clip_value, clip_value], in place.

    ``parameters``: a Tensor or an iterable of Tensors; those whose ``.grad`` is None are skipped.
    Unlike ``clip_grad_norm_`` this can change the gradient's direction. Returns None, as PyTorch.
    """
    grads = _grads("clip_grad_value_", parameters)
    clip_value = _threshold("clip_grad_value_", "clip_value", clip_value, "the largest absolute gradient entry to "
                            "allow, e.g. clip_grad_value_(model.parameters(), clip_value=0.5)")
    if not clip_value >= 0:
        raise ValueError(f"clip_grad_value_: clip_value must be >= 0 (gradients are clamped to "
                         f"[-clip_value, clip_value]), got {clip_value}")
    for g in grads:
        np.clip(g, -clip_value, clip_value, out=g)
