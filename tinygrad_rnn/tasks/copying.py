r"""The copy (memory) task of Arjovsky, Shah & Bengio (2016), after Hochreiter & Schmidhuber (1997).

Input classes (one-hot, ``n_symbols + 2`` of them; defaults in brackets)::

    0                 blank
    1 .. n_symbols    the symbols [8 of them]
    n_symbols + 1     the marker  ("now write them back")

One sequence, with N = ``copy_length`` [10] and T = ``delay``, is ``T + 2N`` steps long::

    step:    0 .. N-1    N .. N+T-2    N+T-1     N+T .. N+T+N-1
    input:   N symbols   T-1 blanks    marker    N blanks
    target:  blank ................................  the N symbols, in order

The network outputs ``n_symbols + 1`` logits per step (blank and the symbols: the marker
is never a target, and a class index means the same thing in inputs and targets). The loss
is cross-entropy over *all* T + 2N steps (every step is masked in), as in the paper; the
metric "loss" is that mean cross-entropy, in nats.

Baseline (the memoryless strategy). A network that knows which step it is at but remembers
nothing of the symbols can do no better than: blank with probability 1 for the first T + N
steps (cross-entropy -ln 1 = 0 each, as those targets are always blank), then each of the
n_symbols with probability 1/n_symbols for the last N steps (-ln(1/n_symbols) = ln n_symbols
each, whatever the symbol). Averaged over all steps:

    N ln(n_symbols) / (T + 2N)        = 10 ln 8 / (T + 20) with the defaults.

It shrinks as T grows — the task is "easy" on average — which is why a model stuck at this
value has learnt the blanks and nothing about memory. The targets' layout is the same in every
batch and the predictor is uniform over the symbols, so ``trivial_metric(batch)`` equals this
value on every batch (up to rounding), not just on average.
"""
import math

import numpy as np

from .base import Batch, Task, as_rng, check_positive_int, one_hot

BLANK = 0


class CopyTask(Task):
    """``CopyTask(delay=100, n_symbols=8, copy_length=10)``: inputs (T+2N, B, n_symbols+2) one-hot,
    targets (T+2N, B) int64, mask all True. ``seq_len`` = delay + 2 * copy_length."""

    name = "copy"
    metric = "loss"
    loss = "cross_entropy"

    def __init__(self, delay: int = 100, n_symbols: int = 8, copy_length: int = 10):
        self.delay = check_positive_int(delay, "CopyTask: delay (the paper's T)")
        self.n_symbols = check_positive_int(n_symbols, "CopyTask: n_symbols")
        self.copy_length = check_positive_int(copy_length, "CopyTask: copy_length")
        self.marker = self.n_symbols + 1
        self.seq_len = self.delay + 2 * self.copy_length
        self.input_size = self.n_symbols + 2                  # blank, symbols, marker
        self.output_size = self.n_symbols + 1                 # blank, symbols

    @classmethod
    def from_seq_len(cls, seq_len: int, n_symbols: int = 8, copy_length: int = 10) -> "CopyTask":
        """The copy task with ``seq_len`` steps in all, i.e. delay T = seq_len - 2 * copy_length."""
        delay = seq_len - 2 * copy_length
        if delay < 1:
            raise ValueError(f"copy task: seq_len must be at least 2 * copy_length + 1 = {2 * copy_length + 1} "
                             f"(symbols, marker, recall), got {seq_len}")
        return cls(delay, n_symbols, copy_length)

    def __repr__(self):
        return f"CopyTask(delay={self.delay}, n_symbols={self.n_symbols}, copy_length={self.copy_length})"

    def batch(self, batch_size: int, rng=None) -> Batch:
        rng = as_rng(rng, f"{type(self).__name__}.batch")
        B = check_positive_int(batch_size, f"{type(self).__name__}.batch: batch_size")
        N, T = self.copy_length, self.delay
        symbols = rng.integers(1, self.n_symbols + 1, size=(N, B))      # (N, B) in 1..n_symbols

        tokens = np.full((self.seq_len, B), BLANK, dtype=np.int64)       # (T+2N, B)
        tokens[:N] = symbols
        tokens[N + T - 1] = self.marker
        targets = np.full((self.seq_len, B), BLANK, dtype=np.int64)
        targets[-N:] = symbols
        mask = np.ones((self.seq_len, B), dtype=bool)
        return Batch(one_hot(tokens, self.input_size), targets, mask)

    def baseline(self) -> float:
        """Mean cross-entropy of the memoryless strategy: N ln(n_symbols) / (T + 2N)."""
        return self.copy_length * math.log(self.n_symbols) / self.seq_len

    def trivial_outputs(self, batch: Batch) -> np.ndarray:
        """The memoryless predictor as logits (T + 2N, B, n_symbols + 1): certain of blank for the
        first T + N steps (logit 0 for blank, -inf for the rest), then uniform over the symbols for
        the last N (logit 0 for each symbol, -inf for blank)."""
        N, T = self.copy_length, self.delay
        logits = np.full((batch.seq_len, batch.batch_size, self.output_size), -np.inf)
        logits[:T + N, :, BLANK] = 0.0
        logits[T + N:, :, 1:] = 0.0
        return logits
