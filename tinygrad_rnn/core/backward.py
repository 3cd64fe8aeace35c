"""The backward pass: visit the graph from the output back to the leaves, applying the chain rule.

Two steps, both loops (no recursion, so a 100,000-step chain is fine):

1. ``topological_order(root)`` lists every tensor that ``root`` depends on, each
   after all of its inputs (a depth-first search with an explicit stack).
2. ``run_backward`` walks that list in reverse. For each tensor it has the full
   dL/d(tensor) by then, because every consumer of the tensor comes later in the
   list and so was handled earlier in the reverse walk. It hands that gradient to
   the tensor's ``Function.backward``, which returns one gradient per input, and
   adds those into the inputs' running totals (fan-in is summed: if ``h`` feeds
   two ops, dL/dh is the sum of what both send back).

Both steps touch each node and edge once: the time is linear in the graph's size.
"""
import numpy as np

from . import anomaly as _anomaly


def _inputs_needing_grad(tensor) -> list:
    """The inputs of the op that made ``tensor`` which require grad (nothing flows to the others)."""
    if tensor._ctx is None:
        return []
    return [parent for parent in tensor._ctx.parents if parent.requires_grad]


def topological_order(root, inputs_of=_inputs_needing_grad) -> list:
    """Tensors that ``root`` depends on (``root`` included), each listed after its inputs.

    ``root`` may also be a list of tensors. ``inputs_of(tensor)`` says which tensors to visit
    before ``tensor``: by default the inputs of its op that require grad, which is what the
    backward pass needs (drawings pass their own, to show constants and cuts too).
    """
    roots = root if isinstance(root, (list, tuple)) else [root]
    order, visited = [], set()
    stack = [(r, False) for r in reversed(roots)]
    while stack:
        tensor, inputs_done = stack.pop()
        if inputs_done:              # all inputs are already in `order`
            order.append(tensor)
            continue
        if id(tensor) in visited:
            continue
        visited.add(id(tensor))
        stack.append((tensor, True))
        for parent in inputs_of(tensor):
            if id(parent) not in visited:
                stack.append((parent, False))
    return order


def run_backward(root, gradient: np.ndarray, retain_graph: bool = False, inputs=None):
    """Accumulate dL/dx into ``x.grad`` for every leaf (and every ``retain_grad()`` tensor) below ``root``.

    ``gradient`` is dL/d(root), the same shape as ``root``. Unless ``retain_graph``,
    each node frees its saved arrays once used, as PyTorch does: a second
    ``backward()`` through the same nodes then raises a clear error.

    With ``inputs`` (a sequence of tensors), no ``.grad`` is touched: the gradients of
    those tensors are returned instead, in order (``None`` where nothing flowed).
    This is what ``autograd.grad`` and ``jacobian`` use.
    """
    wanted = None if inputs is None else {id(t): None for t in inputs}
    grads = {id(root): gradient}            # running dL/d(tensor), keyed by tensor identity
    for tensor in reversed(topological_order(root)):
        grad = grads.pop(id(tensor), None)
        if grad is None:                    # nothing flowed here (e.g. an unused slice of a split)
            continue
        fn = tensor._ctx
        if wanted is not None:
            if id(tensor) in wanted:        # complete now: every consumer has already sent its share
                wanted[id(tensor)] = grad
        elif fn is None or tensor._retains_grad:
            _accumulate(tensor, grad)
        if fn is None:
            continue
        parent_grads = fn.run_backward(grad)
        if _anomaly._enabled:
            _anomaly.check_backward(fn, tensor, grad, parent_grads)
        for parent, parent_grad in zip(fn.parents, parent_grads):
            if parent_grad is None or not parent.requires_grad:
                continue
            key = id(parent)
            grads[key] = parent_grad if key not in grads else grads[key] + parent_grad
        if not retain_graph:
            fn.free()
    if wanted is not None:
        return [wanted[id(t)] for t in inputs]


def _accumulate(tensor, grad: np.ndarray) -> None:
    """``tensor.grad += grad``, storing a private copy the first time (so no two ``.grad`` share memory)."""
    grad = np.asarray(grad, dtype=tensor.dtype)
    if grad.shape != tensor.shape:  # every op's backward must return its input's shape
        raise RuntimeError(f"backward: internal error, gradient of shape {grad.shape} for a tensor of "
                           f"shape {tensor.shape}")
    if tensor.grad is None:
        tensor.grad = grad.copy()
    else:
        tensor.grad = tensor.grad + grad
