"""The ``graph``, ``gradflow`` and ``figures`` commands, run through ``tinygrad_rnn.cli.main``."""
import json

import numpy as np
import pytest
from test_viz_graph import parse_dot

from tinygrad_rnn.cli import main
from tinygrad_rnn.viz import dot_available

needs_dot = pytest.mark.skipif(not dot_available(), reason="Graphviz's `dot` program is not installed "
                                                           "(apt-get install -y graphviz / brew install graphviz)")


# --- gradflow -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("lam", [0.8, 1.0, 1.25])
def test_gradflow_json_for_a_linear_orthogonal_rnn(capsys, lam):
    T = 12
    assert main(["gradflow", "--cell", "rnn", "--init", "orthogonal", "--scale", str(lam),
                 "--nonlinearity", "linear", "--steps", str(T), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["cell"], out["init"], out["scale"], out["nonlinearity"], out["steps"]) == \
           ("rnn", "orthogonal", lam, "linear", T)
    d = np.arange(1, T + 1)
    np.testing.assert_allclose(out["jacobian_norms"], lam ** d, rtol=1e-9)            # ||W_hh^d||
    np.testing.assert_allclose(out["grad_norms"], np.sqrt(out["hidden_size"]) * lam ** d, rtol=1e-9)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_gradflow_json_for_gated_cells(capsys, cell):
    assert main(["gradflow", "--cell", cell, "--init", "orthogonal", "--steps", "5", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert len(out["jacobian_norms"]) == len(out["grad_norms"]) == 5
    assert all(np.isfinite(out["jacobian_norms"])) and all(x > 0 for x in out["grad_norms"])
    assert out["spectral_radius"] and all(r == pytest.approx(1.0) for r in out["spectral_radius"].values())


def test_gradflow_text_table(capsys):
    assert main(["gradflow", "--init", "identity", "--nonlinearity", "linear", "--steps", "3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "identity" in lines[0]
    assert [line.split()[:2] for line in lines[2:]] == [["1", "1"], ["2", "1"], ["3", "1"]]


def test_gradflow_plot_keeps_json_on_stdout(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    plot = tmp_path / "flow.png"
    assert main(["gradflow", "--steps", "4", "--json", "--plot", str(plot)]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["steps"] == 4
    assert "wrote" in captured.err and plot.read_bytes()[:4] == b"\x89PNG"


def test_gradflow_rejects_an_activation_for_gated_cells(capsys):
    with pytest.raises(SystemExit, match="rnn cell only"):
        main(["gradflow", "--cell", "gru", "--nonlinearity", "linear", "--steps", "3"])


# --- graph --------------------------------------------------------------------------------------------
def _clusters(source):
    clusters = parse_dot(source)["clusters"]
    return sorted(label for name, (label, _) in clusters.items() if name.startswith("cluster_step"))


@pytest.mark.parametrize("detail", ["ops", "cells"])
def test_graph_writes_dot(capsys, tmp_path, detail):
    out = tmp_path / "x.dot"
    assert main(["graph", "--cell", "lstm", "--steps", "3", "--detail", detail, "--out", str(out)]) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    source = out.read_text(encoding="utf-8")
    assert source.startswith("digraph") and _clusters(source) == ["t = 1", "t = 2", "t = 3"]


def test_graph_prints_dot_without_out(capsys):
    assert main(["graph", "--cell", "gru", "--steps", "2"]) == 0
    assert _clusters(capsys.readouterr().out) == ["t = 1", "t = 2"]


def test_graph_cut_at(capsys):
    assert main(["graph", "--steps", "4", "--cut-at", "2", "--detail", "cells"]) == 0
    dot = parse_dot(capsys.readouterr().out)
    cuts = [(t, h) for t, h, a in dot["edges"] if "style=dashed" in a]
    assert [(dot["fields"][t][0], dot["fields"][h][0]) for t, h in cuts] == [("h_2", "h_3")]


def test_graph_rolled(capsys):
    assert main(["graph", "--cell", "rnn", "--steps", "4", "--detail", "rolled"]) == 0
    assert "×T, T = 4" in capsys.readouterr().out


def test_graph_bad_cut_is_an_error_message():
    with pytest.raises(SystemExit, match="cut_at"):
        main(["graph", "--steps", "3", "--cut-at", "3"])


def test_graph_without_dot_program_names_the_install_command(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(SystemExit, match="apt-get install -y graphviz"):
        main(["graph", "--steps", "2", "--out", str(tmp_path / "x.svg")])


@needs_dot
def test_graph_renders_png(tmp_path):
    out = tmp_path / "x.png"
    assert main(["graph", "--cell", "lstm", "--steps", "2", "--out", str(out)]) == 0
    assert out.read_bytes()[:4] == b"\x89PNG"


@needs_dot
def test_figures_command_writes_the_readme_pictures(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    assert main(["figures", "--out", str(tmp_path)]) == 0
    written = {p.name for p in tmp_path.iterdir()}
    assert {"rnn_unrolled.svg", "lstm_unrolled.svg", "gradient_flow.png"} <= written
    assert "<svg" in (tmp_path / "lstm_unrolled.svg").read_text(encoding="utf-8")


def test_graph_detail_defaults_to_ops_for_short_and_cells_for_long_sequences(capsys):
    assert main(["graph", "--steps", "3"]) == 0
    short = capsys.readouterr().out
    assert main(["graph", "--steps", "6"]) == 0
    long_ = capsys.readouterr().out
    assert "tanh" in short and "linear" in short          # every op is drawn
    assert "linear" not in long_ and "h_6" in long_          # one node per state


@needs_dot
def test_graph_size_slide_fits_1920_by_1080(tmp_path, capsys):
    from PIL import Image
    out = tmp_path / "x.png"
    assert main(["graph", "--cell", "lstm", "--steps", "6", "--detail", "cells", "--size", "slide",
                 "--out", str(out)]) == 0
    width, height = Image.open(out).size
    assert width <= 1921 and height <= 1081 and max(width / 1920, height / 1080) > 0.98
    assert "warning" not in capsys.readouterr().err


@needs_dot
def test_graph_size_slide_refuses_a_detail_too_big_and_says_what_to_draw(tmp_path, capsys):
    out = tmp_path / "x.png"
    with pytest.raises(SystemExit) as info:
        main(["graph", "--cell", "lstm", "--steps", "4", "--detail", "ops", "--size", "slide", "--out", str(out)])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "smallest text would be" in err and "--detail cells" in err and "fewer --steps" in err
    assert not out.exists()                                  # no 1920×332 picture with 4 px text


@needs_dot
def test_graph_size_slide_without_detail_draws_the_detail_that_fits(tmp_path, capsys):
    from PIL import Image

    from tinygrad_rnn.viz.render import text_height_px  # noqa: F401  (the measure the library uses)
    out = tmp_path / "x.png"
    assert main(["graph", "--cell", "lstm", "--steps", "4", "--size", "slide", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "drew --detail cells" in err or "drew --detail rolled" in err
    width, height = Image.open(out).size
    assert max(width / 1920, height / 1080) > 0.98 and min(width, height) > 500


@needs_dot
def test_graph_size_slide_advice_names_only_details_smaller_than_the_one_drawn(tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        main(["graph", "--cell", "lstm", "--steps", "12", "--detail", "cells", "--size", "slide",
              "--out", str(tmp_path / "x.svg")])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "smallest text would be" in err and "--detail rolled, or fewer --steps" in err
    assert "--detail cells" not in err                       # already the cells view


def test_graph_rejects_an_unknown_size(capsys):
    with pytest.raises(SystemExit):
        main(["graph", "--size", "poster"])
    assert "slide" in capsys.readouterr().err
