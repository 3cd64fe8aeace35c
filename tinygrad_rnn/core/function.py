"""``Function``: one node of the computation graph, with a forward and a hand-written backward.

Every op (``tanh``, ``@``, ``sum`` ...) is a small subclass::

    class Tanh(Function):
        derivative = "d tanh(x)/dx = 1 - tanh(x)^2"   # the rule, as data: drawings show it

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

Saved arrays are checked before backward uses them. Every in-place write the library makes
(``optimizer.step()``, ``nn.init``, ``x.zero_()``, ``x.data = ...``) bumps the tensor's version
(``Tensor._version``) and ticks one global clock of writes. ``save_for_backward`` notes the clock
(``saved_at``), and ``checked_backward`` compares it with the clock now: equal, nothing was written
anywhere since, and backward goes ahead (the usual case: one comparison of two ints). Otherwise
it looks at the inputs (and the output) whose arrays were saved — arrays made inside ``forward``,
such as ``x > 0`` in ``ReLU``, belong to the node alone — and raises ``SavedTensorModifiedError``
if one was written since: the saved array holds new values the forward pass never saw (or no
longer the tensor's values), and the gradient would mix the two. (The ops here save both inputs
of ``a * b`` and ``a @ b`` even when one gradient needs only one of them, where PyTorch saves only
what it needs: so after ``y = x @ W`` with a constant ``x``, a step on ``W`` raises here, not there.)
"""
import numpy as np

from . import anomaly, grad_mode
from . import time_step as _time_step


class GraphFreedError(RuntimeError):
    """``backward()`` reached a node whose saved arrays were freed by an earlier backward pass."""


class SavedTensorModifiedError(RuntimeError):
    """``backward()`` reached a node whose saved tensor was written to in place after the forward pass
    (PyTorch: "one of the variables needed for gradient computation has been modified by an inplace
    operation")."""


class Function:
    #: the op's name in error messages and drawings; defaults to the lower-cased class name
    name: str = ""
    #: the backward rule in one line, the same text as the comment at the top of ``backward``
    #: (``Tanh``: "d tanh(x)/dx = 1 - tanh(x)^2"); drawings and the explorer show it
    derivative: str = ""

    parents: tuple = ()
    saved: tuple | None = ()
    #: 0 for the usual op, whose forward returns one array. An op whose forward returns a tuple
    #: (``chunk``) made that many Tensors; its ``backward`` gets a list of gradients, one per
    #: output (``None`` for an output nothing flowed back to).
    n_outputs: int = 0
    #: one bool per parent: does it require grad? A backward may return None for the others.
    needs_input_grad: tuple = ()
    #: set by ``save_for_backward``: the write clock then (``tensor._write_count``)
    saved_at: int = -1
    #: in anomaly mode only: a checksum of each saved array (``anomaly.checksums``)
    saved_checksums: tuple | None = None

    # --- for subclasses -------------------------------------------------
    def forward(self, *arrays, **options):
        raise NotImplementedError

    def backward(self, grad):
        """Return one gradient (or ``None``) per parent, each the parent's shape. ``grad`` is
        dL/d(output); for an op with several outputs, a list of them (``None`` where nothing flowed)."""
        raise NotImplementedError

    def save_for_backward(self, *arrays):
        self.saved = arrays
        self.saved_at = _write_count[0]            # the write clock now, for checked_backward's check

    # --- building the graph -----------------------------------------------
    @classmethod
    def apply(cls, *inputs, **options):
        """Run the op on Tensors (or numbers) and record it in the graph if a gradient is needed.

        Returns one Tensor, or a tuple of Tensors when ``forward`` returns a tuple of arrays.
        """
        parents = inputs
        for x in inputs:                   # numbers and arrays become (constant) Tensors
            if type(x) is not Tensor and not isinstance(x, Tensor):     # (a Parameter is one already)
                parents = tuple(map(as_tensor, inputs))
                break
        fn = cls()
        try:
            out = fn.forward(*[p._data for p in parents], **options)
        except (ValueError, IndexError, TypeError) as err:
            raise fn._explained(err, parents) from None
        several = type(out) is tuple       # chunk, unbind: one node, several output Tensors
        out = tuple([np.asarray(o) for o in out]) if several else np.asarray(out)
        if anomaly._enabled:
            anomaly.check_forward(fn, parents, list(out) if several else out)
        needs_input_grad = tuple([p._requires_grad for p in parents])
        needs_grad = (grad_mode._enabled and True in needs_input_grad    # ints and bools carry no gradient
                      and (all([o.dtype.kind == "f" for o in out]) if several else out.dtype.kind == "f"))
        if several:
            return fn._link_outputs(parents, out, needs_input_grad, needs_grad)
        result = Tensor._wrap(out, requires_grad=needs_grad)
        if out.base is not None:                         # a view (x.T, x[0]): count writes with x
            _share_version_counters((out,), (result,), parents)
        if needs_grad:
            fn.parents, fn.needs_input_grad = parents, needs_input_grad   # backward may skip the others
            result._ctx = fn
        return result

    def _link_outputs(self, parents, outs, needs_input_grad, needs_grad) -> tuple:
        """The end of ``apply`` for an op with several outputs: each output Tensor links to this one
        node and knows its position, so that backward runs once, with a gradient per output."""
        results = tuple([Tensor._wrap(o, requires_grad=needs_grad) for o in outs])
        _share_version_counters(outs, results, parents)   # chunk and unbind give views of their input
        if needs_grad:
            self.parents, self.needs_input_grad, self.n_outputs = parents, needs_input_grad, len(outs)
            for index, result in enumerate(results):
                result._ctx, result._output_index = self, index
        return results

    def _explained(self, err, parents):
        """The error ``forward`` raised, as one for the learner: the op's name, the time step it
        belongs to, and (unless the op wrote its own message) the shapes it got."""
        step = _time_step.step_of(parents, _time_step._current)
        where = f" (in time step {step})" if step is not None else ""
        name, text = self.op_name, str(err)
        if text.startswith(f"{name}:"):                 # already a message written for the learner
            return err if not where else type(err)(f"{name}{where}:{text[len(name) + 1:]}")
        shapes = ", ".join(str(p.shape) for p in parents)
        return type(err)(f"{name}{where}: failed on inputs of shape {shapes}: {text}")

    @property
    def op_name(self) -> str:
        return self.name or type(self).__name__.lower()

    # --- after backward -------------------------------------------------
    def free(self):
        """Drop the arrays saved for backward (the links to parents stay, so the graph can still be drawn)."""
        self.saved = None

    def checked_backward(self, grad, output=None):
        """``backward(grad)``, after checking that the saved arrays are still usable. ``output``: the
        Tensor this node made (for a check of a saved output; skipped when not given)."""
        saved = self.saved
        if saved is None:
            raise GraphFreedError(
                f"backward: trying to backpropagate through '{self.op_name}' a second time, but its saved "
                "values were freed after the first backward(). Call backward(retain_graph=True) the first "
                "time if you need to go through the same graph again (gradients then add up), or "
                "recompute the forward pass.")
        if saved and self.saved_at != _write_count[0]:
            self._check_versions(output)   # something was written somewhere since this node saved
        return self.backward(grad)

    def _check_versions(self, output) -> None:
        """Raise if an input (or the output) whose array this node saved was written to in place
        since then, as its version counter says."""
        if self.saved_at < 0:                      # `saved` set by hand, without save_for_backward
            return
        owners = list(self.parents)                # whose arrays the node may have saved
        if not self.n_outputs and output is not None:
            owners.append(output)                  # (a node with several outputs: only its inputs)
        for array in self.saved:
            index = _owner_of(array, owners)
            counter = None if index is None else owners[index]._version_counter
            if counter is not None and counter.written_since(self.saved_at):
                raise SavedTensorModifiedError(self._modified_message(index, owners[index], counter, output))

    def _modified_message(self, index: int, tensor, counter, output) -> str:
        step = getattr(self, "_created_at", (None,))[0]
        step = _time_step.step_of(self.parents, output.step if step is None and output is not None else step)
        where = "" if step is None else f" at time step {step}"
        made = anomaly.created_at(self)
        made = f" (made {made})" if made else ""
        role = f"input {index}" if index < len(self.parents) else "its output"
        then = counter.version_at(self.saved_at)
        versions = (f"was saved at version {then} and is now at version {counter.version}" if then is not None
                    else f"is now at version {counter.version}, more than {counter.KEEP} writes after it was saved")
        return (f"backward: one of the variables needed for gradient computation has been modified by an "
                f"inplace operation: {role} of '{self.op_name}'{where}{made}, {describe_tensor(tensor)}, "
                f"{versions}. You stepped the optimizer (or wrote into the tensor: nn.init, x.zero_(), "
                f"x[i] = v, x.data = ...) between the forward pass and this backward, so the values saved for "
                f"backward no longer match it and the gradient would mix the old forward pass with the new "
                f"values. Fix: call backward before changing the weights (loss.backward(); optimizer.step()), "
                f"or run the forward pass again after the change; to keep a value from before the change, copy "
                f"it first (Tensor(x.data) copies, x.detach() shares the memory).")

    def __repr__(self):
        return f"<{self.op_name}>"


def _share_version_counters(outs, results, parents) -> None:
    """An output that is a view of an input (``x.T``, ``x[0]``, chunk's pieces) counts writes with
    that input: writes to either are writes to both."""
    seen = viewed = None
    for out, result in zip(outs, results):
        if out.base is not None:
            if out.base is not seen:                 # (chunk's pieces all view the same input)
                seen, viewed = out.base, _viewed_input(out.base, parents)
            if viewed is not None:
                result._share_version_counter(viewed)


def _viewed_input(base, parents):
    """The input whose memory ``base`` (an output's NumPy ``.base``) is, if any: the output is then a
    view of it, and writes to either are writes to both, so they share a version counter."""
    for parent in parents:
        if _is_or_views(parent._data, base):
            return parent
    return None


def _owner_of(array, tensors):
    """The position in ``tensors`` of the one whose array ``array`` is: the same array, one that
    ``x.data = new`` replaced since, or failing both a view of either (a custom op may save ``x.T``).
    None for an array made by ``forward`` itself (``x > 0``), which no tensor can write to."""
    for index, tensor in enumerate(tensors):
        if array is tensor._data:
            return index
    for index, tensor in enumerate(tensors):
        counter = tensor._version_counter
        if counter is not None and counter.held(array):
            return index
    base = getattr(array, "base", None)
    if base is not None:
        for index, tensor in enumerate(tensors):
            counter = tensor._version_counter
            if _is_or_views(tensor._data, base) or (counter is not None and counter.held(base, _is_or_views)):
                return index
    return None


def _is_or_views(candidate, base) -> bool:
    return candidate is base or getattr(candidate, "base", None) is base


def describe_tensor(tensor) -> str:
    """``'W_hh' (shape (4, 4), float32)``, saying which named tensor a view looks into, for messages."""
    label = anomaly._describe(tensor)
    if label.startswith("("):      # an unnamed leaf
        label = "a tensor " + label
    if tensor.name or tensor._ctx is None:
        return label
    viewed = tensor                # a view shares its input's counter: walk up to the tensor it views
    while viewed._ctx is not None and not viewed.name:
        counter = viewed._version_counter
        parent = next((p for p in viewed._ctx.parents if counter is not None and p._version_counter is counter),
                      None)
        if parent is None:
            break
        viewed = parent
    return label if viewed is tensor else f"{label}, a view of {anomaly._describe(viewed)}"


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
from .tensor import Tensor, _write_count, as_tensor  # noqa: E402
