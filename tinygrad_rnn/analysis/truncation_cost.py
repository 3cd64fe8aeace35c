"""What a truncation window costs: backward calls, time and peak memory for one pass over a batch.

    cost = truncation_cost(model, batch.inputs, lambda y, t: task.step_loss(y, batch, t), window=20)
    cost.updates, cost.seconds, cost.peak_bytes

One pass is ``TBPTT(window).run`` over the whole sequence: every step forward, one ``backward()``
per window (an optimizer would step after each; ``updates`` counts them). Everything a window
computes is kept until its backward, so the peak memory grows with the window, not with T; the
work per sequence stays about the same. ``window >= T`` is full BPTT.

The pass is run twice: once timed, once under ``tracemalloc`` (NumPy reports its arrays to it)
after ``gc.collect()``, for the peak. Nothing is left changed: no weight is stepped, and the
``.grad`` each parameter had before is put back.
"""
import dataclasses
import gc
import time
import tracemalloc

from ..train.truncation import TBPTT


@dataclasses.dataclass
class TruncationCost:
    """One window's cost for a sequence of ``steps`` steps."""
    window: int
    steps: int
    updates: int          # backward calls (optimizer steps) per sequence: ceil(T / window) with a loss at every step
    seconds: float        # one pass, untraced (varies from machine to machine)
    peak_bytes: int       # the largest memory held at once during the pass (tracemalloc)

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


def truncation_cost(model, inputs, step_loss, window: int, loss_steps=None) -> TruncationCost:
    """Measure one pass of ``TBPTT(window)`` of ``model`` over ``inputs`` (T, B, I).

    ``model.step(x_t, state) -> (y_t, state)`` and ``model.parameters()`` (a ``Module``, e.g.
    ``train.SequenceModel``); ``step_loss(y_t, t)`` and ``loss_steps`` as in ``TBPTT.run``.
    """
    params = list(model.parameters())
    saved = [p.grad for p in params]

    def one_pass() -> int:
        updates = 0
        for _, loss in TBPTT(window).run(model, inputs, step_loss, loss_steps=loss_steps):
            if loss is not None:
                updates += 1
            for p in params:                     # as optimizer.zero_grad() would, after its step
                p.grad = None
        return updates

    try:
        start = time.perf_counter()
        updates = one_pass()
        seconds = time.perf_counter() - start
        gc.collect()                             # a clean slate, so that the peak is this pass's own
        tracing = tracemalloc.is_tracing()
        if tracing:
            tracemalloc.reset_peak()
        else:
            tracemalloc.start()
        try:
            base = tracemalloc.get_traced_memory()[0]
            one_pass()
            peak = tracemalloc.get_traced_memory()[1] - base
        finally:
            if not tracing:
                tracemalloc.stop()
    finally:
        for p, g in zip(params, saved):
            p.grad = g
    return TruncationCost(int(window), len(inputs), updates, seconds, int(peak))
