"""``truncation_cost`` counts the work of truncated BPTT exactly, and ``time_truncation`` times it
interleaved, with medians and ratios from one run.

The counts are checked two independent ways: against what the engine really runs (every
``Function.apply`` that records a node, every node backward, counted by instrumenting the
engine in the test), and against a formula from one step's graph, built and counted here:
``s`` nodes per step, a window of L steps adds its L step losses with L - 1 additions. No
timing is asserted (a fake clock checks the arithmetic and the round-robin order).
"""
import importlib
import math

import numpy as np
import pytest

from tinygrad_rnn.core import Function, Tensor
from tinygrad_rnn.core.backward import reachable
from tinygrad_rnn.nn import functional as F
from tinygrad_rnn.tasks import make_task
from tinygrad_rnn.train import TBPTT, SequenceModel

cost_module = importlib.import_module("tinygrad_rnn.analysis.truncation_cost")   # the module, not the function
TruncationCost, TruncationTiming = cost_module.TruncationCost, cost_module.TruncationTiming
time_truncation, truncation_cost = cost_module.time_truncation, cost_module.truncation_cost


def small_problem(cell="rnn", T=30, seed=0):
    rng = np.random.default_rng(seed)
    model = SequenceModel(cell, 4, 5, 2, generator=np.random.default_rng(seed + 1))
    inputs = rng.standard_normal((T, 3, 4)).astype(np.float32)
    targets = rng.standard_normal((T, 3, 2)).astype(np.float32)
    return model, inputs, lambda y, t: F.mse_loss(y, targets[t])


def text_problem(T, batch_size=8):
    """The lecture's setting: a tanh RNN, H = 32, B = ``batch_size``, over a text sequence, a loss at every step."""
    task = make_task("text", seq_len=T)
    batch = task.batch(batch_size, rng=0)
    model = SequenceModel("rnn", task.input_size, 32, task.output_size, generator=np.random.default_rng(0))
    return model, batch.inputs, lambda y, t: task.step_loss(y, batch, t)


def nodes_below(root) -> int:
    """Function nodes ``root`` was computed from, found by ``reachable`` (a walk of its own, not the
    ``topological_order`` that truncation_cost counts with)."""
    return len({id(t._ctx) for t in reachable(root) if t._ctx is not None})


def nodes_per_step(model, inputs, step_loss, t=3) -> int:
    """Build one step's graph (from a cut state, as every window but the first starts) and count it."""
    _, state = model.step(Tensor(inputs[0]), None)
    start = tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()
    y, _ = model.step(Tensor(inputs[t]), start)
    return nodes_below(step_loss(y, t))


def expected(T, k, s) -> dict:
    """A window of L steps: L * s nodes for the steps, L - 1 additions to sum their losses."""
    lengths = [min(k, T - start) for start in range(0, T, k)]
    per_window = [L * s + L - 1 for L in lengths]
    return dict(updates=len(lengths), cuts=len(lengths) - 1, forward_nodes=sum(per_window),
                backward_nodes=sum(per_window), update_nodes=max(per_window))


def engine_counts(monkeypatch, run) -> dict:
    """What the engine really does while ``run()`` runs: nodes recorded by ``Function.apply`` and
    node backwards run (``Function.checked_backward``), counted by wrapping both."""
    counts = {"recorded": 0, "backwards": 0}
    apply, checked_backward = Function.__dict__["apply"].__func__, Function.checked_backward

    def counting_apply(cls, *inputs, **options):
        out = apply(cls, *inputs, **options)
        first = out[0] if isinstance(out, tuple) else out
        counts["recorded"] += first._ctx is not None
        return out

    def counting_backward(self, *args, **kwargs):
        counts["backwards"] += 1
        return checked_backward(self, *args, **kwargs)

    with monkeypatch.context() as m:
        m.setattr(Function, "apply", classmethod(counting_apply))
        m.setattr(Function, "checked_backward", counting_backward)
        run()
    return counts


def plain_pass(model, inputs, step_loss, k, loss_steps=None):
    for _, loss in TBPTT(k).run(model, inputs, step_loss, loss_steps=loss_steps):
        for p in model.parameters():
            p.grad = None


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("loss_steps", [None, [3, 4, 20, 29], [25]])
def test_counts_are_what_the_engine_runs(monkeypatch, cell, loss_steps):
    model, inputs, step_loss = small_problem(cell)
    for k in (1, 7, 10, 30):
        cost = truncation_cost(model, inputs, step_loss, k, loss_steps=loss_steps, traced=False, timed=False)
        real = engine_counts(monkeypatch, lambda: plain_pass(model, inputs, step_loss, k, loss_steps))
        assert cost.forward_nodes == real["recorded"], (k, cost)
        assert cost.backward_nodes == real["backwards"], (k, cost)
        windows = TBPTT(k).windows(len(inputs))
        with_loss = [w for w in windows if loss_steps is None or any(w.loss_start <= t < w.stop for t in loss_steps)]
        assert cost.updates == len(with_loss)
        assert cost.cuts == sum(w.cut > 0 for w in with_loss)       # each graph after the first starts at a cut
        if loss_steps is not None and k > 1:                        # steps after a window's last loss: built,
            assert cost.backward_nodes < cost.forward_nodes         # not backpropagated


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_counts_follow_from_one_step_with_a_loss_at_every_step(cell):
    model, inputs, step_loss = small_problem(cell)
    s = nodes_per_step(model, inputs, step_loss)
    T = len(inputs)
    for k in (1, 4, 7, 30, 50):
        cost = truncation_cost(model, inputs, step_loss, k, traced=False, timed=False)
        assert {f: getattr(cost, f) for f in expected(T, k, s)} == expected(T, k, s), k
        # per sequence: T steps of s nodes, and one addition per loss but the first of each window
        assert cost.forward_nodes == T * (s + 1) - cost.updates
        assert cost.backward_nodes_per_update == pytest.approx(cost.backward_nodes / cost.updates)


def test_the_lectures_setting_same_work_per_sequence_work_per_update_grows_with_the_window():
    T = 100
    model, inputs, step_loss = text_problem(T)
    s = nodes_per_step(model, inputs, step_loss)
    costs = {k: truncation_cost(model, inputs, step_loss, k, timed=False, traced=False) for k in (10, 25, 100)}
    full = costs[100]
    assert full.updates == 1 and full.cuts == 0 and full.update_nodes == full.backward_nodes == T * (s + 1) - 1
    for k, cost in costs.items():
        assert cost.updates == math.ceil(T / k) and cost.cuts == cost.updates - 1
        assert cost.forward_nodes == cost.backward_nodes == T * s + (T - cost.updates)
        # the same work per sequence, within one node per window
        assert abs(cost.backward_nodes - full.backward_nodes) <= cost.updates
        assert cost.update_nodes == k * (s + 1) - 1                  # per update: proportional to the window
    # the memory held is one window's: no earlier window's graph is kept while the next one runs.
    # (A batch of 64 here, so that a window's arrays outweigh what tracemalloc also counts as held:
    # the small tuples Python keeps for reuse, up to ~100 KB, more of them after more windows.)
    model, inputs, step_loss = text_problem(T, batch_size=64)
    peaks = {k: truncation_cost(model, inputs, step_loss, k, timed=False).peak_bytes for k in (10, 25, 100)}
    for k in (10, 25):
        alone = truncation_cost(model, inputs[:k], step_loss, k, timed=False).peak_bytes
        assert peaks[k] < 1.3 * alone, (k, peaks[k], alone)        # two windows' graphs would be 2x
        assert peaks[k] < 0.5 * peaks[100], (k, peaks[k], peaks[100])


def test_nothing_is_left_changed_and_fields_are_plain():
    model, inputs, step_loss = small_problem()
    params = list(model.parameters())
    before = [p.data.copy() for p in params]
    marker = np.full(params[0].shape, 7.0, dtype=np.float32)
    params[0].grad = marker
    cost = truncation_cost(model, inputs, step_loss, 7)
    assert params[0].grad is marker and all(p.grad is None for p in params[1:])
    assert all(np.array_equal(p.data, b) for p, b in zip(params, before))
    assert isinstance(cost, TruncationCost)
    assert cost.seconds > 0 and cost.peak_bytes > 0 and cost.window == 7 and cost.steps == len(inputs)
    assert set(cost.as_dict()) == {"window", "steps", "updates", "cuts", "forward_nodes", "backward_nodes",
                                   "update_nodes", "peak_bytes", "seconds"}
    quiet = truncation_cost(model, inputs, step_loss, 7, traced=False, timed=False)
    assert quiet.peak_bytes is None and quiet.seconds is None and quiet.forward_nodes == cost.forward_nodes


def test_time_truncation_interleaves_and_takes_medians_and_ratios(monkeypatch):
    """A fake clock that ticks once per step loss and once per window: a pass of window k over T
    steps "takes" T + ceil(T / k), so every median and ratio is known exactly."""
    model, inputs, step_loss = small_problem(T=12)
    ticks, order = [0], []

    class Recording(TBPTT):
        def run(self, *args, **kwargs):
            order.append(self.k1)
            for item in super().run(*args, **kwargs):
                ticks[0] += 1
                yield item

    def ticking_loss(y, t):
        ticks[0] += 1
        return step_loss(y, t)

    monkeypatch.setattr(cost_module, "TBPTT", Recording)
    timing = time_truncation(model, inputs, ticking_loss, (3, 6, 12), repeats=3, clock=lambda: ticks[0])
    assert isinstance(timing, TruncationTiming)
    assert order == [12, 3, 6, 12, 6, 12, 3, 12, 3, 6]               # warm-up, then round-robin, rotating
    assert timing.reference == 12 and timing.steps == 12 and timing.repeats == 3
    assert timing.updates == {3: 4, 6: 2, 12: 1}
    assert timing.samples == {3: [16] * 3, 6: [14] * 3, 12: [13] * 3}
    assert timing.seconds == {3: 16, 6: 14, 12: 13}
    assert timing.seconds_per_update == {3: 4, 6: 7, 12: 13}
    assert timing.ratio == pytest.approx({3: 16 / 13, 6: 14 / 13, 12: 1})
    assert timing.ratio_per_update == pytest.approx({3: 4 / 13, 6: 7 / 13, 12: 1})
    assert set(timing.as_dict()) >= {"seconds", "ratio", "ratio_per_update", "samples", "clock"}


def test_time_truncation_with_a_real_clock_leaves_the_model_alone():
    model, inputs, step_loss = small_problem(T=10)
    before = [p.data.copy() for p in model.parameters()]
    timing = time_truncation(model, inputs, step_loss, [5, 10], repeats=2)
    assert timing.clock == "process_time"
    assert all(len(v) == 2 and all(x >= 0 for x in v) for v in timing.samples.values())
    assert timing.ratio[10] == 1
    assert all(p.grad is None for p in model.parameters())
    assert all(np.array_equal(p.data, b) for p, b in zip(model.parameters(), before))


@pytest.mark.parametrize("call, message", [
    (lambda m, x, f: truncation_cost(m, x, f, 0), "positive int"),
    (lambda m, x, f: truncation_cost(m, x, f, 2.5), "positive int"),
    (lambda m, x, f: time_truncation(m, x, f, (5, 5)), "distinct"),
    (lambda m, x, f: time_truncation(m, x, f, ()), "distinct"),
    (lambda m, x, f: time_truncation(m, x, f, (5,), repeats=0), "repeats"),
])
def test_bad_arguments_say_what_to_pass(call, message):
    model, inputs, step_loss = small_problem(T=5)
    with pytest.raises(ValueError, match=message):
        call(model, inputs, step_loss)
