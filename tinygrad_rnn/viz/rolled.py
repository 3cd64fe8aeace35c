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
from .recurrence import gate_stats

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
    for tensor in in_cell:
        canvas.add_tensor(tensor, name=_generic_name(display_name(tensor), step), step=CELL, show_grad=False)
        if tensor._ctx is not None:
            canvas.add_op(tensor._ctx, CELL)
    drawn = set()                            # ops whose inputs are drawn (chunk makes several tensors)
    for tensor in in_cell:
        if tensor._ctx is None:
            continue
        op = tensor._ctx
        canvas.add_edge(op, tensor, dict(style.EDGE_STYLE))
        if id(op) in drawn:
            continue
        drawn.add(id(op))
        for slot, parent in enumerate(op.parents):
            tr = loops.get(id(parent))
            if tr is not None:
                canvas.add_edge(tr.cur, op, _loop_attrs(tr, links, total_steps))
                continue
            if not canvas.has(parent):       # weights, inputs from outside the step
                canvas.add_tensor(parent, name=_generic_name(parent.name or "", step) or None, step=None)
            canvas.add_edge(parent, op, dict(style.EDGE_STYLE, tooltip=f"input {slot} of {op.op_name}"))

    notes = [labels.NOTE_ROLLED, labels.NOTE_SHAPES]
    if any(tr.gate is not None for tr in links):
        notes.append(labels.NOTE_ADDITIVE)
    return notes


def _loop_attrs(tr, links, total_steps: int) -> dict:
    """The loop edge h_t -> (next step), labelled ×T and with the range of its factor over all steps."""
    same = [other for other in links if other.kind == tr.kind]
    head = f"{tr.kind}_t → next step: ×T, T = {total_steps}"
    if tr.gate is not None:
        means = [gate_stats(other.gate)[0] for other in same if other.gate is not None]
        attrs = style.additive(dict(style.EDGE_STYLE, color="#1b6e4a", penwidth="2"))
        text = f"{head}\nmean f_t over t: {labels.range_text(means)}"
        font = style.ADDITIVE_FONT
    else:
        attrs = dict(style.EDGE_STYLE, color="#1f3d7a", penwidth="2")
        sigmas = [other.sigma for other in same]
        text = head + (f"\nσ₁(∂h_t/∂h_(t-1)) over t: {labels.range_text(sigmas)}"
                       if any(s is not None for s in sigmas) else "")
        font = style.JACOBIAN_FONT
    return dict(attrs, label=text, constraint="false", **font)
