"""What the engine costs per op, apart from the arithmetic.

A chain of tiny ops on a (4,) tensor, ``y = tanh(y * c)`` repeated (two ops each time), then
``sum`` and ``backward``: the arrays are so small that the time is nearly all bookkeeping
(creating tensors and graph nodes, the topological sort, calling each backward).

Three implementations of that same chain:

- ``engine``:   tinygrad_rnn tensors;
- ``mini``:     ``Value``, a minimal NumPy autograd written below in ~30 lines (closures for
  backward, an iterative topological sort) — the *minimal-autograd floor*: a graph costs at
  least this much in Python;
- ``numpy``:    the same NumPy calls, forward and hand-written backward, no graph — the raw floor.

``per_op`` reports µs per op (forward + backward) for each; ``scaling`` times the engine's (and
mini's) backward alone on chains of growing length, to show the time per node stays flat.
"""
import functools
import gc
import time

import numpy as np

import tinygrad_rnn as tg

from . import measure

X0 = np.array([0.5, -0.3, 0.8, 0.1], dtype=np.float32)
C = np.full(4, 0.9, dtype=np.float32)


class Value:
    """A minimal autograd node: ``data`` (ndarray), ``grad``, the ``parents`` it was computed from
    and ``backward_fn`` (dL/dout -> dL/dparent for each parent)."""
    __slots__ = ("data", "grad", "requires_grad", "parents", "backward_fn")

    def __init__(self, data, requires_grad=False, parents=(), backward_fn=None):
        self.data, self.grad, self.parents, self.backward_fn = data, None, parents, backward_fn
        self.requires_grad = requires_grad or any(p.requires_grad for p in parents)

    def __mul__(self, other):
        a, b = self.data, other.data
        return Value(a * b, parents=(self, other), backward_fn=lambda g: (g * b, g * a))   # d(ab) = b da + a db

    def tanh(self):
        y = np.tanh(self.data)
        return Value(y, parents=(self,), backward_fn=lambda g: (g * (1 - y * y),))        # tanh' = 1 - tanh^2

    def sum(self):
        shape = self.data.shape
        return Value(self.data.sum(), parents=(self,), backward_fn=lambda g: (np.broadcast_to(g, shape),))

    def backward(self):
        order, seen, stack = [], set(), [(self, False)]
        while stack:                                  # depth-first, iterative: parents listed first
            node, parents_done = stack.pop()
            if parents_done:
                order.append(node)
            elif id(node) not in seen:
                seen.add(id(node))
                stack.append((node, True))
                stack.extend((p, False) for p in node.parents if p.requires_grad)
        self.grad = np.ones_like(self.data)
        for node in reversed(order):                  # every consumer of a node comes before it
            if node.backward_fn is None:
                continue
            for parent, g in zip(node.parents, node.backward_fn(node.grad)):
                if parent.requires_grad:
                    parent.grad = g if parent.grad is None else parent.grad + g


# --- the chain, three ways ---------------------------------------------------------------------------

def build_chain(make_leaf, make_const, n_ops: int):
    """(leaf x, scalar root) of the chain ``y = tanh(y * c)`` with ``n_ops`` ops (n_ops // 2 pairs),
    summed; ``make_leaf``/``make_const`` make the tensor type of one implementation."""
    x, c = make_leaf(X0.copy()), make_const(C)
    y = x
    for _ in range(n_ops // 2):
        y = (y * c).tanh()
    return x, y.sum()


ENGINE = (functools.partial(tg.tensor, requires_grad=True), tg.tensor)
MINI = (functools.partial(Value, requires_grad=True), Value)


def graph_step(kind: tuple, n_ops: int):
    """Forward + backward of the chain with the engine or ``Value``; returns dL/dx."""
    x, root = build_chain(*kind, n_ops)
    root.backward()
    return x.grad


def numpy_step(n_ops: int):
    """The same NumPy calls with no graph: forward keeping each tanh output, then the chain rule by hand."""
    y, outputs = X0.copy(), []
    for _ in range(n_ops // 2):
        y = np.tanh(y * C)
        outputs.append(y)
    g = np.ones_like(X0)
    for y in reversed(outputs):
        g = g * (1 - y * y)
        g = g * C
    return g


IMPLEMENTATIONS = {"engine": functools.partial(graph_step, ENGINE), "mini": functools.partial(graph_step, MINI),
                   "numpy": numpy_step}


def per_op(n_ops: int, repeats: int) -> dict:
    """µs per op (forward + backward) of each implementation on one chain of ``n_ops`` ops, interleaved
    (medians, and every sample), and whether their gradients agree."""
    grads = {name: np.asarray(fn(n_ops)) for name, fn in IMPLEMENTATIONS.items()}     # also a warm-up
    agree = all(np.allclose(g, grads["numpy"], rtol=1e-5) for g in grads.values())
    timers = {name: functools.partial(measure.seconds_of, functools.partial(fn, n_ops))
              for name, fn in IMPLEMENTATIONS.items()}
    seconds = measure.interleaved(timers, repeats)
    samples = {name: [s / n_ops * 1e6 for s in values] for name, values in seconds.items()}
    us = measure.medians(samples)
    return {"n_ops": n_ops, "us_per_op": us, "samples_us": samples,
            "ratios": {"engine/mini": us["engine"] / us["mini"], "engine/numpy": us["engine"] / us["numpy"],
                       "mini/numpy": us["mini"] / us["numpy"],
                       # the bookkeeping alone: time above the raw NumPy calls, engine against mini
                       "engine-numpy/mini-numpy": ((us["engine"] - us["numpy"]) / (us["mini"] - us["numpy"])
                                                   if us["mini"] > us["numpy"] else None)},
            "gradients_agree": bool(agree)}


def backward_seconds(kind: tuple, n_ops: int) -> float:
    """Build the chain (not timed), then time ``backward()`` alone."""
    _, root = build_chain(*kind, n_ops)
    gc.collect()
    start = time.perf_counter()
    root.backward()
    return time.perf_counter() - start


def scaling(sizes, repeats: int) -> dict:
    """Backward time per node for chains of each size in ``sizes``, engine and mini, interleaved.
    ``exponent`` is the slope of log(time) against log(size): 1.0 means linear."""
    rows = []
    for n_ops in sizes:
        timers = {name: functools.partial(backward_seconds, kind, n_ops) for name, kind in
                  (("engine", ENGINE), ("mini", MINI))}
        median = measure.medians(measure.interleaved(timers, repeats))
        rows.append({"n_ops": n_ops, "backward_ms": {k: s * 1e3 for k, s in median.items()},
                     "us_per_node": {k: s / n_ops * 1e6 for k, s in median.items()}})
    exponent = None
    if len(rows) > 1:
        logs = np.log([[r["n_ops"], r["backward_ms"]["engine"]] for r in rows])
        exponent = float(np.polyfit(logs[:, 0], logs[:, 1], 1)[0])
    return {"rows": rows, "exponent": exponent,
            "largest_over_smallest_us_per_node": rows[-1]["us_per_node"]["engine"] / rows[0]["us_per_node"]["engine"]}
