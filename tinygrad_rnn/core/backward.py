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

What a library adds to chapter 1's loop, each a small helper below it: ``.grad`` accumulation
for leaves and ``retain_grad()`` tensors, or gradients returned for ``inputs=`` (``_Results``;
``_TowardInputs`` keeps that walk to the tensors that can reach them); fan-in sums done in place
once the total is an array the walk made (``_RunningTotals``); one backward for an op with
several outputs (``_Gathered``); the saved arrays' checks (``Function.checked_backward``) and
anomaly mode's (``_anomaly_backward``); and freeing the saved arrays.
"""
import operator

import numpy as np

from . import anomaly as _anomaly

_requires_grad = operator.attrgetter("_requires_grad")


def topological_order(root, inputs_of=None) -> list:
    """Tensors that ``root`` depends on (``root`` included), each listed after its inputs.

    ``root`` may also be a list of tensors. ``inputs_of(tensor)`` says which tensors to visit
    before ``tensor``: by default (None) the inputs of its op that require grad, which is what
    the backward pass needs (drawings pass their own, to show constants and cuts too).

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
        if inputs_of is not None:
            inputs = inputs_of(tensor)
        elif tensor._ctx is not None:   # the default: the inputs of its op that require grad
            inputs = filter(_requires_grad, tensor._ctx.parents)     # a C-level test: this runs per node
        else:
            continue                 # a leaf
        for parent in inputs:
            if id(parent) not in visited:
                stack.append((parent, False))
    return order


def reachable(root) -> list:
    """Every tensor ``root`` was computed from (``root`` included, and constants too), each once, in
    the order found: the graph as its links (``grad_fn.parents``) say, whatever requires grad.
    ``root`` may be a list of tensors. For checks and tests that ask "is x in this graph?"."""
    roots = root if isinstance(root, (list, tuple)) else [root]
    seen, stack, found = set(), list(reversed(roots)), []
    while stack:
        tensor = stack.pop()
        if id(tensor) in seen:
            continue
        seen.add(id(tensor))
        found.append(tensor)
        if tensor._ctx is not None:
            stack.extend(reversed(tensor._ctx.parents))
    return found


def run_backward(root, gradient: np.ndarray, retain_graph: bool = False, inputs=None):
    """Accumulate dL/dx into ``x.grad`` for every leaf (and every ``retain_grad()`` tensor) below ``root``.

    ``gradient`` is dL/d(root), the same shape as ``root``. Unless ``retain_graph``,
    each node frees its saved arrays once used, as PyTorch does: a second
    ``backward()`` through the same nodes then raises a clear error.

    With ``inputs`` (a sequence of tensors), no ``.grad`` is touched: the gradients of
    those tensors are returned instead, in order (``None`` where nothing flowed), and only the
    part of the graph that can reach them is walked (``_TowardInputs``).
    This is what ``autograd.grad`` and ``jacobian`` use.

    The loop is chapter 1's ``my_backward``; the helpers below it are what a library adds.
    """
    if _anomaly._enabled:
        _anomaly.check_seed(root, gradient)     # a NaN seed, or a NaN loss fed by a NaN input
    toward = None if inputs is None else _TowardInputs(inputs)     # inputs=: walk only what can reach them
    order = topological_order(root, None if toward is None else toward.inputs_of)
    results = _Results(inputs)              # where gradients end up: .grad, or the inputs= list
    grads = _RunningTotals({id(root): gradient})    # dL/d(tensor) so far, by tensor identity
    gathered = _Gathered(order)             # ops with several outputs (chunk) wait for all of them
    for tensor in reversed(order):
        grad = grads.pop(id(tensor), None)
        if grad is not None:
            results.take(tensor, grad)      # complete now: every consumer has sent its share
        fn = tensor._ctx
        if fn is None or (toward is not None and not toward.reaches(fn)):
            continue                        # a leaf: nothing further back (inputs=: nothing wanted back there)
        if fn.n_outputs:
            grad = gathered.collect(tensor, grad)   # a list, once the last output is visited
        if grad is None:
            continue                        # nothing flowed here
        if _anomaly._enabled:
            parent_grads = _anomaly_backward(fn, grad, tensor)  # the same, with anomaly mode's checks
        else:
            parent_grads = fn.checked_backward(grad, tensor)    # the saved arrays checked, then backward
        for parent, parent_grad in zip(fn.parents, parent_grads):
            if parent_grad is not None and parent._requires_grad:
                grads.add(id(parent), parent_grad)  # fan-in: gradients add up
        if not retain_graph:
            fn.free()                       # drop the saved arrays
    return results.found()


class _TowardInputs:
    """For ``inputs=``: the part of the graph through which a gradient can reach the wanted tensors.
    A tensor made before the oldest of them (``Tensor._made``) cannot depend on any (an op's inputs
    exist before its output), so the walk leaves it out: ∂h_t/∂h_(t-1) walks one step, not the whole
    graph below, and the ops below the wanted tensors keep their saved arrays."""

    def __init__(self, inputs):
        self.oldest = min(t._made for t in inputs)

    def may_lead(self, tensor) -> bool:
        """Whether a gradient through ``tensor`` may reach a wanted tensor."""
        return tensor._requires_grad and tensor._made >= self.oldest

    def inputs_of(self, tensor) -> list:
        """The inputs of the op that made ``tensor`` that may lead to a wanted tensor (the walk's ``inputs_of``)."""
        fn = tensor._ctx
        return [] if fn is None else list(filter(self.may_lead, fn.parents))

    def reaches(self, fn) -> bool:
        """Whether any input of ``fn`` may lead to a wanted tensor (else its backward need not run)."""
        return any(map(self.may_lead, fn.parents))


def _anomaly_backward(fn, grad, tensor):
    """In anomaly mode, ``fn.checked_backward``: ``fn``'s gradients for its parents, with the
    checksums of its saved arrays checked before and the returned gradients after."""
    _anomaly.check_saved(fn, tensor)
    parent_grads = fn.checked_backward(grad, tensor)
    _anomaly.check_backward(fn, tensor, grad, parent_grads)
    return parent_grads


class _RunningTotals(dict):
    """dL/d(tensor) summed over the consumers seen so far. The first share is stored as it is (it
    may be another tensor's gradient too: never written to); from the second on, the total is an
    array made here, so later shares are added into it in place (no new array per share)."""

    def __init__(self, first):
        super().__init__(first)
        self.made_here = set()

    def add(self, key, grad) -> None:
        if key not in self:
            self[key] = grad
        elif key in self.made_here:
            self[key] += grad
        else:
            self[key] = self[key] + grad
            self.made_here.add(key)


class _Results:
    """Where the walk leaves gradients: in ``.grad`` of the leaves and ``retain_grad()`` tensors or,
    with ``inputs=`` (``autograd.grad``), in a list for those tensors and nowhere else."""

    def __init__(self, inputs):
        self.inputs = inputs
        self.wanted = None if inputs is None else {id(t): None for t in inputs}

    def take(self, tensor, grad) -> None:
        if self.wanted is not None:
            if id(tensor) in self.wanted:
                self.wanted[id(tensor)] = grad
        elif tensor._ctx is None or tensor._retains_grad:
            _accumulate(tensor, grad)

    def found(self):
        return None if self.wanted is None else [self.wanted[id(t)] for t in self.inputs]


class _Gathered:
    """The gradients of the outputs of each op with several outputs (``chunk`` gives i, f, g, o from
    one node): its backward runs once, with all of them. All its outputs come before its inputs in
    the reverse walk, so the walk counts them down and hands over the list at the last one."""

    def __init__(self, order):
        self.order, self.waiting = order, None

    def _count(self) -> dict:
        """node -> [its outputs in the walk still to visit, their gradients]: counted at the first
        output visited (a graph without such ops never pays for the count)."""
        waiting = {}
        for tensor in self.order:
            fn = tensor._ctx
            if fn is not None and fn.n_outputs:
                waiting.setdefault(fn, [0, [None] * fn.n_outputs])[0] += 1
        return waiting

    def collect(self, tensor, grad):
        """Store one output's gradient; the list of all of them once the last is in (None before,
        or if none of them got a gradient)."""
        if self.waiting is None:
            self.waiting = self._count()
        entry = self.waiting[tensor._ctx]
        entry[1][tensor._output_index] = grad
        entry[0] -= 1
        if entry[0] or all(g is None for g in entry[1]):
            return None
        return entry[1]


def _accumulate(tensor, grad: np.ndarray) -> None:
    """``tensor.grad += grad``, storing a private copy the first time (so no two ``.grad`` share memory)."""
    grad = np.asarray(grad, dtype=tensor.dtype)
    if grad.shape != tensor.shape:  # every op's backward must return its input's shape
        if tensor._version_counter is not None:    # written since it was made: `x.data = ...` changed its shape
            name = f"'{tensor.name}'" if tensor.name else "a tensor"
            raise RuntimeError(f"backward: the gradient for {name} has shape {grad.shape}, the shape its data had "
                               f"in the forward pass, but `.data = ...` has since replaced that data by an array of "
                               f"shape {tensor.shape}. Fix: change .data before the forward pass (then run it "
                               f"again), or write values of the same shape in place: x.data[...] = values")
        raise RuntimeError(f"backward: internal error, gradient of shape {grad.shape} for a tensor of "
                           f"shape {tensor.shape}")
    if tensor.grad is None:
        tensor.grad = grad.copy()
    else:
        tensor.grad = tensor.grad + grad
