"""A canvas for one drawing: nodes grouped by time step, edges, and how a tensor or an op looks.

The views (``graph.py``: every op; ``cells.py``: one node per state; ``rolled.py``: one cell) add
nodes and edges here; ``to_digraph`` then writes the ``graphviz.Digraph``, with one cluster per time
step labelled ``t = ...``, laid out left to right.

Node ids are numbered in the order nodes are added (``n0``, ``n1``, ...), so drawing the same graph
twice gives the same DOT text. Tensors are records; in the cells view they are HTML-like tables
that look the same, because Graphviz can stack those in one column (``same_column``) and can't
stack records.
"""
import graphviz
import numpy as np

from ..analysis.gradients import grad_norm
from ..nn.module import Parameter
from . import style
from .walk import is_detached

GRAD_LABEL = "‖∂L/∂x‖"
SHARED = "shared"      # the canvas "step" of the parameters that every time step reads (one cluster)
SHARED_LABEL = "parameters, shared by all steps"


def _record_escape(text: str) -> str:
    """Record labels treat { } | < > as structure; escape them (and keep the text on one line)."""
    for ch in "\\{}|<>":
        text = text.replace(ch, "\\" + ch)
    return text.replace("\n", " ")


def _html_record(fields, attrs: dict) -> str:
    """Record fields stacked in an HTML-like table with the record's colours and border width."""
    font = attrs.get("fontcolor", "#000000")
    def row(field) -> str:               # a field is its text, or (text, colour)
        text, colour = field if isinstance(field, tuple) else (field, font)
        return f'<TR><TD><FONT COLOR="{colour}">{style.escape_html(text)}</FONT></TD></TR>'
    rows = "<HR/>".join(row(f) for f in fields)
    table_style = ["rounded"] if attrs.get("shape") == "Mrecord" else []
    if "dashed" in attrs.get("style", ""):
        table_style.append("dashed")
    border = max(1, round(float(attrs.get("penwidth", 1))))
    style_attr = f' STYLE="{",".join(table_style)}"' if table_style else ""
    return (f'<<TABLE BORDER="{border}" CELLBORDER="0" CELLSPACING="0" CELLPADDING="3"{style_attr} '
            f'COLOR="{attrs.get("color", "#555555")}" BGCOLOR="{attrs.get("fillcolor", "#ffffff")}">{rows}</TABLE>>')


def shape_text(tensor) -> str:
    return "(" + ", ".join(str(n) for n in tensor.shape) + ("," if tensor.ndim == 1 else "") + ")"


def edge_name(obj) -> str:
    """How an edge's tooltip names one of its ends: a tensor's name (or ``tensor (3,)``), an op's name."""
    if hasattr(obj, "op_name") and not hasattr(obj, "shape"):
        return obj.op_name
    if obj.ndim == 0 and not obj.requires_grad and not obj.name:      # a number such as the 1 in 1 - z
        return style.format_number(obj.data.item())
    return display_name(obj) or f"tensor {shape_text(obj)}"


def display_name(tensor) -> str:
    """The tensor's name; for an unnamed transpose of a named tensor, ``name.T`` as in the code."""
    if tensor.name:
        return tensor.name
    fn = tensor._ctx
    if fn is not None and fn.op_name == "permute" and fn.parents[0].name:
        return fn.parents[0].name + ".T"
    return ""


class Canvas:
    """Nodes (by time step) and edges of one drawing. ``grads`` maps tensors to dL/dtensor; tensors
    not in it show their ``.grad`` if they have one (leaves, or ``retain_grad()`` tensors)."""

    def __init__(self, scale: style.GradientScale, grads=None):
        self.scale = scale
        self.grads = grads if grads is not None else {}
        self.ids = {}                  # id(object) -> node id, for every tensor and op drawn
        self._keep = []                # the objects behind the ids (so no id is reused while drawing)
        self._nodes = {}               # step (None: outside every cluster) -> [(node id, attrs)]
        self._edges = []               # (tail id, head id, attrs)
        self._about = {}               # edge index -> the recurrent transition it shows (explain.py)
        self.names = {}                # node id -> the name a tensor is drawn with (h_t in the rolled view)
        self.loop_texts = []           # the rolled view: what each loop edge carries, for the cell's title
        self._columns = []             # groups of node ids to draw in one column (one rank)
        self._group = {}               # node id -> the straight line it is kept on (``same_line``)

    # --- gradients ----------------------------------------------------------------------------
    def gradient_norm(self, tensor) -> float | None:
        """||dL/dtensor|| from ``grads`` or ``tensor.grad``; ``None`` if neither is known."""
        gradient = self.grads.get(tensor) if tensor in self.grads else tensor.grad
        return grad_norm(gradient)

    def gradient(self, tensor):
        """dL/dtensor from ``grads`` or ``tensor.grad`` (an array), or ``None``."""
        return self.grads.get(tensor) if tensor in self.grads else tensor.grad

    def flow_style(self, share, what: str) -> dict:
        """The style of an edge along which the gradient ``share`` (an array, or ``None``: none) flows
        back; ``what`` names the edge (``h_0 → c_1``) for its tooltip. A zero share is drawn as none."""
        norm = grad_norm(share)
        if share is None and not self.grads:                   # only .grad known: what flows here is not
            return dict(style.EDGE_STYLE, tooltip=f"{what}: the gradient along it is not known (draw with "
                                                  f"grads=analysis.all_gradients(loss))")
        if not norm:                                           # None or 0: no gradient flows here
            return dict(style.EDGE_STYLE, tooltip=f"{what}: no gradient flows back along this edge")
        return dict(self.scale.edge_style(norm), tooltip=f"{what}: the gradient flowing back along it has "
                                                          f"norm {norm:.6g}")

    # --- nodes --------------------------------------------------------------------------------
    def has(self, obj) -> bool:
        return id(obj) in self.ids

    def node_id(self, obj) -> str:
        return self.ids[id(obj)]

    def add_node(self, obj, step, attrs: dict) -> str:
        """Add a node for ``obj`` (once) in the cluster of ``step``; returns its id."""
        if id(obj) in self.ids:
            return self.ids[id(obj)]
        node = f"n{len(self.ids)}"
        self.ids[id(obj)] = node
        self._keep.append(obj)
        self._nodes.setdefault(step, []).append((node, attrs))
        return node

    def add_tensor(self, tensor, *, name: str | None = None, step="same", faded: bool = False,
                   show_grad: bool = True, note: str = "", html: bool = False, annotation=()) -> str:
        """A tensor as a record: name | shape | ‖∂L/∂x‖ (if known). Parameters are square and gold,
        inputs and constants grey, activations rounded; the border and fill show the gradient.
        ``step``: the cluster (default the tensor's time step; ``SHARED``: the shared parameters).
        ``html=True``: the same record drawn as an HTML-like table, which Graphviz can place in one
        column with the nodes it is joined to (it can't do that with record shapes).
        ``annotation``: more lines (html only), each ``(text, colour)``: the numbers of the recurrent
        edges into this state (greyed where ``faded``)."""
        step = tensor.step if step == "same" else step
        name = display_name(tensor) if name is None else name
        if id(tensor) not in self.ids:
            self.names[f"n{len(self.ids)}"] = name
        norm = self.gradient_norm(tensor) if show_grad else None
        if tensor.ndim == 0 and not tensor.requires_grad and not name:      # a number such as the 1 in 1 - z
            return self.add_node(tensor, step, dict(style.SCALAR_STYLE, label=style.format_number(tensor.data.item())))
        if isinstance(tensor, Parameter):
            base, kind = style.PARAMETER_STYLE, "parameter "
        elif not tensor.requires_grad:
            base, kind = style.CONSTANT_STYLE, ""
        else:                                          # a leaf that requires grad (e.g. h_0) gets .grad too
            base, kind = style.TENSOR_STYLE, ("leaf " if tensor._ctx is None else "")
        fields = [name] if name else []
        if is_detached(tensor):
            fields.append("detach()")
        fields.append(kind + shape_text(tensor))
        if note:
            fields.append(note)
        if norm is not None:
            fields.append(f"{GRAD_LABEL} = {style.format_number(norm)}")
        attrs = dict(base, label="|".join(_record_escape(f) for f in fields))
        attrs.update(self.scale.node_style(norm))
        if isinstance(tensor, Parameter):
            attrs["fillcolor"] = base["fillcolor"]      # parameters keep their colour; the border shows the gradient
        if faded:
            attrs.update(style.FADED_STYLE)
        if html:
            fields += [(text, style.FADED_STYLE["fontcolor"] if faded else colour) for text, colour in annotation]
            attrs = dict(shape="plain", label=_html_record(fields, attrs), fontsize="11")
        attrs["tooltip"] = self._tooltip(tensor, name, norm)
        return self.add_node(tensor, step, attrs)

    def add_dot(self, tensor, *, faded: bool = False) -> str:
        """An unnamed intermediate tensor as a small dot in its gradient's colour (the compact every-op
        view for slides); its shape and ‖∂L/∂x‖ are in the tooltip."""
        norm = self.gradient_norm(tensor)
        attrs = dict(style.DOT_STYLE, tooltip=self._tooltip(tensor, "", norm))
        if norm is not None:
            attrs.update(color=self.scale.colour(norm), fillcolor=self.scale.colour(norm))
        if faded:
            attrs.update(color=style.FADED_STYLE["color"], fillcolor=style.FADED_STYLE["color"])
        return self.add_node(tensor, tensor.step, attrs)

    def add_op(self, op, step, faded: bool = False) -> str:
        rule = f": {op.derivative}" if op.derivative else ""      # the backward rule, as the op states it
        attrs = dict(style.OP_STYLE, label=graphviz.nohtml(op.op_name),          # "<lambda>" is text, not HTML
                     tooltip=f"op {op.op_name}, {len(op.parents)} input(s){rule}")
        if faded:
            attrs.update(style.FADED_STYLE)
        return self.add_node(op, step, attrs)

    @staticmethod
    def _tooltip(tensor, name, norm) -> str:
        text = f"{name or 'tensor'} {shape_text(tensor)} {tensor.dtype}"
        if norm is not None:
            text += f", ||dL/dx|| = {norm:.6g}"
        if tensor.data.size <= 8:
            text += ", values " + np.array2string(np.asarray(tensor.data).ravel(), precision=3, separator=" ")
        return text

    # --- edges --------------------------------------------------------------------------------
    def add_edge(self, tail, head, attrs: dict, about=None) -> None:
        """An edge between two objects already on the canvas (tensors or ops). ``about``: the recurrent
        transition (``recurrence.Transition``) this edge shows, for the explorer's tooltip."""
        if about is not None:
            self._about[len(self._edges)] = about
        self._edges.append((self.node_id(tail), self.node_id(head), attrs))

    def edge_style(self, carried_by) -> dict:
        """The style of an edge that carries the gradient of tensor ``carried_by`` back along it."""
        return self.scale.edge_style(self.gradient_norm(carried_by))

    def same_line(self, objects, line: str) -> None:
        """Keep these nodes (tensors or ops on the canvas) on one straight line (Graphviz's ``group``):
        the recurrent path h_0 -> ... -> h_T, so the steps stand in one row."""
        for obj in objects:
            if self.has(obj):
                self._group[self.node_id(obj)] = line

    def same_column(self, objects) -> None:
        """Draw these nodes (all of one step, all ``html=True``) in one column (one rank)."""
        self._columns.append([self.node_id(obj) for obj in objects])

    def records(self) -> tuple:
        """For the explorer (``explain.py``): ``[(node id, object, step)]`` of every node and
        ``[(tail id, head id, transition or None)]`` of every edge, in the order they were added."""
        objects = {id(obj): obj for obj in self._keep}
        step_of = {node: step for step, nodes in self._nodes.items() for node, _ in nodes}
        nodes = [(node, objects[key], step_of[node]) for key, node in self.ids.items()]
        return nodes, [(tail, head, self._about.get(i)) for i, (tail, head, _) in enumerate(self._edges)]

    # --- output -------------------------------------------------------------------------------
    def to_digraph(self, legend: str, cluster_label=lambda step: f"t = {step}", faded_steps=(),
                   name: str = "graph", size: str | None = None, step_row: bool = True) -> graphviz.Digraph:
        """The ``graphviz.Digraph``: nodes outside every step first, then the shared parameters' cluster,
        then one cluster per step. ``size``: None, or a name in ``style.SIZES`` (e.g. "slide").
        ``step_row``: order the steps in one row with invisible edges, ranked across clusters (dot's
        ``newrank``; it takes minutes for a hundred clusters, so the cells view, whose columns keep
        the steps in a row by themselves, turns it off)."""
        g = graphviz.Digraph(name)
        g.attr(rankdir="LR", nodesep="0.22", ranksep="0.32", fontname=style.FONT,
               label=legend, labelloc="b", labeljust="l", bgcolor="white", pad="0.2")
        if step_row:
            g.attr(newrank="true")
        g.attr("node", fontname=style.FONT)
        g.attr("edge", fontname=style.FONT)
        min_font = None
        if size is not None:
            g.attr(**style.size_attrs(size))
            min_font = style.SIZES[size]["min_font"]
        fonts = lambda attrs: style.at_least_font(attrs, min_font)      # noqa: E731 (no text below min_font)
        for node, attrs in self._nodes.get(None, []):
            g.node(node, **fonts(self._with_group(node, attrs)))
        if self._nodes.get(SHARED):
            with g.subgraph(name="cluster_shared") as cluster:
                cluster.attr(label=SHARED_LABEL, **fonts(style.SHARED_CLUSTER_STYLE))
                for node, attrs in self._nodes[SHARED]:
                    cluster.node(node, **fonts(attrs))
        for step in _sorted_steps(s for s in self._nodes if s is not None and s != SHARED):
            with g.subgraph(name=f"cluster_step_{step}") as cluster:
                cluster.attr(label=cluster_label(step),
                             **fonts(style.FADED_CLUSTER_STYLE if step in faded_steps else style.CLUSTER_STYLE))
                in_column = {node: column for column in self._columns for node in column}
                for node, attrs in self._nodes[step]:
                    if node not in in_column:
                        cluster.node(node, **fonts(self._with_group(node, attrs)))
                attrs_of = dict(self._nodes[step])
                for column in self._columns:
                    if column[0] in attrs_of:
                        with cluster.subgraph() as same:
                            same.attr(rank="same")
                            for node in column:
                                same.node(node, **fonts(attrs_of[node]))
        for tail, head, attrs in self._edges:
            g.edge(tail, head, **fonts(attrs))
        drawn = {(tail, head) for tail, head, _ in self._edges}
        for tail, head in (self._step_order() if step_row else []):
            if (tail, head) not in drawn:
                g.edge(tail, head, style="invis", weight="0")
        return g

    def _with_group(self, node: str, attrs: dict) -> dict:
        return dict(attrs, group=self._group[node]) if node in self._group else attrs

    def _step_order(self) -> list:
        """Invisible edges that put the steps in one row, left to right: from each node of step t-1
        that feeds no node of its own step (h_(t-1) ...) to each node of step t that no node of its
        own step feeds (x_t ...), so that no part of step t starts left of where step t-1 ends."""
        steps = _sorted_steps(s for s in self._nodes if s is not None and s != SHARED)
        if not all(isinstance(s, int) for s in steps):
            return []
        step_of = {node: step for step, nodes in self._nodes.items() for node, _ in nodes}
        within = [(tail, head) for tail, head, _ in self._edges if step_of.get(tail) == step_of.get(head)]
        feeds, fed = {tail for tail, _ in within}, {head for _, head in within}
        order = []
        for before, step in zip(steps, steps[1:]):
            exits = [node for node, _ in self._nodes[before] if node not in feeds]
            entries = [node for node, _ in self._nodes[step] if node not in fed]
            order += [(tail, head) for tail in exits for head in entries]
        return order


def _sorted_steps(steps) -> list:
    steps = list(steps)
    try:
        return sorted(steps)
    except TypeError:                  # mixed kinds of step labels: sort by text
        return sorted(steps, key=str)
