"""``train``: fit a ``SequenceModel`` to a task with (truncated) BPTT, clipping and an optimizer.

    result = train(TrainConfig(task="adding", cell="lstm", seq_len=50, iters=2000, clip=1.0))
    result.value, result.baseline            # held-out MSE vs. predicting 1 on the same held-out batch
    result.baseline_expected                 # ... and that predictor's expected MSE, 1/6

One iteration: draw a batch, run ``TBPTT`` over it (full BPTT by default), each window the
layer's way (the model over the window, then ``task.window_loss``: one call); after each
window's ``backward()``: measure the gradient norm, clip it if asked, take an optimizer
step, zero the gradients. Every ``log_every`` iterations: evaluate on a fixed held-out
batch, add what ``observe(model)`` returns (if given), call ``on_log``, append a line to
``metrics.jsonl`` and write a checkpoint (if ``out`` is set). ``should_stop()`` is polled
between iterations, so an interrupt can end training cleanly after the checkpoint is written.

Files in ``out``: ``config.json``; ``metrics.jsonl`` (one JSON record per line, each written
whole); ``model.npz`` (the model alone, for ``model.load_state_dict(tinygrad_rnn.load(...))``);
``checkpoint/`` (model, optimizer state, iteration, random generator state and the log so
far, replaced atomically: see ``train/checkpoint.py``); ``.lock``, held while the run writes
(a second run on the same folder fails at once: ``checkpoint.lock_run_folder``).
``train(config, resume=out)`` continues from that checkpoint and ends exactly where an
uninterrupted run with the same settings would: the same parameters, optimizer state and log.

Memory: with truncated BPTT, training holds k2 steps of graph whatever T is, and the held-out
batch is bounded too: a long one is never held whole but drawn in chunks of sequences and
evaluated window by window (``HeldOut``), so ``train`` runs in memory independent of T.

A text stream (``stream=True``, task "text"): the text is cut into ``batch`` tracks
(``tasks.TextStream``) and one iteration is one update of ``stream_update``: the next k1
characters of every track, h and c carried from the update before (with ``tbptt``/``k1``; without,
each ``seq_len`` stretch is a sequence of its own, full BPTT). The held-out slice (the text's last
5%) is read the same way (``StreamHeldOut``); the metric is nats per character. The checkpoint
keeps the stream's position and the carried state, so a resumed run goes on bit for bit.

A non-finite loss or gradient norm stops training at once: that window's step is not
taken, the checkpoint is not overwritten, and ``TrainResult.stopped`` says what happened.
"""
import contextlib
import dataclasses
import json
import math
import numbers
import os
import time

import numpy as np

from .. import nn, optim
from ..core import Tensor, no_grad
from ..serialization import atomic_write, save
from ..nn.cells import CELLS
from ..nn.utils import total_norm
from ..tasks import TASKS, Batch, Task, make_task
from ..tasks.stream import TextStream
from .checkpoint import CHECKPOINT_JSON, CHECKPOINT_SUBDIR, load_checkpoint, lock_run_folder, save_checkpoint
from .model import INITS, SequenceModel
from .truncation import TBPTT, StreamCursor, model_dtype, model_input, stream_update

OPTIMIZERS = {"sgd": optim.SGD, "adam": optim.Adam, "adagrad": optim.Adagrad}


@dataclasses.dataclass
class TrainConfig:
    """Every setting of a run (the ``tinygrad-rnn train`` options have the same names)."""
    task: str = "adding"              # adding | copy | agreement | text
    text: str | None = None           # a text file for task "text" (None: the bundled text; with stream: pydoc)
    stream: bool = False              # task "text" read as one stream of B tracks, the state carried (--stream)
    cell: str = "lstm"                # rnn | lstm | gru
    hidden: int = 32
    seq_len: int = 50
    batch: int = 32
    iters: int = 1000
    optim: str = "adam"               # sgd | adam | adagrad
    lr: float = 1e-2
    tbptt: int | None = None          # k (k1 = k2 = k); None: full BPTT
    k1: int | None = None
    k2: int | None = None
    random_truncation: bool = False
    clip: float | None = None         # clip_grad_norm_ threshold
    clip_value: float | None = None   # clip_grad_value_ threshold
    init: str = "default"             # default | normal | orthogonal | identity | spectral (of weight_hh)
    init_scale: float | None = None   # None: the scheme's default (see nn.init.init_weight_hh_)
    forget_bias: float | None = None  # cell "lstm": b_f (nn.init.forget_gate_bias_); None: PyTorch's init
    nonlinearity: str = "tanh"        # for cell "rnn"
    fused: bool = True                # each step one node (fast); False: every op a node (--every-op)
    seed: int = 0
    out: str | None = None            # folder for config.json, metrics.jsonl, model.npz, checkpoint/
    log_every: int = 50
    eval_batch: int = 256
    agreement_min_distractor: int | None = None

    def check(self) -> "TrainConfig":
        """``self`` if every setting is valid; else a ValueError listing each problem in one line, each
        naming the setting (and its ``tinygrad-rnn train`` option), the bad value and a fix."""
        problems = []
        for name, valid in (("task", TASKS), ("cell", CELLS), ("nonlinearity", ("tanh", "relu"))):
            if getattr(self, name) not in valid:
                problems.append(f"{name} must be one of {', '.join(valid)}, got {getattr(self, name)!r}")
        if self.optim not in OPTIMIZERS:
            problems.append(f"optim must be one of {', '.join(OPTIMIZERS)}, got {self.optim!r}")
        if self.init not in INITS:
            problems.append(f"init must be one of {', '.join(INITS)}, got {self.init!r}")
        for name, (rule, fix) in _NUMBERS.items():
            problem = _number_problem(name, getattr(self, name), rule, fix)
            if problem:
                problems.append(problem)
        if not isinstance(self.fused, (bool, np.bool_)):
            problems.append(f"fused must be True or False, got {self.fused!r} ({type(self.fused).__name__}). Fix: "
                            f"leave it out (one node per step), or fused=False (--every-op) for every op a node")
        if not isinstance(self.stream, (bool, np.bool_)):
            problems.append(f"stream (--stream) must be True or False, got {self.stream!r}. Fix: stream=True")
        elif self.stream and self.task != "text":
            problems.append(f"stream (--stream) reads a text as one long stream, so it needs task 'text', got "
                            f"{self.task!r}. Fix: --task text --stream, or leave --stream out")
        if self.text is not None and self.task != "text":
            problems.append(f"text (--text) is read by task 'text' only; task {self.task!r} would leave it unused. "
                            "Fix: --task text --text FILE, or leave --text out")
        if not isinstance(self.random_truncation, (bool, np.bool_)):
            problems.append(f"random_truncation (--random-truncation) must be True or False, got "
                            f"{self.random_truncation!r} ({type(self.random_truncation).__name__}). Fix: "
                            f"random_truncation=True (--random-truncation), or leave it out")
        k1, k2 = (value if _is_int(value) and value >= 1 else None for value in (self.k1, self.k2))  # valid ones
        if self.tbptt is not None and (self.k1 is not None or self.k2 is not None):
            problems.append("give either tbptt K or k1/k2, not both. Fix: tbptt=K alone (--tbptt K: k1 = k2 = K), "
                            "or k1/k2 without tbptt (--k1 20 --k2 40)")
        elif k2 is not None and self.k1 is None:
            problems.append(f"k2 needs k1 (every k1 steps, backpropagate through k2 steps). Fix: give k1 <= {k2} "
                            f"too (e.g. --k1 {max(1, k2 // 2)} --k2 {k2}), or use tbptt alone (--tbptt {k2})")
        elif k1 is not None and k2 is not None and k2 < k1:
            problems.append(f"k2 ({k2}) must be at least k1 ({k1}): each backward pass covers the k1 new steps, "
                            f"and k2 - k1 more. Fix: k2 >= {k1} (--k2 {k1}), or leave k2 out (k2 = k1)")
        problems += _forget_bias_problems(self.forget_bias, self.cell)
        if problems:
            raise ValueError("train: " + "; ".join(problems))
        return self

    def truncation(self, rng) -> TBPTT:
        """The TBPTT schedule these settings ask for (full BPTT when none is given)."""
        k1 = next((k for k in (self.tbptt, self.k1) if k is not None), self.seq_len)
        k2 = self.k2 if self.k2 is not None else k1
        return TBPTT(k1, None if self.random_truncation else k2, random=self.random_truncation, rng=rng)


# The numeric settings: name -> (rule, fix). A rule is (kind, lowest allowed, may be None); kind
# "int" (>= lowest), "positive" (a finite number > 0) or "finite" (any finite number). The fix is
# what to write instead (its {flag} is the setting's ``tinygrad-rnn train`` option).
_NUMBERS = {
    "hidden": (("int", 1, False), "hidden=32 ({flag} 32)"),
    "seq_len": (("int", 1, False), "seq_len=50 ({flag} 50)"),
    "batch": (("int", 1, False), "batch=32 ({flag} 32)"),
    "iters": (("int", 1, False), "iters=1000 ({flag} 1000)"),
    "log_every": (("int", 1, False), "log_every=50 ({flag} 50)"),
    "eval_batch": (("int", 1, False), "eval_batch=256"),
    "seed": (("int", 0, False), "seed=0 ({flag} 0)"),
    "tbptt": (("int", 1, True), "tbptt=50 ({flag} 50) for windows of 50 steps, or tbptt=None (leave {flag} out) "
                                "for full BPTT"),
    "k1": (("int", 1, True), "k1=20 ({flag} 20: backpropagate every 20 steps), or k1=None (leave {flag} and "
                             "--k2 out) for full BPTT"),
    "k2": (("int", 1, True), "k2 >= k1 (--k1 20 {flag} 40), or k2=None (leave {flag} out: k2 = k1)"),
    "agreement_min_distractor": (("int", 0, True), "agreement_min_distractor=5 (distractors of 5 to seq_len - 2 "
                                                   "words), or None (all of seq_len - 2)"),
    "lr": (("positive", None, False), "lr=0.01 ({flag} 1e-2)"),
    "clip": (("positive", None, True), "clip=1.0 ({flag} 1), or clip=None (leave {flag} out) for no clipping"),
    "clip_value": (("positive", None, True), "clip_value=0.5 ({flag} 0.5), or clip_value=None (leave {flag} "
                                             "out)"),
    "init_scale": (("finite", None, True), "init_scale=1.0 ({flag} 1), or init_scale=None (leave {flag} out) "
                                           "for the scheme's default"),
}
# settings without a ``tinygrad-rnn train`` option
_NO_FLAG = ("eval_batch", "agreement_min_distractor")


def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def _number_problem(name, value, rule, fix) -> str | None:
    """What is wrong with the numeric setting ``name`` (None: nothing), with its fix."""
    kind, lowest, optional = rule
    if value is None and optional:
        return None
    flag = "--" + name.replace("_", "-")
    label = name if name in _NO_FLAG else f"{name} ({flag})"
    fix = fix.format(flag=flag)
    if kind == "int":
        expected = f"an int >= {lowest}"
        valid_type = _is_int(value)
        in_range = valid_type and value >= lowest
    else:
        expected = "a finite number > 0" if kind == "positive" else "a finite number"
        valid_type = isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))
        in_range = valid_type and math.isfinite(value) and (kind == "finite" or value > 0)
    if in_range:
        return None
    expected += " or None" if optional else ""
    if valid_type:
        return f"{label} must be {expected}, got {value!r}. Fix: {fix}"
    meant = _meant_number(value, kind)
    if meant is not None and _number_problem(name, meant, rule, fix) is None:
        fix = f"{name}={meant!r} (the number, not the {type(value).__name__} {value!r})"
    return f"{label} must be {expected}, got {value!r} ({type(value).__name__}). Fix: {fix}"


def _meant_number(value, kind):
    """The number a wrongly typed value (the text '0.1', the float 32.0) stands for, if any."""
    if isinstance(value, (bool, np.bool_)):
        return None
    try:
        number = float(value) if isinstance(value, (str, numbers.Real)) else None
    except ValueError:
        return None
    if number is None or not math.isfinite(number):
        return None
    if kind == "int":
        return int(number) if number.is_integer() else None
    return number


def _forget_bias_problems(forget_bias, cell) -> list:
    """What is wrong with ``forget_bias`` for ``cell`` (an empty list: nothing)."""
    if forget_bias is None:
        return []
    if isinstance(forget_bias, bool) or not isinstance(forget_bias, numbers.Real):
        return [f"forget-bias must be a real number (the LSTM's forget-gate bias) or None, got {forget_bias!r} "
                f"({type(forget_bias).__name__}). Fix: forget_bias=1.0 (--forget-bias 1)"]
    if not math.isfinite(forget_bias):
        return [f"forget-bias must be a finite number, got {forget_bias}. Fix: forget_bias=1.0 (--forget-bias 1)"]
    if cell != "lstm":
        return [f"forget-bias (--forget-bias) sets the LSTM's forget-gate bias, but cell {cell!r} has no forget "
                f"gate. Fix: use cell 'lstm' (--cell lstm), or leave forget-bias out"]
    return []


@dataclasses.dataclass
class TrainResult:
    """The held-out evaluation at the end, and the logged history.

    ``value``: the task's metric on the fixed held-out batch. ``baseline``: what the task's trivial
    predictor scores on that same batch (``task.trivial_metric``), the number to compare ``value``
    with; ``baseline_expected``: that predictor's expected metric, ``task.baseline()`` (1/6 for the
    adding problem), which ``baseline`` matches only up to the batch's sampling noise.
    ``iters``: the iterations completed (counting those before a resume). ``stopped``: None, or
    why training ended early without saving, e.g. ``"non-finite loss (nan) at iteration 12"``.
    ``checkpoint_iteration``: the iteration the checkpoint on disk holds (None without ``out``)."""
    task: str
    metric: str
    value: float
    baseline: float
    baseline_expected: float
    iters: int
    seconds: float
    interrupted: bool
    history: list
    model: SequenceModel = dataclasses.field(repr=False)
    stopped: str | None = None
    checkpoint_iteration: int | None = None
    chars_read: int | None = None     # a stream: the characters trained on (new steps x tracks); else None

    def summary(self) -> dict:
        """The JSON object ``tinygrad-rnn train --json`` prints."""
        last = self.history[-1] if self.history else {}
        return {"task": self.task, "metric": self.metric, "value": self.value, "baseline": self.baseline,
                "baseline_expected": self.baseline_expected, "iters": self.iters,
                "seconds": round(self.seconds, 3), "interrupted": self.interrupted,
                "stopped": self.stopped, "train_loss": last.get("loss"), "clip_fraction": last.get("clip_fraction")}


def build_task(config: TrainConfig):
    if config.stream:
        return TextStream(config.text, config.batch)
    options = {}
    if config.task == "text":
        options["text"] = config.text
    if config.task == "agreement" and config.agreement_min_distractor is not None:
        options["min_distractor"] = config.agreement_min_distractor
    return make_task(config.task, config.seq_len, **options)


def build_model(config: TrainConfig, task=None, rng=None) -> SequenceModel:
    """The model ``train(config)`` starts from: a ``SequenceModel`` for the task, its weights drawn
    from ``rng`` (default: a new generator seeded with ``config.seed``, which gives exactly the
    weights a run with these settings starts with)."""
    task = build_task(config) if task is None else task
    rng = np.random.default_rng(config.seed) if rng is None else rng
    return SequenceModel(config.cell, task.input_size, config.hidden, task.output_size,
                         nonlinearity=config.nonlinearity, init_scheme=config.init,
                         init_scale=config.init_scale, forget_bias=config.forget_bias, fused=config.fused,
                         generator=rng)


def evaluate(model, task, batch, window: int | None = None) -> float:
    """The task's metric on ``batch``, without recording a graph.

    ``window=L``: run ``L`` steps at a time, carrying the state on, and keep only those steps'
    outputs (memory O(L), not O(T)); each window with scored steps is scored with
    ``task.evaluate(outputs, batch.window(start, stop))`` and the windows' metrics are averaged,
    weighted by their number of scored entries. That is the one-piece value up to rounding, and
    exactly it when a single window holds every scored step (the adding and agreement tasks score
    the last step only). For tasks whose metric is ``Task.evaluate``'s masked mean."""
    if window is None:
        with no_grad():
            outputs, _ = model(model_input(batch.inputs, model_dtype(model)))
        return task.evaluate(outputs, batch)
    if isinstance(window, bool) or not isinstance(window, numbers.Integral) or window < 1:
        raise ValueError(f"evaluate: window must be a number of steps >= 1 (or None: the whole batch at once), "
                         f"got {window!r}. Fix: e.g. window=1000")
    T = batch.seq_len
    return _windowed_metric(model, task, (batch.window(start, min(start + window, T)) for start in range(0, T, window)))


def _windowed_metric(model, task, windows) -> float:
    """The metric over consecutive ``windows`` (Batches covering steps 0..T-1 of the same sequences),
    the model's state carried from each window into the next."""
    parts, state = [], None                         # (metric, scored entries) of each window that has some
    with no_grad():
        for piece in windows:
            outputs, state = model(model_input(piece.inputs, model_dtype(model)), state)
            count = int(np.count_nonzero(piece.mask))
            if count:
                parts.append((task.evaluate(outputs, piece), count))
            del outputs, piece                      # before the next window is made
    return _combine(parts)


def _combine(parts) -> float:
    """The mean over all entries from per-part means and counts: [(mean, count), ...] -> float."""
    if not parts:
        return float("nan")                         # as the one-piece mean of nothing
    if len(parts) == 1:
        return parts[0][0]                          # exactly the one-piece value
    return math.fsum(value * count for value, count in parts) / sum(count for _, count in parts)


#: the most bytes of held-out inputs made or run at once; a bigger held-out batch is evaluated in pieces
HELD_OUT_BYTES = 4 * 2**20


def held_out_set(config: TrainConfig, task=None) -> "HeldOut":
    """The held-out set ``train(config)`` scores on: ``config.eval_batch`` sequences of the task, drawn
    from the seed ``config.seed + 1_000_003`` (fixed, and never the training batches' seed)."""
    task = build_task(config) if task is None else task
    return HeldOut(task, config.eval_batch, config.seed + 1_000_003)


class HeldOut:
    """The fixed held-out batch a run is scored on, in memory bounded whatever the sequence length.

    The usual case: its inputs, ``size`` x T x I float32, fit in ``max_bytes`` (default
    ``HELD_OUT_BYTES``, 4 MiB: 256 sequences of the adding task up to T = 2048). Then it is
    ``task.batch(size, rng=seed)``, kept and evaluated in one piece (``evaluate``).

    Bigger (long sequences): it is the batch made of chunks of at most ``max_bytes // (T * I * 4)``
    sequences, chunk j being ``task.batch(n_j, rng=np.random.default_rng([seed, j]))``, and it is
    never held whole. ``evaluate(model)`` runs the model over windows of steps of all its sequences,
    the state carried from window to window; each window is assembled from the chunks' slices
    (regenerated from their seeds each time: a chunk is made, sliced and dropped) and scored, and
    the windows' metrics are combined as in ``evaluate(..., window=L)``. ``trivial_metric()``
    scores the trivial predictor chunk by chunk, combined the same way. Both equal what the
    whole batch (``whole()``) gives, up to rounding. Held this way only for tasks whose metric is
    ``Task``'s masked mean (their own ``evaluate``/``trivial_metric`` could be anything): other
    tasks' held-out batch is always kept whole.

    The held-out batch depends on the task, ``size`` and ``seed`` only (not on the truncation),
    so full and truncated BPTT runs of a task are scored on the same sequences."""

    def __init__(self, task, size: int, seed: int, max_bytes: int | None = None):
        max_bytes = HELD_OUT_BYTES if max_bytes is None else max_bytes
        self.task, self.size, self.seed = task, size, seed
        T, I = task.seq_len, task.input_size
        per_sequence = T * I * np.dtype(np.float32).itemsize
        self.in_pieces = size * per_sequence > max_bytes and _masked_mean_metric(task)
        if not self.in_pieces:
            self.batch, self.chunks, self.window = task.batch(size, rng=seed), [size], T
            return
        per_chunk = max(1, max_bytes // per_sequence)
        self.batch = None
        self.chunks = [min(per_chunk, size - start) for start in range(0, size, per_chunk)]   # sequences
        self.window = max(1, max_bytes // (size * I * np.dtype(np.float32).itemsize))          # steps

    def __repr__(self):
        how = f"{len(self.chunks)} chunks, windows of {self.window} steps" if self.in_pieces else "one piece"
        return f"HeldOut({self.task!r}, size={self.size}, seed={self.seed}, {how})"

    def chunk(self, j: int):
        """Chunk ``j`` of the held-out sequences (the whole batch when it is held in one piece)."""
        if not self.in_pieces:
            return self.batch
        return self.task.batch(self.chunks[j], rng=np.random.default_rng([self.seed, j]))

    def whole(self):
        """The whole held-out batch (all chunks side by side: (T, size, ...)): memory O(T)."""
        if not self.in_pieces:
            return self.batch
        parts = [self.chunk(j) for j in range(len(self.chunks))]
        return Batch(*(np.concatenate(arrays, axis=1) for arrays in zip(*parts)))

    def windows(self):
        """The held-out batch as consecutive windows of ``self.window`` steps, each (steps, size, ...)."""
        T = self.task.seq_len
        for start in range(0, T, self.window):
            stop, arrays, offset = min(start + self.window, T), None, 0
            for j, n in enumerate(self.chunks):
                piece = self.chunk(j).window(start, stop)
                if arrays is None:
                    arrays = [np.empty((stop - start, self.size) + a.shape[2:], a.dtype) for a in piece]
                for k in range(len(arrays)):
                    arrays[k][:, offset:offset + n] = piece[k]
                offset += n
                del piece                           # drop chunk j before chunk j + 1 is made
            yield Batch(*arrays)

    def evaluate(self, model) -> float:
        """The task's metric of ``model`` on the held-out batch (no graph recorded)."""
        if not self.in_pieces:
            return evaluate(model, self.task, self.batch)
        return _windowed_metric(model, self.task, self.windows())

    def trivial_metric(self) -> float:
        """What the task's trivial predictor scores on the held-out batch (``task.trivial_metric``)."""
        if not self.in_pieces:
            return self.task.trivial_metric(self.batch)
        parts = []
        for j in range(len(self.chunks)):
            chunk = self.chunk(j)
            count = int(np.count_nonzero(chunk.mask))
            if count:
                parts.append((self.task.trivial_metric(chunk), count))
            del chunk
        return _combine(parts)


#: the steps of each held-out window of a stream (its memory: this many steps of the eval tracks)
STREAM_EVAL_WINDOW = 256


class StreamHeldOut:
    """The held-out slice of a ``TextStream``, read as the training tracks are: its ``eval_tracks`` tracks
    window by window (``STREAM_EVAL_WINDOW`` steps), the state carried, no graph; memory of one window."""

    def __init__(self, stream: TextStream, window: int = STREAM_EVAL_WINDOW):
        self.task, self.window = stream, window

    def evaluate(self, model) -> float:
        """Mean cross-entropy per held-out character, nats."""
        return _windowed_metric(model, self.task, self.task.held_out_windows(self.window))

    def trivial_metric(self) -> float:
        """The unigram predictor of the held-out slice scored on it: its unigram entropy, exactly."""
        return self.task.baseline()


def _masked_mean_metric(task) -> bool:
    """Whether ``task`` scores with ``Task.evaluate``/``trivial_metric`` (a mean over the masked entries,
    which windows and chunks of sequences can be combined into)."""
    kind = type(task)
    return (getattr(kind, "evaluate", None) is Task.evaluate and getattr(kind, "trivial_metric", None)
            is Task.trivial_metric and getattr(task, "metric", None) in ("mse", "accuracy", "loss"))


def gradient_norm(parameters) -> float:
    """||g||_2 over all gradients together (what clip_grad_norm_ compares with its threshold)."""
    grads = [p.grad for p in parameters if p.grad is not None]
    with np.errstate(over="ignore", under="ignore"):
        norm = math.sqrt(sum(float(np.sum(np.square(g, dtype=np.float64))) for g in grads))
    return norm if 1e-150 < norm < 1e150 else total_norm(grads)     # squares out of float64's range: scaled


# Settings a resumed run may change; every other one must match the checkpoint's.
RESUME_MAY_CHANGE = ("iters", "out", "log_every")


@dataclasses.dataclass
class _Pending:
    """What the next log record averages: the iterations since the last one."""
    losses: list = dataclasses.field(default_factory=list)      # one summed loss per iteration
    norms: list = dataclasses.field(default_factory=list)       # one gradient norm per backward
    clipped: int = 0                                            # how many of those norms were clipped


def train(config: TrainConfig, on_log=None, on_iter=None, should_stop=None, task=None,
          resume=None, observe=None) -> TrainResult:
    """Train and evaluate; see the module docstring. ``on_log(record)`` gets each logged dict
    (iter, loss, grad_norm, grad_norm_max, clip_fraction, eval, seconds), ``on_iter(i, loss)``
    every iteration. ``task``: the task to train on, if already built (default: ``build_task(config)``).

    ``observe(model) -> dict``: extra numbers for each log record, e.g.
    ``observe=lambda m: {"radius": nn.init.spectral_radius(m.cell.weight_hh)}`` (an RNN cell; with
    ``log_every=1``, rho(W_hh) after every iteration). It is called (without graph recording) when
    a record is made, after that record's iterations, and its items are added to the record: they
    appear in ``on_log``, ``TrainResult.history`` and metrics.jsonl. It must return a dict of str
    keys, none of them one of the record's own, to finite real numbers (stored as floats).

    ``resume``: a run folder (or its ``checkpoint`` folder) to continue from. Its settings must
    match ``config`` except ``iters``, ``out`` and ``log_every`` (a ValueError names each
    difference); ``config.iters`` counts all iterations, those already done included. Without
    ``config.out`` the run goes on writing into that folder.
    """
    config.check()
    if observe is not None and not callable(observe):
        raise TypeError(f"train: observe must be a function model -> dict of numbers (or None), got "
                        f"{type(observe).__name__}. Fix: observe=lambda model: "
                        f"{{'radius': nn.init.spectral_radius(model.cell.weight_hh)}}")
    folder = config.out or (resume_folder(resume) if resume is not None else None)
    with lock_run_folder(folder, "train") if folder else contextlib.nullcontext():
        return _train(config, on_log, on_iter, should_stop, task, resume, observe)


def resume_folder(resume) -> str | None:
    """The run folder ``train(config, resume=resume)`` writes into when ``config.out`` is None: the
    folder holding the checkpoint folder (None if there is no such folder: loading will say why)."""
    resume = os.fspath(resume)
    if os.path.isfile(os.path.join(resume, CHECKPOINT_JSON)):      # the checkpoint folder itself
        return os.path.dirname(os.path.normpath(resume)) or "."
    return resume if os.path.isdir(resume) else None


def _train(config, on_log, on_iter, should_stop, task, resume, observe) -> TrainResult:
    """``train``, once its settings are checked and its folder locked."""
    saved = None
    if resume is not None:
        saved = load_checkpoint(resume)
        config = _check_resume(config, saved)
    rng = np.random.default_rng(config.seed)        # the one generator of the run: init, batches, truncation
    task = build_task(config) if task is None else task
    if config.stream and not isinstance(task, TextStream):
        raise TypeError(f"train: stream=True reads a TextStream, but the task given is a {type(task).__name__}. "
                        f"Fix: leave task out (train builds the stream from config.text), or pass "
                        f"tasks.TextStream(text, batch_size=config.batch)")
    model = build_model(config, task, rng)
    optimizer = OPTIMIZERS[config.optim](list(model.parameters()), lr=config.lr)
    tbptt = config.truncation(rng)
    held_out = StreamHeldOut(task) if config.stream else held_out_set(config, task)   # fixed, never trained on
    baseline = held_out.trivial_metric()            # the trivial predictor on that same batch
    log, pending, seconds_before, saved_at = [], _Pending(), 0.0, None
    cursor = StreamCursor() if config.stream else None
    if saved is not None:
        log, pending, seconds_before = _training_log(saved)
        if config.stream:
            cursor = stream_cursor_from(saved, model, task)     # checked before anything is restored
        saved.restore(model, optimizer, {"train": rng})
        saved_at = saved.iteration
    if config.out:
        os.makedirs(config.out, exist_ok=True)
        text = json.dumps(dataclasses.asdict(config), indent=2, default=_plain_number).encode("utf-8")
        atomic_write(os.path.join(config.out, "config.json"), lambda f: f.write(text), "train")
        lines = "".join(json.dumps(record) + "\n" for record in log).encode("utf-8")   # a new run: empty
        atomic_write(os.path.join(config.out, "metrics.jsonl"), lambda f: f.write(lines), "train")

    start = time.perf_counter()

    def seconds():                                  # counting the time before a resume
        return seconds_before + time.perf_counter() - start

    first = 1 if saved is None else saved.iteration + 1
    done, current, interrupted, stopped = first - 1, None, False, None
    try:
        # nan/inf are checked for below; NumPy's overflow warnings on the way would only add noise
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for i in range(first, config.iters + 1):
                if should_stop is not None and should_stop():
                    interrupted = True
                    break
                current = i
                if config.stream:
                    loss, stopped, cursor = _stream_iteration(i, config, model, optimizer, tbptt, task, cursor,
                                                              pending)
                else:
                    loss, stopped = _one_iteration(i, config, model, optimizer, tbptt,
                                                   task.batch(config.batch, rng), task, pending)
                if stopped is not None:             # no step from the bad window, nothing saved
                    break
                pending.losses.append(loss)
                done, current = i, None
                if on_iter is not None:
                    on_iter(i, loss)
                if i % config.log_every == 0:
                    record = _log_record(i, pending, held_out.evaluate(model), seconds(), model, observe)
                    log.append(record)
                    pending = _Pending()
                    _write_log(config, record, on_log)
                    stopped = _nonfinite_parameters(model, i)
                    if stopped is not None:
                        break
                    saved_at = _checkpoint(config, model, optimizer, rng, i, log, pending, seconds(), cursor)
    except KeyboardInterrupt:
        interrupted = True
        if current is not None:                     # aborted half-way: the state is not worth saving
            stopped = f"aborted during iteration {current}"
    if stopped is None and log and log[-1]["iter"] == done:
        value = log[-1]["eval"]                     # the model as that record scored it: no need to run it again
    else:
        value = held_out.evaluate(model)
    history = list(log)
    if stopped is None:
        # The iterations since the last record (if the run ended off the log_every grid) get one more
        # record. The checkpoint keeps them as pending instead, so that a resumed run logs exactly as
        # if it had never stopped.
        if pending.losses:
            record = _log_record(done, pending, value, seconds(), model, observe)
            history.append(record)
            _write_log(config, record, on_log)
        stopped = _nonfinite_parameters(model, done)
        if stopped is None and done != saved_at:
            saved_at = _checkpoint(config, model, optimizer, rng, done, log, pending, seconds(), cursor)
    return TrainResult(task=task.name, metric=task.metric, value=value, baseline=baseline,
                       baseline_expected=task.baseline(), iters=done, seconds=seconds(), interrupted=interrupted,
                       history=history, model=model, stopped=stopped,
                       checkpoint_iteration=saved_at if config.out else None,
                       chars_read=cursor.read * task.batch_size if cursor is not None else None)


def _plain_number(value):
    """For json.dumps: a NumPy number in a setting (``hidden=np.int64(32)``) as a plain one."""
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"train: can't write {value!r} ({type(value).__name__}) into config.json")


def _one_iteration(i, config, model, optimizer, tbptt, batch, task, pending: _Pending) -> tuple:
    """TBPTT over one batch, an optimizer step after each window's backward; the gradient norms
    go into ``pending``. Returns (the summed loss, None), or (_, why it stopped) at the first
    non-finite loss or gradient norm, before that window's step."""
    params = list(model.parameters())
    loss = 0.0
    if _own_step_loss(task):        # a task that scores its steps its own way: one step at a time
        losses = {"step_loss": lambda y, t: task.step_loss(y, batch, t)}
    else:                           # the layer's way: one model call and one loss call per window
        losses = {"window_loss": lambda outputs, start, stop: task.window_loss(outputs, batch, start, stop)}
    windows = tbptt.run(model, batch.inputs, loss_steps=batch.loss_steps, **losses)
    for _, window_loss in windows:
        if window_loss is None:
            continue
        value, stopped = _update(i, config, params, optimizer, window_loss, pending)
        loss += value
        if stopped is not None:
            return loss, stopped
    return loss, None


def _own_step_loss(task) -> bool:
    """Whether ``task``'s class defines its own ``step_loss`` but no ``window_loss`` of its own (``Task``'s
    would not call that ``step_loss``): then TBPTT runs it one step at a time."""
    kind = type(task)
    return (getattr(kind, "step_loss", None) is not Task.step_loss
            and getattr(kind, "window_loss", None) in (None, Task.window_loss))


def _update(i, config, params, optimizer, window_loss, pending: _Pending) -> tuple:
    """After a window's backward: check its loss and gradient norm, clip, step, zero the gradients.
    Returns (the loss, None), or (the loss, why it stopped) before any step for a non-finite one."""
    value = window_loss.item()
    if not math.isfinite(value):
        return value, f"non-finite loss ({value}) at iteration {i}"
    if config.clip is not None:                 # clip_grad_norm_ returns the norm before clipping
        norm = nn.utils.clip_grad_norm_(params, config.clip).item()
    else:
        norm = gradient_norm(params)
    if not math.isfinite(norm):
        return value, f"non-finite gradient norm ({norm}) at iteration {i}"
    pending.clipped += config.clip is not None and norm > config.clip
    pending.norms.append(norm)
    if config.clip_value is not None:
        nn.utils.clip_grad_value_(params, config.clip_value)
    optimizer.step()
    optimizer.zero_grad()
    return value, None


def _stream_iteration(i, config, model, optimizer, tbptt, stream, cursor, pending: _Pending) -> tuple:
    """One update on the stream (``stream_update``): (loss, None or why it stopped, the next cursor).
    The cursor moves on only when the update was taken."""
    carry = config.tbptt is not None or config.k1 is not None
    window_loss, following = stream_update(tbptt, model, stream, cursor, carry=carry)
    loss, stopped = _update(i, config, list(model.parameters()), optimizer, window_loss, pending)
    return loss, stopped, cursor if stopped is not None else following


def _check_resume(config: TrainConfig, saved) -> TrainConfig:
    """``config``, with ``out`` set to the checkpoint's run folder if it was None; a ValueError
    naming every setting that differs from the checkpoint's (other than RESUME_MAY_CHANGE)."""
    where = os.path.dirname(saved.directory) or "."
    defaults = TrainConfig()
    names = [field.name for field in dataclasses.fields(TrainConfig)]
    unknown = sorted(set(saved.config) - set(names))
    if unknown:
        raise ValueError(f"train: can't resume from '{where}': its checkpoint has settings this version does not "
                         f"know ({', '.join(unknown)}); it was written by another version of tinygrad_rnn")
    conflicts = [f"{name}: checkpoint {saved.config.get(name, getattr(defaults, name))!r}, "
                 f"this run {getattr(config, name)!r}"
                 for name in names if name not in RESUME_MAY_CHANGE
                 and saved.config.get(name, getattr(defaults, name)) != getattr(config, name)]
    if conflicts:
        raise ValueError(f"train: can't resume from '{where}': the checkpoint was made with other settings "
                         f"({'; '.join(conflicts)}). Fix: resume with the checkpoint's settings (the command "
                         f"line takes every option you leave out from the checkpoint), or start a new run "
                         f"with another --out folder")
    if saved.iteration > config.iters:
        raise ValueError(f"train: can't resume from '{where}': its checkpoint is at iteration {saved.iteration}, "
                         f"past iters={config.iters}. Fix: iters (--iters) >= {saved.iteration}; it counts all "
                         f"iterations, those already done included")
    return config if config.out else dataclasses.replace(config, out=where)


def _training_log(saved) -> tuple:
    """(log records, pending iterations, seconds so far) from a checkpoint's ``extra``, checked."""
    extra = saved.extra
    history, pending, seconds = extra.get("history"), extra.get("pending"), extra.get("seconds")
    numbers = lambda xs: isinstance(xs, list) and all(isinstance(x, (int, float)) for x in xs)   # noqa: E731
    ok = (isinstance(history, list) and all(isinstance(r, dict) and isinstance(r.get("iter"), int) for r in history)
          and isinstance(pending, dict) and set(pending) == {"losses", "norms", "clipped"}
          and numbers(pending["losses"]) and numbers(pending["norms"]) and isinstance(pending["clipped"], int)
          and isinstance(seconds, (int, float)))
    if not ok:
        raise ValueError(f"train: the training log in '{os.path.join(saved.directory, 'checkpoint.json')}' is "
                         f"damaged ('extra' must hold 'history', 'pending' and 'seconds' as train writes them). "
                         f"Fix: resume from another checkpoint, or start the run again")
    return history, _Pending(**pending), float(seconds)


def _log_record(i, pending: _Pending, value, seconds, model=None, observe=None) -> dict:
    """The record of iteration ``i``: the averages over ``pending``, the held-out ``value``, and
    the items of ``observe(model)`` (if given)."""
    norms = pending.norms
    record = {"iter": i,
              "loss": float(np.mean(pending.losses)) if pending.losses else None,
              "grad_norm": float(np.mean(norms)) if norms else None,
              "grad_norm_max": float(np.max(norms)) if norms else None,
              "clip_fraction": pending.clipped / len(norms) if norms else 0.0,
              "eval": value,
              "seconds": round(seconds, 3)}
    if observe is not None:
        with no_grad():
            extra = observe(model)
        record.update(_observed(extra, record, i))
    return record


def _observed(extra, record: dict, i: int) -> dict:
    """``observe``'s dict checked (str keys, not the record's own, finite real numbers), as floats."""
    example = "{'radius': nn.init.spectral_radius(model.cell.weight_hh)}"
    if not isinstance(extra, dict):
        raise TypeError(f"train: observe(model) must return a dict of str -> number, got {type(extra).__name__} "
                        f"({extra!r:.80}) at iteration {i}. Fix: return e.g. {example}")
    checked = {}
    for key, value in extra.items():
        if not isinstance(key, str):
            raise TypeError(f"train: observe(model) returned the key {key!r} ({type(key).__name__}) at iteration "
                            f"{i}; keys must be str, they name the numbers in the log. Fix: e.g. {example}")
        if key in record:
            raise ValueError(f"train: observe(model) returned the key {key!r}, which the log record already has "
                             f"(its own keys: {', '.join(record)}). Fix: rename it, e.g. 'observed_{key}'")
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real, np.integer, np.floating)):
            raise TypeError(f"train: observe(model) returned {key!r}: {value!r:.80} ({type(value).__name__}) at "
                            f"iteration {i}; values must be real numbers. Fix: return a float, e.g. "
                            f"float(array.max()) or tensor.item()")
        if not math.isfinite(value):
            raise ValueError(f"train: observe(model) returned {key!r}: {value} at iteration {i}; values must be "
                             f"finite (metrics.jsonl and the checkpoint store them as JSON). Fix: return a finite "
                             f"number, e.g. clip it or leave the key out when it is undefined")
        checked[key] = float(value)
    return checked


def _write_log(config, record, on_log) -> None:
    """Report ``record`` and append it to metrics.jsonl as one whole line (one ``write`` in append mode)."""
    if on_log is not None:
        on_log(record)
    if not config.out:
        return
    line = memoryview((json.dumps(record) + "\n").encode("utf-8"))
    fd = os.open(os.path.join(config.out, "metrics.jsonl"), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
    try:
        while line:
            line = line[os.write(fd, line):]
    finally:
        os.close(fd)


def _nonfinite_parameters(model, i) -> str | None:
    """A message if an update made some parameter nan/inf (such a state is not worth saving)."""
    bad = [name for name, p in model.named_parameters() if not np.isfinite(p.data).all()]
    return f"non-finite values in {', '.join(bad)} after iteration {i}" if bad else None


def _checkpoint(config, model, optimizer, rng, i, log, pending, seconds, cursor=None) -> int | None:
    """Save the checkpoint of iteration ``i`` (and model.npz, the model alone); returns ``i``.
    A stream's ``cursor`` (where the tracks are read up to, and the carried state) goes with it."""
    if not config.out:
        return None
    extra = {"history": log, "pending": dataclasses.asdict(pending), "seconds": seconds}
    if cursor is not None:
        extra["stream"] = _cursor_json(cursor)
    save_checkpoint(os.path.join(config.out, CHECKPOINT_SUBDIR), model, optimizer, iteration=i,
                    config=dataclasses.asdict(config), rngs={"train": rng}, extra=extra)
    save(model.state_dict(), os.path.join(config.out, "model.npz"))
    return i


# --- a stream's cursor in checkpoint.json -------------------------------------------------------------
def _cursor_json(cursor: StreamCursor) -> dict:
    """The cursor as JSON: its steps, and the carried state's arrays as exact float lists (float32 and
    float64 values survive a round trip through JSON's decimal digits unchanged)."""
    state = cursor.state
    parts = None if state is None else [state] if isinstance(state, Tensor) else list(state)
    return {"step": cursor.step, "read": cursor.read, "tuple": not isinstance(state, Tensor),
            "state": None if parts is None else [{"dtype": str(p.data.dtype), "shape": list(p.shape),
                                                  "values": p.data.ravel().tolist()} for p in parts]}


def stream_cursor_from(saved, model, stream) -> StreamCursor:
    """The stream cursor a checkpoint holds, checked against the model and the stream (a ValueError
    naming the checkpoint and what is wrong; nothing is changed)."""
    where = os.path.join(saved.directory, CHECKPOINT_JSON)
    fix = "Fix: resume from another checkpoint, or start the run again"
    data = saved.extra.get("stream")
    n_parts = len(model.cell.state_names)
    shape = [stream.batch_size, model.cell.hidden_size]
    dtype = str(model_dtype(model))
    problems = []
    if not isinstance(data, dict):
        raise ValueError(f"train: '{where}' has no stream position ('extra.stream'), but the run reads a stream. "
                         f"{fix}")
    step, read = data.get("step"), data.get("read")
    if not (_is_int(step) and 0 <= step <= stream.track_length):
        problems.append(f"'step' must be an int in [0, {stream.track_length}], got {step!r}")
    if not (_is_int(read) and read >= 0):
        problems.append(f"'read' must be an int >= 0, got {read!r}")
    parts = data.get("state")
    arrays = []
    if parts is not None:
        if not (isinstance(parts, list) and len(parts) == n_parts and data.get("tuple") == (n_parts == 2)):
            problems.append(f"'state' must be None or {n_parts} array(s) for a '{model.kind}' cell")
        else:
            for j, part in enumerate(parts):
                ok = (isinstance(part, dict) and part.get("dtype") == dtype and part.get("shape") == shape
                      and isinstance(part.get("values"), list) and len(part["values"]) == shape[0] * shape[1]
                      and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in part["values"]))
                if not ok:
                    problems.append(f"'state[{j}]' must be a {dtype} array of shape {tuple(shape)}")
                    continue
                array = np.array(part["values"], dtype=dtype).reshape(shape)
                if not np.isfinite(array).all():
                    problems.append(f"'state[{j}]' holds non-finite values")
                arrays.append(Tensor(array))
    if problems:
        raise ValueError(f"train: the stream position in '{where}' is damaged or does not fit this run: "
                         + "; ".join(problems) + f". {fix}")
    state = None if parts is None else tuple(arrays) if n_parts == 2 else arrays[0]
    return StreamCursor(step, state, read)
