"""RNNCell, LSTMCell, GRUCell without PyTorch: parameter names/shapes/init, repr, the equations
against a NumPy transcription of them, gate order, unbatched inputs, errors, node names, and
gradients against central differences. (PyTorch parity is in test_nn_torch_parity.py.)"""
import numpy as np
import pytest

import tinygrad_rnn as tg
from tinygrad_rnn import nn
from tinygrad_rnn.autograd import gradcheck
from tinygrad_rnn.core import ops
from tinygrad_rnn.core.backward import reachable

CELLS = [(nn.RNNCell, 1), (nn.LSTMCell, 4), (nn.GRUCell, 3)]


# --- NumPy transcriptions of the equations (independent of the library) ------------------------

def sigmoid(a):
    return 1 / (1 + np.exp(-a))


def np_rnn(x, h, W_ih, W_hh, b_ih, b_hh, act=np.tanh):
    return act(x @ W_ih.T + b_ih + h @ W_hh.T + b_hh)


def np_lstm(x, h, c, W_ih, W_hh, b_ih, b_hh):
    H = h.shape[-1]
    pre = x @ W_ih.T + b_ih + h @ W_hh.T + b_hh
    i, f, g, o = (pre[..., k * H:(k + 1) * H] for k in range(4))
    c_new = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
    return sigmoid(o) * np.tanh(c_new), c_new


def np_gru(x, h, W_ih, W_hh, b_ih, b_hh):
    H = h.shape[-1]
    W_ir, W_iz, W_in = W_ih[:H], W_ih[H:2 * H], W_ih[2 * H:]
    W_hr, W_hz, W_hn = W_hh[:H], W_hh[H:2 * H], W_hh[2 * H:]
    b_ir, b_iz, b_in = b_ih[:H], b_ih[H:2 * H], b_ih[2 * H:]
    b_hr, b_hz, b_hn = b_hh[:H], b_hh[H:2 * H], b_hh[2 * H:]
    r = sigmoid(x @ W_ir.T + b_ir + h @ W_hr.T + b_hr)
    z = sigmoid(x @ W_iz.T + b_iz + h @ W_hz.T + b_hz)
    n = np.tanh(x @ W_in.T + b_in + r * (h @ W_hn.T + b_hn))
    return (1 - z) * n + z * h


def params(cell):
    return [p.data for p in (cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh)]


# --- parameters, init, repr ---------------------------------------------------------------------

@pytest.mark.parametrize("cls, G", CELLS)
def test_parameter_names_and_shapes(cls, G):
    cell = cls(3, 5)
    shapes = {name: p.shape for name, p in cell.named_parameters()}
    assert list(shapes) == ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]
    assert shapes == {"weight_ih": (G * 5, 3), "weight_hh": (G * 5, 5), "bias_ih": (G * 5,), "bias_hh": (G * 5,)}
    assert list(cell.state_dict()) == list(shapes)
    assert all(p.requires_grad and p.dtype == np.float32 for p in cell.parameters())
    assert cell.input_size == 3 and cell.hidden_size == 5


@pytest.mark.parametrize("cls, G", CELLS)
def test_no_bias(cls, G):
    cell = cls(3, 5, bias=False)
    assert list(cell.state_dict()) == ["weight_ih", "weight_hh"]
    assert cell.bias_ih is None and cell.bias_hh is None
    out = cell(tg.randn(2, 3))
    assert (out[0] if isinstance(out, tuple) else out).shape == (2, 5)


@pytest.mark.parametrize("cls, G", CELLS)
def test_init_is_uniform_within_one_over_sqrt_hidden(cls, G):
    H = 16
    cell = cls(40, H, generator=np.random.default_rng(0))
    bound = 1 / np.sqrt(H)
    for name, p in cell.named_parameters():
        assert np.all(np.abs(p.data) <= bound), name
    w = cell.weight_ih.data
    assert w.max() > 0.9 * bound and w.min() < -0.9 * bound       # spread over the whole range
    assert abs(w.mean()) < 0.1 * bound                              # centred
    assert np.isclose(w.std(), bound / np.sqrt(3), rtol=0.1)        # std of U(-b, b)


@pytest.mark.parametrize("cls, G", CELLS)
def test_manual_seed_and_generator_make_init_repeatable(cls, G):
    tg.manual_seed(7)
    a = cls(3, 4)
    tg.manual_seed(7)
    b = cls(3, 4)
    for (_, pa), (_, pb) in zip(a.named_parameters(), b.named_parameters()):
        np.testing.assert_array_equal(pa.data, pb.data)
    c = cls(3, 4, generator=np.random.default_rng(1))
    d = cls(3, 4, generator=np.random.default_rng(1))
    np.testing.assert_array_equal(c.weight_hh.data, d.weight_hh.data)
    assert not np.array_equal(a.weight_hh.data, c.weight_hh.data)


def test_explicit_generator_leaves_global_one_alone():
    tg.manual_seed(3)
    expected = tg.randn(4).data
    tg.manual_seed(3)
    nn.LSTMCell(5, 6, generator=np.random.default_rng(0))
    np.testing.assert_array_equal(tg.randn(4).data, expected)


@pytest.mark.parametrize("cls, G", CELLS)
def test_dtype_float64(cls, G):
    cell = cls(3, 4, dtype=np.float64)
    assert all(p.dtype == np.float64 for p in cell.parameters())
    out = cell(tg.tensor(np.ones((2, 3))))
    assert (out[0] if isinstance(out, tuple) else out).dtype == np.float64
    with pytest.raises(TypeError, match="floating"):
        cls(3, 4, dtype=np.int64)


def test_repr_reads_like_pytorch():
    assert repr(nn.LSTMCell(10, 20)) == "LSTMCell(10, 20)"
    assert repr(nn.RNNCell(3, 4, nonlinearity="relu")) == "RNNCell(3, 4, nonlinearity=relu)"
    assert repr(nn.RNNCell(3, 4)) == "RNNCell(3, 4)"
    assert repr(nn.GRUCell(10, 20, bias=False)) == "GRUCell(10, 20, bias=False)"


# --- the equations -----------------------------------------------------------------------------

def test_rnn_cell_matches_equation(rng):
    for nonlinearity, act in (("tanh", np.tanh), ("relu", lambda a: np.maximum(a, 0))):
        cell = nn.RNNCell(3, 5, nonlinearity=nonlinearity, dtype=np.float64)
        x, h = rng.standard_normal((4, 3)), rng.standard_normal((4, 5))
        out = cell(tg.tensor(x), tg.tensor(h))
        np.testing.assert_allclose(out.data, np_rnn(x, h, *params(cell), act=act), rtol=1e-12, atol=1e-14)


def test_lstm_cell_matches_equation(rng):
    cell = nn.LSTMCell(3, 5, dtype=np.float64)
    x, h, c = rng.standard_normal((4, 3)), rng.standard_normal((4, 5)), rng.standard_normal((4, 5))
    h_new, c_new = cell(tg.tensor(x), (tg.tensor(h), tg.tensor(c)))
    h_ref, c_ref = np_lstm(x, h, c, *params(cell))
    np.testing.assert_allclose(h_new.data, h_ref, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(c_new.data, c_ref, rtol=1e-12, atol=1e-14)


def test_gru_cell_matches_equation(rng):
    cell = nn.GRUCell(3, 5, dtype=np.float64)
    x, h = rng.standard_normal((4, 3)), rng.standard_normal((4, 5))
    np.testing.assert_allclose(cell(tg.tensor(x), tg.tensor(h)).data, np_gru(x, h, *params(cell)),
                               rtol=1e-12, atol=1e-14)


def _zero_weights(cell, H, bias_blocks):
    """All weights 0; bias_ih block k set to bias_blocks[k]."""
    for p in cell.parameters():
        p.data[...] = 0
    for k, value in enumerate(bias_blocks):
        cell.bias_ih.data[k * H:(k + 1) * H] = value


def test_lstm_gate_order_is_i_f_g_o(rng):
    H = 3
    cell = nn.LSTMCell(2, H, dtype=np.float64)
    x, h, c = rng.standard_normal((1, 2)), rng.standard_normal((1, H)), rng.standard_normal((1, H))
    big = 50.0
    # forget gate open (block 1), input gate shut (block 0): c' = c
    _zero_weights(cell, H, [-big, big, 0, 0])
    _, c_new = cell(tg.tensor(x), (tg.tensor(h), tg.tensor(c)))
    np.testing.assert_allclose(c_new.data, c, atol=1e-12)
    # input gate open, forget shut, candidate g = tanh(1) (block 2), output gate open (block 3)
    _zero_weights(cell, H, [big, -big, 1.0, big])
    h_new, c_new = cell(tg.tensor(x), (tg.tensor(h), tg.tensor(c)))
    np.testing.assert_allclose(c_new.data, np.full((1, H), np.tanh(1.0)), atol=1e-12)
    np.testing.assert_allclose(h_new.data, np.tanh(c_new.data), atol=1e-12)
    # output gate shut: h' = 0
    _zero_weights(cell, H, [big, -big, 1.0, -big])
    h_new, _ = cell(tg.tensor(x), (tg.tensor(h), tg.tensor(c)))
    np.testing.assert_allclose(h_new.data, 0, atol=1e-12)


def test_gru_gate_order_is_r_z_n(rng):
    H = 3
    cell = nn.GRUCell(2, H, dtype=np.float64)
    x, h = rng.standard_normal((1, 2)), rng.standard_normal((1, H))
    # update gate z (block 1) open: h' = h
    _zero_weights(cell, H, [0, 50.0, 0])
    np.testing.assert_allclose(cell(tg.tensor(x), tg.tensor(h)).data, h, atol=1e-12)
    # z shut: h' = n = tanh(b_in) (block 2) when the hidden part is zero
    _zero_weights(cell, H, [0, -50.0, 0.7])
    np.testing.assert_allclose(cell(tg.tensor(x), tg.tensor(h)).data, np.full((1, H), np.tanh(0.7)), atol=1e-12)
    # the reset gate (block 0) scales the hidden part of n only: with r = 0, b_hn has no effect
    _zero_weights(cell, H, [-50.0, -50.0, 0.0])
    cell.bias_hh.data[2 * H:] = 3.0
    np.testing.assert_allclose(cell(tg.tensor(x), tg.tensor(h)).data, 0, atol=1e-12)
    cell.bias_ih.data[:H] = 50.0      # r = 1: n = tanh(b_hn)
    np.testing.assert_allclose(cell(tg.tensor(x), tg.tensor(h)).data, np.full((1, H), np.tanh(3.0)), atol=1e-12)


@pytest.mark.parametrize("cls, G", CELLS)
def test_missing_state_means_zeros(cls, G, rng):
    cell = cls(3, 4, dtype=np.float64)
    x = tg.tensor(rng.standard_normal((2, 3)))
    zero = tg.zeros(2, 4, dtype=np.float64)
    if cls is nn.LSTMCell:
        for a, b in zip(cell(x), cell(x, (zero, zero))):
            np.testing.assert_array_equal(a.data, b.data)
    else:
        np.testing.assert_array_equal(cell(x).data, cell(x, zero).data)


@pytest.mark.parametrize("cls, G", CELLS)
def test_unbatched_input_gives_unbatched_output(cls, G, rng):
    cell = cls(3, 4, dtype=np.float64)
    x, h, c = rng.standard_normal(3), rng.standard_normal(4), rng.standard_normal(4)
    if cls is nn.LSTMCell:
        out = cell(tg.tensor(x), (tg.tensor(h), tg.tensor(c)))
        batched = cell(tg.tensor(x[None]), (tg.tensor(h[None]), tg.tensor(c[None])))
        assert [o.shape for o in out] == [(4,), (4,)]
        for a, b in zip(out, batched):
            np.testing.assert_allclose(a.data, b.data[0], rtol=1e-14)
        assert [o.shape for o in cell(tg.tensor(x))] == [(4,), (4,)]
    else:
        out = cell(tg.tensor(x), tg.tensor(h))
        assert out.shape == (4,)
        np.testing.assert_allclose(out.data, cell(tg.tensor(x[None]), tg.tensor(h[None])).data[0], rtol=1e-14)
        assert cell(tg.tensor(x)).shape == (4,)


# --- errors --------------------------------------------------------------------------------------

@pytest.mark.parametrize("cls, G", CELLS)
def test_wrong_input_size_is_a_clear_error(cls, G):
    cell = cls(3, 4)
    with pytest.raises(ValueError) as err:
        cell(tg.randn(2, 5))
    message = str(err.value)
    assert cls.__name__ in message and "(2, 5)" in message and "input_size is 3" in message and "Fix" in message
    with pytest.raises(ValueError, match=cls.__name__):
        cell(tg.randn(2, 2, 3))


@pytest.mark.parametrize("cls, G", CELLS)
def test_wrong_hidden_shape_is_a_clear_error(cls, G):
    cell = cls(3, 4)
    x = tg.randn(2, 3)
    bad = [tg.zeros(2, 5), tg.zeros(3, 4), tg.zeros(4)]     # wrong H, wrong batch, unbatched for batched x
    for h in bad:
        state = (h, tg.zeros(2, 4)) if cls is nn.LSTMCell else h
        with pytest.raises(ValueError) as err:
            cell(x, state)
        message = str(err.value)
        assert cls.__name__ in message and str(h.shape) in message and "(2, 4)" in message and "Fix" in message
    if cls is nn.LSTMCell:
        with pytest.raises(ValueError, match=r"c has shape \(2, 3\)"):
            cell(x, (tg.zeros(2, 4), tg.zeros(2, 3)))
        with pytest.raises(TypeError, match=r"tuple \(h, c\)"):
            cell(x, tg.zeros(2, 4))


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="nonlinearity"):
        nn.RNNCell(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="positive"):
        nn.LSTMCell(3, 0)


# --- the graph -----------------------------------------------------------------------------------

def test_lstm_intermediates_carry_the_lecture_names():
    cell = nn.LSTMCell(3, 4)
    h, c = cell(tg.randn(2, 3))              # from the cell's own zero state h_0, c_0: step 1
    assert (h.name, c.name) == ("h_1", "c_1")
    names = {t.name for t in reachable(h)}
    assert {"i_1", "f_1", "g_1", "o_1", "c_1", "h_1", "h_0", "c_0", "weight_ih", "weight_hh"} <= names


def test_gru_and_rnn_intermediates_carry_names():
    h = nn.GRUCell(3, 4)(tg.randn(2, 3))
    assert h.name == "h_1"
    assert {"r_1", "z_1", "n_1"} <= {t.name for t in reachable(h)}
    assert nn.RNNCell(3, 4)(tg.randn(2, 3)).name == "h_1"


@pytest.mark.parametrize("fused", [False, True])
def test_a_hand_written_loop_numbers_its_steps(fused):
    """A cell called once per step names its states h_1, h_2, ... (the step after h_k is k+1) and
    tags each step's tensors with .step; an open time_step(t) gives the number instead."""
    cell = nn.LSTMCell(3, 4, fused=fused)
    state = None
    for t in range(1, 4):
        state = cell(tg.randn(2, 3), state)
        assert [s.name for s in state] == [f"h_{t}", f"c_{t}"]
        assert state[0].step == t and state[0]._ctx is not None
    with tg.core.time_step(7):
        h, c = cell(tg.randn(2, 3), state)
    assert (h.name, h.step) == ("h_7", 7)
    mine = tg.zeros(2, 4, name="start")                           # a state without a step number
    assert nn.GRUCell(3, 4, fused=fused)(tg.randn(2, 3), mine).name == "h_1"
    x = tg.randn(2, 3)
    nn.RNNCell(3, 4, fused=fused)(x)
    assert x.step is None                                          # the learner's own input is not tagged


@pytest.mark.parametrize("cls", [nn.RNNCell, nn.LSTMCell, nn.GRUCell])
def test_a_fused_cell_is_one_step_node_with_the_same_numbers(cls):
    rng = np.random.default_rng(2)
    x, h0 = rng.standard_normal((2, 3)), rng.standard_normal((2, 4))
    results = []
    for fused in (False, True):
        cell = cls(3, 4, dtype=np.float64, generator=np.random.default_rng(1), fused=fused)
        xt = tg.tensor(x, requires_grad=True)
        state = (tg.tensor(h0, requires_grad=True),) * (2 if cls is nn.LSTMCell else 1)
        out = cell(xt, state if cls is nn.LSTMCell else state[0])
        outs = out if isinstance(out, tuple) else (out,)
        sum((o * o).sum() for o in outs).backward()
        kinds = {t._ctx.op_name for t in reachable(outs[0]) if t._ctx is not None}
        results.append(([o.data for o in outs], [xt.grad] + [p.grad for p in cell.parameters()], kinds))
    (composed, g_composed, k_composed), (fused, g_fused, k_fused) = results
    for a, b in zip(composed + g_composed, fused + g_fused):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-13)
    assert k_fused == {"linear", f"{cls.__name__[:-4].lower()}_step"}
    assert "linear" in k_composed and len(k_composed) > 2


@pytest.mark.parametrize("cls, G", CELLS)
def test_every_node_is_an_ordinary_core_op(cls, G):
    core_ops = tuple(getattr(ops, name) for name in ops.__all__)
    out = cls(3, 4)(tg.randn(2, 3, requires_grad=True))
    out = out[0] if isinstance(out, tuple) else out
    nodes = [t for t in reachable(out) if t._ctx is not None]
    assert len(nodes) > 3
    assert all(isinstance(t._ctx, core_ops) for t in nodes)
    kinds = {t._ctx.op_name for t in nodes}
    assert "linear" in kinds and ("sigmoid" in kinds or cls is nn.RNNCell)


# --- gradients against central differences --------------------------------------------------------

@pytest.mark.parametrize("cls, G", CELLS)
@pytest.mark.parametrize("batched", [True, False])
def test_gradcheck_inputs_state_and_weights(cls, G, batched, rng):
    I, H = 3, 2
    cell = cls(I, H, dtype=np.float64, generator=rng)
    shape = (2,) if batched else ()
    x = tg.tensor(rng.standard_normal(shape + (I,)), requires_grad=True)
    h = tg.tensor(rng.standard_normal(shape + (H,)), requires_grad=True)
    c = tg.tensor(rng.standard_normal(shape + (H,)), requires_grad=True)
    weights = [tg.tensor(p.data, requires_grad=True) for p in (cell.weight_ih, cell.weight_hh, cell.bias_ih,
                                                               cell.bias_hh)]

    def run(x, h, c, w_ih, w_hh, b_ih, b_hh):
        # call the cell function directly so the weights are the tensors gradcheck perturbs
        if cls is nn.LSTMCell:
            return nn.cells.lstm_cell(x, h, c, w_ih, w_hh, b_ih, b_hh)
        if cls is nn.GRUCell:
            return nn.cells.gru_cell(x, h, w_ih, w_hh, b_ih, b_hh)
        return nn.cells.rnn_cell(x, h, w_ih, w_hh, b_ih, b_hh)

    assert gradcheck(run, (x, h, c, *weights), atol=1e-7, rtol=1e-5)


@pytest.mark.parametrize("cls, G", CELLS)
def test_module_gradient_matches_central_difference(cls, G, rng):
    """Through the module itself: dL/dW for every parameter, by perturbing p.data."""
    cell = cls(2, 3, dtype=np.float64, generator=rng)
    x = tg.tensor(rng.standard_normal((2, 2)))
    proj = rng.standard_normal((2, 3))

    def loss():
        out = cell(x)
        return ((out[0] if isinstance(out, tuple) else out) * tg.tensor(proj)).sum()

    cell.zero_grad()
    loss().backward()
    eps = 1e-6
    for name, p in cell.named_parameters():
        numeric = np.zeros_like(p.data)
        for idx in np.ndindex(p.shape):
            orig = p.data[idx]
            p.data[idx] = orig + eps
            plus = loss().item()
            p.data[idx] = orig - eps
            minus = loss().item()
            p.data[idx] = orig
            numeric[idx] = (plus - minus) / (2 * eps)
        np.testing.assert_allclose(p.grad, numeric, rtol=1e-5, atol=1e-8, err_msg=name)
