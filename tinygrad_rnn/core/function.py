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

An op may also return a tuple of arrays from ``forward`` (``chunk``, ``unbind``): one node,
several output Tensors; its ``backward`` then gets a list with one gradient per output.

This is PyTorch's ``torch.autograd.Function`` with the ``ctx`` argument folded
into ``self``.
"""
import numpy as np

from . import anomaly, grad_mode
from . import time_step as _time_step


class GraphFreedError(RuntimeError):
    """``backward()`` reached a node whose saved arrays were freed by an earlier backward pass."""


class Function:
    #: the op's name in error messages and drawings; defaults to the lower-cased class name
    name: str = ""

    parents: tuple = ()
    saved: tuple | None = ()
    #: 0 for the usual op, whose forward returns one array. An op whose forward returns a tuple
    #: (``chunk``) made that many Tensors; its ``backward`` gets a list of gradients, one per
    #: output (``None`` for an output nothing flowed back to).
    n_outputs: int = 0
    #: True for a node whose consumers hand it their share of the gradient directly instead of
    #: through the graph (``RecurrentWeight`` in nn/steps.py): its backward runs even when no
    #: gradient arrived, with ``grad`` None. Every other node is skipped then.
    backward_without_grad: bool = False
    #: one bool per parent: does it require grad? A backward may return None for the others.
    needs_input_grad: tuple = ()

    # --- for subclasses -------------------------------------------------
    def forward(self, *arrays, **options):
        raise NotImplementedError

    def backward(self, grad):
        """Return one gradient (or ``None``) per parent, each the parent's shape. ``grad`` is
        dL/d(output); for an op with several outputs, a list of them (``None`` where nothing flowed)."""
        raise NotImplementedError

    def save_for_backward(self, *arrays):
        self.saved = arrays

    # --- building the graph -----------------------------------------------
    @classmethod
    def apply(cls, *inputs, **options):
        """Run the op on Tensors (or numbers) and record it in the graph if a gradient is needed.

        Returns one Tensor, or a tuple of Tensors when ``forward`` returns a tuple of arrays.
        """
        parents = inputs
        for x in inputs:                   # numbers and arrays become (constant) Tensors
            if type(x) is not Tensor:
                parents = tuple(map(as_tensor, inputs))
                break
        fn = cls()
        try:
            out = fn.forward(*[p.data for p in parents], **options)
        except (ValueError, IndexError, TypeError) as err:
            step = _time_step.step_of(parents, _time_step._current)
            where = f" (in time step {step})" if step is not None else ""
            if str(err).startswith(f"{fn.op_name}:"):     # already a message written for the learner
                if not where:
                    raise
                raise type(err)(f"{fn.op_name}{where}:{str(err)[len(fn.op_name) + 1:]}") from None
            shapes = ", ".join(str(p.shape) for p in parents)
            raise type(err)(f"{fn.op_name}{where}: failed on inputs of shape {shapes}: {err}") from None
        if type(out) is tuple:
            return fn._link_outputs(parents, [np.asarray(o) for o in out])
        out = np.asarray(out)
        if anomaly._enabled:
            anomaly.check_forward(fn, parents, out)
        needs_input_grad = tuple([p._requires_grad for p in parents])
        needs_grad = (grad_mode._enabled and True in needs_input_grad
                      and out.dtype.kind == "f")          # ints and bools carry no gradient
        result = Tensor._wrap(out, requires_grad=needs_grad)
        if needs_grad:
            fn.parents = parents
            fn.needs_input_grad = needs_input_grad       # backward may skip the others (PyTorch's name)
            result._ctx = fn
        return result

    def _link_outputs(self, parents, outs) -> tuple:
        """``apply`` for an op with several outputs (``chunk``): each output Tensor links to this one
        node and knows its position, so that backward runs once, with a gradient per output."""
        if anomaly._enabled:
            for out in outs:
                anomaly.check_forward(self, parents, out)
        needs_input_grad = tuple([p._requires_grad for p in parents])
        needs_grad = grad_mode._enabled and True in needs_input_grad and all(o.dtype.kind == "f" for o in outs)
        results = tuple(Tensor._wrap(out, requires_grad=needs_grad) for out in outs)
        if needs_grad:
            self.parents, self.needs_input_grad, self.n_outputs = parents, needs_input_grad, len(outs)
            for index, result in enumerate(results):
                result._ctx, result._output_index = self, index
        return results

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
    if grad.shape == shape:       # the common case: nothing was broadcast
        return grad
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = np.add.reduce(grad, axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = np.add.reduce(grad, axis=stretched, keepdims=True)
    return grad


# Imported last: tensor.py imports the ops, which import this module, so Tensor must already exist.
from .tensor import Tensor, as_tensor  # noqa: E402
