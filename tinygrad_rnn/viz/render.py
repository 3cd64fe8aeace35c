"""Writing a drawing to a file: DOT text needs nothing; SVG, PNG and PDF need Graphviz's ``dot`` program.

The Python ``graphviz`` package only writes DOT text (``graph.source``); turning it into a picture
runs the ``dot`` executable. Without it, ``render`` raises ``GraphvizNotFoundError`` saying how to
install it.
"""
import pathlib
import shutil

import graphviz

from ..serialization import atomic_write

FORMATS = ("svg", "png", "pdf")
INSTALL_HINT = ("Graphviz's `dot` program is needed to render SVG/PNG/PDF but was not found on PATH. Install it: "
                "`apt-get install -y graphviz` (Debian/Ubuntu) or `brew install graphviz` (macOS); "
                "or write DOT text instead (a .dot file needs no extra program).")


class GraphvizNotFoundError(RuntimeError):
    """The ``dot`` executable is missing."""


def dot_available() -> bool:
    """True if Graphviz's ``dot`` program is on PATH."""
    return shutil.which("dot") is not None


def render(graph: graphviz.Digraph, path) -> pathlib.Path:
    """Write ``graph`` to ``path``; the suffix picks the format: .dot/.gv (DOT text), .svg, .png, .pdf.
    The file is written atomically (``serialization.atomic_write``): a failure leaves no half file."""
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
    try:
        data = graph.pipe(format=suffix)
    except graphviz.ExecutableNotFound:
        raise GraphvizNotFoundError(INSTALL_HINT) from None
    atomic_write(path, lambda f: f.write(data), "render")
    return path
