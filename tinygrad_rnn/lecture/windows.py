r"""Lecture §4's window table, tested on real text: one LSTM, one stream, several truncation windows.

    result = windows.run(windows.Config(seed=0))
    result.values["k_20.bpc"], result.series["rows"]

The corpus is the stream of ``tasks.TextStream`` (``pydoc_data.topics``, ~465 KB of English), cut
into B tracks. For each window k the same LSTM (same initial weights) is trained with ``TBPTT(k)``
on the stream, h and c carried from window to window, for the same budget of characters read;
"full" is full BPTT over ``full`` characters: each span of that many characters is a sequence of
its own (state reset, one backward through all of it). Each row reports:

- held-out bits per character (the held-out slice, streamed; ``train.loop.StreamHeldOut``);
- wall time per character read, and per update (``time.perf_counter`` around the training loop;
  they vary from machine to machine: compare within one run);
- peak memory of one update (tracemalloc, ``analysis.truncation_cost``'s measurement);
- updates made (budget / (B k));
- mean ||dL/dh_(t-d)|| against d inside a window, after training: the loss of a window's last
  step, its gradient at every h of the window (``analysis.all_gradients``), the norm per track,
  averaged over tracks and over a few windows.

The lecture counts windows in words; ``chars_per_word`` (characters / whitespace-separated words,
the space included) converts them: the lecture's 20-50 words are ``20 * chars_per_word`` to
``50 * chars_per_word`` characters here.
"""
import dataclasses
import math
import time

import numpy as np

from .. import optim
from ..analysis import all_gradients
from ..analysis.truncation_cost import peak_memory
from ..core import Tensor
from ..core.backward import topological_order
from ..nn import functional as F
from ..tasks import TextStream
from ..train import TBPTT, SequenceModel, StreamCursor, stream_update
from ..train.loop import StreamHeldOut
from ..train.truncation import model_input
from .claims import above, below
from .result import Result

TITLE = "The window table on real text: bits per character, time and memory against the window"
LECTURE = "§4 truncated backpropagation through time"
CHAPTER = "06-truncated-bptt.md"
SECTION = "The window table, tested"


@dataclasses.dataclass
class Config:
    seed: int = 0
    hidden: int = 64
    batch: int = 32                   # tracks
    lr: float = 1e-2                  # Adam
    budget: int = 1_000_000           # characters read by each run (updates = budget // (batch * k))
    windows: tuple = (5, 10, 20, 50, 100, 200)
    full: int = 400                   # full BPTT over spans of this many characters
    grad_windows: int = 2             # windows the gradient-against-d curve is averaged over
    text: str | None = None           # None: the default corpus (pydoc_data.topics)

    def quick(self) -> "Config":
        return dataclasses.replace(self, budget=500_000, windows=(10, 50), full=100, hidden=32)


def _train_one(stream, config, k, carry):
    """Train a fresh LSTM with TBPTT(k) on the stream for the budget; returns (model, updates, seconds, cursor)."""
    model = SequenceModel("lstm", stream.input_size, config.hidden, stream.output_size,
                          generator=np.random.default_rng(config.seed))
    optimizer = optim.Adam(list(model.parameters()), lr=config.lr)
    tbptt, cursor = TBPTT(k), StreamCursor()
    updates = config.budget // (stream.batch_size * k)
    start = time.perf_counter()
    for _ in range(updates):
        loss, cursor = stream_update(tbptt, model, stream, cursor, carry=carry)
        del loss
        optimizer.step()
        optimizer.zero_grad()
    return model, updates, time.perf_counter() - start, cursor


def _cost_of_one_update(model, stream, k, carry, cursor) -> tuple:
    """(bytes held at once, graph size) of one update (forward, loss, backward) from ``cursor``; the
    graph size is the number of tensors its backward walks (``core.backward.topological_order``, read
    after the backward: the links stay), an exact count of the work. No weight changes."""
    def update():
        loss, _ = stream_update(TBPTT(k), model, stream, cursor, carry=carry)
        del loss
    try:
        loss, _ = stream_update(TBPTT(k), model, stream, cursor, carry=carry)
        size = len(topological_order(loss))
        del loss
        return peak_memory(update), size
    finally:
        for p in model.parameters():
            p.grad = None


def gradient_against_distance(model, stream, k, cursor, carry, windows=2) -> np.ndarray:
    """(k,) mean ||dL/dh_(t-d)|| for d = 0 .. k-1: L the loss of the last step t of a window of k steps,
    h_(t-d) the state d steps before it; the norm per track, averaged over tracks and ``windows``
    consecutive windows of the stream from ``cursor`` (state carried in, or zeros without ``carry``)."""
    total = np.zeros(k)
    step, state = cursor.step, cursor.state if carry else None
    for _ in range(windows):
        if step + k > stream.track_length:
            step, state = 0, None
        batch = stream.window(step, step + k)
        dtype = model.cell.weight_ih.dtype
        hs, y = [], None
        for t in range(k):
            y, state = model.step(model_input(batch.inputs[t], dtype), state)
            hs.append(model.hidden(state))
        loss = F.cross_entropy(y, batch.targets[-1])
        grads = all_gradients(loss)
        for d in range(k):
            g = grads.get(hs[k - 1 - d])
            total[d] += 0.0 if g is None else float(np.linalg.norm(g.astype(np.float64), axis=1).mean())
        state = tuple(Tensor(s.data) for s in state) if isinstance(state, tuple) else Tensor(state.data)
        step += k
        del loss, grads, hs
    return total / windows


def run(config: Config = Config(), note=None) -> Result:
    r = Result("windows", TITLE, lecture=LECTURE, chapter=CHAPTER, config=config)
    stream = TextStream(config.text, batch_size=config.batch)
    if note and stream.note:
        note(stream.note)
    words = len(stream.text.split())
    per_word = len(stream.text) / words
    r.add("corpus_chars", len(stream.text), f"characters in the corpus ({stream.source})")
    r.add("chars_per_word", per_word, "characters per word (characters / whitespace-separated words)", fmt=".2f")
    r.add("baseline_bits", stream.baseline_bits(), "unigram entropy of the held-out slice, bits per character",
          fmt=".3f")
    held_out = StreamHeldOut(stream)
    rows = []
    runs = [(k, True) for k in config.windows] + [(config.full, False)]
    for k, carry in runs:
        key = f"k_{k}" if carry else "full"
        name = f"window {k}" if carry else f"full BPTT over {k}"
        if note:
            note(f"{name}: {config.budget} characters read, {config.budget // (config.batch * k)} updates")
        model, updates, seconds, cursor = _train_one(stream, config, k, carry)
        bits = held_out.evaluate(model) / math.log(2)
        peak, graph = _cost_of_one_update(model, stream, k, carry, cursor)
        curve = gradient_against_distance(model, stream, k, cursor, carry, config.grad_windows)
        chars = updates * config.batch * k
        row = {"key": key, "name": name, "window": k, "carry": carry, "words": k / per_word, "bpc": bits,
               "updates": updates, "us_per_char": 1e6 * seconds / chars, "ms_per_update": 1e3 * seconds / updates,
               "peak_mb": peak / 1e6, "graph": graph, "graph_per_char": graph / (config.batch * k), "grad": curve}
        rows.append(row)
        r.add(f"{key}.window", k, f"window (characters), {name}")
        r.add(f"{key}.words", row["words"], f"window in words, {name}", fmt=".1f")
        r.add(f"{key}.bpc", bits, f"held-out bits per character, {name}", fmt=".3f", headline=True)
        r.add(f"{key}.updates", updates, f"updates made, {name}")
        r.add(f"{key}.us_per_char", row["us_per_char"], f"wall time per character read (µs), {name}", fmt=".3g",
              varies=True)
        r.add(f"{key}.ms_per_update", row["ms_per_update"], f"wall time per update (ms), {name}", fmt=".3g",
              varies=True)
        r.add(f"{key}.peak_mb", row["peak_mb"], f"peak memory of one update (MB, tracemalloc), {name}", fmt=".3g")
        r.add(f"{key}.graph", graph, f"tensors in one update's graph (the work of its backward), {name}")
        r.add(f"{key}.graph_per_char", row["graph_per_char"], f"graph tensors per character read, {name}",
              fmt=".3f")
        if k > 50:
            r.add(f"{key}.grad_50_over_0", curve[50] / curve[0], f"||dL/dh_(t-50)|| / ||dL/dh_t||, {name}",
                  fmt=".2e")
        r.add(f"{key}.grad_far_over_near", curve[-1] / curve[0],
              f"||dL/dh_(t-d)|| at the window's far end (d = {k - 1}) / at d = 0, {name}", fmt=".2e")
    r.series["rows"] = rows
    best = min(rows, key=lambda row: row["bpc"])
    r.add("best.window", best["window"], "the window with the lowest held-out bits per character")
    r.add("best.bpc", best["bpc"], "its held-out bits per character", fmt=".3f")
    _claims(r, config, rows, per_word)
    return r


def _claims(r: Result, config: Config, rows, per_word) -> None:
    """One claim per row of the lecture's table, and two on its cost, worded as measured here."""
    v = r.values
    where = (CHAPTER, SECTION)
    carried = [row for row in rows if row["carry"]]
    short, longest, full = carried[0], carried[-1], rows[-1]
    r.claim("every window learns the text: held-out bits per character at least 0.5 below the unigram entropy",
            where, *[below(f"{row['key']}.bpc", v["baseline_bits"] - 0.5) for row in rows])
    r.claim(f"at a fixed budget of characters the shortest carried window learns best, not the lecture's 'good' "
            f"row (20-50 words, about {20 * per_word:.0f}-{50 * per_word:.0f} characters): the longest carried "
            f"window ({longest['window']} characters, {longest['words']:.0f} words) ends at least 10% above the "
            f"shortest ({short['window']} characters) in bits per character; shorter windows make more updates",
            where, above(f"{longest['key']}.bpc", 1.1, f"{short['key']}.bpc"))
    deep = [row for row in rows if row["window"] > 50]
    if deep:
        r.claim(f"the gradient vanishes inside a window, as the 'meh' row warns, and sooner: inside every "
                f"window longer than 50 characters, "
                f"||dL/dh_(t-d)|| 50 characters ({50 / per_word:.0f} words) back is below 1/100 of its value at "
                f"the last step, so the gradient has vanished long before 100 words", where,
                *[below(f"{row['key']}.grad_50_over_0", 1e-2) for row in deep])
    fade = 10.0 ** -(full["window"] / 40)            # 1e-10 over 400 characters
    r.claim(f"full BPTT over {full['window']} characters is as bad as the lecture's 'bad' row says: its held-out bits per "
            f"character are the table's highest (at least 5% above every carried window's), and its gradient "
            f"from one end of the sequence to the other falls below {fade:.0e}", where,
            *[above("full.bpc", 1.05, f"{row['key']}.bpc") for row in carried],
            below("full.grad_far_over_near", fade))
    ref = next((row for row in carried if row["window"] >= 20), short)
    ratio = full["window"] / ref["window"]
    r.claim(f"truncation reduces the cost of an update in proportion to the window: full BPTT's update walks "
            f"at least {0.5 * ratio:.3g} times the graph of a window of {ref['window']} ({ratio:.3g} times the "
            f"steps), and keeps at least {0.4 * ratio:.3g} times its peak memory", where,
            above("full.graph", 0.5 * ratio, f"{ref['key']}.graph"),
            above("full.peak_mb", 0.4 * ratio, f"{ref['key']}.peak_mb"))
    wide = [row for row in carried if row["window"] >= 20]
    r.claim("per character read, truncation does not reduce the cost: the graph per character of every window "
            "of 20 characters or more is within 25% of full BPTT's (each character runs forward and backward "
            "once, whatever k)", where,
            *[below(f"{row['key']}.graph_per_char", 1.25, "full.graph_per_char") for row in wide],
            *[above(f"{row['key']}.graph_per_char", 0.8, "full.graph_per_char") for row in wide])
    if short["window"] < 20:
        r.claim(f"a window of {short['window']} characters costs more per character than full BPTT (at least "
                f"1.3 times the graph per character): every update adds the same few tensors (the loss, the "
                f"read-out's input), whatever its length", where,
                above(f"{short['key']}.graph_per_char", 1.3, "full.graph_per_char"))
