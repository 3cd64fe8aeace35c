"""``train``: fit a ``SequenceModel`` to a task with (truncated) BPTT, clipping and an optimizer.

    result = train(TrainConfig(task="adding", cell="lstm", seq_len=50, iters=2000, clip=1.0))
    result.value, result.baseline            # held-out MSE vs. the trivial predictor's 1/6

One iteration: draw a batch, run ``TBPTT`` over it (full BPTT by default); after each
window's ``backward()``: measure the gradient norm, clip it if asked, take an optimizer
step, zero the gradients. Every ``log_every`` iterations: evaluate on a fixed held-out
batch, call ``on_log``, append a line to ``metrics.jsonl`` and write a checkpoint (if
``out`` is set). ``should_stop()`` is polled between iterations, so an interrupt can end
training cleanly after the checkpoint is written.
"""
import dataclasses
import json
import math
import os
import time

import numpy as np

from .. import nn, optim
from ..core import Tensor, no_grad
from ..serialization import atomic_write, save
from ..tasks import make_task
from .model import INITS, SequenceModel
from .truncation import TBPTT

OPTIMIZERS = {"sgd": optim.SGD, "adam": optim.Adam, "adagrad": optim.Adagrad}


@dataclasses.dataclass
class TrainConfig:
    """Every setting of a run (the ``tinygrad-rnn train`` options have the same names)."""
    task: str = "adding"              # adding | copy | agreement | text
    text: str | None = None           # a text file for task "text" (None: the bundled text)
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
    nonlinearity: str = "tanh"        # for cell "rnn"
    seed: int = 0
    out: str | None = None            # folder for model.npz, config.json, metrics.jsonl
    log_every: int = 50
    eval_batch: int = 256
    agreement_min_distractor: int | None = None

    def check(self) -> "TrainConfig":
        problems = []
        if self.optim not in OPTIMIZERS:
            problems.append(f"optim must be one of {', '.join(OPTIMIZERS)}, got {self.optim!r}")
        if self.init not in INITS:
            problems.append(f"init must be one of {', '.join(INITS)}, got {self.init!r}")
        for name in ("hidden", "seq_len", "batch", "iters", "log_every", "eval_batch"):
            if getattr(self, name) < 1:
                problems.append(f"{name.replace('_', '-')} must be at least 1, got {getattr(self, name)}")
        if self.lr <= 0:
            problems.append(f"lr must be positive, got {self.lr}")
        if self.tbptt is not None and (self.k1 is not None or self.k2 is not None):
            problems.append("give either tbptt K or k1/k2, not both")
        if self.k2 is not None and self.k1 is None:
            problems.append("k2 needs k1 (every k1 steps, backpropagate through k2 steps)")
        for name in ("clip", "clip_value"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                problems.append(f"{name.replace('_', '-')} must be positive, got {value}")
        if problems:
            raise ValueError("train: " + "; ".join(problems))
        return self

    def truncation(self, rng) -> TBPTT:
        """The TBPTT schedule these settings ask for (full BPTT when none is given)."""
        k1 = self.tbptt or self.k1 or self.seq_len
        k2 = self.k2 if self.k2 is not None else k1
        return TBPTT(k1, None if self.random_truncation else k2, random=self.random_truncation, rng=rng)


@dataclasses.dataclass
class TrainResult:
    """The held-out evaluation at the end, and the logged history."""
    task: str
    metric: str
    value: float
    baseline: float
    iters: int
    seconds: float
    interrupted: bool
    history: list
    model: SequenceModel = dataclasses.field(repr=False)

    def summary(self) -> dict:
        """The JSON object ``tinygrad-rnn train --json`` prints."""
        last = self.history[-1] if self.history else {}
        return {"task": self.task, "metric": self.metric, "value": self.value, "baseline": self.baseline,
                "iters": self.iters, "seconds": round(self.seconds, 3), "interrupted": self.interrupted,
                "train_loss": last.get("loss"), "clip_fraction": last.get("clip_fraction")}


def build_task(config: TrainConfig):
    options = {}
    if config.task == "text":
        options["text"] = config.text
    if config.task == "agreement" and config.agreement_min_distractor is not None:
        options["min_distractor"] = config.agreement_min_distractor
    return make_task(config.task, config.seq_len, **options)


def evaluate(model, task, batch) -> float:
    """The task's metric on ``batch``, without recording a graph."""
    with no_grad():
        outputs, _ = model(Tensor._wrap(batch.inputs))
    return task.evaluate(outputs, batch)


def gradient_norm(parameters) -> float:
    """||g||_2 over all gradients together (what clip_grad_norm_ compares with its threshold)."""
    return math.sqrt(sum(float(np.sum(np.square(p.grad, dtype=np.float64))) for p in parameters
                         if p.grad is not None))


def train(config: TrainConfig, on_log=None, on_iter=None, should_stop=None, task=None) -> TrainResult:
    """Train and evaluate; see the module docstring. ``on_log(record)`` gets each logged dict
    (iter, loss, grad_norm, clip_fraction, eval, seconds), ``on_iter(i, loss)`` every iteration.
    ``task``: the task to train on, if already built (default: ``build_task(config)``)."""
    config.check()
    rng = np.random.default_rng(config.seed)
    task = build_task(config) if task is None else task
    model = SequenceModel(config.cell, task.input_size, config.hidden, task.output_size,
                          nonlinearity=config.nonlinearity, init_scheme=config.init,
                          init_scale=config.init_scale, generator=rng)
    params = list(model.parameters())
    optimizer = OPTIMIZERS[config.optim](params, lr=config.lr)
    tbptt = config.truncation(rng)
    held_out = task.batch(config.eval_batch, rng=config.seed + 1_000_003)   # fixed, never trained on
    if config.out:
        os.makedirs(config.out, exist_ok=True)
        text = json.dumps(dataclasses.asdict(config), indent=2).encode("utf-8")
        atomic_write(os.path.join(config.out, "config.json"), lambda f: f.write(text), "train")

    history, start, interrupted = [], time.perf_counter(), False
    norms, clipped, losses = [], 0, []
    done = 0
    try:
        for i in range(1, config.iters + 1):
            if should_stop is not None and should_stop():
                interrupted = True
                break
            batch = task.batch(config.batch, rng)
            loss = 0.0
            windows = tbptt.run(model, batch.inputs, lambda y, t: task.step_loss(y, batch, t),
                                loss_steps=batch.loss_steps)
            for _, window_loss in windows:
                if window_loss is None:
                    continue
                loss += window_loss.item()
                if config.clip is not None:     # clip_grad_norm_ returns the norm before clipping
                    norm = nn.utils.clip_grad_norm_(params, config.clip).item()
                    clipped += norm > config.clip
                else:
                    norm = gradient_norm(params)
                norms.append(norm)
                if config.clip_value is not None:
                    nn.utils.clip_grad_value_(params, config.clip_value)
                optimizer.step()
                optimizer.zero_grad()
            losses.append(loss)
            done = i
            if on_iter is not None:
                on_iter(i, loss)
            if i % config.log_every == 0 or i == config.iters:
                record = _log_record(i, losses, norms, clipped, evaluate(model, task, held_out), start)
                history.append(record)
                norms, clipped, losses = [], 0, []
                if on_log is not None:
                    on_log(record)
                _checkpoint(config, model, record)
    except KeyboardInterrupt:
        interrupted = True
    value = evaluate(model, task, held_out)
    if interrupted and (losses or not history):
        record = _log_record(done, losses, norms, clipped, value, start)
        history.append(record)
        _checkpoint(config, model, record)
    elif interrupted:
        _checkpoint(config, model, None)
    return TrainResult(task.name, task.metric, value, task.baseline(), done, time.perf_counter() - start,
                       interrupted, history, model)


def _log_record(i, losses, norms, clipped, value, start) -> dict:
    return {"iter": i,
            "loss": float(np.mean(losses)) if losses else None,
            "grad_norm": float(np.mean(norms)) if norms else None,
            "grad_norm_max": float(np.max(norms)) if norms else None,
            "clip_fraction": clipped / len(norms) if norms else 0.0,
            "eval": value,
            "seconds": round(time.perf_counter() - start, 3)}


def _checkpoint(config, model, record) -> None:
    if not config.out:
        return
    save(model.state_dict(), os.path.join(config.out, "model.npz"))
    if record is not None:
        with open(os.path.join(config.out, "metrics.jsonl"), "a", encoding="utf-8") as log:
            log.write(json.dumps(record) + "\n")
