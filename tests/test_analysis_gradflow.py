"""Gradient flow across initialisations and cells, the non-normal case, and the plots.

Expected numbers come from the mathematics (λ^d for W_hh = λQ with a linear activation; the
bound ||W||^d for tanh) or from an independent NumPy computation.
"""
import numpy as np
import pytest

import tinygrad_rnn as tg
from tinygrad_rnn.analysis import (compare_gradient_flow, format_table, gradient_flow, gradient_flow_figure,
                                   init_weight_hh_, jacobians_to_last, plot_eigenvalues, plot_gradient_flow,
                                   power_norms, spectral_norm, spectral_radius, transient_growth_example, unroll)


@pytest.mark.parametrize("init", ["orthogonal", "identity"])
@pytest.mark.parametrize("lam", [0.9, 1.0, 1.1])
def test_linear_rnn_jacobian_and_gradient_norms_are_powers_of_lambda(init, lam):
    T, H = 20, 6
    flow = gradient_flow("rnn", init, lam, "linear", steps=T, hidden_size=H)
    d = np.arange(1, T + 1)
    np.testing.assert_allclose(flow.jacobian_norms, lam ** d, rtol=1e-9)
    # L = sum(h_T): dL/dh_T = (1, ..., 1), of norm sqrt(H), and (lam Q)^T keeps directions' lengths times lam
    np.testing.assert_allclose(flow.grad_norms, np.sqrt(H) * lam ** d, rtol=1e-9)
    assert flow.spectral_radius["W_hh"] == pytest.approx(lam)


def test_tanh_gradients_stay_below_the_pascanu_bound():
    """|tanh'| <= 1, so ||∂h_T/∂h_(T-d)|| <= ||W_hh||_2^d."""
    T = 25
    flow = gradient_flow("rnn", "default", None, "tanh", steps=T, hidden_size=8, seed=3)
    net = unroll("rnn", T, 8, 4, seed=3)
    sigma = np.linalg.norm(net.params["weight_hh"].data, 2)
    assert np.all(flow.jacobian_norms <= sigma ** np.arange(1, T + 1) * (1 + 1e-12))


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_grad_norms_equal_those_of_an_ordinary_backward(cell):
    T = 6
    flow = gradient_flow(cell, "default", steps=T, hidden_size=5, seed=2)
    net = unroll(cell, T, 5, 4, seed=2)
    for h in net.hidden[1:]:
        h.retain_grad()
    net.loss.backward()
    expected = [np.linalg.norm(net.hidden[T - d].grad) for d in range(1, T + 1)]
    np.testing.assert_allclose(flow.grad_norms, expected, rtol=1e-12)


def test_settings_are_reported_and_compared_in_order():
    flows = compare_gradient_flow([dict(cell="gru"), dict(cell="lstm", init="orthogonal")], steps=3, hidden_size=2)
    assert [(f.cell, f.init) for f in flows] == [("gru", "default"), ("lstm", "orthogonal")]
    record = flows[1].as_dict()
    assert record["steps"] == 3 and record["hidden_size"] == 2 and record["distances"] == [1, 2, 3]
    assert set(record["spectral_radius"]) == {"i", "f", "g", "o"}
    assert len(record["jacobian_norms"]) == len(record["grad_norms"]) == 3


def test_gated_cells_reject_another_activation():
    with pytest.raises(ValueError, match="rnn cell only"):
        gradient_flow("lstm", nonlinearity="relu", steps=2)


# --- the initialisations ---------------------------------------------------------------------------------
def _blocks(weight, gates):
    H = weight.shape[1]
    return [weight.data[k * H:(k + 1) * H] for k in range(gates)]


@pytest.mark.parametrize("gates", [1, 3, 4])
def test_orthogonal_and_identity_inits_give_every_gate_block_the_asked_scale(gates):
    H = 5
    w = tg.nn.Parameter(np.zeros((gates * H, H)))
    init_weight_hh_(w, "orthogonal", 0.8, gates, generator=np.random.default_rng(0))
    for block in _blocks(w, gates):
        np.testing.assert_allclose(block @ block.T, 0.64 * np.eye(H), atol=1e-12)
    init_weight_hh_(w, "identity", 1.5, gates)
    for block in _blocks(w, gates):
        np.testing.assert_array_equal(block, 1.5 * np.eye(H))


def test_spectral_init_sets_each_blocks_spectral_radius():
    w = tg.nn.Parameter(np.random.default_rng(1).uniform(-0.5, 0.5, (12, 4)))
    init_weight_hh_(w, "spectral", 0.95, gates=3)
    for block in _blocks(w, 3):
        assert np.abs(np.linalg.eigvals(block)).max() == pytest.approx(0.95)


def test_normal_init_has_the_asked_standard_deviation():
    w = tg.nn.Parameter(np.zeros((200, 200)))
    init_weight_hh_(w, "normal", 0.3, generator=np.random.default_rng(0))
    assert w.data.std() == pytest.approx(0.3, rel=0.02) and abs(w.data.mean()) < 0.01
    init_weight_hh_(w, "normal", None, generator=np.random.default_rng(0))        # default: 1/sqrt(H)
    assert w.data.std() == pytest.approx(1 / np.sqrt(200), rel=0.02)


def test_default_init_is_pytorchs_uniform_times_the_scale():
    base = unroll("rnn", 1, 8, seed=4).params["weight_hh"].data
    scaled = unroll("rnn", 1, 8, seed=4, init="default", scale=2.0).params["weight_hh"].data
    assert np.abs(base).max() <= 1 / np.sqrt(8)
    np.testing.assert_allclose(scaled, 2 * base)


# --- eigenvalues are exact only for normal matrices -------------------------------------------------------
def test_non_normal_matrix_grows_first_although_its_spectral_radius_is_below_one():
    W = transient_growth_example()
    assert spectral_radius(W) < 1
    assert not np.allclose(W @ W.T, W.T @ W)                          # not normal
    by_hand, P = [], np.eye(2)                                        # ||W^k||_2, NumPy only
    for _ in range(60):
        P = P @ W
        by_hand.append(np.linalg.svd(P, compute_uv=False)[0])
    by_hand = np.array(by_hand)
    assert int(np.argmax(by_hand)) + 1 == 9 and 7.7 < by_hand.max() < 7.9   # the numbers
    assert by_hand[0] > 1 and by_hand[-1] < 1                         # grows first, decays in the end
    np.testing.assert_allclose(power_norms(W, 60), by_hand, rtol=1e-12)

    # and a linear recurrence with this W_hh: the engine's ∂h_T/∂h_(T-d) is W^d, norms as above
    T = 20
    Wt = tg.tensor(W, requires_grad=True)
    hs = [tg.tensor(np.zeros(2), requires_grad=True)]
    for _ in range(T):
        hs.append(hs[-1] @ Wt.T + tg.tensor(np.ones(2)))
    norms = [spectral_norm(J) for J in jacobians_to_last(hs)]
    np.testing.assert_allclose([norms[T - d] for d in range(1, T + 1)], by_hand[:T], rtol=1e-12)


# --- plots and the table -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def flows():
    return compare_gradient_flow([dict(init="orthogonal", scale=s, nonlinearity="linear") for s in (0.9, 1.1)],
                                 steps=8, hidden_size=4)


def test_plot_has_one_log_scale_curve_per_setting(flows):
    pytest.importorskip("matplotlib")
    ax = plot_gradient_flow(flows)
    assert ax.get_yscale() == "log"
    curves = [line for line in ax.get_lines() if line.get_label() in {f.label for f in flows}]
    assert len(curves) == 2
    np.testing.assert_allclose(curves[1].get_ydata(), flows[1].grad_norms)
    import matplotlib.pyplot as plt
    plt.close("all")


def test_eigenvalue_plot_shows_the_unit_circle_and_every_eigenvalue(flows):
    pytest.importorskip("matplotlib")
    ax = plot_eigenvalues(flows)
    circle = ax.get_lines()[0]
    assert np.allclose(np.hypot(circle.get_xdata(), circle.get_ydata()), 1)
    points = np.concatenate([c.get_offsets() for c in ax.collections])
    assert len(points) == 2 * 4
    np.testing.assert_allclose(np.sort(np.hypot(points[:, 0], points[:, 1])), [0.9] * 4 + [1.1] * 4)
    import matplotlib.pyplot as plt
    plt.close("all")


def test_figure_is_written(flows, tmp_path):
    pytest.importorskip("matplotlib")
    gradient_flow_figure(flows, tmp_path / "flow.png")
    assert (tmp_path / "flow.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_text_table_without_matplotlib(flows, monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "matplotlib", None)            # as if it were not installed
    with pytest.raises(ImportError, match="format_table"):
        plot_gradient_flow(flows)
    table = format_table(flows, every=1)
    lines = table.splitlines()
    assert flows[0].label in lines[1] and flows[1].label in lines[1]
    last = lines[-1].split()
    assert last[0] == "8" and float(last[1]) == pytest.approx(2 * 0.9 ** 8, rel=1e-3)


# --- slides: every plot the tour writes is a 1920x1080 picture with text of at least 14 px ----------------------
def _texts_px(fig, dpi):
    """(text, height in px at ``dpi``) of every visible, non-empty text of ``fig`` (titles, labels, ticks,
    legends), after a draw so that the tick labels exist."""
    from matplotlib.text import Text
    fig.canvas.draw()
    return [(t.get_text(), t.get_fontsize() * dpi / 72) for t in fig.findobj(Text)
            if t.get_visible() and t.get_text().strip()]


def _slide_figures(flows):
    from tinygrad_rnn.analysis import Panel, curves_figure
    from tinygrad_rnn.analysis.plots import window_table_figure
    yield "gradient_flow_figure", gradient_flow_figure(flows, title="t")
    yield "curves_figure", curves_figure([Panel("a", {"x": ([1, 2, 3], [1.0, 10.0, 100.0])}, "it", "y", logy=True,
                                                reference=(5.0, "ref"), vline=(2, "stop"))] * 3, title="t", ncols=2)
    yield "window_table_figure", window_table_figure(
        [{"window": k, "bpc": 2.0, "us_per_char": 3.0} for k in (5, 20, 100)], 4.0, title="t")


def test_every_plot_is_a_slide_with_text_of_at_least_14_px(flows):
    pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt
    from tinygrad_rnn.analysis.plots import DPI, MIN_TEXT_PX
    from tinygrad_rnn.cli.tour.output import Output
    import inspect
    assert "dpi=DPI" in inspect.getsource(Output.figure)                  # the tour saves at this resolution
    for name, fig in _slide_figures(flows):
        width, height = fig.get_size_inches() * DPI
        assert (round(width), round(height)) == (1920, 1080), name
        small = [(text, round(px, 1)) for text, px in _texts_px(fig, DPI) if px < MIN_TEXT_PX]
        assert not small, f"{name}: text below {MIN_TEXT_PX} px on a 1920x1080 slide: {small}"
        plt.close(fig)


def test_the_eigenvalue_panel_has_a_legend_and_tells_an_lstms_gates_apart():
    pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt
    from tinygrad_rnn.analysis import gradient_flow
    lstm = gradient_flow("lstm", "default", None, "tanh", steps=4, hidden_size=3)
    rnn = gradient_flow("rnn", "default", None, "tanh", steps=4, hidden_size=3)
    fig = gradient_flow_figure([rnn, lstm])
    right = fig.axes[1]
    labels = [t.get_text() for t in right.get_legend().get_texts()]
    assert labels[0] == "|λ| = 1" and rnn.label in labels
    gates = [label for label in labels if label.startswith(lstm.label + ":")]
    assert [g.split(": ")[1].split()[-1] for g in gates] == ["W_hi", "W_hf", "W_hg", "W_ho"]    # PyTorch's order
    # one scatter per gate block, each with its block's eigenvalues and its own marker
    scatters = right.collections[1:]
    assert len(scatters) == 4
    for scatter, gate in zip(scatters, "ifgo"):
        np.testing.assert_allclose(np.sort_complex(scatter.get_offsets() @ [1, 1j]),
                                   np.sort_complex(lstm.eigenvalues[gate]), atol=1e-6)
    assert len({scatter.get_paths()[0].vertices.tobytes() for scatter in scatters}) == 4
    assert "gate" in right.get_title()
    plt.close(fig)
