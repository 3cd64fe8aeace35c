"""``to_html``: a drawing as one self-contained HTML page in which the backward pass can be played.

    from tinygrad_rnn.analysis import all_gradients
    from tinygrad_rnn.viz import draw_graph, to_html

    drawing = draw_graph(loss, grads=all_gradients(loss))   # draw before backward(): Jacobians need the graph
    to_html(drawing, "rnn.html")                            # an Explorer; in Jupyter it shows inline

The page holds the drawing as inline SVG (rendered once by Graphviz's ``dot``), the numbers the
drawing collected (``explain.py``), a small script and its style (``explorer.js``,
``explorer.css``, next to this file). It loads nothing: no CDN, no web font, no URL. In it:

- hover or tap a node: its name, shape, time step, min/mean/max of its values, ‖∂L/∂x‖, and the
  backward rule of the op that made it (``Function.derivative``);
- ▶ play, the step buttons or the slider walk the backward pass in the engine's order; each node
  lights up when its gradient is complete, and the strip above the drawing shows ‖∂L/∂h_t‖ for
  every step reached so far, on a log scale;
- where the graph was cut (``detach()``), the cut turns red and a message says the gradient stops;
- hover a recurrent edge: σ₁ of its step Jacobian and the product back from the last step.
"""
import html as _html
import importlib.resources
import json
import pathlib
import re

import graphviz

from ..serialization import atomic_write
from .render import TIMEOUT, run_dot

SUFFIXES = (".html", ".htm")


def check_drawing(drawing, who: str) -> dict:
    """The explorer data of a drawing, or an error that says what to pass instead."""
    from ..core import Tensor
    if isinstance(drawing, Tensor):
        raise TypeError(f"{who}: got a Tensor; pass its drawing instead: {who}(draw_graph(loss, "
                        f"grads=analysis.all_gradients(loss)), path)")
    if not isinstance(drawing, graphviz.Digraph):
        raise TypeError(f"{who}: drawing must be what viz.draw_graph returns (a graphviz.Digraph), got "
                        f"{type(drawing).__name__}. Fix: {who}(draw_graph(loss), path)")
    data = getattr(drawing, "explorer_data", None)
    if data is None:
        raise ValueError(f"{who}: this graphviz.Digraph has no explorer data: it was not made by viz.draw_graph "
                         f"(or it is a copy, which drops the data). Fix: pass draw_graph(loss) itself")
    return data


def check_suffix(path, suffixes, who: str) -> pathlib.Path:
    path = pathlib.Path(path)
    if path.suffix.lower() not in suffixes:
        raise ValueError(f"{who}: {path.name!r} does not end in {' or '.join(suffixes)}. Fix: use a name like "
                         f"'graph{suffixes[0]}'" + ("; viz.render writes .svg, .png, .pdf and .dot" if who != "render"
                                                    else ""))
    return path




_NODE = re.compile(r'<g id="(node\d+)" class="node">\s*<title>([^<]*)</title>')
_EDGE = re.compile(r'<g id="edge(\d+)" class="edge">\s*<title>([^<]*)</title>')


def inline_svg(svg: str) -> str:
    """Graphviz's SVG made ready to sit inside HTML: no XML prolog, no namespace URLs (HTML's parser
    knows <svg>), each node marked with its DOT id (``data-node``), each edge with its ends and its
    number among edges with the same ends (``data-tail``, ``data-head``, ``data-k``, in the order the
    drawing added them), and the tooltips as ``data-tip`` (the page shows its own)."""
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r'\s+xmlns(:xlink)?="[^"]*"', "", svg, count=2)
    svg = _NODE.sub(lambda m: f'<g id="{m[1]}" class="node" data-node="{m[2]}">', svg)
    edges = sorted((int(number), title) for number, title in _EDGE.findall(svg))   # numbered as added
    count, k_of = {}, {}
    for number, title in edges:
        count[title] = count.get(title, -1) + 1
        k_of[number] = count[title]

    def edge(m):
        tail, _, head = _html.unescape(m[2]).partition("->")
        return (f'<g id="edge{m[1]}" class="edge" data-tail="{_html.escape(tail)}" data-head="{_html.escape(head)}" '
                f'data-k="{k_of[int(m[1])]}">')
    svg = _EDGE.sub(edge, svg)
    svg = re.sub(r"<title>[^<]*</title>\n?", "", svg)         # native tooltips ("n12") would cover the page's own
    return svg.replace("xlink:title=", "data-tip=")


def _asset(name: str) -> str:
    return importlib.resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def _json_for_script(data) -> str:
    """JSON that can sit inside <script>: no "</" (it would end the element)."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")


PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
{css}
</style>
</head>
<body>
<div id="tg-bar">
<h1 title="{title}">{title}</h1>
<button id="tg-play" type="button" title="play the backward pass (space)">&#9654; play</button>
<button id="tg-reset" type="button" title="back to the start">&#8676;</button>
<button id="tg-prev" type="button" title="one frame back (left arrow)">&#9664;</button>
<input id="tg-slider" type="range" min="0" max="0" value="0" step="1" aria-label="backward frame">
<button id="tg-next" type="button" title="one frame on (right arrow)">&#9654;&#124;</button>
<span id="tg-status"></span>
<label title="shrink the drawing to the window's width (its text gets smaller)"><input id="tg-fit"
 type="checkbox"> fit width</label>
</div>
<div id="tg-message" role="status"></div>
<div id="tg-strip-box"></div>
<div id="tg-graph">
{svg}
</div>
<p id="tg-help">&nbsp;Hover or tap a node for its numbers, an edge for the gradient along it; a recurrent edge also
shows its Jacobian. Play walks the backward pass in the engine's order (reverse topological order, as backward()
runs it): a node outlined teal has its gradient complete, the black one is the current frame.</p>
<div id="tg-tip" hidden></div>
<script type="application/json" id="tg-data">{data}</script>
<script>
{js}
</script>
</body>
</html>
"""


class Explorer:
    """One explorer page. ``html``: the page (str); ``data``: the numbers in it (``explain.py``);
    ``save(path)`` writes it; in Jupyter it shows inline (``_repr_html_``)."""

    def __init__(self, html: str, data: dict):
        self.html = html
        self.data = data

    def save(self, path) -> pathlib.Path:
        """Write the page to ``path`` (.html or .htm), atomically; returns the path."""
        path = check_suffix(path, SUFFIXES, "Explorer.save")
        text = self.html.encode("utf-8")
        atomic_write(path, lambda f: f.write(text), "Explorer.save")
        return path

    def _repr_html_(self) -> str:
        """In a notebook: the page in an iframe, so its style and script stay inside it."""
        return (f'<iframe srcdoc="{_html.escape(self.html, quote=True)}" style="width: 100%; height: 760px; '
                f'border: 1px solid #c5cadb" sandbox="allow-scripts" title="{_html.escape(self.data["title"])}">'
                f'</iframe>')

    def __repr__(self):
        return f"<Explorer: {self.data['title']!r}, {len(self.data['frames'])} backward frames, {len(self.html)} chars>"


def to_html(drawing, path=None, *, timeout: float | None = TIMEOUT) -> Explorer:
    """The explorer page of ``drawing`` (what ``draw_graph`` returns); also written to ``path`` (.html)
    if given. Needs Graphviz's ``dot`` (the page holds the drawing as SVG); ``timeout``: the seconds
    it may take, as for ``render``."""
    data = check_drawing(drawing, "to_html")
    if path is not None:
        check_suffix(path, SUFFIXES, "to_html")
    svg = inline_svg(run_dot(drawing, "svg", timeout, "to_html").decode("utf-8"))
    page = PAGE.format(title=_html.escape(data["title"]), css=_asset("explorer.css"), svg=svg,
                       data=_json_for_script(data), js=_asset("explorer.js"))
    explorer = Explorer(page, data)
    if path is not None:
        explorer.save(path)
    return explorer
