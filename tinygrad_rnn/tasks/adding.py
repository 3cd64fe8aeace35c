r"""The adding problem (Hochreiter & Schmidhuber 1997; the layout of Le, Jaitly & Hinton 2015).

Each step reads two numbers: a value $v_t \sim U[0, 1)$ and a marker $m_t \in \{0, 1\}$.
Exactly two markers are 1: one at a step in the first half ``[0, T//2)``, one in the
second half ``[T//2, T)``. After the last step the network must output the sum of the
two marked values. Only that last step carries a loss, so the first marked value must
be carried across at least ``T//2`` steps — the gradient that teaches this has to
travel back just as far.

Baseline (metric MSE). A network that ignores its inputs can only output a constant c.
The sum $S = U_1 + U_2$ of two independent U[0, 1) has $E[S] = 1$, and
$E[(S - c)^2] = \mathrm{Var}(S) + (E[S] - c)^2$ is smallest at c = E[S] = 1, where it is

    Var(S) = Var(U_1) + Var(U_2) = 2 * (1/12) = 1/6 ≈ 0.167,

with Var(U) = E[U^2] - E[U]^2 = 1/3 - 1/4 = 1/12. A model has learnt something only
once its MSE is well below 1/6. On one batch of B samples, always answering 1 scores the
sample mean of (S - 1)^2 (``trivial_metric(batch)``), which is 1/6 only up to noise of
standard deviation sqrt(1/15 - 1/36) / sqrt(B) ≈ 0.2 / sqrt(B).
"""
import numpy as np

from .base import Batch, Task, as_rng, check_positive_int


class AddingTask(Task):
    """``AddingTask(seq_len)``: inputs (T, B, 2) = [value, marker], targets (T, B, 1) float32
    holding the sum at the last step (0 elsewhere), mask (T, B) True at the last step only."""

    name = "adding"
    input_size = 2
    output_size = 1
    metric = "mse"
    loss = "mse"

    def __init__(self, seq_len: int = 100):
        seq_len = check_positive_int(seq_len, "AddingTask: seq_len")
        if seq_len < 2:
            raise ValueError(f"AddingTask: seq_len must be >= 2 (one marker per half), got {seq_len}")
        self.seq_len = seq_len

    @classmethod
    def from_seq_len(cls, seq_len: int) -> "AddingTask":
        return cls(seq_len)

    def batch(self, batch_size: int, rng=None) -> Batch:
        rng = as_rng(rng, f"{type(self).__name__}.batch")
        T, B = self.seq_len, check_positive_int(batch_size, f"{type(self).__name__}.batch: batch_size")
        half = T // 2
        values = rng.random((T, B), dtype=np.float32)                   # (T, B) ~ U[0, 1)
        first = rng.integers(0, half, size=B)                            # (B,) a step in [0, T//2)
        second = rng.integers(half, T, size=B)                           # (B,) a step in [T//2, T)
        samples = np.arange(B)
        markers = np.zeros((T, B), dtype=np.float32)
        markers[first, samples] = 1.0
        markers[second, samples] = 1.0
        inputs = np.stack([values, markers], axis=-1)                    # (T, B, 2)

        targets = np.zeros((T, B, 1), dtype=np.float32)
        targets[-1, :, 0] = values[first, samples] + values[second, samples]
        mask = np.zeros((T, B), dtype=bool)
        mask[-1] = True
        return Batch(inputs, targets, mask)

    def baseline(self) -> float:
        """MSE of always answering 1 = Var(U_1 + U_2) = 2/12 = 1/6 (see the module docstring)."""
        return 1.0 / 6.0

    def trivial_outputs(self, batch: Batch) -> np.ndarray:
        """The trivial predictor: always answer 1 (= E[U_1 + U_2]), at every step: (T, B, 1) ones.
        ``trivial_metric(batch)`` is then the MSE of predicting 1 on this batch's sums."""
        return np.ones((batch.seq_len, batch.batch_size, self.output_size))
