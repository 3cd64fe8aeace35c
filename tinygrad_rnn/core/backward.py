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

One refinement: an op with several outputs (``chunk`` gives i, f, g, o from one node) must run
its backward once, with all their gradients. Its outputs all come before its inputs in the
reverse walk, so their gradients are collected as they arrive, and the op's backward runs when
the last of them has been visited.
"""
import numpy as np

from . import anomaly as _anomaly


def _inputs_needing_grad(tensor) -> list:
    """The inputs of the op that made ``tensor`` which require grad (nothing flows to the others)."""
    if tensor._ctx is None:
        return []
    return [parent for parent in tensor._ctx.parents if parent._requires_grad]


def topological_order(root, inputs_of=_inputs_needing_grad) -> list:
    """Tensors that ``root`` depends on (``root`` included), each listed after its inputs.

    ``root`` may also be a list of tensors. ``inputs_of(tensor)`` says which tensors to visit
    before ``tensor``: by default the inputs of its op that require grad, which is what the
    backward pass needs (drawings pass their own, to show constants and cuts too).

    A depth-first search: a tensor goes into ``order`` once all its inputs are in (the
    ``True`` entries on the stack say "inputs done"). Inputs are visited last-first.
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
    if _anomaly._enabled:
        _anomaly.check_seed(root, gradient)     # a NaN seed, or a NaN loss fed by a NaN input
    wanted = None if inputs is None else {id(t): None for t in inputs}
    order = topological_order(root)
    grads = {id(root): gradient}            # running dL/d(tensor), keyed by tensor identity
    summed = set()                          # keys whose running total is an array made here by a sum
    waiting = _several_output_nodes(order)  # node with several outputs -> their gradients, filled in below
    for tensor in reversed(order):
        grad = grads.pop(id(tensor), None)
        fn = tensor._ctx
        if grad is not None:
            if wanted is not None:
                if id(tensor) in wanted:    # complete now: every consumer has already sent its share
                    wanted[id(tensor)] = grad
            elif fn is None or tensor._retains_grad:
                _accumulate(tensor, grad)
        if fn is None:
            continue
        if fn.n_outputs:                    # e.g. chunk: one backward, once every output's gradient is in
            grad = _collect(waiting[fn], tensor._output_index, grad)
            if grad is None:
                continue
        elif grad is None and not fn.backward_without_grad:
            continue                        # nothing flowed here (e.g. a tensor that does not affect root)
        if _anomaly._enabled:
            _anomaly.check_saved(fn, tensor)            # checksums of the saved arrays, if it took them
            parent_grads = fn.run_backward(grad, tensor)
            _anomaly.check_backward(fn, tensor, grad, parent_grads)
        else:
            parent_grads = fn.run_backward(grad, tensor)    # checks the saved tensors' versions first
        for parent, parent_grad in zip(fn.parents, parent_grads):
            if parent_grad is None or not parent._requires_grad:
                continue
            key = id(parent)
            if key not in grads:
                grads[key] = parent_grad        # may be shared with other tensors' gradients: don't modify it
            elif key in summed:
                grads[key] += parent_grad       # a sum this loop made itself: add in place (no new array)
            else:
                grads[key] = grads[key] + parent_grad
                summed.add(key)
        if not retain_graph:
            fn.free()
    if wanted is not None:
        return [wanted[id(t)] for t in inputs]


def _several_output_nodes(order) -> dict:
    """For each node with several outputs in ``order``: [how many of its outputs the walk will
    visit, a list for their gradients]. (All outputs come before the node's inputs in the walk.)"""
    waiting = {}
    for tensor in order:
        fn = tensor._ctx
        if fn is not None and fn.n_outputs:
            entry = waiting.setdefault(fn, [0, [None] * fn.n_outputs])
            entry[0] += 1
    return waiting


def _collect(entry, index: int, grad):
    """Store one output's gradient; return the list of all of them once the last one is in, else None."""
    entry[1][index] = grad
    entry[0] -= 1
    if entry[0] or all(g is None for g in entry[1]):
        return None
    return entry[1]


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
