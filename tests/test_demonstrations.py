"""The lecture's claims, reproduced by training (fixed seeds; slow-ish but not timed).

- The LSTM's additive cell path carries the adding problem's two marked values across
  T = 50 steps; a tanh RNN with the same budget stays near the trivial MSE 1/6.
- Truncated BPTT cannot learn a dependency longer than its window: on the agreement
  task, a window shorter than the distractor clause stays at chance, a longer one learns.
"""
import pytest

from tinygrad_rnn.train import TrainConfig, train

ADDING = dict(task="adding", seq_len=50, hidden=32, batch=32, optim="adam", lr=1e-2, clip=1.0, iters=1500,
              log_every=500, seed=0)


def test_lstm_solves_the_adding_problem_at_T50():
    result = train(TrainConfig(cell="lstm", **ADDING))
    assert result.baseline == pytest.approx(1 / 6)
    assert result.value < 0.01, result.history


def test_tanh_rnn_with_the_same_budget_stays_near_the_baseline():
    result = train(TrainConfig(cell="rnn", **ADDING))
    assert result.value > 0.1, result.history


AGREEMENT = dict(task="agreement", cell="lstm", seq_len=12, hidden=32, batch=32, lr=1e-2, iters=400,
                 log_every=400, seed=0)      # distractor clause of 10 words between subject and verb


def test_window_longer_than_the_distractor_learns_agreement():
    result = train(TrainConfig(tbptt=12, **AGREEMENT))
    assert result.value > 0.95, result.history


def test_window_shorter_than_the_distractor_stays_at_chance():
    result = train(TrainConfig(tbptt=5, **AGREEMENT))
    assert abs(result.value - 0.5) < 0.1, result.history
