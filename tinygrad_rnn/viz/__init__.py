"""Drawings of computation graphs, grouped by time step, with gradients on them (``graphviz.Digraph``).

- ``draw_graph(root, detail=None|"ops"|"cells"|"rolled", grads=None, size=None|"slide")``: the drawing (``graph.py``)
- ``render(graph, "file.svg", timeout=60)``: write it (.dot needs nothing; .svg/.png/.pdf need ``dot``)
  (``render.py``)
- ``GradientScale``: the log-scale gradient colours and line widths (``style.py``)
- ``to_html(drawing, "x.html")``: an ``Explorer``, one self-contained page in which the backward pass
  plays node by node; shows inline in Jupyter (``html.py``, its data from ``explain.py``)
- ``to_gif(drawing, "x.gif")``: the same backward animation as an animated GIF (``gif.py``, needs Pillow)

Drawing only reads a graph; it never changes a tensor, a gradient or a link.
"""
from .graph import DETAILS, LargeGraphWarning, SlideTooSmallWarning, draw_graph
from .render import GraphvizNotFoundError, RenderTimeoutError, dot_available, render
from .gif import to_gif
from .html import Explorer, to_html
from .style import GradientScale

__all__ = ["draw_graph", "render", "dot_available", "GraphvizNotFoundError", "GradientScale", "DETAILS", "to_html",
           "Explorer", "to_gif", "RenderTimeoutError", "LargeGraphWarning", "SlideTooSmallWarning"]
