"""Drawings of computation graphs, grouped by time step, with gradients on them (``graphviz.Digraph``).

- ``draw_graph(root, detail="ops"|"cells"|"rolled", grads=None)``: the drawing (``graph.py``)
- ``render(graph, "file.svg")``: write it (.dot needs nothing; .svg/.png/.pdf need ``dot``) (``render.py``)
- ``GradientScale``: the log-scale gradient colours and line widths (``style.py``)

Drawing only reads a graph; it never changes a tensor, a gradient or a link.
"""
from .graph import DETAILS, draw_graph
from .render import GraphvizNotFoundError, dot_available, render
from .style import GradientScale

__all__ = ["draw_graph", "render", "dot_available", "GraphvizNotFoundError", "GradientScale", "DETAILS"]
