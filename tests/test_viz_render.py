"""Writing drawings to files: DOT text needs nothing, SVG/PNG need Graphviz's `dot` program.

The rendering tests run where `dot` is installed (CI installs it) and are skipped, saying how to
install it, elsewhere. Without `dot`, rendering must fail with a message naming the install command.
"""
import re
import sys
import warnings

import pytest

import tinygrad_rnn as tg
from tinygrad_rnn.analysis import all_gradients, unroll
from tinygrad_rnn.viz import GraphvizNotFoundError, dot_available, draw_graph, render
from tinygrad_rnn.viz.graph import LargeGraphWarning, SlideTooSmallWarning
from tinygrad_rnn.viz.render import RenderTimeoutError, run_dot

needs_dot = pytest.mark.skipif(not dot_available(), reason="Graphviz's `dot` program is not installed "
                                                           "(apt-get install -y graphviz / brew install graphviz)")


@pytest.fixture
def graph():
    net = unroll("lstm", steps=2, hidden_size=2, cut_at=1)
    return draw_graph(net.loss, grads=all_gradients(net.loss))


def test_dot_text_needs_no_program(graph, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))                  # no `dot` anywhere
    assert not dot_available()
    path = render(graph, tmp_path / "g.dot")
    assert path.read_text(encoding="utf-8") == graph.source
    assert graph.source.startswith("digraph")


@pytest.mark.parametrize("name", ["g.svg", "g.png"])
def test_missing_dot_gives_the_install_command(graph, tmp_path, monkeypatch, name):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(GraphvizNotFoundError) as info:
        render(graph, tmp_path / name)
    assert "apt-get install -y graphviz" in str(info.value) and "brew install graphviz" in str(info.value)
    assert not (tmp_path / name).exists()


def test_unknown_suffix_is_rejected(graph, tmp_path):
    with pytest.raises(ValueError, match=r"\.svg"):
        render(graph, tmp_path / "g.jpeg")


@needs_dot
@pytest.mark.parametrize("detail", ["ops", "cells", "rolled"])
@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_renders_svg(cell, detail, tmp_path):
    net = unroll(cell, steps=3, hidden_size=2, cut_at=1 if detail != "rolled" else None)
    path = render(draw_graph(net.loss, detail=detail, grads=all_gradients(net.loss)), tmp_path / "g.svg")
    svg = path.read_text(encoding="utf-8")
    assert "<svg" in svg and "h_" in svg
    if detail != "rolled":
        assert "t = 1" in svg


@needs_dot
def test_renders_png(graph, tmp_path):
    path = render(graph, tmp_path / "g.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# --- a time limit for dot -------------------------------------------------------------------------------
def test_a_dot_that_takes_too_long_is_stopped_with_the_advice(graph, tmp_path, monkeypatch):
    fake = tmp_path / "dot"                                     # a `dot` that never finishes
    fake.write_text(f"#!{sys.executable}\nimport time\ntime.sleep(30)\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(RenderTimeoutError) as info:
        render(graph, tmp_path / "g.svg", timeout=0.3)
    message = str(info.value)
    assert "0.3 s" in message and 'detail="rolled"' in message and "fewer steps" in message
    assert "timeout=None" in message
    assert not (tmp_path / "g.svg").exists()


@pytest.mark.parametrize("timeout", [0, -1, "60"])
def test_a_bad_timeout_is_rejected(graph, tmp_path, timeout):
    with pytest.raises(ValueError, match="timeout must be a positive number"):
        render(graph, tmp_path / "g.svg", timeout=timeout)


def test_a_big_drawing_warns_with_its_size_and_what_to_draw_instead(monkeypatch):
    import tinygrad_rnn.viz.graph as graph_module
    net = unroll("rnn", steps=4, hidden_size=2)
    monkeypatch.setitem(graph_module.LARGE_GRAPH, "ops", 20)
    with pytest.warns(LargeGraphWarning) as caught:
        drawing = draw_graph(net.loss)
    nodes = sum(1 for line in drawing.body if re.match(r"\s*n\d+ \[", line))
    message = str(caught[0].message)
    assert nodes > 20 and f"{nodes} nodes" in message and "more than 20" in message
    assert 'detail="rolled"' in message and "fewer than 4 steps" in message


def test_a_long_every_op_drawing_warns_before_dot_runs_for_minutes():
    net = unroll("lstm", steps=10, hidden_size=2)              # 308 nodes: dot takes about 9 s
    with pytest.warns(LargeGraphWarning, match='detail="cells"'):
        draw_graph(net.loss, detail="ops", jacobians=False)


def test_a_small_drawing_does_not_warn():
    net = unroll("rnn", steps=3, hidden_size=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        draw_graph(net.loss)


@needs_dot
def test_a_200_step_lstm_layer_draws_and_renders_its_cells_view(tmp_path):
    """It used to take dot more than 5 minutes: one (T, B, I) input fed every step, and newrank ranked
    200 clusters. Now each step begins at its slice of the input, and the columns keep the row."""
    tg.manual_seed(0)
    out, _ = tg.nn.LSTM(2, 3)(tg.randn(200, 1, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("error")                            # not even a size warning
        drawing = draw_graph(out[-1].sum(), detail="cells", jacobians=False)
    assert "newrank" not in drawing.source
    svg = render(drawing, tmp_path / "long.svg", timeout=60).read_text(encoding="utf-8")
    assert "h_200" in svg and "c_199" in svg


# --- slides ---------------------------------------------------------------------------------------------
def _svg_text_px(svg: str, width_px: int) -> tuple:
    """(smallest text height in px, drawing width, height in pt) when the SVG is shown ``width_px`` wide:
    read from the SVG itself (its size in pt, its scale transform, its font sizes)."""
    width_pt = float(re.search(r'<svg width="([\d.]+)pt"', svg).group(1))
    height_pt = float(re.search(r'height="([\d.]+)pt"', svg).group(1))
    scale = float(re.search(r'transform="scale\(([\d.]+)', svg).group(1))
    sizes = [float(s) for s in re.findall(r'<text[^>]*font-size="([\d.]+)"', svg)]
    return min(sizes) * scale * width_px / width_pt, width_pt, height_pt


@needs_dot
@pytest.mark.parametrize("cell, steps, detail", [("lstm", 6, "cells"), ("rnn", 2, "ops"), ("rnn", 5, "rolled"),
                                                 ("gru", 6, "cells")])
def test_slide_size_fills_16_9_with_text_at_least_14_px_high(cell, steps, detail, tmp_path):
    net = unroll(cell, steps=steps, hidden_size=3, input_size=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")                            # fits: no SlideTooSmallWarning
        drawing = draw_graph(net.loss, detail=detail, grads=all_gradients(net.loss), size="slide")
    svg = render(drawing, tmp_path / "g.svg").read_text(encoding="utf-8")
    box_w, box_h = 20 * 72, 11.25 * 72                            # 1920×1080 px at 96 dpi, in pt
    text_px, width_pt, height_pt = _svg_text_px(svg, 1920)
    shown_px = text_px * min(box_w / width_pt, box_h / height_pt) * width_pt / box_w   # as fitted in the box
    assert width_pt <= box_w + 1 and height_pt <= box_h + 1
    assert max(width_pt / box_w, height_pt / box_h) > 0.98        # it fills the slide one way
    assert shown_px >= 14
    from PIL import Image
    png = Image.open(render(drawing, tmp_path / "g.png"))
    assert png.size[0] <= 1921 and png.size[1] <= 1081 and max(png.size[0] / 1920, png.size[1] / 1080) > 0.98


@needs_dot
def test_a_drawing_too_big_for_a_slide_is_told_what_to_draw_instead():
    net = unroll("lstm", steps=3, hidden_size=3, input_size=2)
    with pytest.warns(SlideTooSmallWarning) as caught:
        drawing = draw_graph(net.loss, detail="ops", size="slide")
    message = str(caught[0].message)
    assert 'detail="cells"' in message and "fewer than 3 steps" in message and "1920×1080" in message
    px = float(re.search(r"would be ([\d.]+) px", message).group(1))
    assert px < 14 and drawing.fit["text_px"] == pytest.approx(px, abs=0.05)


@needs_dot
@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_slide_without_a_detail_draws_the_first_that_fits(cell):
    import warnings
    net = unroll(cell, steps=4, hidden_size=3, input_size=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error", SlideTooSmallWarning)
        drawing = draw_graph(net.loss, grads=all_gradients(net.loss), size="slide")
    assert drawing.detail in ("cells", "rolled") and drawing.fit["text_px"] >= 14


def test_the_detail_is_picked_as_the_cli_picks_it():
    short, long_ = unroll("gru", steps=4), unroll("gru", steps=5)
    assert draw_graph(short.loss, jacobians=False).detail == "ops"
    assert draw_graph(long_.loss, jacobians=False).detail == "cells"


@pytest.mark.parametrize("size", ["big", 1920, "Slide"])
def test_a_bad_size_is_rejected_with_the_choices(size):
    net = unroll("rnn", steps=2, hidden_size=2)
    with pytest.raises(ValueError, match=r"size must be None .* 'slide'"):
        draw_graph(net.loss, size=size)


def test_the_default_size_is_the_natural_size():
    net = unroll("rnn", steps=2, hidden_size=2)
    source = draw_graph(net.loss).source
    graph_size = re.compile(r'(?<![a-z])size="')
    assert not graph_size.search(source)
    assert graph_size.search(draw_graph(net.loss, size="slide", jacobians=False).source)


# --- no label crossed by an edge --------------------------------------------------------------------
def _bezier_points(ops, samples: int = 12) -> list:
    """Points along the cubic Bézier pieces of an edge's xdot drawing ('b' ops)."""
    points = []
    for op in ops:
        if op["op"] not in ("b", "B"):
            continue
        p = op["points"]
        for i in range(0, len(p) - 3, 3):
            (x0, y0), (x1, y1), (x2, y2), (x3, y3) = p[i:i + 4]
            for k in range(samples + 1):
                s = k / samples
                a, b, c, d = (1 - s) ** 3, 3 * s * (1 - s) ** 2, 3 * s * s * (1 - s), s ** 3
                points.append((a * x0 + b * x1 + c * x2 + d * x3, a * y0 + b * y1 + c * y2 + d * y3))
    return points


def _label_boxes(ops) -> list:
    """The boxes of an edge label's text lines ('T' ops: anchor, width, alignment; height from the font)."""
    boxes, size = [], 10.0
    for op in ops:
        if op["op"] == "F":
            size = op["size"]
        elif op["op"] == "T":
            x, y = op["pt"]
            left = {"l": x, "c": x - op["width"] / 2, "r": x - op["width"]}[op["align"]]
            boxes.append((left, y - 0.25 * size, left + op["width"], y + 0.85 * size))
    return boxes


@needs_dot
@pytest.mark.parametrize("cell, steps", [("lstm", 6), ("rnn", 6), ("gru", 4)])
def test_no_label_of_the_cells_view_is_crossed_by_an_edge(cell, steps):
    import json
    from tinygrad_rnn.viz.render import run_dot
    net = unroll(cell, steps=steps, hidden_size=3, input_size=2)
    layout = json.loads(run_dot(draw_graph(net.loss, detail="cells", grads=all_gradients(net.loss)), "json"))
    edges = layout["edges"]
    labelled = [(i, _label_boxes(e["_ldraw_"])) for i, e in enumerate(edges) if e.get("_ldraw_")]
    assert len(labelled) >= steps - 1                              # the σ₁ labels are there
    for i, boxes in labelled:
        for j, other in enumerate(edges):
            if j == i or other.get("style") == "invis":
                continue
            for x, y in _bezier_points(other.get("_draw_", [])):
                for x0, y0, x1, y1 in boxes:
                    assert not (x0 < x < x1 and y0 < y < y1), \
                        f"edge {other['tail']}->{other['head']} crosses the label of edge {i}"


@needs_dot
@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_every_op_steps_stand_in_one_row_left_to_right(cell):
    """Each step's box starts right of where the one before ends, and all of them share one band of
    height (the old staircase put step 3 entirely below step 1)."""
    import json
    from tinygrad_rnn.viz.render import run_dot
    T = 3
    net = unroll(cell, steps=T, hidden_size=3, input_size=2)
    layout = json.loads(run_dot(draw_graph(net.loss, grads=all_gradients(net.loss)), "json"))
    boxes = {o["name"]: [float(v) for v in o["bb"].split(",")] for o in layout["objects"]
             if o.get("name", "").startswith("cluster_step_")}
    steps = [boxes[f"cluster_step_{t}"] for t in range(1, T + 1)]
    for before, after in zip(steps, steps[1:]):
        assert after[0] >= before[2]                                 # x0 of step t >= x1 of step t-1
    assert max(b[1] for b in steps) < min(b[3] for b in steps)       # one common band of y


def test_slide_size_without_dot_still_draws(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))                  # no `dot`: nothing to measure the layout with
    net = unroll("rnn", steps=2, hidden_size=2)
    drawing = draw_graph(net.loss, size="slide")
    assert not hasattr(drawing, "fit") and 'size="20,11.25!"' in drawing.source


@needs_dot
def test_run_dot_writes_several_formats_from_one_layout_as_separate_runs_would():
    graph = draw_graph(unroll("rnn", steps=2).loss)
    svg, cmapx = run_dot(graph, ("svg", "cmapx"))
    assert svg == run_dot(graph, "svg") and cmapx == run_dot(graph, "cmapx")
    assert svg.lstrip().startswith(b"<?xml") and b"<area" in cmapx
