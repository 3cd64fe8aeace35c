"""Properties of whole graphs, over random programs (hypothesis, float64).

A *program* is a list of leaf shapes and a list of steps; each step applies one op to earlier
nodes (leaves or step results), so a node may feed several later steps (fan-out) and a step
may read one node twice (``x * x``). The ops: smooth unary functions, binary ops with
broadcasting ((3, 1) with (1, 4), (4,) with (3, 4), () with anything), sum/mean over
dims with or without keepdim, matmul, and a few shape ops. The loss is a fixed random
weighting of every node: L = sum_n sum(w_n * node_n).

1. backward() equals central finite differences, for every element of every leaf;
2. detaching a node changes no gradient of a leaf the node does not depend on, and gives
   exactly the gradients of a fresh graph in which that node is a constant;
3. reusing a node in a second loss adds that loss's gradients and nothing else.
"""
import numpy as np
from hypothesis import assume, given
from hypothesis import strategies as st

import tinygrad_rnn as tg

LEAF_SHAPES = [(3, 4), (3, 1), (1, 4), (4,), (), (4, 2), (2,), (3, 4)]

UNARY = {
    "tanh": lambda x: x.tanh(),
    "sigmoid": lambda x: x.sigmoid(),
    "exp_tanh": lambda x: x.tanh().exp(),          # exp of something bounded
    "neg": lambda x: -x,
    "square": lambda x: x ** 2,
    "log1p_square": lambda x: (x * x + 1.0).log(),
}
BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (b * b + 1.0),         # a denominator >= 1
}


def _apply(op, args, option):
    if op in UNARY:
        return UNARY[op](args[0])
    if op in BINARY:
        return BINARY[op](*args)
    if op in ("sum", "mean"):
        dim, keepdim = option
        return getattr(args[0], op)(dim=dim, keepdim=keepdim)
    if op == "matmul":
        return args[0] @ args[1]
    if op == "T":
        return args[0].T
    if op == "flatten":
        return args[0].reshape(-1)
    if op == "unsqueeze":
        return args[0].unsqueeze(option)
    if op == "first":
        return args[0][0]
    raise AssertionError(op)


def _broadcastable(a, b):
    try:
        return np.broadcast_shapes(a, b)
    except ValueError:
        return None


def _matmul_shape(a, b):
    if not a or not b:
        return None
    inner_b = b[0] if len(b) == 1 else b[-2]
    if a[-1] != inner_b or len(a) > 2 or len(b) > 2:
        return None
    return a[:-1] + b[:-2] + b[-1:] if len(b) == 2 else a[:-1]


@st.composite
def programs(draw, min_steps=3, max_steps=8):
    n_leaves = draw(st.integers(1, 3))
    shapes = [draw(st.sampled_from(LEAF_SHAPES)) for _ in range(n_leaves)]
    nodes, steps = list(shapes), []
    for _ in range(draw(st.integers(min_steps, max_steps))):
        n = len(nodes)
        kind = draw(st.sampled_from(["unary", "binary", "binary", "reduce", "matmul", "shape"]))
        pairs = []
        if kind == "binary":
            pairs = [(i, j) for i in range(n) for j in range(n) if _broadcastable(nodes[i], nodes[j]) is not None]
        elif kind == "matmul":
            pairs = [(i, j) for i in range(n) for j in range(n) if _matmul_shape(nodes[i], nodes[j]) is not None]
        if kind in ("binary", "matmul") and pairs:
            i, j = draw(st.sampled_from(pairs))
            if kind == "binary":
                op, shape = draw(st.sampled_from(sorted(BINARY))), _broadcastable(nodes[i], nodes[j])
            else:
                op, shape = "matmul", _matmul_shape(nodes[i], nodes[j])
            steps.append((op, (i, j), None))
            nodes.append(tuple(shape))
            continue
        i = draw(st.integers(0, n - 1))
        shape = nodes[i]
        if kind == "reduce" and shape:
            dims = [None] + list(range(-len(shape), len(shape))) + ([(0, 1)] if len(shape) == 2 else [])
            dim, keepdim = draw(st.sampled_from(dims)), draw(st.booleans())
            axes = range(len(shape)) if dim is None else [d % len(shape) for d in np.atleast_1d(dim)]
            out = tuple(1 if a in axes else s for a, s in enumerate(shape)) if keepdim else \
                tuple(s for a, s in enumerate(shape) if a not in axes)
            steps.append((draw(st.sampled_from(["sum", "mean"])), (i,), (dim, keepdim)))
        elif kind == "shape" and shape:
            op = draw(st.sampled_from(["flatten", "unsqueeze", "first"] + (["T"] if len(shape) == 2 else [])))
            option = draw(st.integers(-len(shape) - 1, len(shape))) if op == "unsqueeze" else None
            out = {"T": shape[::-1], "flatten": (int(np.prod(shape)),), "first": shape[1:],
                   "unsqueeze": None}[op]
            if op == "unsqueeze":
                pos = option if option >= 0 else len(shape) + option + 1
                out = shape[:pos] + (1,) + shape[pos:]
            steps.append((op, (i,), option))
        else:
            steps.append((draw(st.sampled_from(sorted(UNARY))), (i,), None))
            out = shape
        nodes.append(tuple(out))
    return shapes, steps, nodes, draw(st.integers(0, 2 ** 16))


def leaf_values(program):
    shapes, _, nodes, seed = program
    rng = np.random.default_rng(seed)
    values = [rng.uniform(-1, 1, size=s) for s in shapes]
    weights = [rng.normal(size=s) for s in nodes]         # the loss's weight for every node
    return values, weights


def evaluate(program, leaves, weights, replace=None):
    """All nodes and the loss. ``replace(k, node)`` may swap node k for another tensor (a detached
    copy, a constant) before later steps read it."""
    shapes, steps, _, _ = program
    nodes = list(leaves)
    for k, (op, args, option) in enumerate(steps, start=len(shapes)):
        node = _apply(op, [nodes[a] for a in args], option)
        nodes.append(replace(k, node) if replace else node)
    loss = sum(((node * w).sum() for node, w in zip(nodes, weights)), tg.Tensor(np.array(0.0)))
    return nodes, loss


def make_leaves(values):
    return [tg.Tensor(v.copy(), requires_grad=True) for v in values]


def grads(leaves):
    return [np.zeros(x.shape) if x.grad is None else x.grad for x in leaves]


def ancestors(program, k):
    """Indices of the nodes node k was computed from (k included)."""
    shapes, steps, _, _ = program
    found, stack = set(), [k]
    while stack:
        n = stack.pop()
        if n not in found:
            found.add(n)
            if n >= len(shapes):
                stack.extend(steps[n - len(shapes)][1])
    return found


def bounded(nodes):
    return all(np.abs(n.data).max(initial=0) < 1e3 for n in nodes)


@given(programs())
def test_backward_equals_central_differences(program):
    values, weights = leaf_values(program)
    leaves = make_leaves(values)
    nodes, loss = evaluate(program, leaves, weights)
    assume(bounded(nodes))
    loss.backward()
    eps = 1e-6
    with tg.no_grad():
        for x, analytic in zip(leaves, grads(leaves)):
            numeric = np.zeros(x.shape)
            for index in np.ndindex(*x.shape):
                original = x.data[index]
                x.data[index] = original + eps
                plus = evaluate(program, leaves, weights)[1].item()
                x.data[index] = original - eps
                minus = evaluate(program, leaves, weights)[1].item()
                x.data[index] = original
                numeric[index] = (plus - minus) / (2 * eps)
            np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-6)


@given(programs(), st.data())
def test_detaching_a_node_only_cuts_the_paths_through_it(program, data):
    shapes, steps, _, _ = program
    k = data.draw(st.integers(len(shapes), len(shapes) + len(steps) - 1), label="detached node")
    values, weights = leaf_values(program)

    full = make_leaves(values)
    nodes, loss_full = evaluate(program, full, weights)
    assume(bounded(nodes))
    loss_full.backward()
    value_k = nodes[k].data.copy()

    cut = make_leaves(values)
    _, loss_cut = evaluate(program, cut, weights, replace=lambda i, n: n.detach() if i == k else n)
    loss_cut.backward()

    fresh = make_leaves(values)      # node k is a constant from the start: no graph above it at all
    _, loss_fresh = evaluate(program, fresh, weights,
                             replace=lambda i, n: tg.Tensor(value_k.copy()) if i == k else n)
    loss_fresh.backward()

    assert loss_cut.item() == loss_full.item() == loss_fresh.item()   # values never change
    above_k = ancestors(program, k)
    for i, (g_full, g_cut, g_fresh) in enumerate(zip(grads(full), grads(cut), grads(fresh))):
        np.testing.assert_allclose(g_cut, g_fresh, rtol=1e-12, atol=1e-12)
        if i not in above_k:         # no path from leaf i goes through node k
            np.testing.assert_allclose(g_cut, g_full, rtol=1e-12, atol=1e-12)


@given(programs(), st.data())
def test_reusing_a_node_in_a_second_loss_adds_only_that_losss_gradients(program, data):
    shapes, steps, _, _ = program
    k = data.draw(st.integers(0, len(shapes) + len(steps) - 1), label="reused node")
    detach = data.draw(st.booleans(), label="second loss reads a detached copy")
    values, weights = leaf_values(program)
    w2 = np.random.default_rng(k).normal(size=np.shape(weights[k]))

    def second_loss(node):
        return (node.tanh() * w2).sum()

    shared = make_leaves(values)
    nodes, loss1 = evaluate(program, shared, weights)
    assume(bounded(nodes))
    reused = nodes[k].detach() if detach else nodes[k]
    loss2 = second_loss(reused) if reused.requires_grad else None
    loss1.backward(retain_graph=True)
    if loss2 is not None:
        loss2.backward()

    alone1 = make_leaves(values)     # fresh graphs, one per loss
    evaluate(program, alone1, weights)[1].backward()
    alone2 = make_leaves(values)
    nodes2, _ = evaluate(program, alone2, weights)
    if not detach and nodes2[k].requires_grad:
        second_loss(nodes2[k]).backward()

    above_k = ancestors(program, k)
    for i, (g, g1, g2) in enumerate(zip(grads(shared), grads(alone1), grads(alone2))):
        np.testing.assert_allclose(g, g1 + g2, rtol=1e-12, atol=1e-12)
        if detach or i not in above_k:   # the second loss cannot reach leaf i
            np.testing.assert_allclose(g, g1, rtol=1e-12, atol=1e-12)


# --- 4. in-place writes between forward and backward (version counters) ---------------------------
# After the forward pass, one node (or a detached copy of it, which shares its memory) is written in
# place: through the Tensor API, by an optimizer step, or by assigning its .data. Then backward either
# raises the version error, exactly when the write reached an array some node saved for backward,
# or gives exactly the gradients of a fresh graph on the values the forward pass saw. After the
# error, running the forward pass again gives the gradients at the new values.

from hypothesis import event  # noqa: E402

from tinygrad_rnn import optim  # noqa: E402
from tinygrad_rnn.core.backward import reachable  # noqa: E402
from tinygrad_rnn.core.function import SavedTensorModifiedError  # noqa: E402

IN_PLACE_WRITES = {
    "add_": lambda t: t.add_(0.25),
    "mul_": lambda t: t.mul_(1.5),
    "fill_": lambda t: t.fill_(0.3),
    "setitem": lambda t: t.__setitem__(Ellipsis, -t.data),
    "sub_ (an update)": lambda t: t.sub_(np.full(t.shape, 0.1)),
    "data -=": lambda t: setattr(t, "data", t.data.__isub__(0.1)),
    "data = (new memory)": lambda t: setattr(t, "data", t.data + 0.5),
}


def sgd_step(leaf):
    leaf.grad = np.ones(leaf.shape)
    optim.SGD([leaf], lr=0.1).step()
    leaf.grad = None


def evaluate_mixed(program, leaves, weights, products):
    """As ``evaluate``, but node n enters the loss as sum(w_n * node_n) (a product: it saves the node)
    only where ``products[n]``, else as sum(node_n) (which saves nothing)."""
    shapes, steps, _, _ = program
    nodes = list(leaves)
    for op, args, option in steps:
        nodes.append(_apply(op, [nodes[a] for a in args], option))
    terms = ((node * w).sum() if product else node.sum() for node, w, product in zip(nodes, weights, products))
    return nodes, sum(terms, tg.Tensor(np.array(0.0)))


def graph_nodes(root):
    """(node, its output tensor) for every node below ``root``."""
    return [(tensor._ctx, tensor) for tensor in reachable(root) if tensor._ctx is not None]


def write_should_raise(root, victim, kind, old_array) -> bool:
    """Did the write reach a saved array? An in-place write changes ``old_array``'s memory: any saved
    array sharing it no longer holds what the forward pass saw. ``x.data = new`` changes no memory;
    it counts as a write to that tensor, so it matters where a node saved the old array as the
    victim's own (the victim is one of its inputs or its output)."""
    for fn, output in graph_nodes(root):
        saved = [a for a in (fn.saved or ()) if isinstance(a, np.ndarray)]
        if kind != "data = (new memory)":
            if any(np.shares_memory(a, old_array) for a in saved):
                return True
        elif any(t is victim for t in fn.parents + (output,)) and any(np.shares_memory(a, old_array) for a in saved):
            return True
    return False


@given(programs(), st.data())
def test_in_place_writes_between_forward_and_backward_raise_or_leave_the_gradients_exact(program, data):
    shapes, steps, _, _ = program
    n_nodes = len(shapes) + len(steps)
    values, weights = leaf_values(program)
    products = data.draw(st.lists(st.booleans(), min_size=n_nodes, max_size=n_nodes), label="weighted nodes")
    k = data.draw(st.integers(0, n_nodes - 1), label="written node")
    through = data.draw(st.sampled_from(["the node", "a detached copy"]), label="written through")
    kinds = sorted(IN_PLACE_WRITES) + (["optimizer step"] if k < len(shapes) and through == "the node" else [])
    kind = data.draw(st.sampled_from(kinds), label="write")

    leaves = make_leaves(values)
    nodes, loss = evaluate_mixed(program, leaves, weights, products)
    assume(bounded(nodes))
    victim = nodes[k] if through == "the node" else nodes[k].detach()
    expect_error = write_should_raise(loss, victim, kind, victim.data)
    with tg.no_grad():
        if kind == "optimizer step":
            sgd_step(victim)
        else:
            IN_PLACE_WRITES[kind](victim)
    assert victim._version >= 1

    event("the write reached a saved array" if expect_error else "it reached no saved array")
    try:
        loss.backward()
    except SavedTensorModifiedError as error:
        assert expect_error, f"raised although the write reached no saved array: {error}"
        for x in leaves:                       # (the failed pass may have filled some .grad already)
            x.grad = None
        current = [x.data.copy() for x in leaves]
        evaluate_mixed(program, leaves, weights, products)[1].backward()     # forward again: fine
        fresh = make_leaves(current)
        evaluate_mixed(program, fresh, weights, products)[1].backward()
    else:
        assert not expect_error, "a write reached a saved array, but backward did not raise"
        fresh = make_leaves(values)            # the values the forward pass saw
        evaluate_mixed(program, fresh, weights, products)[1].backward()
    for g, g_fresh in zip(grads(leaves), grads(fresh)):
        np.testing.assert_allclose(g, g_fresh, rtol=1e-12, atol=1e-12)
