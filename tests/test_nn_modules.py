"""Linear, Embedding and the sequence layers RNN / LSTM / GRU without PyTorch: shapes, parameter
names (PyTorch's, written out here), defaults, init, repr, batched / batch_first / unbatched
inputs, the per-step states kept in ``last_states``, and errors."""
import numpy as np
import pytest

import tinygrad_rnn as tg
from tinygrad_rnn import nn
from tinygrad_rnn.autograd import gradcheck

LAYERS = [(nn.RNN, 1), (nn.LSTM, 4), (nn.GRU, 3)]


def hidden_of(result):
    """(output, h_n) for every layer type (LSTM's (h_n, c_n) -> h_n)."""
    output, state = result
    return output, (state[0] if isinstance(state, tuple) else state)


# --- Linear ----------------------------------------------------------------------------------

def test_linear_parameters_and_init():
    lin = nn.Linear(25, 7, generator=np.random.default_rng(0))
    assert list(lin.state_dict()) == ["weight", "bias"]
    assert lin.weight.shape == (7, 25) and lin.bias.shape == (7,)
    assert lin.weight.dtype == np.float32 and lin.weight.requires_grad
    bound = 1 / np.sqrt(25)
    assert np.all(np.abs(lin.weight.data) <= bound) and np.all(np.abs(lin.bias.data) <= bound)
    assert lin.weight.data.max() > 0.8 * bound and lin.weight.data.min() < -0.8 * bound
    no_bias = nn.Linear(3, 2, bias=False)
    assert no_bias.bias is None and list(no_bias.state_dict()) == ["weight"]


def test_linear_forward_is_x_W_T_plus_b(rng):
    lin = nn.Linear(4, 3, dtype=np.float64)
    for shape in [(5, 4), (2, 5, 4), (4,)]:
        x = rng.standard_normal(shape)
        y = lin(tg.tensor(x))
        assert y.shape == shape[:-1] + (3,)
        np.testing.assert_allclose(y.data, x @ lin.weight.data.T + lin.bias.data, rtol=1e-13)
    lin_nb = nn.Linear(4, 3, bias=False, dtype=np.float64)
    x = rng.standard_normal((2, 4))
    np.testing.assert_allclose(lin_nb(tg.tensor(x)).data, x @ lin_nb.weight.data.T, rtol=1e-13)


def test_linear_gradients(rng):
    lin = nn.Linear(3, 2, dtype=np.float64)
    x = tg.tensor(rng.standard_normal((4, 3)), requires_grad=True)
    assert gradcheck(lambda x, w, b: x @ w.T + b,
                     (x, tg.tensor(lin.weight.data, requires_grad=True), tg.tensor(lin.bias.data, requires_grad=True)))
    lin(x).sum().backward()
    np.testing.assert_allclose(lin.weight.grad, np.ones((2, 4)) @ x.data, rtol=1e-13)
    np.testing.assert_allclose(lin.bias.grad, [4.0, 4.0])


def test_linear_errors_and_repr():
    lin = nn.Linear(3, 2)
    with pytest.raises(ValueError) as err:
        lin(tg.randn(4, 5))
    assert "Linear" in str(err.value) and "(4, 5)" in str(err.value) and "in_features is 3" in str(err.value)
    assert repr(lin) == "Linear(in_features=3, out_features=2, bias=True)"
    assert repr(nn.Linear(3, 2, bias=False)) == "Linear(in_features=3, out_features=2, bias=False)"
    assert nn.Linear(3, 2, dtype=np.float64).weight.dtype == np.float64


# --- Embedding -------------------------------------------------------------------------------

def test_embedding_init_is_standard_normal():
    emb = nn.Embedding(400, 50, generator=np.random.default_rng(0))
    assert list(emb.state_dict()) == ["weight"] and emb.weight.shape == (400, 50)
    w = emb.weight.data
    assert abs(w.mean()) < 0.02 and abs(w.std() - 1) < 0.02
    assert repr(emb) == "Embedding(400, 50)"


def test_embedding_lookup_and_gradient():
    emb = nn.Embedding(5, 3, dtype=np.float64)
    ids = np.array([[0, 4], [4, 4]])
    out = emb(ids)
    assert out.shape == (2, 2, 3)
    np.testing.assert_array_equal(out.data[1, 0], emb.weight.data[4])
    np.testing.assert_array_equal(emb(tg.tensor(ids)).data, out.data)      # an int Tensor works too
    assert emb(2).shape == (3,)
    out.sum().backward()
    expected = np.zeros((5, 3))
    expected[0], expected[4] = 1, 3          # row 4 was used three times: gradients add up
    np.testing.assert_array_equal(emb.weight.grad, expected)


def test_embedding_errors():
    emb = nn.Embedding(5, 3)
    with pytest.raises(TypeError, match="integers"):
        emb(np.array([0.0, 1.0]))
    with pytest.raises(IndexError, match=r"\[0, 4\]"):
        emb(np.array([1, 5]))
    with pytest.raises(IndexError):
        emb(np.array([-1]))


def test_module_dtype_must_be_floating():
    with pytest.raises(TypeError, match="floating"):
        nn.Linear(2, 2, dtype=np.int32)
    with pytest.raises(TypeError, match="floating"):
        nn.LSTM(2, 2, dtype=int)


def test_manual_seed_makes_every_module_repeatable():
    def make():
        tg.manual_seed(11)
        return [nn.Linear(3, 4), nn.Embedding(6, 2), nn.GRU(3, 4, num_layers=2)]

    for a, b in zip(make(), make()):
        for (na, pa), (nb, pb) in zip(a.named_parameters(), b.named_parameters()):
            assert na == nb
            np.testing.assert_array_equal(pa.data, pb.data)


# --- sequence layers: parameters ----------------------------------------------------------------

@pytest.mark.parametrize("cls, G", LAYERS)
def test_layer_parameter_names_are_pytorch_names(cls, G):
    layer = cls(3, 5, num_layers=2)
    expected = {"weight_ih_l0": (G * 5, 3), "weight_hh_l0": (G * 5, 5), "bias_ih_l0": (G * 5,),
                "bias_hh_l0": (G * 5,), "weight_ih_l1": (G * 5, 5), "weight_hh_l1": (G * 5, 5),
                "bias_ih_l1": (G * 5,), "bias_hh_l1": (G * 5,)}
    sd = layer.state_dict()
    assert list(sd) == list(expected)
    assert {k: v.shape for k, v in sd.items()} == expected
    assert list(cls(3, 5, num_layers=2, bias=False).state_dict()) == ["weight_ih_l0", "weight_hh_l0",
                                                                    "weight_ih_l1", "weight_hh_l1"]
    assert layer.layer_parameters(1)[0] is layer.weight_ih_l1


@pytest.mark.parametrize("cls, G", LAYERS)
def test_layer_init_and_defaults(cls, G):
    layer = cls(30, 9, generator=np.random.default_rng(2))
    assert (layer.num_layers, layer.bias, layer.batch_first) == (1, True, False)
    bound = 1 / np.sqrt(9)
    for name, p in layer.named_parameters():
        assert p.dtype == np.float32 and p.requires_grad
        assert np.all(np.abs(p.data) <= bound), name
    assert layer.weight_ih_l0.data.max() > 0.9 * bound and layer.weight_ih_l0.data.min() < -0.9 * bound
    assert all(p.dtype == np.float64 for p in cls(3, 4, dtype=np.float64).parameters())


def test_layer_repr():
    assert repr(nn.LSTM(10, 20)) == "LSTM(10, 20)"
    assert repr(nn.LSTM(3, 4, num_layers=2)) == "LSTM(3, 4, num_layers=2)"
    assert repr(nn.GRU(3, 4, batch_first=True, bias=False)) == "GRU(3, 4, bias=False, batch_first=True)"
    assert repr(nn.RNN(3, 4, 2, "relu")) == "RNN(3, 4, num_layers=2, nonlinearity=relu)"


def test_layer_unsupported_options_raise():
    with pytest.raises(NotImplementedError, match="dropout"):
        nn.LSTM(3, 4, num_layers=2, dropout=0.5)
    with pytest.raises(NotImplementedError, match="bidirectional"):
        nn.GRU(3, 4, bidirectional=True)
    with pytest.raises(NotImplementedError, match="proj_size"):
        nn.LSTM(3, 4, proj_size=2)
    with pytest.raises(ValueError, match="nonlinearity"):
        nn.RNN(3, 4, nonlinearity="gelu")
    with pytest.raises(ValueError, match="positive"):
        nn.RNN(3, 4, num_layers=0)


# --- sequence layers: shapes -----------------------------------------------------------------------

@pytest.mark.parametrize("cls, G", LAYERS)
@pytest.mark.parametrize("num_layers", [1, 2])
def test_layer_output_shapes(cls, G, num_layers):
    T, B, I, H, L = 6, 3, 2, 4, num_layers
    layer = cls(I, H, num_layers=L)
    out, h_n = hidden_of(layer(tg.randn(T, B, I)))
    assert out.shape == (T, B, H) and h_n.shape == (L, B, H)
    out, h_n = hidden_of(layer(tg.randn(T, I)))                       # unbatched
    assert out.shape == (T, H) and h_n.shape == (L, H)
    bf = cls(I, H, num_layers=L, batch_first=True)
    result = bf(tg.randn(B, T, I))
    out, h_n = hidden_of(result)
    assert out.shape == (B, T, H) and h_n.shape == (L, B, H)          # states are never batch_first
    if cls is nn.LSTM:
        assert result[1][1].shape == (L, B, H)
        assert isinstance(result[1], tuple) and len(result[1]) == 2


@pytest.mark.parametrize("cls, G", LAYERS)
def test_output_and_h_n_agree_with_stepping_the_cell(cls, G, rng):
    """A 2-layer layer equals two cells stepped by hand with the same weights (batched, batch_first
    and unbatched)."""
    I, H, T, B = 3, 4, 5, 2
    layer = cls(I, H, num_layers=2, dtype=np.float64)
    cell_cls = {nn.RNN: nn.RNNCell, nn.LSTM: nn.LSTMCell, nn.GRU: nn.GRUCell}[cls]
    cells = [cell_cls(I if k == 0 else H, H, dtype=np.float64) for k in range(2)]
    for k, cell in enumerate(cells):
        cell.load_state_dict({name: getattr(layer, f"{name}_l{k}").data for name, _ in cell.named_parameters()})
    x = rng.standard_normal((T, B, I))

    def by_hand(x_seq):
        inputs, finals = [tg.tensor(x_t) for x_t in x_seq], []
        for cell in cells:
            state, hs = None, []
            for x_t in inputs:
                state = cell(x_t, state)
                hs.append(state[0] if cls is nn.LSTM else state)
            finals.append(state)
            inputs = hs
        return np.stack([h.data for h in inputs]), finals

    expected_out, finals = by_hand(x)
    out, h_n = hidden_of(layer(tg.tensor(x)))
    np.testing.assert_allclose(out.data, expected_out, rtol=1e-13)
    for k in range(2):
        np.testing.assert_allclose(h_n.data[k], (finals[k][0] if cls is nn.LSTM else finals[k]).data, rtol=1e-13)
    if cls is nn.LSTM:
        np.testing.assert_allclose(layer(tg.tensor(x))[1][1].data[1], finals[1][1].data, rtol=1e-13)

    bf = cls(I, H, num_layers=2, batch_first=True, dtype=np.float64)
    bf.load_state_dict(layer.state_dict())
    out_bf, _ = hidden_of(bf(tg.tensor(x.transpose(1, 0, 2))))
    np.testing.assert_allclose(out_bf.data, expected_out.transpose(1, 0, 2), rtol=1e-13)

    out_unbatched, h_n_unbatched = hidden_of(layer(tg.tensor(x[:, 1])))
    np.testing.assert_allclose(out_unbatched.data, expected_out[:, 1], rtol=1e-13)
    np.testing.assert_allclose(h_n_unbatched.data, h_n.data[:, 1], rtol=1e-13)


@pytest.mark.parametrize("cls, G", LAYERS)
def test_missing_initial_state_means_zeros(cls, G, rng):
    layer = cls(2, 3, num_layers=2, dtype=np.float64)
    x = tg.tensor(rng.standard_normal((4, 5, 2)))
    zero = tg.zeros(2, 5, 3, dtype=np.float64)
    given = layer(x, (zero, zero) if cls is nn.LSTM else zero)
    default = layer(x)
    np.testing.assert_array_equal(given[0].data, default[0].data)
    h0 = tg.tensor(rng.standard_normal((2, 5, 3)))
    changed = layer(x, (h0, zero) if cls is nn.LSTM else h0)
    assert not np.allclose(changed[0].data, default[0].data)


# --- the per-step states ---------------------------------------------------------------------

@pytest.mark.parametrize("cls, G", LAYERS)
def test_last_states_hold_every_h_t(cls, G):
    T, L = 4, 2
    layer = cls(2, 3, num_layers=L)
    out, h_n = hidden_of(layer(tg.randn(T, 5, 2)))
    assert len(layer.last_states) == L and all(len(hs) == T for hs in layer.last_states)
    for t in range(T):
        np.testing.assert_array_equal(layer.last_states[-1][t].data, out.data[t])
    for k in range(L):
        np.testing.assert_array_equal(layer.last_states[k][-1].data, h_n.data[k])
    assert [h.name for h in layer.last_states[1]] == [f"h_{t}_l1" for t in range(1, T + 1)]
    if cls is nn.LSTM:
        c_n = layer(tg.randn(T, 5, 2))[1][1]
        assert len(layer.last_cell_states) == L
        np.testing.assert_array_equal(layer.last_cell_states[0][-1].data, c_n.data[0])
        assert layer.last_cell_states[0][0].name == "c_1_l0"
    else:
        assert layer.last_cell_states is None
    single = cls(2, 3)
    single(tg.randn(3, 2))
    assert [h.name for h in single.last_states[0]] == ["h_1", "h_2", "h_3"]


@pytest.mark.parametrize("cls, G", LAYERS)
def test_each_steps_tensors_are_tagged_with_the_step(cls, G):
    layer = cls(2, 3, num_layers=2, fused=False)           # every gate is a node of its own
    out, _ = layer(tg.randn(4, 5, 2, requires_grad=True))
    assert [h.step for hs in layer.last_states for h in hs] == [1, 2, 3, 4] * 2
    h_3 = layer.last_states[1][2]
    inside = [t for t in graph_below(h_3, stop=lambda t: t.name in ("h_2_l1", "c_2_l1", "h_3_l0"))
              if t._ctx is not None]
    assert len(inside) > 3 and {t.step for t in inside} == {3}     # gates of step 3 of layer 1
    assert out.step is None                                          # the stacked output belongs to no step


@pytest.mark.parametrize("cls, G", LAYERS)
def test_the_fused_layer_is_one_node_per_step_with_named_tagged_states(cls, G):
    layer = cls(2, 3, num_layers=2)                          # fused=True is the default
    out, _ = layer(tg.randn(4, 5, 2, requires_grad=True))
    assert [h.step for hs in layer.last_states for h in hs] == [1, 2, 3, 4] * 2
    h_3 = layer.last_states[1][2]
    assert h_3.name == "h_3_l1" and h_3._ctx.op_name == f"{cls.__name__.lower()}_step"
    previous = layer.last_states[1][1]
    assert any(p is previous for p in h_3._ctx.parents)     # h_3 is computed from h_2 by that one node
    if G == 4:
        c_3 = layer.last_cell_states[1][2]
        assert c_3._ctx is h_3._ctx and c_3.name == "c_3_l1"   # one node, two outputs


def graph_below(root, stop):
    """Tensors reachable from root, not walking past tensors for which stop(t) is true."""
    seen, todo, out = set(), [root], []
    while todo:
        t = todo.pop()
        if id(t) in seen:
            continue
        seen.add(id(t))
        out.append(t)
        if t._ctx is not None and (t is root or not stop(t)):
            todo.extend(t._ctx.parents)
    return [t for t in out if t is root or not stop(t)]


@pytest.mark.parametrize("cls, G", LAYERS)
def test_retain_grad_on_last_states_gives_dL_dh_t(cls, G, rng):
    """dL/dh_t read from retain_grad equals the gradient of a fresh run started at h_t."""
    layer = cls(2, 3, dtype=np.float64)
    x = tg.tensor(rng.standard_normal((5, 2, 2)))
    out, h_n = hidden_of(layer(x))
    for h in layer.last_states[0]:
        h.retain_grad()
    h_n.sum().backward()
    grads = [h.grad for h in layer.last_states[0]]
    assert all(g is not None and g.shape == (2, 3) for g in grads)
    np.testing.assert_allclose(grads[-1], np.ones((2, 3)))     # dL/dh_T = 1 for L = sum(h_T)
    # dL/dh_2 by restarting the recurrence at h_2 as a leaf (LSTM also needs c_2, held fixed)
    h2 = tg.tensor(layer.last_states[0][1].data, requires_grad=True)
    state = (h2[None], tg.tensor(layer.last_cell_states[0][1].data)[None]) if cls is nn.LSTM else h2[None]
    _, h_n2 = hidden_of(layer(x[2:], state))
    h_n2.sum().backward()
    np.testing.assert_allclose(grads[1], h2.grad, rtol=1e-12)


@pytest.mark.parametrize("cls, G", LAYERS)
def test_gradient_reaches_input_and_initial_state(cls, G, rng):
    layer = cls(2, 3, num_layers=2, dtype=np.float64)
    x = tg.tensor(rng.standard_normal((4, 2, 2)), requires_grad=True)
    h0 = tg.tensor(rng.standard_normal((2, 2, 3)), requires_grad=True)
    c0 = tg.tensor(rng.standard_normal((2, 2, 3)), requires_grad=True)
    out, _ = layer(x, (h0, c0) if cls is nn.LSTM else h0)
    out.sum().backward()
    assert x.grad.shape == x.shape and np.abs(x.grad).sum() > 0
    assert h0.grad.shape == h0.shape and np.abs(h0.grad).sum() > 0
    if cls is nn.LSTM:
        assert np.abs(c0.grad).sum() > 0
    assert all(p.grad is not None and p.grad.shape == p.shape for p in layer.parameters())


def test_small_lstm_layer_gradcheck(rng):
    """The whole unrolled LSTM layer against central differences (input and initial states)."""
    layer = nn.LSTM(2, 2, num_layers=2, dtype=np.float64, generator=rng)
    x = tg.tensor(rng.standard_normal((3, 1, 2)), requires_grad=True)
    h0 = tg.tensor(rng.standard_normal((2, 1, 2)), requires_grad=True)
    c0 = tg.tensor(rng.standard_normal((2, 1, 2)), requires_grad=True)

    def run(x, h0, c0):
        out, (h_n, c_n) = layer(x, (h0, c0))
        return out, c_n

    assert gradcheck(run, (x, h0, c0), atol=1e-7, rtol=1e-5)


# --- errors ----------------------------------------------------------------------------------

@pytest.mark.parametrize("cls, G", LAYERS)
def test_layer_errors_are_clear(cls, G):
    layer = cls(3, 4, num_layers=2)
    with pytest.raises(ValueError) as err:
        layer(tg.randn(5, 2, 7))
    assert cls.__name__ in str(err.value) and "(5, 2, 7)" in str(err.value) and "input_size is 3" in str(err.value)
    with pytest.raises(ValueError, match=f"{cls.__name__}.*1-D"):
        layer(tg.randn(3))
    with pytest.raises(ValueError, match="empty"):
        layer(tg.randn(0, 2, 3))
    x = tg.randn(5, 2, 3)
    for bad in [tg.zeros(1, 2, 4), tg.zeros(2, 3, 4), tg.zeros(2, 4)]:
        state = (bad, tg.zeros(2, 2, 4)) if cls is nn.LSTM else bad
        with pytest.raises(ValueError) as err:
            layer(x, state)
        message = str(err.value)
        assert cls.__name__ in message and str(bad.shape) in message and "(2, 2, 4)" in message
    with pytest.raises(ValueError, match=r"expected \(2, 4\)"):                # unbatched input, batched state
        layer(tg.randn(5, 3), (tg.zeros(2, 2, 4),) * 2 if cls is nn.LSTM else tg.zeros(2, 2, 4))
    if cls is nn.LSTM:
        with pytest.raises(TypeError, match=r"\(h_0, c_0\)"):
            layer(x, tg.zeros(2, 2, 4))
    else:
        with pytest.raises(TypeError, match="one tensor"):
            layer(x, (tg.zeros(2, 2, 4), tg.zeros(2, 2, 4)))


def test_load_state_dict_round_trip_between_layers():
    a, b = nn.LSTM(3, 4, num_layers=2), nn.LSTM(3, 4, num_layers=2)
    b.load_state_dict(a.state_dict())
    x = tg.randn(5, 2, 3)
    np.testing.assert_array_equal(a(x)[0].data, b(x)[0].data)
    with pytest.raises(ValueError, match="weight_ih_l1"):
        nn.LSTM(3, 4).load_state_dict(a.state_dict())
