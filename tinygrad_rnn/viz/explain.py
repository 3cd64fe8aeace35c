"""What the explorer (``html.py``) and the animated GIF (``gif.py``) show, as plain data.

``draw_graph`` calls ``collect`` once, while it draws, and attaches the result to the drawing as
``drawing.explorer_data``: numbers and text only (JSON-ready), no tensor, so the drawing keeps no
graph alive. It holds:

- ``nodes``: ``{node id: {...}}`` for every node of the drawing (the ids of the DOT text, ``n0``,
  ``n1``...): a tensor's name, shape, dtype, time step, min/mean/max of its values and
  ‖∂L/∂x‖ (``None`` if not known); an op's name and its backward rule (``Function.derivative``);
- ``frames``: the backward pass, one entry per tensor, in the engine's own order: the reverse of
  ``core.backward.topological_order(root)``, the list ``run_backward`` walks. A tensor's gradient
  is complete when the walk reaches it; then the op that made it runs its backward (an op with
  several outputs, such as ``chunk``, once its last output is reached). Each frame lists the
  nodes that light up then. Tensors the drawing leaves out (the cells view draws no op) are skipped;
- ``strip``: ‖∂L/∂h_t‖ for each step t, with the frame at which the walk reaches h_t;
- ``cuts``: each ``detach()`` the walk meets, and the frame after which no gradient crosses it;
- ``recurrent``: for each edge the drawing made for a recurrent link h_(t-1) -> h_t (or c_(t-1) -> c_t;
  the labelled edge, not every edge out of h_(t-1)), its two ends as drawn, σ₁ of the step Jacobian
  (for the LSTM the whole state's, ∂(h_t,c_t)/∂(h_(t-1),c_(t-1))), the product of the σ₁ from the last
  step back to it, and the measured ‖∂h_T/∂h_(t-1)‖, which that product bounds (``recurrence.measure``).
"""
import math

import numpy as np

from ..core import Function, Tensor
from ..core.backward import topological_order
from ..nn.module import Parameter
from .canvas import display_name, shape_text


def _number(x):
    """A float for JSON: finite numbers as they are, nan and inf as text."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else str(x)


def _stats(tensor) -> dict | None:
    """min, mean and max of a tensor's values (None for an empty or non-numeric one)."""
    values = np.asarray(tensor.data)
    if values.size == 0 or values.dtype.kind not in "fiub":
        return None
    values = values.astype(np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        return dict(min=_number(values.min()), mean=_number(values.mean()), max=_number(values.max()))


def _kind(tensor) -> str:
    if isinstance(tensor, Parameter):
        return "parameter"
    if not tensor.requires_grad:
        return "constant"
    return "leaf" if tensor._ctx is None else "tensor"


def _step(step):
    return step if step is None or isinstance(step, int) else str(step)


def collect(walk, canvas, states: dict, transitions: list, roots: list, title: str) -> dict:
    """The explorer's data for one drawing (see the module docstring). ``walk``, ``states`` and
    ``transitions`` are what ``draw_graph`` found; ``canvas`` holds the drawing's nodes."""
    node_list, edge_list = canvas.records()
    nodes, nodes_of = {}, {}                 # node id -> record; id(object) -> [node ids]
    for node, obj, step in node_list:
        nodes_of.setdefault(id(obj), []).append(node)
        if isinstance(obj, Function):
            nodes[node] = dict(kind="op", name=obj.op_name, rule=obj.derivative, step=_step(step),
                               inputs=len(obj.parents))
        elif isinstance(obj, Tensor):
            fn = obj._ctx
            nodes[node] = dict(kind=_kind(obj), name=canvas.names.get(node, display_name(obj)) or "",
                               shape=shape_text(obj),
                               dtype=str(obj.dtype), step=_step(step), stats=_stats(obj),
                               grad=_number(canvas.gradient_norm(obj)), faded=id(obj) in walk.beyond_cut,
                               made_by=fn.op_name if fn is not None else None,
                               rule=fn.derivative if fn is not None else "")

    frames, frame_of = _frames(roots, nodes_of)
    strip = _strip(states, nodes_of, frame_of, canvas)
    cuts = []
    for origin, detached in walk.cuts:
        readers = [op for op, _ in walk.consumers.get(id(detached), [])]
        reached = [frame_of[id(out)] for op in readers for out in walk.outputs_of.get(id(op), [])
                   if id(out) in frame_of]
        cuts.append(dict(origin=nodes_of.get(id(origin), [None])[0], detached=nodes_of.get(id(detached), [None])[0],
                         name=origin.name or "h", step=_step(origin.step),
                         frame=max(reached) if reached else None))
    recurrent = _recurrent(transitions, states, nodes_of, nodes, edge_list)
    return dict(title=title, nodes=nodes, frames=frames, strip=strip, cuts=cuts, recurrent=recurrent)


def _frames(roots, nodes_of) -> tuple:
    """The backward pass as frames, in the engine's order; and ``{id(tensor): frame number}`` (1-based:
    after that many frames the tensor is lit)."""
    order = list(reversed(topological_order(list(roots))))     # what run_backward walks
    last_output = {}                                           # id(op) -> its output reached last
    for tensor in order:
        if tensor._ctx is not None:
            last_output[id(tensor._ctx)] = tensor
    frames, frame_of = [], {}
    for tensor in order:
        lit = list(nodes_of.get(id(tensor), []))
        if not lit:
            continue                       # not drawn (e.g. an op's output in the cells view)
        fn = tensor._ctx
        ops = nodes_of.get(id(fn), []) if fn is not None and last_output.get(id(fn)) is tensor else []
        frames.append(dict(tensors=lit, ops=list(ops), name=display_name(tensor) or "",
                           made_by=fn.op_name if fn is not None else None, step=_step(tensor.step),
                           op_drawn=fn is not None and bool(nodes_of.get(id(fn)))))
        frame_of[id(tensor)] = len(frames)
    return frames, frame_of


def _strip(states, nodes_of, frame_of, canvas) -> dict:
    """‖∂L/∂h_t‖ per step t of one series of hidden states (layer 0's, ``h``, if there is one)."""
    series = sorted({s.series for s in states.values() if s.kind == "h"})
    if not series:
        return dict(series=None, points=[])
    chosen = "h" if "h" in series else series[-1]
    points = []
    chosen_states = (s for s in states.values() if s.series == chosen and not s.detached)   # detached: the cut
    for state in sorted(chosen_states, key=lambda s: s.step):
        points.append(dict(t=state.step, name=state.tensor.name, node=nodes_of.get(id(state.tensor), [None])[0],
                           grad=_number(canvas.gradient_norm(state.tensor)), frame=frame_of.get(id(state.tensor))))
    return dict(series=chosen, points=points)


def _recurrent(transitions, states, nodes_of, nodes, edge_list) -> list:
    """The recurrent edges: each edge out of h_(t-1) (or c_(t-1)) into a node of step t, with the
    numbers of its transition. ``edge``: (tail id, head id, k) for the k-th such edge."""
    product, running = {}, {}
    for tr in sorted(transitions, key=lambda tr: -tr.step):     # from the last step back
        key = states[id(tr.cur)].series
        if tr.sigma is not None and running.get(key, 1.0) is not None:
            running[key] = running.get(key, 1.0) * tr.sigma
        else:
            running[key] = None
        product[id(tr)] = running[key]
    seen, found = {}, []
    for tail, head, tr in edge_list:                            # k: the k-th edge with these ends
        seen[(tail, head)] = seen.get((tail, head), -1) + 1
        if tr is None:
            continue                                            # only the edges the drawing made for a transition
        gate = None
        if tr.gate is not None:
            values = np.asarray(tr.gate.data, dtype=np.float64)
            gate = dict(name=tr.gate.name or "f_t", mean=_number(values.mean()),
                        min=_number(values.min()), max=_number(values.max()))
        found.append(dict(edge=[tail, head, seen[(tail, head)]], tail=_end_name(nodes.get(tail)),
                          head=_end_name(nodes.get(head)), kind=tr.kind, step=tr.step, prev=tr.prev_name,
                          cur=tr.cur.name, last=tr.last.name if tr.last is not None else None,
                          jacobian=tr.jacobian or None, sigma=_number(tr.sigma),
                          sigma_product=_number(product[id(tr)]), to_last=_number(tr.to_last), gate=gate,
                          cut=tr.cut))
    return found


def _end_name(node) -> str:
    """How the tooltip names an edge's end: a tensor's name (``h_0``), an op's (``matmul``)."""
    if not node:
        return "?"
    return node.get("name") or (f"tensor {node['shape']}" if node.get("shape") else "?")
