"""The three drawings (``detail="ops"``, ``"cells"``, ``"rolled"``) of the three kinds of model
(a sequence layer, ``train.SequenceModel``, a cell called in a hand-written loop) for the three
cells: every model unrolls through ``nn.unrolling`` and names its states h_1 ... h_T (c_t for the
LSTM), so every drawing finds the same recurrence in each."""
import re

import numpy as np
import pytest

import tinygrad_rnn as tg
from tinygrad_rnn import nn
from tinygrad_rnn.train import SequenceModel
from tinygrad_rnn.viz import draw_graph

T = 4
CELLS = {"rnn": nn.RNNCell, "lstm": nn.LSTMCell, "gru": nn.GRUCell}
LAYERS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}
MODELS = ("layer", "SequenceModel", "cell loop")


def loss_of(model: str, kind: str):
    """The loss sum(h_T) (or the read-out of h_T) of ``model`` over T steps, and the step node
    each time step should have (one node for the fused paths, every op for the cell loop)."""
    x = tg.tensor(np.random.default_rng(0).standard_normal((T, 2, 3)))
    if model == "layer":
        out, _ = LAYERS[kind](3, 4, dtype=np.float64, generator=np.random.default_rng(1))(x)
        return out[-1].sum(), f"{kind}_step"
    if model == "SequenceModel":
        out, _ = SequenceModel(kind, 3, 4, 1, dtype=np.float64, generator=np.random.default_rng(1))(x)
        return out[-1].sum(), f"{kind}_step"
    cell, state = CELLS[kind](3, 4, dtype=np.float64, generator=np.random.default_rng(1)), None
    for x_t in x.unbind(0):                       # the loop a learner writes
        state = cell(x_t, state)
    h = state[0] if kind == "lstm" else state
    return h.sum(), "tanh"


@pytest.mark.parametrize("kind", CELLS)
@pytest.mark.parametrize("model", MODELS)
def test_every_op_view(model, kind):
    loss, step_op = loss_of(model, kind)
    source = draw_graph(loss, detail="ops").source
    assert step_op in source
    for t in range(1, T + 1):
        assert re.search(rf"\bh_{t}\b", source), f"h_{t} is not drawn"
    if model != "cell loop":                     # one node per step: T step nodes, no gate ops
        assert source.count(f">{step_op}<") + source.count(f'"{step_op}"') + source.count(f"label={step_op}") \
            >= 1
        assert "sigmoid" not in source


@pytest.mark.parametrize("kind", CELLS)
@pytest.mark.parametrize("model", MODELS)
def test_cells_view_draws_one_node_per_state_per_step(model, kind):
    loss, _ = loss_of(model, kind)
    source = draw_graph(loss, detail="cells").source
    for t in range(1, T + 1):
        assert re.search(rf"\bh_{t}\b", source), f"h_{t} is not drawn"
    # c_1 ... c_(T-1); c_T only where the graph reads it (h_T = o_T tanh(c_T) as ops, not as one node)
    for t in range(1, T if kind == "lstm" else 1):
        assert re.search(rf"\bc_{t}\b", source), f"c_{t} is not drawn"
    assert "sigmoid" not in source and "tanh" not in source       # a cell's ops are collapsed
    # each of the T - 1 recurrent h edges carries the step Jacobian's largest singular value, and
    # each LSTM cell path c_(t-1) -> c_t the forget gate that multiplies it there
    assert source.count("σ₁") >= T - 1
    if kind == "lstm":
        assert len(re.findall(r"× f_\d+: mean", source)) >= T - 1


@pytest.mark.parametrize("kind", CELLS)
@pytest.mark.parametrize("model", MODELS)
def test_rolled_view_finds_the_recurrence(model, kind):
    loss, _ = loss_of(model, kind)
    source = draw_graph(loss, detail="rolled").source
    assert f"T = {T}" in source
    assert "h_t" in source
    assert not re.search(r"\bh_[2-9]\b", source)          # one cell, with generic names
