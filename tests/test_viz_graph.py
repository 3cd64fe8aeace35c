"""Drawing graphs: checked on the DOT text, without rendering (rendering: test_viz_render.py).

What a drawing must show, each checked against numbers computed here independently:
one cluster per time step holding that step's tensors; gradient norms in the labels equal to the
gradients of an ordinary ``backward()``; the cut edge exactly where ``detach()`` cut the graph; two
edges for ``a * a``; the recurrent edge labelled with the Jacobian's largest singular value; the
LSTM's cell path labelled with its forget gate. And drawing must not change the graph.
"""
import re

import numpy as np
import pytest

import tinygrad_rnn as tg
from tinygrad_rnn.analysis import all_gradients, unroll
from tinygrad_rnn.viz import GradientScale, draw_graph

# --- reading DOT text ----------------------------------------------------------------------------------
NODE = re.compile(r"^\s*(n\d+) \[(.*)\]$", re.S)
EDGE = re.compile(r"^\s*(n\d+) -> (n\d+)(?: \[(.*)\])?$", re.S)
GRAD = re.compile(r"‖∂L/∂x‖ = (\S+)")


def _attr(text: str, key: str):
    """The value of ``key=...`` in an attribute list (quoted, HTML-like <...> or bare)."""
    m = re.search(rf'(?:^|\s){key}=("(?:[^"\\]|\\.)*"|<.*>(?=\s\w+=|$)|[^\s"]+)', text, re.S)
    if not m:
        return None
    value = m.group(1)
    return value[1:-1] if value.startswith('"') else value


def label_fields(attrs: str) -> list:
    """The text fields of a node's label: a record's | parts, or an HTML table's cells."""
    label = _attr(attrs, "label") or ""
    if label.startswith("<"):
        return re.findall(r"<FONT[^>]*>(.*?)</FONT>", label)
    return [f.replace("\\|", "|") for f in re.split(r"(?<!\\)\|", label)]


def parse_dot(source: str) -> dict:
    """{'nodes': {id: attrs}, 'fields': {id: [label fields]}, 'edges': [(tail, head, attrs)],
    'clusters': {cluster name: (label, [node ids])}} from the DOT text the drawing makes."""
    nodes, edges, clusters = {}, [], {}
    stack = []                                     # the open subgraphs, innermost last
    statement = ""
    for line in source.splitlines():
        statement = (statement + "\n" + line) if statement else line
        if statement.count('"') % 2 or (statement.count("<") > statement.count(">")):
            continue                               # a label spanning several lines: read on
        text, statement = statement.strip(), ""
        if text.startswith("subgraph"):
            name = text.split()[1]
            stack.append(name)
            clusters.setdefault(name, ["", []])
        elif text == "{":
            stack.append(None)
        elif text == "}":
            if stack:
                stack.pop()
        elif (m := EDGE.match(text)):
            edges.append((m.group(1), m.group(2), m.group(3) or ""))
        elif (m := NODE.match(text)):
            nodes[m.group(1)] = m.group(2)
            for name in stack:
                if name is not None:
                    clusters[name][1].append(m.group(1))
        elif stack and stack[-1] is not None and "label=" in text:
            clusters[stack[-1]][0] = _attr(text, "label")
    return {"nodes": nodes, "fields": {n: label_fields(a) for n, a in nodes.items()}, "edges": edges,
            "clusters": {k: tuple(v) for k, v in clusters.items()}}


def nodes_named(dot: dict, name: str) -> list:
    """The ids of the nodes whose first label field is ``name``."""
    return [n for n, f in dot["fields"].items() if f and f[0] == name]


def node_named(dot: dict, name: str) -> str:
    """The id of the one node whose first label field is ``name``."""
    found = nodes_named(dot, name)
    assert len(found) == 1, f"expected one node named {name!r}, found {len(found)}"
    return found[0]


def grad_in_label(dot: dict, node: str) -> float | None:
    for field in dot["fields"][node]:
        m = GRAD.fullmatch(field)
        if m:
            return float(m.group(1))
    return None


# --- clusters --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("detail", ["ops", "cells"])
@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_one_cluster_per_time_step_holding_that_steps_tensors(cell, detail):
    T = 3
    net = unroll(cell, steps=T, hidden_size=2)
    dot = parse_dot(draw_graph(net.loss, detail=detail).source)
    steps = {name: c for name, c in dot["clusters"].items() if name.startswith("cluster_step")}
    assert sorted(label for label, _ in steps.values()) == [f"t = {t}" for t in range(1, T + 1)]
    for label, members in steps.values():
        t = int(label.split("= ")[1])
        names = {dot["fields"][n][0] for n in members if dot["fields"][n]}
        assert f"h_{t}" in names and f"x_{t}" in names
        assert not any(re.fullmatch(rf"[hc]_{s}", name) for s in range(T + 1) if s != t for name in names)


def test_untagged_code_draws_without_clusters():
    a = tg.tensor([1.0, 2.0], requires_grad=True, name="a")
    dot = parse_dot(draw_graph((a.tanh() * 3).sum()).source)
    assert dot["clusters"] == {}
    assert len(dot["nodes"]) == 8                 # a, 3, and tanh, mul, sum with their outputs


def test_layers_tag_their_steps_too():
    tg.manual_seed(0)
    rnn = tg.nn.LSTM(2, 3)
    out, _ = rnn(tg.randn(5, 1, 2))
    dot = parse_dot(draw_graph(out.sum(), detail="cells").source)
    assert sum(name.startswith("cluster_step") for name in dot["clusters"]) == 5


# --- what the nodes and edges say -------------------------------------------------------------------
def test_a_times_a_draws_two_edges_in_input_order():
    a = tg.tensor([1.0, -2.0], requires_grad=True, name="a")
    y = a * a
    dot = parse_dot(draw_graph(y).source)
    a_node, mul = node_named(dot, "a"), next(n for n, at in dot["nodes"].items() if _attr(at, "label") == "mul")
    edges = [attrs for tail, head, attrs in dot["edges"] if (tail, head) == (a_node, mul)]
    assert [_attr(e, "tooltip").split(":")[0] for e in edges] == ["a → mul (input 0)", "a → mul (input 1)"]


def test_ops_are_boxes_tensors_records_and_parameters_stand_out():
    net = unroll("rnn", steps=2, hidden_size=2)
    dot = parse_dot(draw_graph(net.loss).source)
    shapes = {_attr(a, "shape") for n, a in dot["nodes"].items() if _attr(a, "label") in ("linear", "tanh")}
    assert shapes == {"box"}
    weight = node_named(dot, "weight_hh")
    h2 = node_named(dot, "h_2")
    assert _attr(dot["nodes"][h2], "shape") == "Mrecord" and dot["fields"][h2][1] == "(2,)"
    assert _attr(dot["nodes"][weight], "shape") == "record"
    assert "parameter (2, 2)" in dot["fields"][weight]
    assert _attr(dot["nodes"][weight], "fillcolor") != _attr(dot["nodes"][h2], "fillcolor")


def test_shared_weight_drawn_once_with_an_edge_to_each_step_that_reads_it():
    T = 3
    net = unroll("rnn", steps=T, hidden_size=2)
    dot = parse_dot(draw_graph(net.loss).source)
    clusters_of = {n: name for name, (_, members) in dot["clusters"].items() for n in members}
    for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
        node = node_named(dot, name)                                  # once, in the parameters' own cluster
        assert clusters_of[node] == "cluster_shared"
        readers = [head for tail, head, _ in dot["edges"] if tail == node]
        assert sorted(clusters_of[r] for r in readers) == [f"cluster_step_{t}" for t in range(1, T + 1)]
    assert dot["clusters"]["cluster_shared"][0] == "parameters, shared by all steps"
    legend = _attr(parse_dot_graph_attrs(draw_graph(net.loss).source), "label")
    assert "each parameter is drawn once" in legend


def test_every_op_steps_are_ordered_left_to_right_by_invisible_edges():
    """Every node of step t that no node of its own step feeds (x_t, the reader of h_(t-1)) gets an
    invisible edge from the nodes of step t-1 that end it, so no step starts left of the one before."""
    T = 3
    net = unroll("rnn", steps=T, hidden_size=2)
    dot = parse_dot(draw_graph(net.loss).source)
    clusters_of = {n: name for name, (_, members) in dot["clusters"].items() for n in members}
    invisible = [(t, h) for t, h, a in dot["edges"] if _attr(a, "style") == "invis"]
    for t in range(2, T + 1):
        x = node_named(dot, f"x_{t}")
        assert any(head == x and clusters_of[tail] == f"cluster_step_{t - 1}" for tail, head in invisible)
    assert 'newrank=true' in draw_graph(net.loss).source


@pytest.mark.parametrize("detail", ["ops", "cells"])
@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_gradient_norms_in_labels_equal_those_of_backward(cell, detail):
    """Draw with analysis.all_gradients; compare with an ordinary backward() on a twin net."""
    net = unroll(cell, steps=4, hidden_size=3, seed=7)
    dot = parse_dot(draw_graph(net.loss, detail=detail, grads=all_gradients(net.loss)).source)

    twin = unroll(cell, steps=4, hidden_size=3, seed=7)
    for h in twin.hidden[1:]:
        h.retain_grad()
    twin.loss.backward()
    for t, h in enumerate(twin.hidden):
        shown = grad_in_label(dot, node_named(dot, f"h_{t}"))
        assert shown == pytest.approx(np.linalg.norm(h.grad), rel=5e-3), f"h_{t}"
    if detail == "ops":                                                # the one node: the total
        shown = grad_in_label(dot, node_named(dot, "weight_hh"))
        assert shown == pytest.approx(np.linalg.norm(twin.params["weight_hh"].grad), rel=5e-3)


def test_after_backward_the_drawing_reads_dot_grad():
    net = unroll("rnn", steps=3, hidden_size=2)
    net.hidden[2].retain_grad()
    net.loss.backward()
    dot = parse_dot(draw_graph(net.loss).source)
    assert grad_in_label(dot, node_named(dot, "h_2")) == pytest.approx(np.linalg.norm(net.hidden[2].grad), rel=5e-3)
    assert grad_in_label(dot, node_named(dot, "h_1")) is None                 # not retained: unknown
    assert grad_in_label(dot, node_named(dot, "h_0")) == pytest.approx(np.linalg.norm(net.hidden[0].grad), rel=5e-3)
    legend = _attr(parse_dot_graph_attrs(draw_graph(net.loss).source), "label")
    assert "retain_graph=True" in legend                                       # Jacobians need the graph


def parse_dot_graph_attrs(source: str) -> str:
    return next(line for line in source.splitlines() if line.strip().startswith("bgcolor="))


def test_bigger_gradients_get_wider_edges_and_warmer_colours():
    scale = GradientScale(1e-4, 1e2)
    norms = [1e-5, 1e-4, 1e-3, 1e-1, 1.0, 10.0, 1e2, 1e3]
    widths = [scale.edge_width(n) for n in norms]
    assert widths == sorted(widths) and widths[0] == widths[1] and widths[-1] == widths[-2]
    # equal steps on a log scale: 1e-3 -> 1e-1 is as far as 1e-1 -> 10
    assert scale.position(1e-1) - scale.position(1e-3) == pytest.approx(scale.position(10) - scale.position(1e-1))
    red = int(scale.colour(1e3)[1:3], 16), int(scale.colour(1e3)[5:7], 16)
    assert red[0] > red[1]                                                     # exploding: red beats blue
    faded = scale.colour(1e-6)
    assert len({faded[1:3], faded[3:5], faded[5:7]}) == 1                      # vanishing: grey


def test_edges_carry_the_colour_of_their_gradient():
    net = unroll("rnn", steps=6, hidden_size=3, nonlinearity="linear", init="orthogonal", scale=2.0)
    grads = all_gradients(net.loss)
    dot = parse_dot(draw_graph(net.loss, detail="cells", grads=grads).source)
    into = {head: attrs for tail, head, attrs in dot["edges"]}
    widths = [float(_attr(into[node_named(dot, f"h_{t}")], "penwidth")) for t in range(1, 7)]
    assert widths == sorted(widths, reverse=True)        # gradients grow going back: 2^d


# --- recurrent edges ----------------------------------------------------------------------------------
def test_recurrent_edge_labelled_with_jacobian_singular_value_and_running_norm():
    T = 4
    net = unroll("rnn", steps=T, hidden_size=3, seed=3)
    W = net.params["weight_hh"].data
    hs = [h.data for h in net.hidden]
    dot = parse_dot(draw_graph(net.loss, detail="cells").source)
    product = np.eye(3)
    for t in range(T, 0, -1):                        # independent: diag(1 - h_t^2) W_hh, multiplied up by hand
        J = np.diag(1 - hs[t] ** 2) @ W
        product = product @ J
        edge = next(a for tail, head, a in dot["edges"]
                    if (tail, head) == (node_named(dot, f"h_{t - 1}"), node_named(dot, f"h_{t}")))
        label = _attr(edge, "label")
        sigma = float(re.search(rf"σ₁\(∂h_{t}/∂h_{t - 1}\) = (\S+)", label).group(1))
        assert sigma == pytest.approx(np.linalg.svd(J, compute_uv=False)[0], rel=5e-3)
        if t < T:
            running = float(re.search(rf"‖∂h_{T}/∂h_{t - 1}‖ = (\S+)", label).group(1))
            assert running == pytest.approx(np.linalg.norm(product, 2), rel=5e-3)


def test_lstm_cell_path_is_a_double_line_with_the_forget_gate_in_the_cell_node():
    net = unroll("lstm", steps=3, hidden_size=3, seed=5)
    H = 3
    W_ih, W_hh = net.params["weight_ih"].data, net.params["weight_hh"].data
    b = net.params["bias_ih"].data + net.params["bias_hh"].data
    dot = parse_dot(draw_graph(net.loss, detail="cells").source)
    for t in range(1, 4):
        a = net.inputs[t - 1].data @ W_ih.T + net.hidden[t - 1].data @ W_hh.T + b   # independent gates
        f = 1 / (1 + np.exp(-a[H:2 * H]))                                           # PyTorch order i, f, g, o
        edge = next(at for tail, head, at in dot["edges"]
                    if (tail, head) == (node_named(dot, f"c_{t - 1}"), node_named(dot, f"c_{t}")))
        colour = _attr(edge, "color")
        assert colour.count(":") == 2 and ":invis:" in colour                      # two parallel lines
        assert _attr(edge, "label") is None                 # no label between the columns, where h -> c edges run
        text = "\n".join(dot["fields"][node_named(dot, f"c_{t}")])
        m = re.search(rf"c_{t - 1} × f_{t}: mean (\S+)\nmin (\S+), max (\S+)", text)
        assert [float(v) for v in m.groups()] == pytest.approx([f.mean(), f.min(), f.max()], rel=5e-3)


def test_lstm_ops_view_marks_the_additive_path():
    net = unroll("lstm", steps=2, hidden_size=2)
    dot = parse_dot(draw_graph(net.loss).source)
    doubled = [(t, h) for t, h, a in dot["edges"] if ":invis:" in (_attr(a, "color") or "")]
    assert len(doubled) == 2 * 4                            # c_(t-1) -> mul -> u -> add -> c_t, per step
    assert node_named(dot, "c_1") in {tail for tail, _ in doubled}        # c_1 leaves along the path ...
    assert node_named(dot, "c_2") in {head for _, head in doubled}        # ... and c_2 is where it arrives


def _gru_update_gates(net):
    """z_t computed here from the equations (PyTorch's gate order r, z, n), independent of the drawing."""
    H = net.hidden[0].shape[-1]
    W_ih, W_hh = net.params["weight_ih"].data, net.params["weight_hh"].data
    b_ih, b_hh = net.params["bias_ih"].data, net.params["bias_hh"].data
    gates = []
    for t in range(1, len(net.hidden)):
        a = net.inputs[t - 1].data @ W_ih.T + b_ih + net.hidden[t - 1].data @ W_hh.T + b_hh
        gates.append(1 / (1 + np.exp(-a[H:2 * H])))
    return gates


@pytest.mark.parametrize("fused", [False, True], ids=["every-op", "one-node GRUStep"])
def test_gru_cells_view_marks_the_additive_path_with_the_update_gate(fused):
    """The composed cell shows z_t as a mul's input; the one-node step hands it over (``carried_gate``)."""
    T = 3
    net = unroll("gru", steps=T, hidden_size=3, seed=4, fused=fused)
    dot = parse_dot(draw_graph(net.loss, detail="cells").source)
    for t, z in enumerate(_gru_update_gates(net), start=1):
        pair = (node_named(dot, f"h_{t - 1}"), node_named(dot, f"h_{t}"))
        edges = [a for tail, head, a in dot["edges"] if (tail, head) == pair]
        doubled = [a for a in edges if ":invis:" in (_attr(a, "color") or "")]
        assert len(edges) == 2 and len(doubled) == 1      # z_t ⊙ h_(t-1), and the whole Jacobian beside it
        assert "σ₁" in _attr(next(a for a in edges if a not in doubled), "label")
        text = "\n".join(dot["fields"][pair[1]])
        m = re.search(rf"h_{t - 1} × z_{t}: mean (\S+)\nmin (\S+), max (\S+)", text)
        assert [float(v) for v in m.groups()] == pytest.approx([z.mean(), z.min(), z.max()], rel=5e-3)
    legend = _attr(parse_dot_graph_attrs(draw_graph(net.loss, detail="cells").source), "label")
    assert "GRU's additive path" in legend and "LSTM cell path" not in legend


def test_gru_ops_view_draws_z_times_h_as_a_double_line_labelled_with_z():
    net = unroll("gru", steps=2, hidden_size=2, seed=4)
    dot = parse_dot(draw_graph(net.loss).source)
    doubled = [(t, h, a) for t, h, a in dot["edges"] if ":invis:" in (_attr(a, "color") or "")]
    assert len(doubled) == 2 * 4                            # h_(t-1) -> mul -> u -> add -> h_t, per step
    z = _gru_update_gates(net)
    for t in (1, 2):
        first = next(a for tail, _, a in doubled if tail == node_named(dot, f"h_{t - 1}"))
        mean = float(re.search(rf"× z_{t}: mean (\S+)", _attr(first, "label")).group(1))
        assert mean == pytest.approx(z[t - 1].mean(), rel=5e-3)
    # the plain RNN has no additive path: nothing doubled
    rnn = unroll("rnn", steps=2, hidden_size=2)
    assert not any(":invis:" in (_attr(a, "color") or "") for *_, a in parse_dot(draw_graph(rnn.loss).source)["edges"])


@pytest.mark.parametrize("detail", ["ops", "rolled"])
def test_gru_additive_path_in_every_view(detail):
    net = unroll("gru", steps=3, hidden_size=2)
    source = draw_graph(net.loss, detail=detail).source
    assert ":invis:" in source and "z_" in source and "GRU's additive path" in source


# --- truncation ---------------------------------------------------------------------------------------
def _cut_edges(dot):
    return [(t, h, a) for t, h, a in dot["edges"] if _attr(a, "style") == "dashed"]


@pytest.mark.parametrize("detail", ["ops", "cells"])
def test_cut_edge_drawn_exactly_where_the_graph_was_cut(detail):
    net = unroll("rnn", steps=5, hidden_size=2, cut_at=3)
    dot = parse_dot(draw_graph(net.loss, detail=detail, grads=all_gradients(net.loss)).source)
    cuts = _cut_edges(dot)
    assert len(cuts) == 1
    tail, head, attrs = cuts[0]
    assert dot["fields"][tail][0] == "h_3" and "detach()" not in dot["fields"][tail]
    if detail == "ops":
        assert dot["fields"][head][:2] == ["h_3", "detach()"]          # the detached copy
    else:
        assert dot["fields"][head][0] == "h_4"
    assert "detach()" in _attr(attrs, "label")
    # no gradient reaches the steps before the cut; the steps after it have one
    assert grad_in_label(dot, tail) is None and grad_in_label(dot, node_named(dot, "h_1")) is None
    assert grad_in_label(dot, node_named(dot, "h_4")) is not None


@pytest.mark.parametrize("detail", ["ops", "cells"])
def test_the_cut_off_part_draws_its_labels_faded_too(detail):
    net = unroll("rnn", steps=5, hidden_size=2, cut_at=3)
    dot = parse_dot(draw_graph(net.loss, detail=detail, grads=all_gradients(net.loss)).source)
    labelled = [(h, a) for t, h, a in dot["edges"] if "σ₁" in (_attr(a, "label") or "")]
    faded_colour = tg.viz.style.FADED_STYLE["fontcolor"]                              # a faded node's text
    by_step = {}
    for head, attrs in labelled:
        t = int(re.search(r"σ₁\(∂h_(\d+)", _attr(attrs, "label")).group(1))
        by_step[t] = _attr(attrs, "fontcolor")
    assert {by_step[t] for t in (1, 2, 3)} == {faded_colour}                          # before the cut
    assert by_step[5] != faded_colour                                                 # after it


def test_no_cut_edge_without_a_cut():
    net = unroll("rnn", steps=5, hidden_size=2)
    for detail in ("ops", "cells"):
        assert _cut_edges(parse_dot(draw_graph(net.loss, detail=detail).source)) == []


def test_a_detached_tensor_whose_origin_is_gone_is_drawn_as_a_plain_leaf():
    W = tg.tensor(np.eye(2) * 0.5, requires_grad=True, name="W")
    h = (tg.ones(2) @ W).tanh()
    h.name = "h_1"
    h = h.detach()                               # nothing else holds the old h_1: its weak reference dies
    loss = (h @ W).sum()
    dot = parse_dot(draw_graph(loss).source)
    assert _cut_edges(dot) == []
    assert dot["fields"][node_named(dot, "h_1")][:2] == ["h_1", "detach()"]


# --- rolled view ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_rolled_view_is_one_cell_with_a_loop_marked_times_T(cell):
    T = 5
    net = unroll(cell, steps=T, hidden_size=2)
    dot = parse_dot(draw_graph(net.loss, detail="rolled", grads=all_gradients(net.loss)).source)
    assert len(dot["clusters"]) == 1
    names = {f[0] for f in dot["fields"].values() if f}
    assert "h_t" in names and not any(re.fullmatch(r"h_\d+", n) for n in names)
    loops = [a for t, h, a in dot["edges"] if "×T" in (_attr(a, "label") or "")]
    assert len(loops) == (2 if cell == "lstm" else 1)
    assert all("next step" in _attr(a, "tooltip") for a in loops)
    legend = parse_dot_graph_attrs(draw_graph(net.loss, detail="rolled").source)
    assert legend.count(f"next step: ×T, T = {T}") == (2 if cell == "lstm" else 1)   # the loops' numbers


def test_rolled_view_gives_each_weight_edge_its_gradients_colour():
    """Grey means "no gradient": the weights' edges carry the colour of their gradient (all T steps)."""
    net = unroll("rnn", steps=5, hidden_size=3)
    grads = all_gradients(net.loss)
    dot = parse_dot(draw_graph(net.loss, detail="rolled", grads=grads).source)
    scale = GradientScale()
    grey = tg.viz.style.EDGE_STYLE["color"]
    for name in ("weight_hh", "weight_ih"):
        node = node_named(dot, name)
        edges = [a for tail, _, a in dot["edges"] if tail == node]
        norm = float(np.linalg.norm(grads[net.params[name]]))
        assert norm > 1e-3 and edges
        assert all(_attr(a, "color") == scale.colour(norm) != grey for a in edges)
    x = node_named(dot, "x_t")                                     # x gets no gradient: its edge stays grey
    assert all(_attr(a, "color") == grey for tail, _, a in dot["edges"] if tail == x)


def test_rolled_view_needs_a_recurrence():
    a = tg.tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match="h_1, h_2"):
        draw_graph((a * 2).sum(), detail="rolled")


def test_unknown_detail_is_rejected():
    with pytest.raises(ValueError, match="ops, cells, rolled"):
        draw_graph(tg.tensor([1.0], requires_grad=True).sum(), detail="everything")


# --- drawing only reads -----------------------------------------------------------------------------
def _snapshot(net):
    from tinygrad_rnn.core.backward import topological_order
    tensors = topological_order(net.loss) + net.inputs
    return [(t, t._ctx, None if t._ctx is None else t._ctx.parents,
             None if t._ctx is None else t._ctx.saved,
             None if t._ctx is None or t._ctx.saved is None else [np.array(s) for s in t._ctx.saved],
             None if t.grad is None else t.grad.copy(), t.data.copy(), t._retains_grad, t.requires_grad)
            for t in tensors]


def _assert_same(before):
    for t, ctx, parents, saved, saved_values, grad, data, retains, requires in before:
        assert t._ctx is ctx
        if ctx is not None:
            assert ctx.parents is parents and ctx.saved is saved
            if saved is not None:
                for a, b in zip(saved, saved_values):
                    np.testing.assert_array_equal(a, b)
        assert (t.grad is None) == (grad is None)
        if grad is not None:
            np.testing.assert_array_equal(t.grad, grad)
        np.testing.assert_array_equal(t.data, data)
        assert t._retains_grad == retains and t.requires_grad == requires


@pytest.mark.parametrize("after_backward", [False, True])
@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_drawing_leaves_grads_and_links_untouched(cell, after_backward):
    net = unroll(cell, steps=3, hidden_size=2, cut_at=1)
    if after_backward:
        net.loss.backward(retain_graph=True)
    before = _snapshot(net)
    for detail in ("ops", "cells", "rolled"):
        draw_graph(net.loss, detail=detail)
        draw_graph(net.loss, detail=detail, grads=all_gradients(net.loss))
    _assert_same(before)
    net.loss.backward()                                   # the graph still works afterwards
