"""Writing a drawing to a file: DOT text needs nothing; SVG, PNG and PDF need Graphviz's ``dot`` program.

The Python ``graphviz`` package only writes DOT text (``graph.source``); turning it into a picture
runs the ``dot`` executable. Without it, ``render`` raises ``GraphvizNotFoundError`` saying how to
install it. ``dot`` runs with a time limit (``timeout``, 60 s unless told): a graph too big to lay
out raises ``RenderTimeoutError`` with the advice to draw less of it.

``layout(graph)`` runs ``dot -Tjson`` and returns the laid-out size and the font sizes used, from
which ``text_height_px`` tells how high the smallest text comes out on a slide (``size="slide"``).
"""
import dataclasses
import json
import os
import pathlib
import shutil
import subprocess
import tempfile

import graphviz

from ..serialization import atomic_write

FORMATS = ("svg", "png", "pdf")
TIMEOUT = 60.0          # seconds that ``render`` gives ``dot`` unless told otherwise
INSTALL_HINT = ("Graphviz's `dot` program is needed to render SVG/PNG/PDF but was not found on PATH. Install it: "
                "`apt-get install -y graphviz` (Debian/Ubuntu) or `brew install graphviz` (macOS); "
                "or write DOT text instead (a .dot file needs no extra program).")
SMALLER = ("Fix: draw less of it: draw_graph(..., detail=\"rolled\") (one cell) or detail=\"cells\" (one node "
           "per state), or fewer steps")


class GraphvizNotFoundError(RuntimeError):
    """The ``dot`` executable is missing."""


class RenderTimeoutError(TimeoutError):
    """``dot`` took longer than the ``timeout`` to lay out a drawing."""


def dot_available() -> bool:
    """True if Graphviz's ``dot`` program is on PATH."""
    return shutil.which("dot") is not None


def graph_size(graph: graphviz.Digraph) -> tuple:
    """(nodes, edges) in the DOT text of ``graph``: what ``dot`` has to lay out."""
    nodes = edges = 0
    for line in graph.body:
        text = line.lstrip()
        if " -> " in text.split("[", 1)[0]:
            edges += 1
        elif text[:1] == "n" and text.split(" ", 1)[0][1:].isdigit():
            nodes += 1
    return nodes, edges


def run_dot(graph: graphviz.Digraph, fmt, timeout: float | None = TIMEOUT, who: str = "render"):
    """``dot -T<fmt>`` on the graph's DOT text, stopped after ``timeout`` seconds (None: no limit); the
    output's bytes. ``fmt`` may also be a tuple of formats: one layout, written in each of them (a
    tuple of bytes, in that order)."""
    if isinstance(fmt, tuple):
        with tempfile.TemporaryDirectory() as folder:
            paths = [os.path.join(folder, f"out{i}.{f}") for i, f in enumerate(fmt)]
            _dot(graph, [arg for f, path in zip(fmt, paths) for arg in (f"-T{f}", f"-o{path}")], timeout, who)
            return tuple(pathlib.Path(path).read_bytes() for path in paths)
    return _dot(graph, [f"-T{fmt}"], timeout, who)


def _dot(graph: graphviz.Digraph, args: list, timeout, who: str) -> bytes:
    """Run ``dot args`` with the graph's DOT text on stdin; its stdout."""
    if timeout is not None and not (isinstance(timeout, (int, float)) and timeout > 0):
        raise ValueError(f"{who}: timeout must be a positive number of seconds or None, got {timeout!r}. "
                         f"Fix: timeout={TIMEOUT:g}")
    program = shutil.which("dot")
    if program is None:
        raise GraphvizNotFoundError(INSTALL_HINT)
    try:
        done = subprocess.run([program, *args], input=graph.source.encode("utf-8"), capture_output=True,
                              timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        nodes, edges = graph_size(graph)
        raise RenderTimeoutError(
            f"{who}: Graphviz's dot did not finish laying out {nodes} nodes and {edges} edges within "
            f"{timeout:g} s. {SMALLER}; or wait longer with timeout=None.") from None
    except OSError:
        raise GraphvizNotFoundError(INSTALL_HINT) from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip()
        raise RuntimeError(f"{who}: Graphviz's dot failed (exit code {done.returncode}): {message}")
    return done.stdout


def render(graph: graphviz.Digraph, path, *, timeout: float | None = TIMEOUT) -> pathlib.Path:
    """Write ``graph`` to ``path``; the suffix picks the format: .dot/.gv (DOT text), .svg, .png, .pdf.
    The file is written atomically (``serialization.atomic_write``): a failure leaves no half file.
    ``timeout``: seconds ``dot`` may take (None: no limit); past it, ``RenderTimeoutError``."""
    if not isinstance(graph, graphviz.Digraph):
        raise TypeError(f"render: graph must be a graphviz.Digraph (what draw_graph returns), got "
                        f"{type(graph).__name__}. Fix: render(draw_graph(loss), path)")
    path = pathlib.Path(path)
    suffix = path.suffix.lower().lstrip(".")
    if suffix in ("dot", "gv"):
        text = graph.source.encode("utf-8")
        atomic_write(path, lambda f: f.write(text), "render")
        return path
    if suffix not in FORMATS:
        raise ValueError(f"render: can't tell the format from {path.name!r}; use a name ending in .dot, .gv, "
                         f"{', '.join('.' + f for f in FORMATS)}")
    data = run_dot(graph, suffix, timeout)
    atomic_write(path, lambda f: f.write(data), "render")
    return path


@dataclasses.dataclass
class Layout:
    """What ``dot`` made of a drawing: its size in points (1/72 inch, before any ``size`` scaling)
    and the sizes of the fonts its text is set in."""
    width: float
    height: float
    font_sizes: list


def layout(graph: graphviz.Digraph, timeout: float | None = TIMEOUT) -> Layout:
    """Lay ``graph`` out with ``dot -Tjson`` and read its bounding box and every text's font size."""
    data = json.loads(run_dot(graph, "json", timeout, who="layout"))
    x0, y0, x1, y1 = (float(v) for v in data["bb"].split(","))
    sizes = set()
    for obj in [data, *data.get("objects", []), *data.get("edges", [])]:
        for key in ("_ldraw_", "_hldraw_", "_tldraw_"):
            font = None
            for op in obj.get(key, []):            # xdot: F sets the font that the next T texts use
                if op["op"] == "F":
                    font = float(op["size"])
                elif op["op"] == "T" and op.get("text", "").strip() and font is not None:
                    sizes.add(font)
    return Layout(x1 - x0, y1 - y0, sorted(sizes))


def scale_to_fit(shape: Layout, width_px: int, height_px: int, dpi: float) -> float:
    """The factor ``dot`` scales the drawing by to fill ``width_px`` x ``height_px`` at ``dpi``
    (``size="W,H!"``: up or down, keeping the aspect ratio)."""
    return min(width_px * 72 / dpi / shape.width, height_px * 72 / dpi / shape.height)


def text_height_px(shape: Layout, width_px: int, height_px: int, dpi: float) -> float:
    """How many pixels high the smallest font comes out when the drawing fills the box: its size
    in points, times the fit scale, times dpi/72 pixels per point."""
    return min(shape.font_sizes) * scale_to_fit(shape, width_px, height_px, dpi) * dpi / 72
