"""The cells view: one node per state per step (h_t, and c_t for the LSTM), for long sequences.

Each state node stands for everything its cell computed in that step; the ops in between are
collapsed (``recurrence.contract``). Edges: x_t -> h_t, h_(t-1) -> h_t (labelled with the Jacobian
norms), c_(t-1) -> c_t (the LSTM's additive path, a double line; the GRU's z_t ⊙ h_(t-1) is one
too, beside the h edge), and the last states -> the loss. The gate on an additive path (f_t, z_t)
is written in the node it leads to, where no edge can cross it. The weights, shared by every step,
are left out. A layer's step begins at its slice of the whole sequence's input projection
(``_step_input``), so no one node feeds every step.

Each step is one column (x_t at the bottom, then c_t, then h_t; Graphviz stacks a column so that
its edges point upwards), so the LSTM's cell path c_0 -> c_1 -> ... runs straight along the middle
like a conveyor belt, h along the top.
"""
import numpy as np

from ..analysis.edges import path_gradient
from ..core import GraphFreedError
from ..nn.module import Parameter
from . import labels, style
from .canvas import edge_name
from .recurrence import contract, gate_stats, is_pure_gate
from .walk import cut_origin


SLICES = ("unbind", "getitem")         # the ops that take one step's part of a whole sequence


def _step_input(tensor) -> bool:
    """True for a step's slice of something computed for all steps at once (a layer's input
    projection x W_ih^T + b, sliced per step): the cell begins there, so that one (T, B, I) input
    does not send an edge into every step (dot takes minutes to lay out a hundred of those)."""
    fn = tensor._ctx
    return (isinstance(tensor.step, int) and fn is not None and fn.op_name in SLICES
            and not isinstance(fn.parents[0].step, int))


def _shares(tensor, canvas, stop) -> dict | None:
    """``{id(source): the gradient that flows back from tensor to source}`` through the ops the cells
    view does not draw; ``None`` if it can't be known (the graph's saved values were freed)."""
    try:
        return path_gradient(tensor, canvas.gradient(tensor), stop)
    except GraphFreedError:
        return None


def draw_cells(graph, states: dict, transitions, canvas, numbers_in_nodes: bool = False) -> list:
    """Add the states, inputs and roots of ``graph`` to ``canvas``. Returns the legend notes.
    ``numbers_in_nodes``: the Jacobian numbers of h_(t-1) -> h_t go in h_t's node too, instead of on
    the edge, so that the columns stand close together (``size="slide"``)."""
    by_pair = {(id(tr.prev), id(tr.cur)): tr for tr in transitions}
    root_ids = {id(r) for r in graph.roots}

    def is_kept(t) -> bool:
        return (id(t) in states and not states[id(t)].detached) or id(t) in root_ids

    def stop(t) -> bool:                   # where a collapsed cell begins: states, inputs, leaves
        return (id(t) in states or id(t) in root_ids or not t.requires_grad or t._ctx is None
                or _step_input(t))

    gated = {id(tr.cur): tr for tr in transitions if tr.gate is not None}
    jacobian_of = {id(tr.cur): tr for tr in transitions
                   if numbers_in_nodes and not is_pure_gate(tr) and labels.jacobian_label(tr)}
    has_cut, columns = False, {}
    for tensor in graph.tensors:
        if not is_kept(tensor):
            continue
        faded = id(tensor) in graph.beyond_cut
        note = []                               # the numbers that go in the node, where no edge runs
        if id(tensor) in jacobian_of:
            note += [(line, style.JACOBIAN_FONT["fontcolor"]) for line in
                     labels.jacobian_label(jacobian_of[id(tensor)]).split("\n")]
        tr = gated.get(id(tensor))
        if tr is not None:
            note += [(line, style.ADDITIVE_FONT["fontcolor"]) for line in
                     labels.gate_note(tr, gate_stats(tr.gate), running=is_pure_gate(tr))]
        canvas.add_tensor(tensor, faded=faded, html=True, annotation=note)
        columns.setdefault(tensor.step, []).append(tensor)
        shares = _shares(tensor, canvas, stop)         # what flows back from tensor to each source, or None
        for source in contract(tensor, stop):
            if isinstance(source, Parameter) or source.ndim == 0:
                continue                                   # shared weights and plain numbers are not drawn
            what = f"{edge_name(source)} → {edge_name(tensor)}"
            origin = cut_origin(source)
            if origin is not None and canvas.has(origin):  # a detach(): draw the cut from the original state
                has_cut = True
                canvas.add_edge(origin, tensor, dict(style.CUT_STYLE, label=labels.cut_label(origin.name or "h"),
                                                     tooltip=f"{edge_name(origin)} → {edge_name(tensor)}: cut "
                                                             f"by detach(), no gradient crosses"))
                continue
            if not canvas.has(source):                     # x_t, h_0 ...: once
                canvas.add_tensor(source, faded=id(source) in graph.beyond_cut, html=True,
                                  note="step input" if _step_input(source) and not source.name else "")
                columns.setdefault(source.step, []).append(source)
            tr = by_pair.get((id(source), id(tensor)))
            share = shares.get(id(source)) if shares is not None else None
            if shares is None:                             # saved values freed: the state's own gradient
                attrs = dict(canvas.edge_style(tensor), tooltip=what)
            else:
                attrs = canvas.flow_style(share, what)
            if tr is not None and tr.gate is not None:     # the additive path: a double line
                gated_share = share
                if not is_pure_gate(tr) and shares is not None:   # the GRU: z_t ⊙ h_(t-1) is one of two paths
                    seed = canvas.gradient(tensor)
                    gated_share = None if seed is None else np.asarray(seed) * np.asarray(tr.gate.data)
                    share = None if share is None else share - (0 if gated_share is None else gated_share)
                    attrs = canvas.flow_style(share, what + f", the path not through × {tr.gate.name or 'gate'}")
                gate_what = f"{what} through × {tr.gate.name or 'gate'}"
                gate_attrs = (canvas.flow_style(gated_share, gate_what) if shares is not None
                              else dict(canvas.edge_style(tensor), tooltip=gate_what))
                # weight 2 keeps the path straight (8 made dot take 15 s for 200 steps)
                canvas.add_edge(source, tensor, dict(style.additive(gate_attrs), weight="2"), about=tr)
                if is_pure_gate(tr):
                    continue
            if tr is not None and labels.jacobian_label(tr) and not numbers_in_nodes:
                attrs.update(label=labels.jacobian_label(tr), **style.JACOBIAN_FONT)
                if id(tensor) in graph.beyond_cut:         # the cut-off part: its numbers faded too
                    attrs["fontcolor"] = style.FADED_STYLE["fontcolor"]
            canvas.add_edge(source, tensor, attrs, about=tr)

    for step, members in columns.items():
        if step is not None and len(members) > 1:
            canvas.same_column(members)

    notes = [labels.NOTE_CELLS, labels.NOTE_EDGES_CELLS if canvas.grads else labels.NOTE_EDGES_UNKNOWN]
    notes += labels.jacobian_note(transitions, in_nodes=numbers_in_nodes)
    notes += labels.additive_notes(transitions)
    if has_cut:
        notes.append(labels.NOTE_CUT)
    return notes
