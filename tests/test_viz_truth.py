"""What a drawing states must hold for the numbers it is drawn from (issue 24).

For RNN, LSTM and GRU, one-node (fused) and every-op steps, the ops, cells and rolled views, several
seeds, each checked against a measurement made here, not by the drawing's code:

1. the bound a recurrent edge's label claims: the product of the σ₁ shown from h_T back to step k
   is at least ‖∂h_T/∂h_k‖, measured by central finite differences in float64 (a forward pass of
   the cells from a nudged h_k; for the LSTM, c_k held as it was), for every k;
2. an edge's colour and width are those of the gradient that flows along it: zero (drawn as no
   gradient) where the consumer ignores the state (out[-1] of a layer's outputs), the gradient of
   sum() where it reads it, and in the cells view the formulas' shares (the RNN's
   (∂h_t/∂h_(t-1))ᵀ g = ((1 - h_t²) ⊙ g) W_hh, the LSTM's f_t ⊙ ∂L/∂c_t);
3. each edge's tooltip names the edge it is on (its two ends as drawn), and the explorer's
   recurrent-edge data sits on edges that leave the state it names.
"""
import re

import numpy as np
import pytest

import tinygrad_rnn as tg
from tinygrad_rnn.analysis import all_gradients, unroll
from tinygrad_rnn.nn.cells import gru_cell, lstm_cell, rnn_cell
from tinygrad_rnn.viz import GradientScale, draw_graph
from tinygrad_rnn.viz.style import EDGE_STYLE

from test_viz_graph import _attr, parse_dot

CELLS = ("rnn", "lstm", "gru")
SEEDS = (0, 1, 2)
SHOWN = 0.005                # a number shown with 3 significant digits is within 0.5 % of the true one
SIGMA = re.compile(r"σ₁\(∂\(?h_(\d+)[^=]*?\) = ([0-9.e+-]+)")
RANGE = re.compile(r"σ₁\(.*?\) over t: ([0-9.e+-]+)(?: … ([0-9.e+-]+))?")


# --- 1. the bound on the recurrent edges ---------------------------------------------------------------
def _run_from(net, k: int, h, c):
    """h_T from the state (h, c) at step k, by the cells' forward pass (float64, no graph)."""
    p = {name: tg.tensor(value.data) for name, value in net.params.items()}
    h, c = tg.tensor(h), (tg.tensor(c) if c is not None else None)
    with tg.no_grad():
        for t in range(k + 1, net.steps + 1):
            x = tg.tensor(net.inputs[t - 1].data)
            if net.cell == "lstm":
                h, c = lstm_cell(x, h, c, **p)
            elif net.cell == "gru":
                h = gru_cell(x, h, **p)
            else:
                h = rnn_cell(x, h, nonlinearity=net.nonlinearity, **p)
    return h.data


def measured_norms(net, eps: float = 1e-6) -> list:
    """[‖∂h_T/∂h_k‖₂ for k = 0 .. T-1] by central differences (c_k held fixed for the LSTM)."""
    norms = []
    for k in range(net.steps):
        h_k = np.array(net.hidden[k].data, dtype=np.float64)
        c_k = None if net.cell_states is None else np.array(net.cell_states[k].data, dtype=np.float64)
        columns = []
        for i in range(h_k.size):
            up, down = h_k.copy(), h_k.copy()
            up[i] += eps
            down[i] -= eps
            columns.append((_run_from(net, k, up, c_k) - _run_from(net, k, down, c_k)) / (2 * eps))
        norms.append(float(np.linalg.norm(np.stack(columns, axis=1), 2)))
    return norms


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("fused", [False, True], ids=["every-op", "one-node"])
@pytest.mark.parametrize("cell", CELLS)
def test_recurrent_labels_bound_the_measured_gradient_for_every_k(cell, fused, seed):
    net = unroll(cell, steps=5, hidden_size=3, input_size=2, seed=seed, fused=fused, scale=1.5 if seed else None)
    measured = measured_norms(net)
    grads = all_gradients(net.loss)
    for detail, size in (("ops", None), ("cells", None), ("cells", "slide"), ("rolled", None)):
        if detail == "ops" and not fused and cell != "rnn":
            continue                      # the every-op LSTM and GRU: the same numbers as the cells view, slower
        source = draw_graph(net.loss, detail=detail, grads=grads, size=size).source
        where = f"{cell} fused={fused} seed={seed} {detail} size={size}"
        if detail == "rolled":
            m = RANGE.search(source)
            assert m, f"{where}: no σ₁ range on the loop"
            biggest = float(m.group(2) or m.group(1))
            for k, norm in enumerate(measured):
                bound = (biggest * (1 + SHOWN)) ** (net.steps - k)
                assert norm <= bound, (f"{where}: ‖∂h_T/∂h_{k}‖ = {norm:.4g} > (max σ₁)^{net.steps - k} "
                                       f"= {bound:.4g}")
            continue
        shown = {int(t): float(v) for t, v in SIGMA.findall(source)}
        assert set(shown) == set(range(1, net.steps + 1)), f"{where}: σ₁ shown for steps {sorted(shown)}"
        for k, norm in enumerate(measured):
            bound = np.prod([shown[t] * (1 + SHOWN) for t in range(k + 1, net.steps + 1)])
            assert norm <= bound, (f"{where}: measured ‖∂h_{net.steps}/∂h_{k}‖ = {norm:.4g} is more than the "
                                   f"product of the σ₁ shown, {bound:.4g}")


def test_finite_differences_agree_with_the_engine():
    """The measurement itself: against the engine's reverse mode, where they must agree."""
    from tinygrad_rnn.analysis import jacobians_to_last, spectral_norm
    net = unroll("lstm", steps=4, hidden_size=3, input_size=2, seed=1)
    engine = [spectral_norm(j) for j in jacobians_to_last(net.hidden)][:-1]
    assert measured_norms(net) == pytest.approx(engine, rel=1e-6)


# --- 2. an edge's colour and width: the gradient flowing on it ------------------------------------------
def _layer_loss(cell: str, seed: int, steps: int = 4):
    np.random.seed(seed)
    tg.manual_seed(seed)
    layer = {"rnn": tg.nn.RNN, "lstm": tg.nn.LSTM, "gru": tg.nn.GRU}[cell](2, 3)
    out, _ = layer(tg.randn(steps, 2, 2))
    return layer, out[-1].sum()


def _tooltip_norm(attrs: str) -> float | None:
    """The norm an edge's tooltip states (None: it says no gradient flows)."""
    tip = _attr(attrs, "tooltip") or ""
    if "no gradient flows" in tip:
        return None
    m = re.search(r"has norm (\S+)$", tip)
    assert m, f"edge tooltip without its gradient: {tip!r}"
    return float(m.group(1))


def _check_style(attrs: str, norm, scale: GradientScale) -> None:
    colour, width = _attr(attrs, "color"), float(_attr(attrs, "penwidth"))
    if norm is None:
        assert colour.split(":")[0] == EDGE_STYLE["color"], f"an edge with no gradient drawn {colour}"
        return
    assert colour.split(":")[0] == scale.colour(norm)
    double = ":invis:" in colour
    assert width == pytest.approx(max(1.2, scale.edge_width(norm) * 0.7) if double else scale.edge_width(norm),
                                  abs=0.01)


def _name(dot, node) -> str:
    fields = dot["fields"][node]
    return fields[0] if fields else ""


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("detail", ["ops", "cells"])
@pytest.mark.parametrize("cell", CELLS)
def test_edges_from_states_the_loss_ignores_carry_no_gradient(cell, detail, seed):
    _, loss = _layer_loss(cell, seed)
    scale = GradientScale()
    dot = parse_dot(draw_graph(loss, detail=detail, grads=all_gradients(loss), scale=scale).source)
    steps = {int(m[1]): n for n in dot["nodes"] if (m := re.fullmatch(r"h_(\d+)", _name(dot, n)))}
    assert {1, 2, 3, 4} <= set(steps)
    step_of = {n: t for t, n in steps.items()}
    out_edges = 0
    for tail, head, attrs in dot["edges"]:
        if "invis" in attrs:
            continue
        norm = _tooltip_norm(attrs)
        _check_style(attrs, norm, scale)            # every edge: its style is its tooltip's gradient
        if tail in step_of and not re.fullmatch(r"[hc]_\d+", _name(dot, head)) \
                and head not in {n for n, a in dot["nodes"].items() if f"t = {step_of[tail] + 1}" in a}:
            # an edge from h_t to what reads the layer's output (stack, the loss), not to step t+1
            if re.search(r'label="?(stack|sum|getitem)', dot["nodes"][head]) or detail == "cells":
                out_edges += 1
                expected = np.sqrt(2 * 3) if step_of[tail] == 4 else None    # d sum(out[-1]) / d out[t]
                if expected is None:
                    assert norm is None, f"h_{step_of[tail]} -> {_name(dot, head)}: {norm}, but out[-1] ignores it"
                else:
                    assert norm == pytest.approx(expected, rel=1e-5)
    assert out_edges >= 4


@pytest.mark.parametrize("seed", SEEDS)
def test_cells_view_rnn_recurrent_edge_carries_the_jacobian_transpose_times_the_gradient(seed):
    net = unroll("rnn", steps=4, hidden_size=3, input_size=2, seed=seed, fused=seed % 2 == 1)
    grads = all_gradients(net.loss)
    dot = parse_dot(draw_graph(net.loss, detail="cells", grads=grads).source)
    W = net.weight_hh
    for t in range(1, 5):
        h_t, g = net.hidden[t].data, grads[net.hidden[t]]
        expected = np.linalg.norm(((1 - h_t ** 2) * g) @ W)
        tail, head = _node(dot, f"h_{t - 1}"), _node(dot, f"h_{t}")
        (attrs,) = [a for tl, hd, a in dot["edges"] if (tl, hd) == (tail, head)]
        assert _tooltip_norm(attrs) == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("fused", [False, True], ids=["every-op", "one-node"])
def test_cells_view_lstm_cell_path_carries_the_forget_gate_times_the_gradient(fused, seed):
    net = unroll("lstm", steps=4, hidden_size=3, input_size=2, seed=seed, fused=fused)
    grads = all_gradients(net.loss)
    dot = parse_dot(draw_graph(net.loss, detail="cells", grads=grads).source)
    p = {k: v.data for k, v in net.params.items()}
    for t in range(1, 4):                   # c_4 is read by nothing when the loss is sum(h_4) (one-node steps)
        x, h = net.inputs[t - 1].data, net.hidden[t - 1].data
        gates = x @ p["weight_ih"].T + p["bias_ih"] + h @ p["weight_hh"].T + p["bias_hh"]
        f = 1 / (1 + np.exp(-gates[3:6]))                           # PyTorch's order i, f, g, o
        expected = np.linalg.norm(f * grads[net.cell_states[t]])
        tail, head = _node(dot, f"c_{t - 1}"), _node(dot, f"c_{t}")
        (attrs,) = [a for tl, hd, a in dot["edges"] if (tl, hd) == (tail, head)]
        assert _tooltip_norm(attrs) == pytest.approx(expected, rel=1e-5)   # the tooltip's 6 digits


def _node(dot, name):
    (node,) = [n for n in dot["nodes"] if _name(dot, n) == name]
    return node


# --- 3. each tooltip names its edge ------------------------------------------------------------------------
def _shown_name(dot, node) -> str:
    """What an edge tooltip should call a node: its name, or 'tensor (shape)', or the op."""
    fields = dot["fields"][node]
    if not fields:
        return ""
    first = fields[0]
    if first.startswith("(") or first.startswith("leaf (") or first.startswith("parameter ("):
        return "tensor " + first.split(" ", 1)[-1] if not first.startswith("(") else "tensor " + first
    return first


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("detail", ["ops", "cells", "rolled"])
@pytest.mark.parametrize("fused", [False, True], ids=["every-op", "one-node"])
@pytest.mark.parametrize("cell", CELLS)
def test_each_tooltip_names_the_edge_it_is_on(cell, fused, detail, seed):
    net = unroll(cell, steps=3, hidden_size=3, input_size=2, seed=seed, fused=fused)
    drawing = draw_graph(net.loss, detail=detail, grads=all_gradients(net.loss))
    dot = parse_dot(drawing.source)
    checked = 0
    for tail, head, attrs in dot["edges"]:
        if "invis" in attrs:
            continue
        tip = _attr(attrs, "tooltip")
        assert tip, f"an edge without a tooltip: {_shown_name(dot, tail)} -> {_shown_name(dot, head)}"
        ends = tip.split(":")[0]
        a, b = _shown_name(dot, tail), _shown_name(dot, head)
        assert ends.startswith(f"{a} → {b}"), f"edge {a} -> {b} has the tooltip {tip!r}"
        checked += 1
    assert checked > 5
    data = drawing.explorer_data
    assert data["recurrent"], "no recurrent edges in the explorer's data"
    for r in data["recurrent"]:
        tail, head, _ = r["edge"]
        assert r["tail"] == _shown_name(dot, tail) and r["head"] == _shown_name(dot, head)
        generic = re.sub(r"_\d+$", "_t", r["prev"]) if detail == "rolled" else r["prev"]
        if detail == "rolled":
            assert r["tail"] == re.sub(r"_\d+$", "_t", r["cur"])        # the loop leaves h_t for the next step
        else:
            assert r["tail"] == generic, f"data for {r['prev']} → {r['cur']} on the edge {r['tail']} → {r['head']}"
        if detail == "cells":
            assert r["head"] == r["cur"], f"data for {r['prev']} → {r['cur']} on the edge {r['tail']} → {r['head']}"
