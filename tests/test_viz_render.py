"""Writing drawings to files: DOT text needs nothing, SVG/PNG need Graphviz's `dot` program.

The rendering tests run where `dot` is installed (CI installs it) and are skipped, saying how to
install it, elsewhere. Without `dot`, rendering must fail with a message naming the install command.
"""
import pytest

from tinygrad_rnn.analysis import all_gradients, unroll
from tinygrad_rnn.viz import GraphvizNotFoundError, dot_available, draw_graph, render

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
