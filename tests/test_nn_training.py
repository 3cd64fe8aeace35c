"""Short training runs: each cell (stepped by hand) and each sequence layer learns to output the
sum of a short random sequence, with plain SGD written inline (``p.data -= lr * p.grad``).

Fresh random batches every step, so the loss can only fall if the net really learned to add up
its inputs through the recurrent state. A fixed seed keeps the runs repeatable."""
import numpy as np
import pytest

import tinygrad_rnn as tg
import tinygrad_rnn.nn.functional as F
from tinygrad_rnn import nn

T, B, H, STEPS, LR = 4, 32, 12, 200, 0.05


def batches(seed):
    rng = np.random.default_rng(seed)
    for _ in range(STEPS):
        x = rng.uniform(-1, 1, size=(T, B, 1)).astype(np.float32)
        yield x, x.sum(axis=0)                  # target (B, 1): the sum over time


def train(forward, params, seed=0):
    """Plain SGD; returns the mean loss of the first and of the last 10 steps."""
    losses = []
    for x, y in batches(seed):
        loss = F.mse_loss(forward(x), tg.tensor(y))
        for p in params:
            p.grad = None
        loss.backward()
        for p in params:
            p.data -= LR * p.grad
        losses.append(loss.item())
    assert np.all(np.isfinite(losses))
    return np.mean(losses[:10]), np.mean(losses[-10:])


@pytest.mark.parametrize("cell_cls", [nn.RNNCell, nn.LSTMCell, nn.GRUCell])
def test_each_cell_learns_to_sum_a_sequence(cell_cls):
    tg.manual_seed(0)
    cell, head = cell_cls(1, H), nn.Linear(H, 1)

    def forward(x):
        state = None                              # zeros
        for t in range(T):
            state = cell(tg.tensor(x[t]), state)
        h = state[0] if cell_cls is nn.LSTMCell else state
        return head(h)

    first, last = train(forward, list(cell.parameters()) + list(head.parameters()))
    assert last < 0.3 * first, f"{cell_cls.__name__}: loss went from {first:.4f} to {last:.4f}"


@pytest.mark.parametrize("layer_cls", [nn.RNN, nn.LSTM, nn.GRU])
def test_each_sequence_layer_learns_to_sum_a_sequence(layer_cls):
    tg.manual_seed(1)
    layer, head = layer_cls(1, H), nn.Linear(H, 1)

    def forward(x):
        output, _ = layer(tg.tensor(x))           # (T, B, H)
        return head(output[-1])

    first, last = train(forward, list(layer.parameters()) + list(head.parameters()), seed=1)
    assert last < 0.3 * first, f"{layer_cls.__name__}: loss went from {first:.4f} to {last:.4f}"
