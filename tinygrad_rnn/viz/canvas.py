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


def _record_escape(text: str) -> str:
    """Record labels treat { } | < > as structure; escape them (and keep the text on one line)."""
    for ch in "\\{}|<>":
        text = text.replace(ch, "\\" + ch)
    return text.replace("\n", " ")


def _html_record(fields, attrs: dict) -> str:
    """Record fields stacked in an HTML-like table with the record's colours and border width."""
    font = attrs.get("fontcolor", "#000000")
    rows = "<HR/>".join(f'<TR><TD><FONT COLOR="{font}">{style.escape_html(f)}</FONT></TD></TR>' for f in fields)
    table_style = ["rounded"] if attrs.get("shape") == "Mrecord" else []
    if "dashed" in attrs.get("style", ""):
        table_style.append("dashed")
    border = max(1, round(float(attrs.get("penwidth", 1))))
    style_attr = f' STYLE="{",".join(table_style)}"' if table_style else ""
    return (f'<<TABLE BORDER="{border}" CELLBORDER="0" CELLSPACING="0" CELLPADDING="3"{style_attr} '
            f'COLOR="{attrs.get("color", "#555555")}" BGCOLOR="{attrs.get("fillcolor", "#ffffff")}">{rows}</TABLE>>')


def shape_text(tensor) -> str:
    return "(" + ", ".join(str(n) for n in tensor.shape) + ("," if tensor.ndim == 1 else "") + ")"


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
        self._ids = {}                 # id(object) -> node id
        self._keep = []                # the objects behind the ids (so no id is reused while drawing)
        self._nodes = {}               # step (None: outside every cluster) -> [(node id, attrs)]
        self._edges = []               # (tail id, head id, attrs)
        self._columns = []             # groups of node ids to draw in one column (one rank)

    # --- gradients ----------------------------------------------------------------------------
    def gradient_norm(self, tensor) -> float | None:
        """||dL/dtensor|| from ``grads`` or ``tensor.grad``; ``None`` if neither is known."""
        gradient = self.grads.get(tensor) if tensor in self.grads else tensor.grad
        return grad_norm(gradient)

    # --- nodes --------------------------------------------------------------------------------
    # A node is keyed by its object, or by (object, step) for a per-step copy of a shared weight.
    @staticmethod
    def _key(obj, copy_in_step):
        return id(obj) if copy_in_step is None else (id(obj), copy_in_step)

    def has(self, obj, copy_in_step=None) -> bool:
        return self._key(obj, copy_in_step) in self._ids

    def node_id(self, obj, copy_in_step=None) -> str:
        return self._ids[self._key(obj, copy_in_step)]

    def add_node(self, obj, step, attrs: dict, copy_in_step=None) -> str:
        """Add a node for ``obj`` (once) in the cluster of ``step``; returns its id."""
        key = self._key(obj, copy_in_step)
        if key in self._ids:
            return self._ids[key]
        node = f"n{len(self._ids)}"
        self._ids[key] = node
        self._keep.append(obj)
        self._nodes.setdefault(step, []).append((node, attrs))
        return node

    def add_tensor(self, tensor, *, name: str | None = None, step="same", faded: bool = False,
                   show_grad: bool = True, note: str = "", copy_in_step=None, html: bool = False) -> str:
        """A tensor as a record: name | shape | ‖∂L/∂x‖ (if known). Parameters are square and gold,
        inputs and constants grey, activations rounded; the border and fill show the gradient.
        ``copy_in_step=t``: one more node for the same tensor, inside step t (a shared weight).
        ``html=True``: the same record drawn as an HTML-like table, which Graphviz can place in one
        column with the nodes it is joined to (it can't do that with record shapes)."""
        step = copy_in_step if copy_in_step is not None else (tensor.step if step == "same" else step)
        name = display_name(tensor) if name is None else name
        norm = self.gradient_norm(tensor) if show_grad else None
        if tensor.ndim == 0 and not tensor.requires_grad and not name:      # a number such as the 1 in 1 - z
            return self.add_node(tensor, step, dict(style.SCALAR_STYLE, label=style.format_number(tensor.data.item())),
                                 copy_in_step)
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
            attrs = dict(shape="plain", label=_html_record(fields, attrs), fontsize="11")
        attrs["tooltip"] = self._tooltip(tensor, name, norm)
        return self.add_node(tensor, step, attrs, copy_in_step)

    def add_op(self, op, step, faded: bool = False) -> str:
        attrs = dict(style.OP_STYLE, label=op.op_name, tooltip=f"op {op.op_name}, {len(op.parents)} input(s)")
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
    def add_edge(self, tail, head, attrs: dict, tail_copy_in_step=None) -> None:
        """An edge between two objects already on the canvas (tensors or ops); ``tail_copy_in_step``
        picks a per-step copy of the tail."""
        self._edges.append((self.node_id(tail, tail_copy_in_step), self.node_id(head), attrs))

    def edge_style(self, carried_by) -> dict:
        """The style of an edge that carries the gradient of tensor ``carried_by`` back along it."""
        return self.scale.edge_style(self.gradient_norm(carried_by))

    def same_column(self, objects) -> None:
        """Draw these nodes (all of one step, all ``html=True``) in one column (one rank)."""
        self._columns.append([self.node_id(obj) for obj in objects])

    # --- output -------------------------------------------------------------------------------
    def to_digraph(self, legend: str, cluster_label=lambda step: f"t = {step}", faded_steps=(),
                   name: str = "graph") -> graphviz.Digraph:
        g = graphviz.Digraph(name)
        g.attr(rankdir="LR", newrank="true", nodesep="0.22", ranksep="0.32", fontname=style.FONT,
               label=legend, labelloc="b", labeljust="l", bgcolor="white", pad="0.2")
        g.attr("node", fontname=style.FONT)
        g.attr("edge", fontname=style.FONT)
        for node, attrs in self._nodes.get(None, []):
            g.node(node, **attrs)
        for step in _sorted_steps(s for s in self._nodes if s is not None):
            with g.subgraph(name=f"cluster_step_{step}") as cluster:
                cluster.attr(label=cluster_label(step),
                             **(style.FADED_CLUSTER_STYLE if step in faded_steps else style.CLUSTER_STYLE))
                in_column = {node: column for column in self._columns for node in column}
                for node, attrs in self._nodes[step]:
                    if node not in in_column:
                        cluster.node(node, **attrs)
                attrs_of = dict(self._nodes[step])
                for column in self._columns:
                    if column[0] in attrs_of:
                        with cluster.subgraph() as same:
                            same.attr(rank="same")
                            for node in column:
                                same.node(node, **attrs_of[node])
        for tail, head, attrs in self._edges:
            g.edge(tail, head, **attrs)
        return g


def _sorted_steps(steps) -> list:
    steps = list(steps)
    try:
        return sorted(steps)
    except TypeError:                  # mixed kinds of step labels: sort by text
        return sorted(steps, key=str)
