"""``draw_graph``: a computation graph as a ``graphviz.Digraph``, grouped by time step, with gradients on it.

    import tinygrad_rnn as tg
    from tinygrad_rnn.analysis import all_gradients
    from tinygrad_rnn.viz import draw_graph, render

    out, h_n = rnn(x)                        # any graph; the sequence layers tag steps with time_step(t)
    loss = out[-1].sum()
    grads = all_gradients(loss)              # dL/dtensor for every tensor, nothing written
    render(draw_graph(loss, grads=grads), "rnn.svg")

What you see (detail="ops", every op):

- ops as boxes, tensors as records ``name | shape | ‖∂L/∂x‖``; parameters are gold squares;
- an edge from each input of an op, in order (``a * a`` has two edges from ``a``);
- the tensors of time step t inside a box labelled ``t = ...``, steps left to right;
- after a backward, colour and width on a log scale of the gradient norm (``style.py``): vanishing
  gradients fade to grey, exploding ones glow red;
- the recurrent edge out of h_(t-1) labelled with σ₁ of ∂h_t/∂h_(t-1) and the running norm
  ‖∂h_T/∂h_(t-1)‖; for the LSTM, the cell path c_(t-1) → c_t as a double line labelled with f_t;
- a ``detach()`` as a red dashed cut edge; the part before it, which gets no gradient, faded.

``detail="cells"`` draws one node per state per step (for long sequences), ``detail="rolled"``
one cell with its recurrent loop marked ×T. Drawing only reads the graph: no tensor, gradient or
link changes. The DOT text (``graph.source``) needs nothing else; rendering it needs Graphviz's
``dot`` program (``render.py``).
"""
from ..core import Tensor
from ..nn.module import Parameter
from . import labels, style
from .canvas import Canvas, display_name
from .recurrence import find_states, find_transitions, gate_stats, measure
from .walk import walk

DETAILS = ("ops", "cells", "rolled")


def draw_graph(root, *, detail: str = "ops", grads=None, jacobians: bool = True,
               scale: style.GradientScale | None = None, title: str | None = None):
    """Draw everything ``root`` depends on; returns a ``graphviz.Digraph``.

    ``root``: a tensor (usually the loss) or a list of tensors. ``detail``: "ops" (every op and
    tensor), "cells" (one node per state h_t, c_t per step) or "rolled" (one cell, a loop ×T).
    ``grads``: ``{tensor: dL/dtensor}``, e.g. ``analysis.all_gradients(loss)``; tensors not in it
    show their ``.grad`` (leaves and ``retain_grad()`` tensors have one after ``backward()``).
    ``jacobians``: label the recurrent edges with Jacobian norms (needs the graph's saved values:
    draw before ``backward()`` or after ``backward(retain_graph=True)``). ``scale``: the gradient
    colour scale (default ``GradientScale()``, 1e-4 to 1e2). ``title``: the legend's first line.
    """
    if detail not in DETAILS:
        raise ValueError(f"draw_graph: detail must be one of {', '.join(DETAILS)}, got {detail!r}")
    roots = [root] if isinstance(root, Tensor) else None
    if roots is None and not isinstance(root, (str, bytes)) and hasattr(root, "__iter__") \
            and not hasattr(root, "shape"):
        roots = list(root)                                     # a list (or other iterable) of tensors
    if not roots or not all(isinstance(r, Tensor) for r in roots):
        got = type(root).__name__ if roots is None else "an empty list" if not roots else \
            "a list holding " + ", ".join(sorted({type(r).__name__ for r in roots if not isinstance(r, Tensor)}))
        raise TypeError(f"draw_graph: root must be a Tensor or a list of Tensors, got {got}. Fix: pass the loss "
                        f"tensor itself (not loss.item() or its .data)")
    graph = walk(roots)
    states = find_states(graph)
    transitions = find_transitions(graph, states)
    measured = measure(transitions, states) if (jacobians and transitions) else None
    canvas = Canvas(scale or style.GradientScale(), grads)

    if detail == "ops":
        notes = _draw_ops(graph, transitions, canvas)
    elif detail == "cells":
        from .cells import draw_cells
        notes = draw_cells(graph, states, transitions, canvas)
    else:
        from .rolled import draw_rolled
        notes = draw_rolled(graph, states, transitions, canvas)

    has_grads = any(canvas.gradient_norm(t) is not None for t in graph.tensors)
    notes = list(notes)
    if transitions and measured is False:
        notes.append(labels.NOTE_FREED)
    if not has_grads:
        notes.append(labels.NOTE_NO_GRADS)
    steps = sorted({t.step for t in graph.tensors if isinstance(t.step, int)})
    if title is None:
        name = display_name(roots[0]) or (roots[0]._ctx.op_name if roots[0]._ctx else "tensor")
        title = f"graph of {name}" + (f", {len(steps)} time steps" if steps else "")
    legend = style.legend(canvas.scale, title, notes, show_scale=has_grads)
    faded_steps = {s for s in steps
                   if all(id(t) in graph.beyond_cut for t in graph.tensors if t.step == s)}
    cluster_label = ((lambda s: "one step t, applied T times" if s == "cell" else f"t = {s}") if detail == "rolled"
                     else (lambda s: f"t = {s}"))
    return canvas.to_digraph(legend, cluster_label, faded_steps)


def _draw_ops(graph, transitions, canvas) -> list:
    """Every tensor and op. A weight used inside time steps is drawn once per step (the same
    tensor each time, "shared"), so that every step is a complete picture of the cell.
    Returns the legend notes that apply."""
    def per_step(tensor) -> bool:
        readers = graph.consumers.get(id(tensor), [])
        return (isinstance(tensor, Parameter) and bool(readers)
                and all(graph.op_step(op) is not None for op, _ in readers))

    for tensor in graph.tensors:
        faded = id(tensor) in graph.beyond_cut
        if not per_step(tensor):
            canvas.add_tensor(tensor, faded=faded)
        if tensor._ctx is not None:
            canvas.add_op(tensor._ctx, tensor.step, faded=faded)

    special = _recurrent_edges(graph, transitions)   # (id(tail), id(head)) -> extra attributes
    for op in graph.ops:
        out = graph.output_of(op)
        step = graph.op_step(op)
        carried = canvas.edge_style(out)             # the gradient flowing back through this op
        for slot, parent in enumerate(op.parents):   # in order: a * a draws two edges from a
            copy = step if per_step(parent) else None
            if copy is not None:
                canvas.add_tensor(parent, copy_in_step=copy, note="shared by all steps",
                                  faded=id(out) in graph.beyond_cut)
            attrs = _with_extra(carried, special.get((id(parent), id(op)), {}))
            canvas.add_edge(parent, op, dict(attrs, tooltip=f"input {slot} of {op.op_name}"), tail_copy_in_step=copy)
        for out in graph.outputs_of[id(op)]:         # chunk has several outputs, every other op one
            carried = canvas.edge_style(out)
            canvas.add_edge(op, out, _with_extra(carried, special.get((id(op), id(out)), {})))
    for origin, detached in graph.cuts:
        canvas.add_edge(origin, detached, dict(style.CUT_STYLE, label=labels.cut_label(origin.name or "h")))

    notes = [labels.NOTE_SHAPES, labels.NOTE_EDGES]
    if any(tr.sigma is not None for tr in transitions):
        notes.append(labels.NOTE_JACOBIAN)
    if any(tr.gate is not None for tr in transitions):
        notes.append(labels.NOTE_ADDITIVE)
    if graph.cuts:
        notes.append(labels.NOTE_CUT)
    return notes


def _recurrent_edges(graph, transitions) -> dict:
    """Extra attributes for the edges where a gradient crosses from step t back to step t-1.

    For h: the edge from h_(t-1) into the first op of step t that reads it gets the Jacobian label.
    For the LSTM's c: the whole path c_(t-1) -> mul (by f_t) -> add -> c_t is drawn as a double
    line, and its first edge gets the f_t label.
    """
    special = {}
    for tr in transitions:
        readers = [op for op, _ in graph.consumers.get(id(tr.prev), []) if graph.op_step(op) == tr.step]
        if not readers:
            continue
        if tr.gate is not None:
            path = _additive_path(graph, tr)
            for tail, head in path:
                special[(id(tail), id(head))] = {"additive": True}
            first = path[0] if path else (tr.prev, readers[0])
            special.setdefault((id(first[0]), id(first[1])), {})["label"] = labels.gate_label(tr, gate_stats(tr.gate))
            special[(id(first[0]), id(first[1]))].update(style.ADDITIVE_FONT)
        else:
            text = labels.jacobian_label(tr)
            if text:
                special[(id(tr.prev), id(readers[0]))] = dict(label=text, **style.JACOBIAN_FONT)
    return special


def _with_extra(carried: dict, extra: dict) -> dict:
    """An edge's gradient style with a recurrent edge's extras on top (``additive``: a double line)."""
    extra = dict(extra)
    attrs = style.additive(carried) if extra.pop("additive", False) else dict(carried)
    attrs.update(extra)
    return attrs


def _additive_path(graph, tr) -> list:
    """The edges c_(t-1) -> mul -> u -> add -> c_t (as (tail, head) pairs), if the graph has that shape."""
    for op, _ in graph.consumers.get(id(tr.prev), []):
        if op.op_name != "mul" or graph.op_step(op) != tr.step:
            continue
        product = graph.output_of(op)
        for add, _ in graph.consumers.get(id(product), []):
            if graph.output_of(add) is tr.cur:
                return [(tr.prev, op), (op, product), (product, add), (add, tr.cur)]
    return []
