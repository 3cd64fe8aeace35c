"""The rolled view: one cell, with its recurrent loop marked ×T — the picture in most textbooks.

It draws the ops of one step (the last step whose states all link to the step before) and renames its tensors
from h_5, f_5 ... to h_t, f_t. Where that step read the previous state h_(t-1), a loop edge comes
back from the step's own h_t, labelled ×T and with the range of σ₁(∂h_t/∂h_(t-1)) over all steps
(for the LSTM's c, the range of the forget gate's mean). A weight's ‖∂L/∂x‖ is shown: it is the sum
over all T steps, which is exactly what the rolled picture means.
"""
import re

from . import labels, style
from .canvas import display_name
from .recurrence import additive_path, gate_stats, is_pure_gate

CELL = "cell"      # the canvas "step" of the one drawn cell


def _generic_name(name: str, step: int) -> str:
    """h_5 -> h_t, f_5_l0 -> f_t_l0; other names unchanged."""
    return re.sub(rf"_{step}(?=(_l\d+)?$)", "_t", name) if name else name


def draw_rolled(graph, states: dict, transitions, canvas) -> list:
    """Add one step's ops and the recurrent loops to ``canvas``. Returns the legend notes."""
    links = [tr for tr in transitions if not tr.cut]
    if not links:
        raise ValueError("draw_graph(detail='rolled'): found no recurrence to roll up. The states must be "
                         "named h_1, h_2, ... (c_1, c_2 ... for an LSTM), as the cells and layers name them, "
                         "and each must be computed from the one before.")
    # the last step at which every state (h, and the LSTM's c) links back to the step before: the
    # last c_T of a graph made of one-node steps is read by nothing, so it has no link
    by_kind = [{tr.step for tr in links if tr.kind == kind} for kind in {tr.kind for tr in links}]
    common = set.intersection(*by_kind)
    step = max(common) if common else max(tr.step for tr in links)
    total_steps = max(s.step for s in states.values() if not s.detached)
    loops = {id(tr.prev): tr for tr in links if tr.step == step}     # h_(t-1) -> its transition

    in_cell = [t for t in graph.tensors if t.step == step and id(t) not in loops]
    cell_ids = {id(t) for t in in_cell}
    for tensor in in_cell:
        canvas.add_tensor(tensor, name=_generic_name(display_name(tensor), step), step=CELL, show_grad=False)
        if tensor._ctx is not None:
            canvas.add_op(tensor._ctx, CELL)
    drawn = set()                            # ops whose inputs are drawn (chunk makes several tensors)
    for tensor in in_cell:
        if tensor._ctx is None:
            continue
        op = tensor._ctx
        canvas.add_edge(op, tensor, dict(style.CELL_EDGE_STYLE))
        if id(op) in drawn:
            continue
        drawn.add(id(op))
        for slot, parent in enumerate(op.parents):
            tr = loops.get(id(parent))
            if tr is not None:
                path = additive_path(graph, tr.prev, tr.cur)
                additive = tr.gate is not None and (op is path[0][1] if path else is_pure_gate(tr))
                canvas.add_edge(tr.cur, op, _loop_attrs(tr, links, total_steps, additive))
                continue
            if not canvas.has(parent):       # weights, inputs from outside the step
                canvas.add_tensor(parent, name=_generic_name(parent.name or "", step) or None, step=None)
            attrs = (_input_style(canvas, parent) if id(parent) not in cell_ids
                     else dict(style.CELL_EDGE_STYLE if parent.requires_grad else style.EDGE_STYLE))
            canvas.add_edge(parent, op, dict(attrs, tooltip=f"input {slot} of {op.op_name}"))

    notes = [labels.NOTE_ROLLED, labels.NOTE_SHAPES] + labels.additive_notes(links)
    return notes


def _input_style(canvas, parent) -> dict:
    """An edge from outside the cell: a weight's carries its gradient (the sum over all T steps, the
    ‖∂L/∂x‖ its node shows); one from a tensor without a gradient (x_t) is grey; others plain."""
    norm = canvas.gradient_norm(parent)
    if norm is not None:
        return canvas.scale.edge_style(norm)
    return dict(style.EDGE_STYLE) if not parent.requires_grad else dict(style.CELL_EDGE_STYLE)


def _loop_attrs(tr, links, total_steps: int, additive: bool) -> dict:
    """The loop edge h_t -> (next step), labelled ×T and with the range of its factor over all steps:
    along the additive path (``additive``), the gate's mean; else σ₁ of the step Jacobian."""
    same = [other for other in links if other.kind == tr.kind]
    head = f"{tr.kind}_t → next step: ×T, T = {total_steps}"
    if additive:
        means = [gate_stats(other.gate)[0] for other in same if other.gate is not None]
        attrs = style.additive(dict(style.EDGE_STYLE, color="#1b6e4a", penwidth="2"))
        gate = _generic_name(tr.gate.name or "gate", tr.step)
        text = f"{head}\nmean {gate} over t: {labels.range_text(means)}"
        font = style.ADDITIVE_FONT
    else:
        attrs = dict(style.EDGE_STYLE, color="#1f3d7a", penwidth="2")
        sigmas = [other.sigma for other in same]
        text = head + (f"\nσ₁(∂h_t/∂h_(t-1)) over t: {labels.range_text(sigmas)}"
                       if any(s is not None for s in sigmas) else "")
        font = style.JACOBIAN_FONT
    return dict(attrs, label=text, constraint="false", **font)
