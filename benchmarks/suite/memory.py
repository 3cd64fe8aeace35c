"""What truncation buys: peak memory (and time) of one training pass over a sequence of length T
with truncated BPTT, ``TBPTT(k)``, against full BPTT, ``TBPTT.full(T)``.

The model is ``tinygrad_rnn.train.SequenceModel`` (a cell + Linear read-out) on the training
benchmark's task (one-hot characters, cross-entropy at every step), driven by
``TBPTT.run`` with an SGD step after each window. Peak memory is what ``tracemalloc`` sees
allocated during the pass (NumPy reports its arrays to it), so it counts the graph kept for
backward: growing with T for full BPTT, flat in T for TBPTT(k).
"""
import functools
import gc
import time
import tracemalloc

import numpy as np

from tinygrad_rnn import functional as F
from tinygrad_rnn import optim
from tinygrad_rnn.train import TBPTT, SequenceModel

from . import measure
from .training import LR, VOCAB


def one_pass(cell: str, T: int, k: int | None, H: int, B: int, trace: bool) -> float:
    """Train once over T steps with TBPTT(k) (k=None: full BPTT). Returns the peak traced bytes
    when ``trace``, else the seconds taken."""
    rng = np.random.default_rng(0)
    model = SequenceModel(cell, VOCAB, H, VOCAB, generator=rng)
    ids = rng.integers(0, VOCAB, (T + 1, B))
    inputs, targets = np.eye(VOCAB, dtype=np.float32)[ids[:-1]], ids[1:]
    optimizer = optim.SGD(model.parameters(), lr=LR)
    truncation = TBPTT.full(T) if k is None else TBPTT(k)
    step_loss = lambda y, t: F.cross_entropy(y, targets[t])      # noqa: E731
    gc.collect()
    if trace:
        tracemalloc.start()
    start = time.perf_counter()
    try:
        for _window, loss in truncation.run(model, inputs, step_loss):
            optimizer.step()
            optimizer.zero_grad()
            del loss        # kept, it would keep this window's whole graph alive while the next one runs
        return tracemalloc.get_traced_memory()[1] if trace else time.perf_counter() - start
    finally:
        if trace:
            tracemalloc.stop()


def tbptt_memory(cell: str, lengths, k: int, H: int, B: int, repeats: int) -> dict:
    """For each T in ``lengths``: peak MiB (one traced pass each) and median seconds (untraced,
    interleaved) of TBPTT(k) and full BPTT, and their ratios full / TBPTT."""
    rows = []
    for T in lengths:
        modes = {f"tbptt_k{k}": k, "full": None}
        peak = {name: one_pass(cell, T, window, H, B, trace=True) / 2**20 for name, window in modes.items()}
        timers = {name: functools.partial(one_pass, cell, T, window, H, B, False) for name, window in modes.items()}
        seconds = measure.medians(measure.interleaved(timers, repeats))
        rows.append({"T": T, "peak_mib": peak, "seconds": seconds,
                     "memory_ratio": peak["full"] / peak[f"tbptt_k{k}"],
                     "time_ratio": seconds["full"] / seconds[f"tbptt_k{k}"]})
    return {"cell": cell, "H": H, "B": B, "k": k, "rows": rows}
