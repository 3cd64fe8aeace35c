"""The sequence layers' fast path (``fused=True``: one node per step, steps.py) against the path
built from the cells' own ops (``fused=False``): same outputs and gradients, and still a graph
with one node per cell that can be drawn and analysed step by step."""
import numpy as np
import pytest

import tinygrad_rnn as tg
from tinygrad_rnn import nn
from tinygrad_rnn.autograd import gradcheck
from tinygrad_rnn.nn.steps import GRUStep, LSTMStep, RNNStep
from tinygrad_rnn.viz import draw_graph

LAYERS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


def both_paths(cls, x, hx=None, dtype=np.float64, seed=1, **kwargs):
    """Run the fused and the composed layer with the same weights on ``x``; return, for each, the
    outputs and the gradients of a loss that uses every output (input, initial state, parameters)."""
    results = []
    for fused in (True, False):
        layer = cls(4, 3, dtype=dtype, generator=np.random.default_rng(seed), fused=fused, **kwargs)
        x_t = tg.tensor(x, requires_grad=True, dtype=dtype)
        leaves = [x_t]
        if hx is None:
            out, final = layer(x_t)
        else:
            states = tuple(tg.tensor(s, requires_grad=True, dtype=dtype) for s in hx)
            leaves += list(states)
            out, final = layer(x_t, states if cls is nn.LSTM else states[0])
        finals = final if isinstance(final, tuple) else (final,)
        loss = (out * out).sum() + sum((f * f * f).sum() for f in finals)
        loss.backward()
        results.append([out.data] + [f.data for f in finals] + [t.grad for t in leaves]
                       + [p.grad for p in layer.parameters()])
    return results


@pytest.mark.parametrize("name", LAYERS)
@pytest.mark.parametrize("num_layers, batch, batch_first, bias, give_state", [
    (1, 3, False, True, False), (2, 3, False, True, True), (2, 2, True, True, True),
    (1, None, False, True, True), (3, 2, False, False, False), (2, None, False, False, True)])
def test_fused_equals_composed_in_float64(name, num_layers, batch, batch_first, bias, give_state):
    cls, rng = LAYERS[name], np.random.default_rng(7)
    T = 5
    shape = (T, 4) if batch is None else ((batch, T, 4) if batch_first else (T, batch, 4))
    hx = None
    if give_state:
        state_shape = (num_layers, 3) if batch is None else (num_layers, batch, 3)
        hx = [rng.standard_normal(state_shape) for _ in range(2 if cls is nn.LSTM else 1)]
    fused, composed = both_paths(cls, rng.standard_normal(shape), hx, num_layers=num_layers, bias=bias,
                                 batch_first=batch_first)
    assert len(fused) == len(composed)
    for a, b in zip(fused, composed):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", LAYERS)
def test_fused_equals_composed_in_float32_to_1e_6(name):
    rng = np.random.default_rng(3)
    fused, composed = both_paths(LAYERS[name], rng.standard_normal((30, 8, 4)).astype(np.float32),
                                 dtype=np.float32, num_layers=2)
    for a, b in zip(fused, composed):
        assert a.dtype == b.dtype == np.float32
        # a weight's gradient sums 30 * 8 float32 terms, in another order on each path: the
        # difference scales with the largest entry (a few float32 eps of it), not with each entry
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6 * max(1.0, np.abs(b).max()))


def test_relu_rnn_fused_equals_composed():
    x = np.random.default_rng(4).standard_normal((6, 2, 4))
    fused, composed = both_paths(nn.RNN, x, nonlinearity="relu", num_layers=2)
    for a, b in zip(fused, composed):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("step, n_state, G", [(RNNStep, 1, 1), (LSTMStep, 2, 4), (GRUStep, 1, 3)])
@pytest.mark.parametrize("bias", [True, False])
def test_each_step_node_passes_gradcheck(step, n_state, G, bias):
    """The hand-written backward of one step against central differences, for every input."""
    rng, B, H = np.random.default_rng(11), 2, 3
    leaf = lambda *shape: tg.tensor(rng.standard_normal(shape) * 0.7, requires_grad=True)
    inputs = [leaf(B, G * H)] + [leaf(B, H) for _ in range(n_state)] + [leaf(G * H, H)]
    if bias:
        inputs.append(leaf(G * H))

    def every_output_counts(*xs):
        outs = step.apply(*xs)
        outs = outs if isinstance(outs, tuple) else (outs,)
        return sum((o * o * (k + 1)).sum() for k, o in enumerate(outs))
    assert gradcheck(every_output_counts, inputs)


def test_lstm_step_with_only_c_used_downstream():
    """When nothing flows back to h_t (only c_t is used), the step still gives the right gradients."""
    rng = np.random.default_rng(2)
    leaves = [tg.tensor(rng.standard_normal(s), requires_grad=True) for s in [(2, 8), (2, 2), (2, 2), (8, 2)]]
    assert gradcheck(lambda *xs: (LSTMStep.apply(*xs)[1] ** 2).sum(), leaves)
    assert gradcheck(lambda *xs: (LSTMStep.apply(*xs)[0] ** 2).sum(), leaves)


def test_backward_twice_with_retain_graph_doubles_the_gradients():
    """The step nodes read their saved arrays without changing them, so a retained graph can be reused."""
    layer = nn.LSTM(3, 4, num_layers=2, dtype=np.float64, generator=np.random.default_rng(0))
    out, _ = layer(tg.tensor(np.random.default_rng(1).standard_normal((5, 2, 3))))
    loss = (out * out).sum()
    loss.backward(retain_graph=True)
    first = [p.grad.copy() for p in layer.parameters()]
    loss.backward()
    for p, g in zip(layer.parameters(), first):
        np.testing.assert_allclose(p.grad, 2 * g, rtol=1e-12)


def test_the_fused_graph_is_drawn_one_node_per_cell():
    lstm = nn.LSTM(2, 3)
    out, (h_n, c_n) = lstm(tg.randn(4, 1, 2))
    source = draw_graph(out.sum() + c_n.sum()).source
    assert source.count("label=lstm_step") == 4                     # one node per time step
    for t in range(1, 5):
        assert f"h_{t}" in source and f"c_{t}" in source            # the states are tensors, by name
    assert "label=linear" in source and "label=unbind" in source    # the input projection of all steps


def test_last_states_are_the_graphs_tensors_and_take_retain_grad():
    """dL/dh_t read off the fused layer's states equals the composed layer's."""
    grads = []
    for fused in (True, False):
        rnn = nn.RNN(2, 3, dtype=np.float64, generator=np.random.default_rng(5), fused=fused)
        out, _ = rnn(tg.tensor(np.random.default_rng(6).standard_normal((6, 2))))
        for h in rnn.last_states[0]:
            h.retain_grad()
        out[-1].sum().backward()
        grads.append([h.grad for h in rnn.last_states[0]])
    for a, b in zip(*grads):
        np.testing.assert_allclose(a, b, rtol=1e-12)


@pytest.mark.parametrize("name", LAYERS)
def test_weight_hh_gradient_when_only_some_steps_matter(name):
    """The fused layers' W_hh gradient travels on the graph's edges, one term per step that got a
    gradient. With a loss on step 3 of 6 only, and with two backward passes over a retained graph, it
    equals the composed path's sum of per-step products, by backward() and by autograd.grad."""
    grads = []
    for fused in (True, False):
        layer = LAYERS[name](2, 3, dtype=np.float64, generator=np.random.default_rng(8), fused=fused)
        out, _ = layer(tg.tensor(np.random.default_rng(9).standard_normal((6, 2, 2))))
        loss = (out[2] ** 2).sum()
        (by_grad,) = tg.autograd.grad(loss, [layer.weight_hh_l0], retain_graph=True)
        loss.backward(retain_graph=True)
        first = layer.weight_hh_l0.grad.copy()
        loss.backward()
        grads.append((first, layer.weight_hh_l0.grad, by_grad.data))
    (f1, f2, fg), (c1, c2, cg) = grads
    np.testing.assert_allclose(f1, c1, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(f2, 2 * c1, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(fg, cg, rtol=1e-10, atol=1e-14)
    assert np.abs(f1).max() > 0


def test_a_frozen_weight_hh_gets_no_gradient():
    lstm = nn.LSTM(2, 3)
    lstm.weight_hh_l0.requires_grad_(False)
    out, _ = lstm(tg.randn(4, 1, 2))
    out.sum().backward()
    assert lstm.weight_hh_l0.grad is None and lstm.weight_ih_l0.grad is not None


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_sequence_model_one_node_step_equals_every_op(kind):
    """train.SequenceModel: forward with one node per step (the default) and with every op a node,
    and step() called T times, give the same outputs and gradients (float64, to 1e-10)."""
    from tinygrad_rnn.train import SequenceModel
    x = np.random.default_rng(5).standard_normal((7, 3, 4))
    results = []
    for fused, by_step in ((True, False), (False, False), (True, True), (False, True)):
        model = SequenceModel(kind, 4, 5, 2, fused=fused, dtype=np.float64, generator=np.random.default_rng(6))
        xt = tg.tensor(x, requires_grad=True)
        if by_step:
            state, outs = None, []
            for x_t in xt.unbind(0):
                y, state = model.step(x_t, state)
                outs.append(y)
            out = tg.stack(outs)
        else:
            out, state = model(xt)
        finals = state if isinstance(state, tuple) else (state,)
        ((out * out).sum() + sum((f ** 3).sum() for f in finals)).backward()
        results.append([out.data] + [f.data for f in finals] + [xt.grad] + [p.grad for p in model.parameters()])
        assert [f.name for f in finals] == [f"{n}_7" for n in ("h", "c")[:len(finals)]]
    for other in results[1:]:
        for a, b in zip(results[0], other):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_anomaly_mode_sees_the_weight_hh_gradient_of_a_one_node_step(monkeypatch):
    """W_hh's gradient travels on the graph's edges like any other, so anomaly mode checks it: a NaN
    in it is reported at the step node that made it."""
    from tinygrad_rnn.nn import steps
    honest = steps._Step._weight_grads

    def broken(self, dgates, h):
        grad_w, grad_b = honest(self, dgates, h)
        return (None if grad_w is None else grad_w * np.nan), grad_b
    monkeypatch.setattr(steps._Step, "_weight_grads", broken)
    lstm = nn.LSTM(2, 3, dtype=np.float64)
    out, _ = lstm(tg.tensor(np.random.default_rng(1).standard_normal((4, 1, 2))))
    with pytest.raises(RuntimeError, match="lstm_step"):
        with tg.autograd.detect_anomaly():
            out[-1].sum().backward()
