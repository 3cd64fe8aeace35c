r"""Lecture §4: truncated BPTT — what a window costs, and what it cannot learn.

    result = truncation.run(truncation.Config(seed=3))

1. **Cost.** One pass of ``TBPTT(k)`` over a T-step text sequence (a tanh RNN, H = 32, a loss at
   every step) for several windows k, k = T being full BPTT. Every step runs forward once and
   backward once whatever k is: the work per sequence (graph nodes built and backpropagated,
   counted) is the same up to a little per window; what k changes is how many updates a
   sequence gives (⌈T/k⌉), the work per update (∝ k) and the memory held at once (∝ k, not T).
   Times are medians of interleaved repeats, given as ratios to full BPTT within the run; they
   vary from machine to machine, so the claims rest on the counted work and the memory.
2. **The blind spot.** The agreement task: a subject (singular or plural), L distractor words,
   then the verb, which must agree with the subject. An LSTM trained with a window of 6 steps
   learns it while the sentence fits in the window (L + 2 ≤ 6) and stays at chance beyond;
   full BPTT learns every length tried.
"""
import dataclasses

import numpy as np

from ..analysis import time_truncation, truncation_cost
from ..tasks import make_task
from ..train import SequenceModel, TrainConfig, train
from .claims import above, below, close, equal
from .result import Result

TITLE = "Full BPTT vs truncated windows: work, memory, and what they can learn"
LECTURE = "§4 truncated backpropagation through time"
CHAPTER = "06-truncated-bptt.md"


@dataclasses.dataclass
class Config:
    seed: int = 0
    cost: dict = dataclasses.field(default_factory=lambda: dict(task="text", cell="rnn", batch=8, hidden=32,
                                                                 steps=400, windows=(20, 50, 100, 400)))
    learn: dict = dataclasses.field(default_factory=lambda: dict(task="agreement", cell="lstm", hidden=16,
                                                                  batch=32, lr=1e-2, iters=200, log_every=200))
    timing_repeats: int = 3
    window: int = 6
    lengths: tuple = (0, 4, 6, 10)

    def quick(self) -> "Config":
        return dataclasses.replace(self, cost={**self.cost, "steps": 100, "windows": (10, 25, 100)}, lengths=(2, 10))


def _costs(r: Result, config: Config, note) -> None:
    c = config.cost
    T, windows = c["steps"], c["windows"]
    task = make_task(c["task"], seq_len=T)
    batch = task.batch(c["batch"], rng=config.seed)
    model = SequenceModel(c["cell"], task.input_size, c["hidden"], task.output_size,
                          generator=np.random.default_rng(config.seed))
    step_loss = lambda y, t: task.step_loss(y, batch, t)        # noqa: E731
    costs = []
    for k in windows:
        if note:
            note(f"one pass over {T} characters with windows of {k}" + (" (full BPTT)" if k >= T else "")
                 + ": the work counted, the memory traced")
        cost = truncation_cost(model, batch.inputs, step_loss, window=k, timed=False)
        costs.append(cost)
        name = "full BPTT" if k >= T else f"window {k}"
        r.add(f"window_{k}.updates", cost.updates, f"backward calls (updates) per sequence, {name}")
        r.add(f"window_{k}.forward_nodes", cost.forward_nodes, f"graph nodes built per sequence, {name}")
        r.add(f"window_{k}.backward_nodes", cost.backward_nodes, f"nodes backpropagated per sequence, {name}")
        r.add(f"window_{k}.update_nodes", cost.update_nodes, f"nodes backpropagated by one update, {name}")
        r.add(f"window_{k}.peak_mb", cost.peak_bytes / 1e6, f"peak memory (MB, tracemalloc), {name}", fmt=".3g")
    full, smallest = costs[-1], costs[0]
    for cost in costs:
        k = cost.window
        r.add(f"window_{k}.work_vs_full", cost.backward_nodes / full.backward_nodes,
              f"work per sequence (nodes backpropagated) / full BPTT's, window {k}", fmt=".4f")
        r.add(f"window_{k}.nodes_fewer_than_full", full.backward_nodes - cost.backward_nodes,
              f"nodes backpropagated per sequence: full BPTT's minus window {k}'s")
        r.add(f"window_{k}.update_vs_full", cost.update_nodes / full.update_nodes,
              f"work per update / full BPTT's, window {k} (k/T = {k / T:.3g})", fmt=".4f")
    r.add("memory_full_over_smallest", full.peak_bytes / smallest.peak_bytes,
          f"peak memory of full BPTT / window {windows[0]}", fmt=".3g", headline=True)
    if note:
        note(f"timing the {len(windows)} windows, interleaved, {config.timing_repeats} rounds")
    timing = time_truncation(model, batch.inputs, step_loss, windows, repeats=config.timing_repeats)
    for k in windows:
        r.add(f"window_{k}.seconds", timing.seconds[k], f"CPU seconds per sequence (median of "
              f"{config.timing_repeats}), window {k}", fmt=".3f", varies=True)
        r.add(f"window_{k}.time_vs_full", timing.ratio[k], f"time per sequence / full BPTT's, window {k}",
              fmt=".2f", varies=True)
    r.series["costs"] = costs
    r.series["timing"] = timing

    where = (CHAPTER, "What truncation buys: time and memory")
    r.claim(f"a window of k steps gives ⌈T/k⌉ updates per sequence: {smallest.updates} for k = {windows[0]}, one for "
            "full BPTT", where, *[equal(f"window_{k}.updates", -(-T // k)) for k in windows])
    r.claim("every step runs forward and backward once whatever the window: the work per sequence is full "
            "BPTT's, less one node per extra window (each window sums its own losses), within 2% of it", where,
            *[equal(f"window_{k}.nodes_fewer_than_full", -(-T // k) - 1) for k in windows[:-1]],
            *[close(f"window_{k}.work_vs_full", 1.0, 0.02) for k in windows[:-1]])
    r.claim("what the window changes is the work per update, proportional to k (to within 2%: the loss sum of "
            "a window has one node fewer than its steps)", where,
            *[close(f"window_{k}.update_vs_full", k / T, 0.02 * k / T) for k in windows])
    ratio = T / windows[0]
    r.claim(f"the memory held grows with the window, not with T: full BPTT over {T} steps keeps at least "
            f"{ratio / 4:g} times the memory of a window of {windows[0]} ({ratio:g} times the steps)", where,
            above("memory_full_over_smallest", ratio / 4))


def _learning(r: Result, config: Config, note) -> None:
    k = config.window
    accuracy = {f"window {k}": [], "full BPTT": []}
    for L in config.lengths:
        T = L + 2                                  # subject, L distractor words, verb
        if note:
            note(f"agreement with L = {L} words between subject and verb: window {k}"
                 + ("" if T <= k else ", then full BPTT"))
        windowed = train(TrainConfig(seq_len=T, tbptt=k, **config.learn, seed=config.seed))
        # a sentence that fits in one window: TBPTT(k) is full BPTT, the same computation
        full = windowed if T <= k else train(TrainConfig(seq_len=T, **config.learn, seed=config.seed))
        accuracy[f"window {k}"].append(windowed.value)
        accuracy["full BPTT"].append(full.value)
        longest = L == config.lengths[-1]
        r.add(f"agreement_L{L}.window", windowed.value, f"held-out accuracy, L = {L}, window {k}", fmt=".3f",
              headline=longest)
        r.add(f"agreement_L{L}.full", full.value, f"held-out accuracy, L = {L}, full BPTT", fmt=".3f",
              headline=longest)
        r.add(f"agreement_L{L}.chance", windowed.baseline, f"accuracy of the trivial guess on the same batch, L = {L}",
              fmt=".3f")
    r.series["accuracy"] = accuracy
    fits = [L for L in config.lengths if L + 2 <= k]
    where = (CHAPTER, "What truncation costs: the blind spot")
    longest = config.lengths[-1]
    r.claim(f"a dependency longer than the window cannot be learned: with a window of {k}, subject and verb "
            f"{longest} words apart stay within 0.15 of the trivial guess's accuracy", where,
            below(f"agreement_L{longest}.window", 0.15 + r.values[f"agreement_L{longest}.chance"]))
    r.claim("full BPTT learns every distance tried (held-out accuracy above 0.9)", where,
            *[above(f"agreement_L{L}.full", 0.9) for L in config.lengths])
    if fits:
        r.claim(f"while subject and verb fit in one window (L + 2 ≤ {k}) the window learns it too", where,
                *[above(f"agreement_L{L}.window", 0.9) for L in fits])


def run(config: Config = Config(), note=None) -> Result:
    r = Result("truncation", TITLE, lecture=LECTURE, chapter=CHAPTER, config=config)
    _costs(r, config, note)
    _learning(r, config, note)
    return r
