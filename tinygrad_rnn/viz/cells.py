"""The cells view: one node per state per step (h_t, and c_t for the LSTM), for long sequences.

Each state node stands for everything its cell computed in that step; the ops in between are
collapsed (``recurrence.contract``). Edges: x_t -> h_t, h_(t-1) -> h_t (labelled with the Jacobian
norms), c_(t-1) -> c_t (the LSTM's additive path, a double line labelled with f_t), and the last
states -> the loss. The weights, shared by every step, are left out.

Each step is one column (x_t at the bottom, then c_t, then h_t; Graphviz stacks a column so that
its edges point upwards), so the LSTM's cell path c_0 -> c_1 -> ... runs straight along the middle
like a conveyor belt, h along the top.
"""
from ..nn.module import Parameter
from . import labels, style
from .recurrence import contract, gate_stats
from .walk import cut_origin


def draw_cells(graph, states: dict, transitions, canvas) -> list:
    """Add the states, inputs and roots of ``graph`` to ``canvas``. Returns the legend notes."""
    by_pair = {(id(tr.prev), id(tr.cur)): tr for tr in transitions}
    root_ids = {id(r) for r in graph.roots}

    def is_kept(t) -> bool:
        return (id(t) in states and not states[id(t)].detached) or id(t) in root_ids

    def stop(t) -> bool:                   # where a collapsed cell begins: states, inputs, leaves
        return id(t) in states or id(t) in root_ids or not t.requires_grad or t._ctx is None

    has_cut, columns = False, {}
    for tensor in graph.tensors:
        if not is_kept(tensor):
            continue
        canvas.add_tensor(tensor, faded=id(tensor) in graph.beyond_cut, html=True)
        columns.setdefault(tensor.step, []).append(tensor)
        carried = canvas.edge_style(tensor)
        for source in contract(tensor, stop):
            if isinstance(source, Parameter) or source.ndim == 0:
                continue                                   # shared weights and plain numbers are not drawn
            origin = cut_origin(source)
            if origin is not None and canvas.has(origin):  # a detach(): draw the cut from the original state
                has_cut = True
                canvas.add_edge(origin, tensor, dict(style.CUT_STYLE, label=labels.cut_label(origin.name or "h")))
                continue
            if not canvas.has(source):                     # x_t, h_0 ...: once
                canvas.add_tensor(source, faded=id(source) in graph.beyond_cut, html=True)
                columns.setdefault(source.step, []).append(source)
            tr = by_pair.get((id(source), id(tensor)))
            attrs = dict(carried)
            if tr is not None and tr.gate is not None:
                attrs = dict(style.additive(attrs), label=labels.gate_label(tr, gate_stats(tr.gate)),
                             **style.ADDITIVE_FONT)
            elif tr is not None and labels.jacobian_label(tr):
                attrs.update(label=labels.jacobian_label(tr), **style.JACOBIAN_FONT)
            canvas.add_edge(source, tensor, attrs)

    for step, members in columns.items():
        if step is not None and len(members) > 1:
            canvas.same_column(members)

    notes = [labels.NOTE_CELLS, labels.NOTE_EDGES_CELLS]
    if any(tr.sigma is not None for tr in transitions):
        notes.append(labels.NOTE_JACOBIAN)
    if any(tr.gate is not None for tr in transitions):
        notes.append(labels.NOTE_ADDITIVE)
    if has_cut:
        notes.append(labels.NOTE_CUT)
    return notes
