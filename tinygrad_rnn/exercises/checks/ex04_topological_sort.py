"""Checks for exercise 04: ``topological_order(root)``."""
import numpy as np

from ...core import backward as library_backward
from ...core.backward import reachable
from ._helpers import assert_close, get, not_the_library, tensor64

#: switched off while the learner's code runs (``_helpers.switched_off``)
LIBRARY_OFF = [library_backward.topological_order, library_backward.reachable]


def _label(t) -> str:
    return repr(t.name) if t.name else f"a tensor of shape {t.shape} made by {t.grad_fn or 'no op (a leaf)'}"


def _assert_topological(order, root, what: str) -> list:
    """``order`` lists each grad-requiring tensor below ``root`` once, inputs before users, root last."""
    if order is None:
        raise AssertionError(f"{what}: got None. Did you forget to `return` the list?")
    order = list(order)
    ids = [id(t) for t in order]
    for t in order:
        if ids.count(id(t)) > 1:
            raise AssertionError(f"{what}: {_label(t)} is listed {ids.count(id(t))} times; list each tensor once")
    expected = [t for t in reachable(root) if t.requires_grad]
    missing = [t for t in expected if id(t) not in set(ids)]
    if missing:
        raise AssertionError(f"{what}: {len(missing)} tensor(s) missing, e.g. {_label(missing[0])}")
    wanted = {id(t) for t in expected}
    extra = [t for t in order if id(t) not in wanted]
    if extra:
        raise AssertionError(f"{what}: {_label(extra[0])} should not be listed (it does not require grad, or "
                             "root does not depend on it)")
    if order[-1] is not root:
        raise AssertionError(f"{what}: root must come last (it depends on everything), got {_label(order[-1])} last")
    position = {id(t): i for i, t in enumerate(order)}
    for t in order:
        if t.grad_fn is None:
            continue
        for parent in t.grad_fn.parents:
            if parent.requires_grad and position[id(parent)] > position[id(t)]:
                raise AssertionError(f"{what}: {_label(t)} is listed before its input {_label(parent)}; every "
                                     "tensor must come after the tensors it was computed from")
    return order


def _diamond():
    """x feeds a and, directly, the last op: paths of different lengths meet (fan-in)."""
    x = tensor64([0.5, -1.0, 2.0], requires_grad=True, name="x")
    c = tensor64([3.0, 1.0, -1.0], name="c (a constant)")       # requires_grad=False: must be left out
    a = x * c
    a.name = "a = x * c"
    b = a.tanh().exp()
    b.name = "b = exp(tanh(a))"
    d = b + a
    d.name = "d = b + a"
    root = (d * x).sum()
    root.name = "root = sum(d * x)"
    return x, root


def check_chain(mod):
    """a simple chain x -> tanh -> *2 -> sum: x first, root last"""
    topological_order = get(mod, "topological_order")
    not_the_library(topological_order, library_backward.topological_order, "topological_order")
    x = tensor64([1.0, 2.0], requires_grad=True, name="x")
    y = x.tanh()
    y.name = "y = tanh(x)"
    z = y * 2
    z.name = "z = 2 y"
    root = z.sum()
    root.name = "root = sum(z)"
    order = _assert_topological(topological_order(root), root, "topological_order(sum(2 tanh(x)))")
    if [t.name for t in order] != ["x", "y = tanh(x)", "z = 2 y", "root = sum(z)"]:
        raise AssertionError(f"expected the order x, y, z, root, got {[t.name for t in order]}")


def check_diamond(mod):
    """fan-in with paths of different lengths: every tensor after its inputs, constants left out"""
    topological_order = get(mod, "topological_order")
    x, root = _diamond()
    _assert_topological(topological_order(root), root,
                        "topological_order on a = x*c; root = sum((exp(tanh(a)) + a) * x)")


def check_long_chain(mod):
    """no recursion: a chain 3000 ops deep (deeper than Python's recursion limit)"""
    topological_order = get(mod, "topological_order")
    x = tensor64([0.1], requires_grad=True, name="x")
    h = x
    for _ in range(3000):
        h = h * 0.999
    try:
        order = topological_order(h)
    except RecursionError:
        raise AssertionError("RecursionError on a chain of 3000 ops: use a loop with an explicit stack "
                             "(a list) instead of a function that calls itself") from None
    if order is None or len(list(order)) != 3001:
        raise AssertionError(f"a chain of 3000 ops on one leaf has 3001 tensors, got "
                             f"{None if order is None else len(list(order))}")
    if list(order)[0] is not x or list(order)[-1] is not h:
        raise AssertionError("on a chain, the leaf x must come first and the last op's output last")


def check_drives_backward(mod):
    """a backward pass that walks your order in reverse gets the right gradients"""
    topological_order = get(mod, "topological_order")
    x, root = _diamond()
    order = topological_order(root)
    if order is None:
        raise AssertionError("topological_order returned None")
    # the backward pass of core/backward.py, but walking *your* order
    grads, leaf_grads = {id(root): np.ones_like(root.data)}, {}
    for tensor in reversed(list(order)):
        grad = grads.pop(id(tensor), None)
        if grad is None:
            continue
        if tensor.grad_fn is None:
            leaf_grads[id(tensor)] = grad
            continue
        for parent, parent_grad in zip(tensor.grad_fn.parents, tensor.grad_fn.backward(grad)):
            if parent_grad is not None and parent.requires_grad:
                grads[id(parent)] = grads.get(id(parent), 0) + parent_grad
    if grads:
        raise AssertionError("walking your order in reverse, some gradients arrived at tensors that had already "
                             "been processed: a tensor must come after everything it was computed from")
    root.backward()                                  # the library's pass, as the reference
    assert_close(leaf_grads.get(id(x)), x.grad, "dL/dx from a backward pass in your order")


TESTS = [check_chain, check_diamond, check_long_chain, check_drives_backward]
