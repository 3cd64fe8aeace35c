"""Parity with PyTorch: same weights (copied through state_dict, both ways) -> same outputs and the
same gradients for every parameter, the input and the initial state, in float64 to 1e-8.

Cells and the multi-step layers (1-3 layers, batch_first, unbatched, with and without bias, with
and without a given initial state), for random sizes drawn by hypothesis."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_rnn as tg
from tinygrad_rnn import nn

torch = pytest.importorskip("torch", reason="PyTorch parity tests need the torch extra: pip install -e '.[torch]'")

RTOL, ATOL = 1e-8, 1e-10

CELL_PAIRS = {"RNNCell": (nn.RNNCell, torch.nn.RNNCell), "LSTMCell": (nn.LSTMCell, torch.nn.LSTMCell),
              "GRUCell": (nn.GRUCell, torch.nn.GRUCell)}
LAYER_PAIRS = {"RNN": (nn.RNN, torch.nn.RNN), "LSTM": (nn.LSTM, torch.nn.LSTM), "GRU": (nn.GRU, torch.nn.GRU)}


def close(ours, theirs, what):
    theirs = theirs.detach().numpy() if isinstance(theirs, torch.Tensor) else theirs
    assert ours is not None, f"{what}: no gradient on our side"
    np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=ATOL, err_msg=what)


def copy_ours_into_torch(ours, theirs):
    theirs.double()
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})


def pair_of_leaves(array):
    return tg.tensor(array, requires_grad=True), torch.tensor(array, requires_grad=True)


def flat(result):
    """(output, h) / (output, (h, c)) / (h, c) / h  ->  list of tensors."""
    if isinstance(result, (tuple, list)):
        return [t for r in result for t in flat(r)]
    return [result]


def check_backward(our_outs, their_outs, rng, our_leaves, their_leaves, ours, theirs):
    """Backpropagate the same random linear function of all outputs on both sides and compare."""
    our_loss, their_loss = 0, 0
    for o, t in zip(our_outs, their_outs):
        close(o.data, t, "forward output")
        weights = rng.standard_normal(o.shape)
        our_loss = our_loss + (o * tg.tensor(weights)).sum()
        their_loss = their_loss + (t * torch.from_numpy(weights)).sum()
    our_loss.backward()
    their_loss.backward()
    for name, p in theirs.named_parameters():
        close(dict(ours.named_parameters())[name].grad, p.grad, f"d loss / d {name}")
    for i, (a, b) in enumerate(zip(our_leaves, their_leaves)):
        close(a.grad, b.grad, f"d loss / d input {i}")


# --- state dict keys and repr ---------------------------------------------------------------------

@pytest.mark.parametrize("name", list(LAYER_PAIRS))
@pytest.mark.parametrize("num_layers, bias", [(1, True), (3, True), (2, False)])
def test_layer_state_dict_keys_and_shapes_equal_pytorch(name, num_layers, bias):
    ours, theirs = LAYER_PAIRS[name][0](3, 5, num_layers=num_layers, bias=bias), \
        LAYER_PAIRS[name][1](3, 5, num_layers=num_layers, bias=bias)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [v.shape for v in ours.state_dict().values()] == [tuple(v.shape) for v in theirs.state_dict().values()]
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("name", list(CELL_PAIRS))
@pytest.mark.parametrize("bias", [True, False])
def test_cell_state_dict_keys_and_repr_equal_pytorch(name, bias):
    ours, theirs = CELL_PAIRS[name][0](4, 6, bias=bias), CELL_PAIRS[name][1](4, 6, bias=bias)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [v.shape for v in ours.state_dict().values()] == [tuple(v.shape) for v in theirs.state_dict().values()]
    assert repr(ours) == repr(theirs)
    assert repr(nn.RNNCell(3, 4, nonlinearity="relu")) == repr(torch.nn.RNNCell(3, 4, nonlinearity="relu"))


def test_linear_and_embedding_match_pytorch(rng):
    ours, theirs = nn.Linear(4, 3, dtype=np.float64), torch.nn.Linear(4, 3)
    assert list(ours.state_dict()) == list(theirs.state_dict()) and repr(ours) == repr(theirs)
    copy_ours_into_torch(ours, theirs)
    x, xt = pair_of_leaves(rng.standard_normal((2, 5, 4)))
    check_backward([ours(x)], [theirs(xt)], rng, [x], [xt], ours, theirs)

    ours, theirs = nn.Embedding(7, 3, dtype=np.float64), torch.nn.Embedding(7, 3)
    assert list(ours.state_dict()) == list(theirs.state_dict()) and repr(ours) == repr(theirs)
    copy_ours_into_torch(ours, theirs)
    ids = rng.integers(0, 7, size=(4, 5))
    check_backward([ours(ids)], [theirs(torch.from_numpy(ids))], rng, [], [], ours, theirs)


def run_both(ours, theirs, rng, x_shape, state_shape, lstm):
    """Feed the same random input (and initial state, unless ``state_shape`` is None; (h, c) for an
    LSTM) to both modules, then compare outputs and every gradient."""
    x, xt = pair_of_leaves(rng.standard_normal(x_shape))
    leaves, torch_leaves = [x], [xt]
    if state_shape is None:
        out, out_t = ours(x), theirs(xt)
    else:
        states = [pair_of_leaves(rng.standard_normal(state_shape)) for _ in range(2 if lstm else 1)]
        leaves += [s[0] for s in states]
        torch_leaves += [s[1] for s in states]
        if lstm:
            out, out_t = ours(x, (leaves[1], leaves[2])), theirs(xt, (torch_leaves[1], torch_leaves[2]))
        else:
            out, out_t = ours(x, leaves[1]), theirs(xt, torch_leaves[1])
    our_outs, their_outs = flat(out), flat(out_t)
    assert [o.shape for o in our_outs] == [tuple(t.shape) for t in their_outs]
    check_backward(our_outs, their_outs, rng, leaves, torch_leaves, ours, theirs)


# --- cells ----------------------------------------------------------------------------------------

@settings(max_examples=25)
@given(name=st.sampled_from(list(CELL_PAIRS)), input_size=st.integers(1, 6), hidden_size=st.integers(1, 6),
       batch=st.one_of(st.none(), st.integers(1, 5)), bias=st.booleans(), give_state=st.booleans(),
       relu=st.booleans(), seed=st.integers(0, 2**32 - 1))
def test_cells_match_pytorch(name, input_size, hidden_size, batch, bias, give_state, relu, seed):
    rng = np.random.default_rng(seed)
    ours_cls, torch_cls = CELL_PAIRS[name]
    kwargs = {"bias": bias}
    if name == "RNNCell" and relu:
        kwargs["nonlinearity"] = "relu"
    ours = ours_cls(input_size, hidden_size, dtype=np.float64, generator=rng, **kwargs)
    theirs = torch_cls(input_size, hidden_size, **kwargs)
    copy_ours_into_torch(ours, theirs)

    lead = () if batch is None else (batch,)
    state_shape = lead + (hidden_size,) if give_state else None
    run_both(ours, theirs, rng, lead + (input_size,), state_shape, lstm=name == "LSTMCell")


# --- sequence layers --------------------------------------------------------------------------------

def run_layer_parity(name, input_size, hidden_size, num_layers, seq_len, batch, batch_first, bias, give_state,
                     relu, rng, load_from_torch=False, fused=True):
    ours_cls, torch_cls = LAYER_PAIRS[name]
    kwargs = {"num_layers": num_layers, "bias": bias, "batch_first": batch_first}
    if name == "RNN" and relu:
        kwargs["nonlinearity"] = "relu"
    ours = ours_cls(input_size, hidden_size, dtype=np.float64, generator=rng, fused=fused, **kwargs)
    theirs = torch_cls(input_size, hidden_size, **kwargs).double()
    if load_from_torch:    # torch's weights into ours
        ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    else:                  # ours into torch
        copy_ours_into_torch(ours, theirs)

    if batch is None:
        x_shape = (seq_len, input_size)
    else:
        x_shape = (batch, seq_len, input_size) if batch_first else (seq_len, batch, input_size)
    state_shape = None
    if give_state:
        state_shape = (num_layers, hidden_size) if batch is None else (num_layers, batch, hidden_size)
    run_both(ours, theirs, rng, x_shape, state_shape, lstm=name == "LSTM")


@settings(max_examples=30)
@given(name=st.sampled_from(list(LAYER_PAIRS)), input_size=st.integers(1, 5), hidden_size=st.integers(1, 5),
       num_layers=st.integers(1, 3), seq_len=st.integers(1, 6), batch=st.one_of(st.none(), st.integers(1, 4)),
       batch_first=st.booleans(), bias=st.booleans(), give_state=st.booleans(), relu=st.booleans(),
       load_from_torch=st.booleans(), fused=st.booleans(), seed=st.integers(0, 2**32 - 1))
def test_layers_match_pytorch(name, input_size, hidden_size, num_layers, seq_len, batch, batch_first, bias,
                              give_state, relu, load_from_torch, fused, seed):
    run_layer_parity(name, input_size, hidden_size, num_layers, seq_len, batch, batch_first, bias, give_state,
                     relu, np.random.default_rng(seed), load_from_torch, fused)


# The cases the issue names explicitly, so they are always run whatever hypothesis draws, through
# both ways of building a step (one node per step, or the cell's own ops).
@pytest.mark.parametrize("fused", [True, False])
@pytest.mark.parametrize("name", list(LAYER_PAIRS))
@pytest.mark.parametrize("num_layers, batch, batch_first, give_state", [
    (2, 3, False, True),     # two layers, given (h_0, c_0)
    (2, 3, True, True),      # batch_first
    (2, None, False, True),  # unbatched
    (1, 4, True, False),     # zeros as initial state
])
def test_named_layer_cases_match_pytorch(name, num_layers, batch, batch_first, give_state, fused):
    run_layer_parity(name, 4, 5, num_layers, 7, batch, batch_first, True, give_state, False,
                     np.random.default_rng(num_layers * 10 + (batch or 0)), fused=fused)


@pytest.mark.parametrize("fused", [True, False])
def test_relu_rnn_and_long_sequence_match_pytorch(fused):
    run_layer_parity("RNN", 3, 4, 2, 8, 2, False, True, True, True, np.random.default_rng(5), fused=fused)
    run_layer_parity("LSTM", 3, 8, 1, 60, 2, False, True, True, False, np.random.default_rng(6), fused=fused)


def test_torch_initialised_float32_weights_give_float32_outputs_close_to_pytorch(rng):
    """The default dtype path: torch's float32 weights into our float32 LSTM."""
    ours, theirs = nn.LSTM(3, 4, num_layers=2), torch.nn.LSTM(3, 4, num_layers=2)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x = rng.standard_normal((5, 2, 3)).astype(np.float32)
    out, (h_n, c_n) = ours(tg.tensor(x))
    out_t, (h_t, c_t) = theirs(torch.from_numpy(x))
    assert out.dtype == np.float32
    for a, b in [(out, out_t), (h_n, h_t), (c_n, c_t)]:
        np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", list(LAYER_PAIRS))
def test_pytorch_state_dict_loads_directly(name):
    """Torch's own state_dict (torch tensors, no conversion) loads into ours and gives the same numbers."""
    ours_cls, torch_cls = LAYER_PAIRS[name]
    theirs = torch_cls(3, 4, num_layers=2).double()
    ours = ours_cls(3, 4, num_layers=2, dtype=np.float64)
    assert ours.load_state_dict(theirs.state_dict()) == ([], [])
    x = np.random.default_rng(0).standard_normal((5, 2, 3))
    np.testing.assert_allclose(ours(tg.tensor(x))[0].data, theirs(torch.from_numpy(x))[0].detach().numpy(),
                               rtol=RTOL, atol=ATOL)
