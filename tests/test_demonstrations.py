"""The lecture's claims, reproduced by training (fixed seeds; slow-ish but not timed).

- The LSTM's additive cell path carries the adding problem's two marked values across
  T = 50 steps; a tanh RNN with the same budget stays near the trivial predictor's MSE on the
  held-out batch (0.19 there; 1/6 in expectation).
- Truncated BPTT cannot learn a dependency longer than its window: on the agreement
  task, a window shorter than the distractor clause stays at chance, a longer one learns.
"""
import numpy as np
import pytest

from tinygrad_rnn.tasks import AddingTask
from tinygrad_rnn.train import TrainConfig, train

ADDING = dict(task="adding", seq_len=50, hidden=32, batch=32, optim="adam", lr=1e-2, clip=1.0, iters=1500,
              log_every=500, seed=0)


def trivial_mse_on_the_held_out_batch():
    """MSE of always predicting 1 on train's held-out batch (rng = seed + 1_000_003, 256 samples)."""
    sums = AddingTask(50).batch(256, rng=ADDING["seed"] + 1_000_003).targets[-1, :, 0].astype(np.float64)
    return float(np.mean((sums - 1.0) ** 2))


def test_lstm_solves_the_adding_problem_at_T50():
    result = train(TrainConfig(cell="lstm", **ADDING))
    assert result.baseline == pytest.approx(trivial_mse_on_the_held_out_batch(), rel=1e-12)
    assert result.baseline_expected == pytest.approx(1 / 6)
    assert result.value < 0.01, result.history


def test_tanh_rnn_with_the_same_budget_stays_near_the_baseline():
    result = train(TrainConfig(cell="rnn", **ADDING))
    assert result.value > 0.1, result.history
    assert result.value > 0.5 * result.baseline           # nowhere near what the LSTM reaches


AGREEMENT = dict(task="agreement", cell="lstm", seq_len=12, hidden=32, batch=32, lr=1e-2, iters=400,
                 log_every=400, seed=0)      # distractor clause of 10 words between subject and verb


def test_window_longer_than_the_distractor_learns_agreement():
    result = train(TrainConfig(tbptt=12, **AGREEMENT))
    assert result.value > 0.95, result.history


def test_window_shorter_than_the_distractor_stays_at_chance():
    result = train(TrainConfig(tbptt=5, **AGREEMENT))
    assert abs(result.value - 0.5) < 0.1, result.history
