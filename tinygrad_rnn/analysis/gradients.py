"""dL/dx for *every* tensor of a graph, read without writing any ``.grad``.

``loss.backward()`` keeps dL/dx only for leaves (and for tensors you called
``retain_grad()`` on), and frees the arrays the ops saved. To look at the gradient
everywhere in an unrolled graph — at every h_t, every gate — ``all_gradients(loss)``
runs the very same backward pass through ``autograd.grad``, asking for every tensor of
the graph at once, with ``retain_graph=True``. It returns a dict ``{tensor: dL/dtensor}``
and changes nothing: no ``.grad`` is written, nothing is freed, so you can still call
``loss.backward()`` afterwards.

    grads = all_gradients(loss)
    grads[h_3]                 # ndarray, h_3's shape: dL/dh_3
    grad_norm(grads[h_3])      # its Euclidean (Frobenius) norm, a float
"""
import numpy as np

from .. import autograd
from ..core import GraphFreedError, Tensor
from ..core.backward import topological_order
from ..nn.utils import total_norm


def all_gradients(root, gradient=None) -> dict:
    """``{tensor: dL/dtensor}`` for every tensor that ``root`` depends on and that requires grad.

    ``root`` is L: a one-element tensor (a loss), or any tensor together with ``gradient``,
    dL/droot, of ``root``'s shape. Each value is an ndarray of its tensor's shape, or ``None``
    where no gradient reaches the tensor. Needs the graph's saved arrays: call it before
    ``backward()``, or after ``backward(retain_graph=True)``.
    """
    if not isinstance(root, Tensor):
        raise TypeError(f"all_gradients: root must be a Tensor (the loss), got {type(root).__name__}. Fix: pass "
                        f"the loss tensor itself, before calling .item() or .numpy() on it")
    if not root.requires_grad:
        return {}
    tensors = topological_order(root)      # every tensor below root that requires grad, root included
    try:
        found = autograd.grad(root, tensors, grad_outputs=gradient, retain_graph=True, allow_unused=True)
    except GraphFreedError as err:
        raise GraphFreedError(f"all_gradients: the graph below the loss was already freed by a backward() "
                              f"({err}). Fix: call all_gradients(loss) before loss.backward(), or call "
                              f"loss.backward(retain_graph=True) so the graph is kept for it") from None
    return {tensor: (None if g is None else g.data) for tensor, g in zip(tensors, found)}


def grad_norm(gradient) -> float | None:
    """||gradient|| (the Euclidean norm of all its entries), or ``None`` for no gradient."""
    if gradient is None:
        return None
    return total_norm([gradient])           # scaled where the squares would overflow: 1e200 stays finite


def grad_norms(tensors, grads=None) -> list:
    """``[||dL/dx|| for x in tensors]``, e.g. for ``[h_0, ..., h_T]``.

    Read from ``grads`` (``all_gradients(loss)``) when given, otherwise from each ``x.grad``: after
    ``loss.backward()``, which keeps it for leaves and for tensors you called ``x.retain_grad()`` on
    before the backward. ``None`` where the gradient is not known.
    """
    if isinstance(tensors, Tensor):
        raise TypeError("grad_norms: tensors must be a list of tensors, e.g. [h_0, ..., h_T], got one Tensor. "
                        "Fix: grad_norms([x]), or grad_norm(x.grad) for a single one")
    if grads is not None:
        return [grad_norm(grads.get(x)) for x in tensors]
    return [grad_norm(x.grad) for x in tensors]
