"""Part 4: full BPTT against truncation windows — what each costs (backward calls, time, peak memory over
one long sequence) and what each can learn (the agreement task, subject and verb L words apart)."""
import numpy as np

from ...analysis.curves import Panel, curves_figure
from ...analysis.truncation_cost import truncation_cost
from ...tasks import make_task
from ...train import SequenceModel, TrainConfig, train
from .drawings import draw_unrolled
from .summary import Section

TITLE = "Full BPTT vs truncated windows: time, memory, and what they can learn"
COST_FULL = {"T": 400, "windows": (20, 50, 100, 400)}
COST_QUICK = {"T": 100, "windows": (10, 25, 100)}
COST = dict(task="text", cell="rnn", batch=8, hidden=32, seed=0)
LEARN = dict(task="agreement", cell="lstm", hidden=16, batch=32, lr=1e-2, iters=200, log_every=200, seed=0)
WINDOW = 6
LENGTHS_FULL = (0, 2, 4, 5, 6, 8, 10)
LENGTHS_QUICK = (2, 8)
CH = "06-truncated-bptt.md"


def _costs(ctx, section, T, windows):
    task = make_task(COST["task"], seq_len=T)
    batch = task.batch(COST["batch"], rng=COST["seed"])
    model = SequenceModel(COST["cell"], task.input_size, COST["hidden"], task.output_size,
                          generator=np.random.default_rng(COST["seed"]))
    claim_memory = "truncation makes long sequences affordable: the memory held grows with the window, not with T"
    costs = []
    for k in windows:
        ctx.note(f"one pass over {T} characters with windows of {k}" + (" (full BPTT)" if k >= T else ""))
        cost = truncation_cost(model, batch.inputs, lambda y, t: task.step_loss(y, batch, t), window=k)
        costs.append(cost)
        name = "full BPTT" if k >= T else f"window {k}"
        section.add(f"window_{k}.updates", cost.updates, f"backward calls (updates) per sequence, {name}",
                    "truncation gives more, cheaper updates per sequence", CH, "What truncation buys: time and memory")
        section.add(f"window_{k}.seconds", cost.seconds, f"seconds for one pass (forward and backward), {name}",
                    "every step runs forward and backward once per sequence whatever the window; shorter "
                    "windows only add a little overhead per window", CH,
                    "What truncation buys: time and memory", fmt=".3f", varies=True)
        section.add(f"window_{k}.peak_mb", cost.peak_bytes / 1e6, f"peak memory (MB, tracemalloc), {name}",
                    claim_memory, CH, "What truncation buys: time and memory", fmt=".3g", varies=True)
    section.add("memory_full_over_smallest", costs[-1].peak_bytes / costs[0].peak_bytes,
                f"peak memory of full BPTT / window {windows[0]}", claim_memory, CH,
                "What truncation buys: time and memory", fmt=".2f", varies=True, headline=True)
    return costs


def _learning(ctx, section, lengths):
    claim = "a dependency longer than the window cannot be learned"
    accuracy = {f"window {WINDOW}": [], "full BPTT": []}
    chance = None
    for L in lengths:
        T = L + 2                                  # subject, L distractor words, verb
        ctx.note(f"agreement with L = {L} words between subject and verb: window {WINDOW}"
                 + ("" if T <= WINDOW else ", then full BPTT"))
        windowed = train(TrainConfig(seq_len=T, tbptt=WINDOW, **LEARN))
        # a sentence that fits in one window: TBPTT(6) is full BPTT, the same computation
        full = windowed if T <= WINDOW else train(TrainConfig(seq_len=T, **LEARN))
        chance = windowed.baseline
        accuracy[f"window {WINDOW}"].append(windowed.value)
        accuracy["full BPTT"].append(full.value)
        longest = L == lengths[-1]
        section.add(f"agreement_L{L}.window", windowed.value, f"held-out accuracy, L = {L}, window {WINDOW}",
                    claim, CH, "What truncation costs: the blind spot", fmt=".3f", headline=longest)
        section.add(f"agreement_L{L}.full", full.value, f"held-out accuracy, L = {L}, full BPTT", claim, CH,
                    "What truncation costs: the blind spot", fmt=".3f", headline=longest)
    section.add("agreement_chance", chance, "accuracy of guessing (chance)", claim, CH,
                "What truncation costs: the blind spot", fmt=".3g")
    return accuracy, chance


def run(ctx) -> Section:
    cost_settings = COST_QUICK if ctx.quick else COST_FULL
    lengths = LENGTHS_QUICK if ctx.quick else LENGTHS_FULL
    T, windows = cost_settings["T"], cost_settings["windows"]
    settings = {"cost_task": COST["task"], "cost_T": T, "cost_cell": COST["cell"], "cost_H": COST["hidden"],
                "cost_batch": COST["batch"], "windows": ", ".join(map(str, windows)),
                "learn_task": LEARN["task"], "learn_cell": LEARN["cell"], "learn_H": LEARN["hidden"],
                "learn_iters": LEARN["iters"], "learn_window": WINDOW,
                "distractor_lengths": ", ".join(map(str, lengths)), "seed": LEARN["seed"]}
    section = Section("truncation", TITLE, "§4 truncated backpropagation through time", CH, settings)
    costs = _costs(ctx, section, T, windows)
    accuracy, chance = _learning(ctx, section, lengths)

    def figure():
        memory = Panel(f"peak memory of one pass, T = {T}", {"peak memory (MB)": (
            [c.window for c in costs], [c.peak_bytes / 1e6 for c in costs])}, xlabel="window k (k = T: full BPTT)",
            ylabel="MB")
        learn = Panel("agreement task: what the window can learn",
                      {name: (list(lengths), values) for name, values in accuracy.items()},
                      xlabel="L, words between subject and verb", ylabel="held-out accuracy",
                      reference=(chance, "chance"))
        return curves_figure([memory, learn])
    section.file(ctx.out.figure("truncation.png", figure, section.key,
                                "peak memory against the window, and agreement accuracy against the distance "
                                "for a window and for full BPTT"))
    section.file(draw_unrolled(ctx.out, "rnn_truncated", section.key,
                               "a tanh RNN over 10 steps, truncated after step 5: no gradient crosses the cut",
                               cell="rnn", steps=10, detail="cells", cut_at=5,
                               title="tanh RNN, T = 10, truncated after step 5: the gradient stops at the cut"))
    return section
