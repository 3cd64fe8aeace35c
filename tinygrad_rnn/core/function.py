"""``Function``: one node of the computation graph, with a forward and a hand-written backward.

Every op (``tanh``, ``@``, ``sum`` ...) is a small subclass::

    class Tanh(Function):
        def forward(self, x):            # ndarrays in, one ndarray out
            y = np.tanh(x)
            self.save_for_backward(y)    # what backward will need
            return y

        def backward(self, grad):        # dL/dy in, one dL/d(input) per input out
            (y,) = self.saved
            return (grad * (1 - y * y),)  # d tanh(x)/dx = 1 - tanh(x)^2

``Tanh.apply(x)`` runs ``forward`` on ``x.data`` and, when a gradient is needed,
links the result to this node, and the node to its inputs (``self.parents``, an
ordered tuple: ``a * a`` keeps ``a`` twice). That link is the whole graph; the
backward pass (``core/backward.py``) walks it from the loss to the leaves.

This is PyTorch's ``torch.autograd.Function`` with the ``ctx`` argument folded
into ``self``.
"""
import numpy as np

from . import anomaly, grad_mode


class GraphFreedError(RuntimeError):
    """``backward()`` reached a node whose saved arrays were freed by an earlier backward pass."""


class Function:
    #: the op's name in error messages and drawings; defaults to the lower-cased class name
    name: str = ""

    parents: tuple = ()
    saved: tuple | None = ()

    # --- for subclasses -------------------------------------------------
    def forward(self, *arrays, **options):
        raise NotImplementedError

    def backward(self, grad):
        """Return one gradient (or ``None``) per parent, each the parent's shape."""
        raise NotImplementedError

    def save_for_backward(self, *arrays):
        self.saved = arrays

    # --- building the graph -----------------------------------------------
    @classmethod
    def apply(cls, *inputs, **options):
        """Run the op on Tensors (or numbers) and record it in the graph if a gradient is needed."""
        parents = tuple(x if isinstance(x, Tensor) else as_tensor(x) for x in inputs)
        fn = cls()
        try:
            out = np.asarray(fn.forward(*[p.data for p in parents], **options))
        except (ValueError, IndexError, TypeError) as err:
            if str(err).startswith(f"{fn.op_name}:"):     # already a message written for the learner
                raise
            shapes = ", ".join(str(p.shape) for p in parents)
            raise type(err)(f"{fn.op_name}: failed on inputs of shape {shapes}: {err}") from None
        if anomaly._enabled:
            anomaly.check_forward(fn, parents, out)
        needs_grad = (grad_mode.is_grad_enabled() and any(p.requires_grad for p in parents)
                      and out.dtype.kind == "f")          # ints and bools carry no gradient
        result = Tensor._wrap(out, requires_grad=needs_grad)
        if needs_grad:
            fn.parents = parents
            result._ctx = fn
        return result

    @property
    def op_name(self) -> str:
        return self.name or type(self).__name__.lower()

    # --- after backward -------------------------------------------------
    def free(self):
        """Drop the arrays saved for backward (the links to parents stay, so the graph can still be drawn)."""
        self.saved = None

    def run_backward(self, grad):
        if self.saved is None:
            raise GraphFreedError(
                f"backward: trying to backpropagate through '{self.op_name}' a second time, but its saved "
                "values were freed after the first backward(). Call backward(retain_graph=True) the first "
                "time if you need to go through the same graph again (gradients then add up), or "
                "recompute the forward pass.")
        return self.backward(grad)

    def __repr__(self):
        return f"<{self.op_name}>"


def unbroadcast(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum ``grad`` down to ``shape``: the backward of NumPy broadcasting.

    A bias of shape (H,) added to a batch (B, H) was copied B times in forward,
    so its gradient is the sum of the B copies.
    """
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad


# Imported last: tensor.py imports the ops, which import this module, so Tensor must already exist.
from .tensor import Tensor, as_tensor  # noqa: E402
