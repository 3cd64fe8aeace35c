"""The explorer's data, its page and the GIF (issue 15, items 3 and 4), without a browser.

- Every op states its backward rule as data (``Function.derivative``), the same text as the comment
  in its backward; the drawings' op tooltips show it.
- The data the drawing collects: the frames follow the engine's own backward order, the numbers
  are the tensors' own, a cut stops the walk.
- The page is one self-contained file: the SVG inline, the data, no URL of any kind.
- The GIF: one frame per backward frame (capped), the picture changes from frame to frame.
The page's behaviour in a real browser: tests/test_viz_browser.py.
"""
import importlib
import inspect
import io
import json
import pkgutil
import re
import sys

import graphviz
import numpy as np
import pytest

import tinygrad_rnn as tg
from tinygrad_rnn.analysis import all_gradients, unroll
from tinygrad_rnn.core.backward import topological_order
from tinygrad_rnn.viz import Explorer, GraphvizNotFoundError, dot_available, draw_graph, to_gif, to_html
from tinygrad_rnn.viz.gif import frame_steps, layout

needs_dot = pytest.mark.skipif(not dot_available(), reason="Graphviz's `dot` program is not installed "
                                                           "(apt-get install -y graphviz / brew install graphviz)")


# --- the derivative as data -------------------------------------------------------------------

def _library_functions() -> list:
    """Every Function subclass the package defines (its modules imported first), with its own backward."""
    for info in pkgutil.walk_packages(tg.__path__, "tinygrad_rnn."):
        if ".cli" in info.name or ".exercises" in info.name or info.name.endswith("__main__"):
            continue
        importlib.import_module(info.name)
    found, stack = [], [tg.Function]
    while stack:
        cls = stack.pop()
        for sub in cls.__subclasses__():
            stack.append(sub)
            if sub.__module__.startswith("tinygrad_rnn.") and "backward" in sub.__dict__:
                found.append(sub)
    return found


def _first_comment(function) -> str:
    lines = [line.strip() for line in inspect.getsource(function).splitlines()]
    return next((line[1:].strip() for line in lines if line.startswith("#")), "")


def test_every_op_states_its_derivative_as_its_backward_comment_says():
    functions = _library_functions()
    names = {cls.__name__ for cls in functions}
    assert {"Tanh", "Sigmoid", "MatMul", "Linear", "Sum", "Split", "RNNStep", "LSTMStep", "GRUStep"} <= names
    assert len(functions) >= 30
    for cls in functions:
        assert cls.__dict__.get("derivative"), f"{cls.__name__} has no derivative of its own"
        assert _first_comment(cls.backward) == cls.derivative, cls.__name__
    assert tg.core.ops.Tanh.derivative == "d tanh(x)/dx = 1 - tanh(x)^2"


def test_op_tooltips_show_the_rule():
    x = tg.Tensor([0.5, -1.0], requires_grad=True, name="x")
    source = draw_graph(x.tanh().sum()).source
    tooltips = re.findall(r'tooltip="op tanh[^"]*"', source)
    assert len(tooltips) == 1 and "d tanh(x)/dx = 1 - tanh(x)^2" in tooltips[0]


# --- the data ---------------------------------------------------------------------------------

def named_chain():
    """A two-step recurrence whose tensors all have names: h_t = tanh(W_hh h_(t-1)), L = sum(h_2 * h_2)."""
    rng = np.random.default_rng(0)
    W = tg.Tensor(rng.normal(size=(3, 3)) * 0.8, requires_grad=True, name="W_hh")
    h = tg.Tensor(rng.normal(size=3), requires_grad=True, name="h_0")
    for t in (1, 2):
        with tg.time_step(t):
            a = W @ h
            a.name = f"a_{t}"
            h = a.tanh()
            h.name = f"h_{t}"
    square = h * h
    square.name = "square"
    loss = square.sum()
    loss.name = "loss"
    return loss, dict(W=W, h_2=h, square=square)


@pytest.fixture(scope="module")
def chain():
    loss, tensors = named_chain()
    grads = all_gradients(loss)
    return loss, tensors, grads, draw_graph(loss, grads=grads)


def test_frames_follow_the_engines_backward_order(chain):
    loss, _, _, drawing = chain
    data = drawing.explorer_data
    engine = [t.name for t in reversed(topological_order(loss))]       # what run_backward walks
    assert [f["name"] for f in data["frames"]] == engine
    # and it is a reverse topological order: every consumer comes before what it reads
    position = {name: i for i, name in enumerate(engine)}
    for tensor in topological_order(loss):
        if tensor._ctx is not None:
            for parent in tensor._ctx.parents:
                if parent.requires_grad:
                    assert position[tensor.name] < position[parent.name]
    # each frame lights the tensor's node and the op that made it
    for frame in data["frames"]:
        assert all(data["nodes"][n]["name"] == frame["name"] for n in frame["tensors"])
        assert [data["nodes"][n]["kind"] for n in frame["ops"]] == (["op"] if frame["made_by"] else [])


def test_node_numbers_are_the_tensors_own(chain):
    _, tensors, grads, drawing = chain
    nodes = drawing.explorer_data["nodes"]
    h_2 = next(n for n in nodes.values() if n["name"] == "h_2")
    values = tensors["h_2"].data
    assert h_2["stats"] == pytest.approx(dict(min=values.min(), mean=values.mean(), max=values.max()))
    assert h_2["grad"] == pytest.approx(np.linalg.norm(grads[tensors["h_2"]]))
    assert h_2["shape"] == "(3,)" and h_2["step"] == 2
    assert h_2["made_by"] == "tanh" and h_2["rule"] == tg.core.ops.Tanh.derivative
    square_op = [n for n in nodes.values() if n["kind"] == "op" and n["name"] == "mul"]
    assert len(square_op) == 1 and square_op[0]["rule"] == tg.core.ops.Mul.derivative


def test_strip_and_recurrent_edges(chain):
    _, _, grads, drawing = chain
    data = drawing.explorer_data
    points = data["strip"]["points"]
    assert [p["t"] for p in points] == [0, 1, 2]
    frames = [p["frame"] for p in points]
    assert frames[2] < frames[1] < frames[0]                  # the walk reaches h_2 first, h_0 last
    recurrent = {r["step"]: r for r in data["recurrent"]}
    assert set(recurrent) == {1, 2}
    # the product so far is the product of the sigma_1 from the last step back
    assert recurrent[1]["sigma_product"] == pytest.approx(recurrent[1]["sigma"] * recurrent[2]["sigma"], rel=1e-9)
    assert recurrent[1]["to_last"] <= recurrent[1]["sigma_product"] * (1 + 1e-9)   # ||AB|| <= ||A|| ||B||


def test_a_cut_stops_the_walk():
    net = unroll("rnn", steps=3, hidden_size=3, input_size=2, cut_at=1)
    data = draw_graph(net.loss, grads=all_gradients(net.loss)).explorer_data
    (cut,) = data["cuts"]
    assert cut["name"] == "h_1" and cut["step"] == 1 and 1 <= cut["frame"] <= len(data["frames"])
    reached = {p["t"]: p["frame"] for p in data["strip"]["points"]}
    assert reached[0] is None and reached[1] is None          # before the cut: never reached
    assert reached[2] is not None and reached[3] is not None
    lit = {n for f in data["frames"] for n in f["tensors"]}
    assert not any(data["nodes"][n]["faded"] for n in lit)    # the faded part never lights up


# --- the page -----------------------------------------------------------------------------------

@needs_dot
def test_the_page_is_self_contained(chain, tmp_path):
    _, _, _, drawing = chain
    explorer = to_html(drawing, tmp_path / "chain.html")
    page = (tmp_path / "chain.html").read_text(encoding="utf-8")
    assert page == explorer.html
    markup = re.sub(r"<script>.*?</script>", "", page, flags=re.S)          # the page without its script
    assert "http" not in page.lower() and "//" not in markup
    for external in ("<link", " src=", "@import", "url(", "@font-face", "<iframe"):
        assert external not in page
    assert markup.count("<svg") == 1 and page.count("<script>") == 1
    data = json.loads(re.search(r'<script type="application/json" id="tg-data">(.*?)</script>', page, re.S)[1])
    assert data == json.loads(json.dumps(drawing.explorer_data))
    nodes = set(re.findall(r'data-node="(n\d+)"', page))
    assert {n for f in data["frames"] for n in f["tensors"] + f["ops"]} <= nodes
    for r in data["recurrent"]:
        assert f'data-tail="{r["edge"][0]}" data-head="{r["edge"][1]}" data-k="{r["edge"][2]}"' in page
    assert "<title>" in page and page.count("<title>") == 1       # the page's; the SVG's are gone


@needs_dot
def test_explorer_saves_and_shows_inline(chain, tmp_path):
    explorer = to_html(chain[3])
    assert isinstance(explorer, Explorer)
    assert explorer.save(tmp_path / "x.html") == tmp_path / "x.html"
    assert (tmp_path / "x.html").read_text(encoding="utf-8") == explorer.html
    inline = explorer._repr_html_()
    assert inline.startswith("<iframe srcdoc=") and "&lt;svg" in inline and "<svg" not in inline
    with pytest.raises(ValueError, match=r"\.html"):
        explorer.save(tmp_path / "x.svg")


def test_mistakes_say_what_to_pass(chain, tmp_path, monkeypatch):
    loss, _, _, drawing = chain
    with pytest.raises(TypeError, match=r"got a Tensor.*draw_graph\(loss"):
        to_html(loss)
    with pytest.raises(TypeError, match="draw_graph"):
        to_gif("graph.dot", tmp_path / "x.gif")
    with pytest.raises(ValueError, match="not made by viz.draw_graph"):
        to_html(graphviz.Digraph())
    with pytest.raises(ValueError, match=r"'x\.svg'.*\.html"):
        to_html(drawing, tmp_path / "x.svg")
    with pytest.raises(ValueError, match=r"\.gif"):
        to_gif(drawing, tmp_path / "x.png")
    with pytest.raises(ValueError, match="max_frames must be an int >= 1"):
        to_gif(drawing, tmp_path / "x.gif", max_frames=0)
    monkeypatch.setenv("PATH", str(tmp_path))                  # no `dot` anywhere
    for call in (lambda: to_html(drawing), lambda: to_gif(drawing, tmp_path / "x.gif")):
        with pytest.raises(GraphvizNotFoundError, match="apt-get install -y graphviz"):
            call()
    assert not (tmp_path / "x.gif").exists()


def test_gif_without_pillow_names_the_extra(chain, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "PIL", None)              # import PIL now fails
    with pytest.raises(ImportError, match=r'tinygrad-rnn\[plots\]'):
        to_gif(chain[3], tmp_path / "x.gif")


# --- the GIF --------------------------------------------------------------------------------------

def test_frame_steps_caps_big_graphs():
    assert frame_steps(5, 150) == [1, 2, 3, 4, 5]
    assert frame_steps(10, 3) == [4, 8, 10]                    # every 4th, and always the last
    assert len(frame_steps(1000, 150)) <= 151


@needs_dot
def test_gif_plays_the_backward_pass(tmp_path):
    Image = pytest.importorskip("PIL.Image")
    net = unroll("rnn", steps=3, hidden_size=3, input_size=2, cut_at=1)
    drawing = draw_graph(net.loss, grads=all_gradients(net.loss))
    data = drawing.explorer_data
    path = to_gif(drawing, tmp_path / "rnn.gif", max_width=1200)
    gif = Image.open(path)
    assert gif.n_frames == len(data["frames"]) and gif.width <= 1200 and gif.height > 200
    pictures = []
    for i in range(gif.n_frames):
        gif.seek(i)
        pictures.append(np.asarray(gif.convert("RGB")).astype(int))
    assert all(np.abs(a - b).sum() > 0 for a, b in zip(pictures, pictures[1:]))    # every frame changes
    # the node of the second frame is lit (teal border pixels, gif.LIT) in the last frame, not in the first
    png, boxes = layout(drawing)                               # the picture below a 150 px banner
    scale = min(1.0, 1200 / Image.open(io.BytesIO(png)).width)
    x0, y0, x1, y1 = (round(v * scale) for v in boxes[data["frames"][1]["tensors"][0]])

    def teal(picture):                                         # pixels of the "lit" border colour
        ring = picture[150 + y0 - 6:150 + y1 + 6, x0 - 6:x1 + 6]
        return int(((ring[..., 0] < 60) & (ring[..., 1] > 130) & (ring[..., 1] < 185) & (ring[..., 2] > 110)
                    & (ring[..., 2] < 165)).sum())
    assert teal(pictures[0]) == 0 and teal(pictures[-1]) > 20
    capped = Image.open(to_gif(drawing, tmp_path / "capped.gif", max_frames=4))
    assert capped.n_frames == len(frame_steps(len(data["frames"]), 4)) <= 5


@needs_dot
def test_cli_writes_the_explorer_and_the_gif(tmp_path, capsys):
    from tinygrad_rnn.cli import main
    Image = pytest.importorskip("PIL.Image")
    assert main(["graph", "--cell", "gru", "--steps", "2", "--cut-at", "1", "--out", str(tmp_path / "g.html")]) == 0
    page = (tmp_path / "g.html").read_text(encoding="utf-8")
    assert 'id="tg-data"' in page and "http" not in page.lower()
    assert main(["graph", "--cell", "lstm", "--steps", "6", "--out", str(tmp_path / "g.gif")]) == 0   # cells view
    gif = Image.open(tmp_path / "g.gif")
    assert gif.format == "GIF" and gif.n_frames >= 8                  # loss, h_6 .. h_0, c_6 .. c_0
    assert f"wrote {tmp_path / 'g.gif'}" in capsys.readouterr().out
