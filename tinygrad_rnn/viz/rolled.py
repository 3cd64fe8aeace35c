"""The rolled view: one cell, with its recurrent loop marked ×T — the picture in most textbooks.

It draws the ops of one step (the last step whose states all link to the step before) and renames its tensors
from h_5, f_5 ... to h_t, f_t. Where that step read the previous state h_(t-1), a loop edge comes
back from the step's own h_t, labelled ×T and with the range of σ₁(∂h_t/∂h_(t-1)) over all steps
(for the LSTM's c, the range of the forget gate's mean). A weight's ‖∂L/∂x‖ is shown: it is the sum
over all T steps, which is exactly what the rolled picture means.
"""
import re

from ..analysis.edges import edge_gradient
from ..core import GraphFreedError
from ..nn.module import Parameter
from . import labels, style
from .canvas import display_name, edge_name
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
        canvas.add_edge(op, tensor, dict(style.CELL_EDGE_STYLE, tooltip=f"{op.op_name} → "
                                         f"{_generic_name(display_name(tensor), step) or edge_name(tensor)}: its "
                                         f"gradient differs from step to step"))
        if id(op) in drawn:
            continue
        drawn.add(id(op))
        for slot, parent in enumerate(op.parents):
            tr = loops.get(id(parent))
            if tr is not None:
                path = additive_path(graph, tr.prev, tr.cur)
                additive = tr.gate is not None and (op is path[0][1] if path else is_pure_gate(tr))
                loop, text = _loop_attrs(tr, links, total_steps, additive)
                if text not in canvas.loop_texts:
                    canvas.loop_texts.append(text)
                canvas.add_edge(tr.cur, op, dict(loop,
                                                 tooltip=f"{tr.kind}_t → {op.op_name} of the next step: the "
                                                         f"recurrent loop, ×T"), about=tr)
                continue
            if not canvas.has(parent):       # weights, inputs from outside the step
                canvas.add_tensor(parent, name=_generic_name(parent.name or "", step) or None, step=None)
            what = (f"{_generic_name(display_name(parent), step) or edge_name(parent)} → {op.op_name} "
                    f"(input {slot})")
            if id(parent) not in cell_ids:
                attrs = _input_style(graph, canvas, parent, op, slot, what)
            else:
                attrs = dict(style.CELL_EDGE_STYLE if parent.requires_grad else style.EDGE_STYLE,
                             tooltip=what + (": its gradient differs from step to step" if parent.requires_grad
                                             else ": no gradient flows back along it"))
            canvas.add_edge(parent, op, attrs)

    # the loops' numbers go in the legend, where no edge crosses them; the loop edges say ×T
    notes = ([line for text in canvas.loop_texts for line in text.split("\n")]
             + [labels.NOTE_ROLLED, labels.NOTE_SHAPES]
             + labels.jacobian_note(links) + labels.additive_notes(links))
    return notes


def _input_style(graph, canvas, parent, op, slot: int, what: str) -> dict:
    """An edge from outside the cell into ``op``: a weight's carries the gradient that flows along it,
    added up over the T steps (in each step, the op at the same place among the weight's readers of
    that step); one from a tensor without a gradient (x_t) is grey; others plain."""
    if not parent.requires_grad:
        return dict(style.EDGE_STYLE, tooltip=what + ": no gradient flows back along it")
    if not isinstance(parent, Parameter):
        return dict(style.CELL_EDGE_STYLE, tooltip=what + ": its gradient differs from step to step")
    by_step = {}
    for reader, reader_slot in graph.consumers.get(id(parent), []):
        by_step.setdefault(graph.op_step(reader), []).append((reader, reader_slot))
    mine = by_step.get(graph.op_step(op), [])
    place = next(i for i, (reader, s) in enumerate(mine) if reader is op and s == slot)
    total = None
    try:
        for step, readers in by_step.items():
            if not isinstance(step, int) or place >= len(readers):
                continue
            reader, reader_slot = readers[place]
            if reader.op_name != op.op_name or reader_slot != slot:
                continue
            share = edge_gradient(reader, graph.outputs_of[id(reader)], canvas.gradient)[reader_slot]
            if share is not None:
                total = share if total is None else total + share
    except GraphFreedError:
        norm = canvas.gradient_norm(parent)
        return dict(canvas.scale.edge_style(norm), tooltip=what + (f": ‖∂L/∂x‖ of the weight = {norm:.6g}"
                                                                    if norm is not None else ""))
    return canvas.flow_style(total, what + ", added up over the T steps")


def _loop_attrs(tr, links, total_steps: int, additive: bool) -> dict:
    """The loop edge h_t -> (next step), labelled ×T; and its text: the range of its factor over all
    steps: along the additive path (``additive``), the gate's mean; else σ₁ of the step Jacobian."""
    same = [other for other in links if other.kind == tr.kind]
    head = f"loop {tr.kind}_t → next step: ×T, T = {total_steps}"
    if additive:
        means = [gate_stats(other.gate)[0] for other in same if other.gate is not None]
        attrs = style.additive(dict(style.EDGE_STYLE, color="#1b6e4a", penwidth="2"))
        gate = _generic_name(tr.gate.name or "gate", tr.step)
        text = f"{head}\nmean {gate} over t: {labels.range_text(means)}"
        font = style.ADDITIVE_FONT
    else:
        attrs = dict(style.EDGE_STYLE, color="#1f3d7a", penwidth="2")
        sigmas = [other.sigma for other in same]
        joint = "/∂(" in tr.jacobian
        name = "∂(h_t,c_t)/∂(h_(t-1),c_(t-1))" if joint else "∂h_t/∂h_(t-1)"
        text = head + (f"\nσ₁({name}) over t: {labels.range_text(sigmas)}"
                       if any(s is not None for s in sigmas) else "")
        font = style.JACOBIAN_FONT
    # the numbers go in the legend (draw_rolled), where no edge crosses them; the loop edge says ×T
    return dict(attrs, label=f"{tr.kind}_t ×T", constraint="false", **font), text
