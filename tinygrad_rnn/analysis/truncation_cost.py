r"""What a truncation window costs: the work it does (counted in graph nodes), the updates it gives,
the memory it holds, and its time.

    cost = truncation_cost(model, batch.inputs, lambda y, t: task.step_loss(y, batch, t), window=20)
    cost.updates, cost.forward_nodes, cost.backward_nodes, cost.update_nodes, cost.peak_bytes

    timing = time_truncation(model, batch.inputs, step_loss, windows=(20, 50, 100, 400), repeats=3)
    timing.seconds[20], timing.ratio[20], timing.seconds_per_update[20], timing.ratio_per_update[20]

A *pass* is ``TBPTT(window).run`` over the whole sequence of T steps: every step forward once,
one ``backward()`` per window with a loss, the window's gradients zeroed after it (as an optimizer
would after its step), and the window's loss dropped before the next window starts (kept, it
would keep that window's whole graph alive during the next). ``window >= T`` is full BPTT.
No weight is stepped, and the ``.grad`` each parameter had before is put back.

``TruncationCost``, one window, from ``truncation_cost``. The counts are exact, the same on
every machine: one pass reads each window's graph after its backward (the links between nodes
stay; only the arrays saved for backward are freed), with the engine's own walk
(``core.backward.topological_order``); nothing in the engine is changed or instrumented.

- ``window``, ``steps``: k and T.
- ``updates``: backward calls per sequence, the optimizer steps it gives: ceil(T / k) with a loss
  at every step (a window without loss steps runs without a graph and calls no backward).
- ``cuts``: windows whose graph starts from a ``detach()``-ed state, the points where the gradient
  stops: ``updates - 1`` when the first window starts from zeros.
- ``forward_nodes``: graph nodes recorded during the pass (``Function`` applications that
  recorded a graph; an op with several outputs, such as ``chunk``, is one node): everything each
  step's output, state and loss was computed from, summed over the windows (no two windows share
  a node). Ops run without a graph (in a window with no loss) are not counted.
- ``backward_nodes``: nodes whose backward ran, summed over the updates: the nodes each window's
  loss depends on, which its ``backward()`` walks, one node backward each. It equals
  ``forward_nodes`` with a loss at every step; it is smaller when some steps carry no loss.
- ``update_nodes``: the backward nodes of the largest update (the longest window): the work of one
  update, and the size of the graph it holds. ``backward_nodes_per_update`` (a property) is the
  mean, ``backward_nodes / updates``.
- ``peak_bytes``: the most memory held at once (above what was held before) during a second pass,
  run under ``tracemalloc`` (NumPy reports its arrays to it) after ``gc.collect()``: one window's
  graph, its saved arrays and gradients, so it grows with the window, not with T. ``None`` with
  ``traced=False``. Varies a little with the Python and NumPy versions.
- ``seconds``: wall-clock seconds of one more, untraced pass, or ``None`` with ``timed=False``. A
  single pass on a shared machine is a sample, not a measurement: compare windows with
  ``time_truncation``.

With a loss at every step and ``s`` nodes per step (the cell's ops, the read-out and the step
loss: 9 for the tanh RNN + Linear + cross-entropy of the text task), a window of L steps has
``L * s + (L - 1)`` nodes (L - 1 additions sum its L step losses; the cut itself is a leaf, not
a node). Per sequence that is ``T * (s + 1) - updates``: the same for every window to within one
node per window (each window sums one loss fewer). Per update it is ``k * (s + 1) - 1``:
proportional to the window.

``TruncationTiming``, several windows, from ``time_truncation``: one untimed warm-up pass of the
largest window, then ``repeats`` rounds that time one pass of each window, round-robin (w1, w2,
w3, then w2, w3, w1, ...), so that a change of load during the run hits every window alike;
``gc.collect()`` before each pass, outside its time.

- ``clock``: the clock's name. ``time.process_time`` by default: CPU seconds of this process, which
  other programs on the machine do not add to (pin BLAS to one thread, e.g.
  ``threadpool_limits(1, "blas")``, or its threads' time counts too); ``time.perf_counter`` for
  wall time.
- ``samples[k]``: the seconds of each timed pass of window k, in the order taken.
- ``seconds[k]``: their median, seconds per sequence; ``seconds_per_update[k] = seconds[k] /
  updates[k]`` (``updates[k]``: backward calls per sequence, as above).
- ``reference``: the largest window given (full BPTT when it is >= T); ``ratio[k] = seconds[k] /
  seconds[reference]`` and ``ratio_per_update[k] = seconds_per_update[k] /
  seconds_per_update[reference]``: ratios within one run, the only timing figures that carry over
  from one machine to another, and even they vary by a few percent.
"""
import dataclasses
import gc
import statistics
import time
import tracemalloc

import numpy as np

from ..core import Tensor
from ..core.backward import topological_order
from ..train.truncation import TBPTT


@dataclasses.dataclass
class TruncationCost:
    """One window's cost for a sequence of ``steps`` steps (see the module docstring for each field)."""
    window: int
    steps: int
    updates: int             # backward calls (optimizer steps) per sequence
    cuts: int                # windows whose graph starts from a detached state
    forward_nodes: int       # graph nodes recorded in the pass (exact)
    backward_nodes: int      # nodes whose backward ran, over all updates (exact)
    update_nodes: int        # the most backward nodes in one update (exact)
    peak_bytes: int | None   # the largest memory held at once during a pass (tracemalloc)
    seconds: float | None    # one untraced pass (varies; compare windows with time_truncation)

    @property
    def backward_nodes_per_update(self) -> float:
        return self.backward_nodes / self.updates if self.updates else 0.0

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclasses.dataclass
class TruncationTiming:
    """Interleaved timing of several windows over one sequence (see the module docstring)."""
    steps: int
    windows: tuple
    reference: int           # the window the ratios divide by: the largest (full BPTT when >= steps)
    repeats: int
    clock: str               # "process_time" (CPU seconds) or the name of the clock passed
    updates: dict            # window -> backward calls per sequence
    samples: dict            # window -> seconds of each timed pass, in the order taken
    seconds: dict            # window -> median seconds per sequence
    seconds_per_update: dict
    ratio: dict              # window -> seconds[window] / seconds[reference]
    ratio_per_update: dict   # window -> seconds_per_update[window] / seconds_per_update[reference]

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


def truncation_cost(model, inputs, step_loss, window: int, loss_steps=None, *, traced: bool = True,
                    timed: bool = True) -> TruncationCost:
    """Count the work of a pass of ``TBPTT(window)`` of ``model`` over ``inputs`` (T, B, I); then trace
    a pass for its peak memory (``traced``, else ``peak_bytes`` is None) and time one (``timed``).

    ``model.step(x_t, state) -> (y_t, state)`` and ``model.parameters()`` (a ``Module``, e.g.
    ``train.SequenceModel``); ``step_loss(y_t, t)`` and ``loss_steps`` as in ``TBPTT.run``.
    """
    window = _check_window(window)
    params = list(model.parameters())
    saved = [p.grad for p in params]
    try:
        counts = _counted_pass(model, params, inputs, step_loss, window, loss_steps)
        peak = peak_memory(lambda: _one_pass(model, params, inputs, step_loss, window, loss_steps)) \
            if traced else None
        seconds = _timed_pass(model, params, inputs, step_loss, window, loss_steps, time.perf_counter)[0] \
            if timed else None
    finally:
        for p, g in zip(params, saved):
            p.grad = g
    return TruncationCost(window, len(inputs), peak_bytes=peak, seconds=seconds, **counts)


def time_truncation(model, inputs, step_loss, windows, repeats: int = 3, loss_steps=None,
                    clock=time.process_time) -> TruncationTiming:
    """Time ``repeats`` passes of ``TBPTT(k)`` for each ``k`` in ``windows``, interleaved; medians and
    ratios to the largest window, all from this one run. Arguments as for ``truncation_cost``;
    ``clock``: a zero-argument function returning seconds (``time.perf_counter`` for wall time)."""
    windows = tuple(_check_window(k) for k in windows)
    if not windows or len(set(windows)) != len(windows):
        raise ValueError(f"time_truncation: windows must be distinct window lengths, at least one, got {windows!r}")
    if isinstance(repeats, bool) or not isinstance(repeats, int) or repeats < 1:
        raise ValueError(f"time_truncation: repeats must be an int >= 1, got {repeats!r}")
    params = list(model.parameters())
    saved = [p.grad for p in params]
    reference = max(windows)
    samples, updates = {k: [] for k in windows}, {}
    try:
        _one_pass(model, params, inputs, step_loss, reference, loss_steps)      # warm-up, untimed
        for r in range(repeats):
            for k in windows[r % len(windows):] + windows[:r % len(windows)]:
                seconds, updates[k] = _timed_pass(model, params, inputs, step_loss, k, loss_steps, clock)
                samples[k].append(seconds)
    finally:
        for p, g in zip(params, saved):
            p.grad = g
    seconds = {k: statistics.median(samples[k]) for k in windows}
    per_update = {k: seconds[k] / updates[k] if updates[k] else float("nan") for k in windows}
    return TruncationTiming(
        steps=len(inputs), windows=windows, reference=reference, repeats=repeats,
        clock=getattr(clock, "__name__", repr(clock)), updates=updates, samples=samples, seconds=seconds,
        seconds_per_update=per_update, ratio={k: seconds[k] / seconds[reference] for k in windows},
        ratio_per_update={k: per_update[k] / per_update[reference] for k in windows})


# --- the passes ------------------------------------------------------------------------------------------

def _check_window(window) -> int:
    if isinstance(window, bool) or not isinstance(window, (int, np.integer)) or window < 1:
        raise ValueError(f"truncation window must be a positive int (steps per window), got {window!r}. "
                         "Fix: e.g. window=20, or window=T for full BPTT")
    return int(window)


def _one_pass(model, params, inputs, step_loss, window, loss_steps) -> int:
    """One pass of TBPTT(window); returns the number of backward calls."""
    updates = 0
    for _, loss in TBPTT(window).run(model, inputs, step_loss, loss_steps=loss_steps):
        updates += loss is not None
        for p in params:                         # as optimizer.zero_grad() would, after its step
            p.grad = None
        del loss                                 # kept, it would keep this window's graph alive into the next
    return updates


def _timed_pass(model, params, inputs, step_loss, window, loss_steps, clock) -> tuple:
    """(seconds, backward calls) of one pass."""
    gc.collect()                                 # not the previous pass's garbage: this pass's own
    start = clock()
    updates = _one_pass(model, params, inputs, step_loss, window, loss_steps)
    return clock() - start, updates


def peak_memory(run) -> int:
    """The most bytes ``run()`` held at once, above what was held before it (tracemalloc, which NumPy
    reports its arrays to, after ``gc.collect()``). A tracemalloc already running is left running."""
    gc.collect()                                 # a clean slate, so that the peak is this pass's own
    tracing = tracemalloc.is_tracing()
    if tracing:
        tracemalloc.reset_peak()
    else:
        tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        run()
        return int(tracemalloc.get_traced_memory()[1] - base)
    finally:
        if not tracing:
            tracemalloc.stop()


# --- counting the work, from the graphs ------------------------------------------------------------------

class _Recorder:
    """``model`` whose ``step`` also keeps what each step returned (y_t and the state), so that the
    whole graph of a window can be walked, also any part of it that no loss depends on."""

    def __init__(self, model):
        self.model, self.outputs = model, []

    def step(self, x_t, state=None):
        y, state = self.model.step(x_t, state)
        self.outputs.append(y)
        self.outputs.extend(state if isinstance(state, (tuple, list)) else [state])
        return y, state

    def take(self) -> list:
        outputs, self.outputs = [t for t in self.outputs if isinstance(t, Tensor)], []
        return outputs


def _all_inputs(tensor) -> tuple:
    """Every input of the op that made ``tensor`` (also those that need no gradient, and cut states)."""
    return tensor.grad_fn.parents if tensor.grad_fn is not None else ()


def _nodes(tensors) -> int:
    """Distinct Function nodes that made ``tensors`` (an op with several outputs counts once)."""
    return len({id(t.grad_fn) for t in tensors if t.grad_fn is not None})


def _is_detached(tensor) -> bool:
    """Made by ``detach()``: the tensor remembers where it was cut from (as ``viz.walk.is_detached`` reads it)."""
    return tensor.is_leaf and getattr(tensor, "_cut_from", None) is not None


def _counted_pass(model, params, inputs, step_loss, window, loss_steps) -> dict:
    """One pass, reading each window's graph after its backward (the links stay; only saved arrays go)."""
    recorder = _Recorder(model)
    counts = dict(updates=0, cuts=0, forward_nodes=0, backward_nodes=0, update_nodes=0)
    for _, loss in TBPTT(window).run(recorder, inputs, step_loss, loss_steps=loss_steps):
        roots = recorder.take() + ([loss] if loss is not None else [])
        everything = topological_order(roots, inputs_of=_all_inputs)
        counts["forward_nodes"] += _nodes(everything)
        counts["cuts"] += any(_is_detached(t) for t in everything)   # the graph starts from a cut state
        if loss is not None:
            walked = _nodes(topological_order(loss))          # what run_backward walked: one backward each
            counts["updates"] += 1
            counts["backward_nodes"] += walked
            counts["update_nodes"] = max(counts["update_nodes"], walked)
        for p in params:
            p.grad = None
        del loss, roots, everything
    return counts
