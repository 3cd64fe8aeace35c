"""``draw_graph``: a computation graph as a ``graphviz.Digraph``, grouped by time step, with gradients on it.

    import tinygrad_rnn as tg
    from tinygrad_rnn.analysis import all_gradients
    from tinygrad_rnn.viz import draw_graph, render

    out, h_n = rnn(x)                        # any graph; the sequence layers tag steps with time_step(t)
    loss = out[-1].sum()
    grads = all_gradients(loss)              # dL/dtensor for every tensor, nothing written
    render(draw_graph(loss, grads=grads), "rnn.svg")

What you see (detail="ops", every op):

- ops as boxes, tensors as records ``name | shape | ‖∂L/∂x‖``; parameters are gold squares, each drawn
  once in a cluster of its own, with an edge to every op of every step that reads it;
- an edge from each input of an op, in order (``a * a`` has two edges from ``a``);
- the tensors of time step t inside a box labelled ``t = ...``, the steps in one row left to right
  (invisible edges order them, ``Canvas._step_order``);
- after a backward, colour and width on a log scale of the gradient norm (``style.py``): vanishing
  gradients fade to grey, exploding ones glow red;
- the recurrent edge out of h_(t-1) labelled with σ₁ of ∂h_t/∂h_(t-1) and the running norm
  ‖∂h_T/∂h_(t-1)‖; an additive path as a double line labelled with its gate: the LSTM's cell path
  c_(t-1) → c_t (f_t), the GRU's z_t ⊙ h_(t-1) → h_t (z_t);
- a ``detach()`` as a red dashed cut edge; the part before it, which gets no gradient, faded.

``detail="cells"`` draws one node per state per step (for long sequences; the gates' numbers go in
the state's node, where no edge runs), ``detail="rolled"`` one cell with its recurrent loop marked ×T.
``size="slide"`` sizes a drawing for a 1920×1080 slide and checks its text comes out at least 14 px
high. Drawing only reads the graph: no tensor, gradient or
link changes. The DOT text (``graph.source``) needs nothing else; rendering it needs Graphviz's
``dot`` program (``render.py``).
"""
import warnings

from ..analysis.edges import edge_gradient
from ..core import GraphFreedError, Tensor
from ..nn.module import Parameter
from . import explain, labels, style
from .canvas import SHARED, Canvas, display_name, edge_name
from .recurrence import additive_path, find_states, find_transitions, gate_stats, is_pure_gate, measure
from .walk import walk

DETAILS = ("ops", "cells", "rolled")


#: the every-op view up to this many time steps, the cells view beyond (``detail=None``, and the CLI)
OPS_UP_TO_STEPS = 4


def pick_detail(steps: int) -> str:
    """The detail drawn when none is asked for: every op up to ``OPS_UP_TO_STEPS`` steps, one node per
    state beyond (a 5-step LSTM's every op is already 10000 px wide)."""
    return "ops" if steps <= OPS_UP_TO_STEPS else "cells"


def draw_graph(root, *, detail: str | None = None, grads=None, jacobians: bool = True,
               scale: style.GradientScale | None = None, title: str | None = None, size: str | None = None):
    """Draw everything ``root`` depends on; returns a ``graphviz.Digraph``.

    ``root``: a tensor (usually the loss) or a list of tensors. ``detail``: "ops" (every op and
    tensor), "cells" (one node per state h_t, c_t per step) or "rolled" (one cell, a loop ×T);
    None (the default) picks as the CLI does: "ops" up to 4 time steps, "cells" beyond
    (``pick_detail``). ``grads``: ``{tensor: dL/dtensor}``, e.g. ``analysis.all_gradients(loss)``;
    tensors not in it show their ``.grad`` (leaves and ``retain_grad()`` tensors have one after
    ``backward()``). ``jacobians``: label the recurrent edges with Jacobian norms (needs the graph's
    saved values: draw before ``backward()`` or after ``backward(retain_graph=True)``). ``scale``:
    the gradient colour scale (default ``GradientScale()``, 1e-4 to 1e2). ``title``: the legend's
    first line. ``size``: None (the natural size) or "slide": rendered to fill 1920×1080 px with no
    text below 12 pt; if ``dot`` is installed, the layout is measured: with ``detail=None`` the first
    of the picked detail, "cells" and "rolled" whose smallest text comes out at least 14 px high is
    drawn; a drawing that still doesn't fit (or an asked-for detail that doesn't) warns
    (``SlideTooSmallWarning``), saying what to draw instead. ``drawing.detail`` says what was drawn.

    A drawing of more than ``LARGE_GRAPH[detail]`` nodes (250 for "ops", 1500 for "cells") warns
    (``LargeGraphWarning``): ``dot`` may take minutes to lay it out; ``render`` stops it after its
    ``timeout``.
    """
    if detail is not None and detail not in DETAILS:
        raise ValueError(f"draw_graph: detail must be one of {', '.join(DETAILS)} (or None: picked by the "
                         f"number of steps), got {detail!r}")
    style.check_size(size)
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
    steps = sorted({t.step for t in graph.tensors if isinstance(t.step, int)})
    if title is None:
        name = display_name(roots[0]) or (roots[0]._ctx.op_name if roots[0]._ctx else "tensor")
        title = f"graph of {name}" + (f", {len(steps)} time steps" if steps else "")
    chosen = detail or pick_detail(len(steps))
    candidates = [chosen]
    if detail is None and size is not None and transitions:      # smaller views, if the picked one doesn't fit
        candidates += list(DETAILS[DETAILS.index(chosen) + 1:])
    for i, each in enumerate(candidates):
        drawing, too_small = _draw(graph, states, transitions, measured, roots, each, grads, scale, title, size,
                                   len(steps))
        if too_small is None or i == len(candidates) - 1:
            break
    if too_small is not None:
        warnings.warn(too_small, SlideTooSmallWarning, stacklevel=2)
    return drawing


def _draw(graph, states, transitions, measured, roots, detail, grads, scale, title, size, steps):
    """One drawing of the walked graph in ``detail``; and, for a ``size``, the warning to give if its
    text comes out too small there (None if it fits, or can't be measured)."""
    canvas = Canvas(scale or style.GradientScale(), grads)
    if detail == "ops":
        notes = _draw_ops(graph, transitions, canvas, compact=size is not None)
    elif detail == "cells":
        from .cells import draw_cells
        notes = draw_cells(graph, states, transitions, canvas, numbers_in_nodes=size is not None)
    else:
        from .rolled import draw_rolled
        notes = draw_rolled(graph, states, transitions, canvas)

    has_grads = any(canvas.gradient_norm(t) is not None for t in graph.tensors)
    notes = list(notes)
    if transitions and measured is False:
        notes.append(labels.NOTE_FREED)
    if not has_grads:
        notes.append(labels.NOTE_NO_GRADS)
    spec = style.SIZES.get(size, {})
    legend = style.legend(canvas.scale, title, notes, show_scale=has_grads, min_font=spec.get("min_font"),
                          wrap=spec.get("wrap"))
    step_set = sorted({t.step for t in graph.tensors if isinstance(t.step, int)})
    faded_steps = {s for s in step_set
                   if all(id(t) in graph.beyond_cut for t in graph.tensors if t.step == s)}
    cluster_label = ((lambda s: "one step t, applied T times" if s == "cell" else f"t = {s}") if detail == "rolled"
                     else (lambda s: f"t = {s}"))
    drawing = canvas.to_digraph(legend, cluster_label, faded_steps, step_row=detail != "cells", size=size)
    drawing.detail = detail
    large = _warn_if_large(drawing, detail, steps)
    too_small = _check_fits(drawing, size, detail, steps) if size is not None and not large else None
    # what viz.to_html and viz.to_gif show: plain numbers and text, no tensor (explain.py)
    drawing.explorer_data = explain.collect(graph, canvas, states, transitions, roots, title)
    return drawing, too_small


#: more nodes than this and ``dot`` may take minutes. The every-op and rolled views rank their steps in one
#: row across clusters (newrank), which grows fast: an LSTM's every op, 10 steps (308 nodes), takes dot
#: about 9 s, 20 steps (608) more than 100 s. The cells view does not: 200 LSTM steps (600 nodes) take 1 s.
LARGE_GRAPH = {"ops": 250, "rolled": 250, "cells": 1500}


class LargeGraphWarning(UserWarning):
    """A drawing so big that ``dot`` may take minutes to lay it out."""


class SlideTooSmallWarning(UserWarning):
    """A drawing whose text comes out too small on a slide."""


def _advice(detail: str, steps: int) -> str:
    other = [f'detail="{d}"' for d in ("cells", "rolled") if d != detail]
    fewer = f"fewer than {steps} steps" if steps > 1 else "a smaller graph"
    return f"Fix: draw_graph(..., {' or '.join(other)}), or {fewer}"


def _warn_if_large(drawing, detail: str, steps: int) -> bool:
    from .render import graph_size
    nodes, edges = graph_size(drawing)
    if nodes <= LARGE_GRAPH[detail]:
        return False
    warnings.warn(f"draw_graph: {nodes} nodes and {edges} edges (more than {LARGE_GRAPH[detail]} nodes for "
                  f"detail={detail!r}): Graphviz's dot "
                  f"may take minutes to lay this out, and render stops it after its timeout. "
                  f"{_advice(detail, steps)}.", LargeGraphWarning, stacklevel=4)
    return True


def _check_fits(drawing, size: str, detail: str, steps: int) -> str | None:
    """Lay the drawing out (if ``dot`` is installed); the warning to give if its smallest text comes out
    under the size's ``min_text_px`` (else None). The numbers are kept on the drawing as ``drawing.fit``."""
    from .render import dot_available, layout, scale_to_fit, text_height_px
    if not dot_available():
        return None
    spec = style.SIZES[size]
    shape = layout(drawing)
    box = (spec["width_px"], spec["height_px"], spec["dpi"])
    text = text_height_px(shape, *box)
    scale = scale_to_fit(shape, *box)
    drawing.fit = dict(text_px=text, scale=scale, width_px=shape.width * scale * spec["dpi"] / 72,
                       height_px=shape.height * scale * spec["dpi"] / 72)
    if text < spec["min_text_px"]:
        full = shape.width * spec["dpi"] / 72, shape.height * spec["dpi"] / 72
        return (f"draw_graph(size={size!r}, detail={detail!r}): on {spec['what']} the smallest text would be "
                f"{text:.1f} px high (at least {spec['min_text_px']} px is readable): the drawing is {full[0]:.0f}×"
                f"{full[1]:.0f} px at full size. {_advice(detail, steps)}.")
    return None


def _draw_ops(graph, transitions, canvas, compact: bool = False) -> list:
    """Every tensor and op. A weight that the time steps read is drawn once, in a cluster of its
    own ("parameters, shared by all steps"), with an edge to each op of each step that reads it.
    ``compact``: unnamed intermediate tensors as small dots (for slides). Returns the legend notes."""
    def shared(tensor) -> bool:
        readers = graph.consumers.get(id(tensor), [])
        return (isinstance(tensor, Parameter) and bool(readers)
                and all(graph.op_step(op) is not None for op, _ in readers))

    has_shared, root_ids = False, {id(r) for r in graph.roots}
    for tensor in graph.tensors:
        faded = id(tensor) in graph.beyond_cut
        if shared(tensor):
            has_shared = True
            canvas.add_tensor(tensor, step=SHARED, faded=faded)
        elif compact and tensor._ctx is not None and not display_name(tensor) and id(tensor) not in root_ids:
            canvas.add_dot(tensor, faded=faded)
        else:
            canvas.add_tensor(tensor, faded=faded)
        if tensor._ctx is not None:
            canvas.add_op(tensor._ctx, tensor.step, faded=faded)

    special = _recurrent_edges(graph, transitions)   # (id(tail), id(head)) -> extra attributes
    freed = False
    for op in graph.ops:
        outputs = graph.outputs_of[id(op)]          # chunk has several outputs, every other op one
        shares = None
        if not freed:
            try:
                shares = edge_gradient(op, outputs, canvas.gradient)    # what op sends back to each input
            except GraphFreedError:
                freed = True
        for slot, parent in enumerate(op.parents):   # in order: a * a draws two edges from a
            what = f"{edge_name(parent)} → {op.op_name} (input {slot})"
            if shares is not None:
                attrs = canvas.flow_style(shares[slot], what)
            else:                                    # saved values freed: the output's gradient, as the legend says
                attrs = dict(canvas.edge_style(graph.output_of(op)), tooltip=what)
            extra = dict(special.get((id(parent), id(op)), {}))
            canvas.add_edge(parent, op, _with_extra(attrs, extra), about=extra.get("about"))
        for out in outputs:
            attrs = canvas.flow_style(canvas.gradient(out), f"{op.op_name} → {edge_name(out)}")
            extra = dict(special.get((id(op), id(out)), {}))
            canvas.add_edge(op, out, _with_extra(attrs, extra), about=extra.get("about"))
    for origin, detached in graph.cuts:
        canvas.add_edge(origin, detached, dict(style.CUT_STYLE, label=labels.cut_label(origin.name or "h")))
    for tr in transitions:                           # h_0 -> ... -> h_T on one straight line: steps in a row
        if tr.kind == "h":
            canvas.same_line(_path_between(graph, tr.prev, tr.cur), line="h")

    edges = (labels.NOTE_EDGES_FREED if freed else labels.NOTE_EDGES if canvas.grads else labels.NOTE_EDGES_UNKNOWN)
    notes = ([labels.NOTE_SHAPES, edges] + ([labels.NOTE_DOTS] if compact else [])
             + ([labels.NOTE_SHARED] if has_shared else []))
    notes += labels.jacobian_note(transitions)
    notes += labels.additive_notes(transitions)
    if graph.cuts:
        notes.append(labels.NOTE_CUT)
    return notes


def _recurrent_edges(graph, transitions) -> dict:
    """Extra attributes for the edges where a gradient crosses from step t back to step t-1.

    For h: the edge from h_(t-1) into the first op of step t that reads it (off the additive path)
    gets the Jacobian label. Where a state has an additive path (the LSTM's c, the GRU's h): the
    path state_(t-1) -> mul (by the gate) -> add -> state_t is drawn as a double line, and its first
    edge gets the gate's label.
    """
    special = {}
    for tr in transitions:
        readers = [op for op, _ in graph.consumers.get(id(tr.prev), []) if graph.op_step(op) == tr.step]
        if not readers:
            continue
        path = additive_path(graph, tr.prev, tr.cur) if tr.gate is not None else []
        faded = {"fontcolor": style.FADED_STYLE["fontcolor"]} if id(tr.cur) in graph.beyond_cut else {}
        if tr.gate is not None:
            for tail, head in path:
                special[(id(tail), id(head))] = {"additive": True}
            first = path[0] if path else (tr.prev, readers[0])
            special.setdefault((id(first[0]), id(first[1])), {})["label"] = labels.gate_label(tr, gate_stats(tr.gate))
            special[(id(first[0]), id(first[1]))].update(style.ADDITIVE_FONT, about=tr, **faded)
        if not is_pure_gate(tr):
            text = labels.jacobian_label(tr)
            others = [op for op in readers if not path or op is not path[0][1]]
            if text and others:
                special[(id(tr.prev), id(others[0]))] = dict(label=text, about=tr,
                                                             **dict(style.JACOBIAN_FONT, **faded))
    return special


def _with_extra(carried: dict, extra: dict) -> dict:
    """An edge's gradient style with a recurrent edge's extras on top (``additive``: a double line)."""
    extra = dict(extra)
    extra.pop("about", None)
    attrs = style.additive(carried) if extra.pop("additive", False) else dict(carried)
    attrs.update(extra)
    return attrs



def _path_between(graph, prev, cur) -> list:
    """The tensors and ops on the shortest chain of ops from ``prev`` to ``cur`` (both included)."""
    chain, came_from, frontier = [], {id(prev): None}, [prev]
    while frontier and id(cur) not in came_from:
        following = []
        for tensor in frontier:
            for op, _ in graph.consumers.get(id(tensor), []):
                for out in graph.outputs_of[id(op)]:
                    if id(out) not in came_from:
                        came_from[id(out)] = (tensor, op)
                        following.append(out)
        frontier = following
    node = cur
    while id(cur) in came_from and node is not None:
        chain.append(node)
        step = came_from[id(node)]
        if step is None:
            break
        chain.append(step[1])
        node = step[0]
    return chain
