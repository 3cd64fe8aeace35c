"""The gradient that flows back along each edge of a graph: what a drawing colours an edge by.

A tensor x read by several ops gets its gradient ∂L/∂x as the *sum* of what each reader sends back:
reader k sends (∂y_k/∂x)ᵀ ∂L/∂y_k, where y_k is its output. That share is what travels along the edge
x -> reader k, and it can be zero where ∂L/∂y_k is not (``out[-1]`` of a stack of h_1 ... h_T sends
nothing back to h_1 ... h_(T-1)). ``edge_gradient`` computes one op's shares with the op's own
``backward`` (the same call the backward pass makes; nothing is written or freed), and
``path_gradient`` the share that goes from a tensor back to the tensors it was computed from
through several ops at once (the drawings' cells view collapses a cell into one edge).

Both need the graph's saved arrays (``GraphFreedError`` otherwise): call them before ``backward()``,
or after ``backward(retain_graph=True)``.
"""
import numpy as np

from ..core.backward import topological_order


def _output_gradient(fn, outputs, grad_of):
    """What ``fn.backward`` takes: dL/d(output), or for an op with several outputs (chunk) the list
    of them in output order (``None`` where none is known). ``None`` if no gradient reached any."""
    if fn.n_outputs:
        seeds = [None] * fn.n_outputs
        for out in outputs:
            g = grad_of(out)
            if g is not None:
                seeds[out._output_index] = np.asarray(g)
        return None if all(g is None for g in seeds) else seeds
    g = grad_of(outputs[0])
    return None if g is None else np.asarray(g)


def edge_gradient(fn, outputs, grads) -> list:
    """``[share for each input of fn]``: the gradient op ``fn`` sends back to each of its inputs,
    ``(∂y/∂x_i)ᵀ ∂L/∂y``, from ``grads`` of its ``outputs`` (the tensors it made): a dict
    ``{tensor: dL/dtensor}`` (e.g. ``all_gradients(loss)``) or a function tensor -> dL/dtensor.
    ``None`` for an input that needs no gradient, or when no
    gradient reached the op's outputs (nothing flows back then)."""
    grad_of = grads if callable(grads) else grads.get
    seed = _output_gradient(fn, outputs, grad_of)
    if seed is None:
        return [None] * len(fn.parents)
    shares = fn.checked_backward(seed, outputs[0] if not fn.n_outputs else None)
    return [None if (g is None or not p.requires_grad) else np.asarray(g)
            for p, g in zip(fn.parents, shares)]


def path_gradient(tensor, seed, stop) -> dict:
    """``{id(source): dL/dsource via tensor}``: backpropagate ``seed`` (dL/dtensor) from ``tensor`` through
    the ops it was made by, down to the tensors where ``stop(t)`` is true (and leaves), not past them.
    Those tensors' gradients are the shares that reach them from ``tensor`` alone, through the ops in
    between; a source that gets nothing has ``None``."""
    def inputs_of(t):
        if (t is not tensor and stop(t)) or t._ctx is None:
            return []
        return list(t._ctx.parents)
    order = topological_order(tensor, inputs_of=inputs_of)
    outputs_of, last_visit = {}, {}          # id(op) -> its outputs in the walk; the one the reverse walk meets last
    for t in order:
        if t._ctx is not None and (t is tensor or not stop(t)):
            outputs_of.setdefault(id(t._ctx), []).append(t)
            last_visit.setdefault(id(t._ctx), t)
    grads = {id(tensor): None if seed is None else np.asarray(seed)}
    shares = {}
    for t in reversed(order):
        g = grads.get(id(t))
        if t is not tensor and (stop(t) or t._ctx is None):
            shares[id(t)] = g
            continue
        fn = t._ctx
        if fn is None or last_visit[id(fn)] is not t:
            continue                          # an op with several outputs runs once, at the last of them
        outputs = outputs_of[id(fn)]
        for parent, share in zip(fn.parents, edge_gradient(fn, outputs, lambda t: grads.get(id(t)))):
            if share is not None:
                before = grads.get(id(parent))
                grads[id(parent)] = share if before is None else before + share
    return shares

