"""``train``: fit a ``SequenceModel`` to a task with (truncated) BPTT, clipping and an optimizer.

    result = train(TrainConfig(task="adding", cell="lstm", seq_len=50, iters=2000, clip=1.0))
    result.value, result.baseline            # held-out MSE vs. the trivial predictor's 1/6

One iteration: draw a batch, run ``TBPTT`` over it (full BPTT by default); after each
window's ``backward()``: measure the gradient norm, clip it if asked, take an optimizer
step, zero the gradients. Every ``log_every`` iterations: evaluate on a fixed held-out
batch, call ``on_log``, append a line to ``metrics.jsonl`` and write a checkpoint (if
``out`` is set). ``should_stop()`` is polled between iterations, so an interrupt can end
training cleanly after the checkpoint is written.

Files in ``out``: ``config.json``; ``metrics.jsonl`` (one JSON record per line, each written
whole); ``model.npz`` (the model alone, for ``model.load_state_dict(tinygrad_rnn.load(...))``);
``checkpoint/`` (model, optimizer state, iteration, random generator state and the log so
far, replaced atomically: see ``train/checkpoint.py``). ``train(config, resume=out)``
continues from that checkpoint and ends exactly where an uninterrupted run with the same
settings would: the same parameters, optimizer state and log.

A non-finite loss or gradient norm stops training at once: that window's step is not
taken, the checkpoint is not overwritten, and ``TrainResult.stopped`` says what happened.
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
from ..nn.cells import CELLS
from ..tasks import TASKS, make_task
from .checkpoint import CHECKPOINT_SUBDIR, load_checkpoint, save_checkpoint
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
    out: str | None = None            # folder for config.json, metrics.jsonl, model.npz, checkpoint/
    log_every: int = 50
    eval_batch: int = 256
    agreement_min_distractor: int | None = None

    def check(self) -> "TrainConfig":
        problems = []
        for name, valid in (("task", TASKS), ("cell", CELLS), ("nonlinearity", ("tanh", "relu"))):
            if getattr(self, name) not in valid:
                problems.append(f"{name} must be one of {', '.join(valid)}, got {getattr(self, name)!r}")
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
        elif self.k2 is not None and self.k2 < self.k1:
            problems.append(f"k2 ({self.k2}) must be at least k1 ({self.k1}): each backward pass covers the k1 "
                            "new steps, and k2 - k1 more")
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
    """The held-out evaluation at the end, and the logged history.

    ``iters``: the iterations completed (counting those before a resume). ``stopped``: None, or
    why training ended early without saving, e.g. ``"non-finite loss (nan) at iteration 12"``.
    ``checkpoint_iteration``: the iteration the checkpoint on disk holds (None without ``out``)."""
    task: str
    metric: str
    value: float
    baseline: float
    iters: int
    seconds: float
    interrupted: bool
    history: list
    model: SequenceModel = dataclasses.field(repr=False)
    stopped: str | None = None
    checkpoint_iteration: int | None = None

    def summary(self) -> dict:
        """The JSON object ``tinygrad-rnn train --json`` prints."""
        last = self.history[-1] if self.history else {}
        return {"task": self.task, "metric": self.metric, "value": self.value, "baseline": self.baseline,
                "iters": self.iters, "seconds": round(self.seconds, 3), "interrupted": self.interrupted,
                "stopped": self.stopped, "train_loss": last.get("loss"), "clip_fraction": last.get("clip_fraction")}


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


# Settings a resumed run may change; every other one must match the checkpoint's.
RESUME_MAY_CHANGE = ("iters", "out", "log_every")


@dataclasses.dataclass
class _Pending:
    """What the next log record averages: the iterations since the last one."""
    losses: list = dataclasses.field(default_factory=list)      # one summed loss per iteration
    norms: list = dataclasses.field(default_factory=list)       # one gradient norm per backward
    clipped: int = 0                                            # how many of those norms were clipped


def train(config: TrainConfig, on_log=None, on_iter=None, should_stop=None, task=None,
          resume=None) -> TrainResult:
    """Train and evaluate; see the module docstring. ``on_log(record)`` gets each logged dict
    (iter, loss, grad_norm, clip_fraction, eval, seconds), ``on_iter(i, loss)`` every iteration.
    ``task``: the task to train on, if already built (default: ``build_task(config)``).

    ``resume``: a run folder (or its ``checkpoint`` folder) to continue from. Its settings must
    match ``config`` except ``iters``, ``out`` and ``log_every`` (a ValueError names each
    difference); ``config.iters`` counts all iterations, those already done included. Without
    ``config.out`` the run goes on writing into that folder.
    """
    config.check()
    saved = None
    if resume is not None:
        saved = load_checkpoint(resume)
        config = _check_resume(config, saved)
    rng = np.random.default_rng(config.seed)        # the one generator of the run: init, batches, truncation
    task = build_task(config) if task is None else task
    model = SequenceModel(config.cell, task.input_size, config.hidden, task.output_size,
                          nonlinearity=config.nonlinearity, init_scheme=config.init,
                          init_scale=config.init_scale, generator=rng)
    optimizer = OPTIMIZERS[config.optim](list(model.parameters()), lr=config.lr)
    tbptt = config.truncation(rng)
    held_out = task.batch(config.eval_batch, rng=config.seed + 1_000_003)   # fixed, never trained on
    log, pending, seconds_before, saved_at = [], _Pending(), 0.0, None
    if saved is not None:
        log, pending, seconds_before = _training_log(saved)
        saved.restore(model, optimizer, {"train": rng})
        saved_at = saved.iteration
    if config.out:
        os.makedirs(config.out, exist_ok=True)
        text = json.dumps(dataclasses.asdict(config), indent=2).encode("utf-8")
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
                loss, stopped = _one_iteration(i, config, model, optimizer, tbptt, task.batch(config.batch, rng),
                                               task, pending)
                if stopped is not None:             # no step from the bad window, nothing saved
                    break
                pending.losses.append(loss)
                done, current = i, None
                if on_iter is not None:
                    on_iter(i, loss)
                if i % config.log_every == 0:
                    record = _log_record(i, pending, evaluate(model, task, held_out), seconds())
                    log.append(record)
                    pending = _Pending()
                    _write_log(config, record, on_log)
                    stopped = _nonfinite_parameters(model, i)
                    if stopped is not None:
                        break
                    saved_at = _checkpoint(config, model, optimizer, rng, i, log, pending, seconds())
    except KeyboardInterrupt:
        interrupted = True
        if current is not None:                     # aborted half-way: the state is not worth saving
            stopped = f"aborted during iteration {current}"
    value = evaluate(model, task, held_out)
    history = list(log)
    if stopped is None:
        # The iterations since the last record (if the run ended off the log_every grid) get one more
        # record. The checkpoint keeps them as pending instead, so that a resumed run logs exactly as
        # if it had never stopped.
        if pending.losses:
            record = _log_record(done, pending, value, seconds())
            history.append(record)
            _write_log(config, record, on_log)
        stopped = _nonfinite_parameters(model, done)
        if stopped is None and done != saved_at:
            saved_at = _checkpoint(config, model, optimizer, rng, done, log, pending, seconds())
    return TrainResult(task.name, task.metric, value, task.baseline(), done, seconds(), interrupted,
                       history, model, stopped, saved_at if config.out else None)


def _one_iteration(i, config, model, optimizer, tbptt, batch, task, pending: _Pending) -> tuple:
    """TBPTT over one batch, an optimizer step after each window's backward; the gradient norms
    go into ``pending``. Returns (the summed loss, None), or (_, why it stopped) at the first
    non-finite loss or gradient norm, before that window's step."""
    params = list(model.parameters())
    loss = 0.0
    windows = tbptt.run(model, batch.inputs, lambda y, t: task.step_loss(y, batch, t), loss_steps=batch.loss_steps)
    for _, window_loss in windows:
        if window_loss is None:
            continue
        value = window_loss.item()
        if not math.isfinite(value):
            return loss, f"non-finite loss ({value}) at iteration {i}"
        loss += value
        if config.clip is not None:                 # clip_grad_norm_ returns the norm before clipping
            norm = nn.utils.clip_grad_norm_(params, config.clip).item()
        else:
            norm = gradient_norm(params)
        if not math.isfinite(norm):
            return loss, f"non-finite gradient norm ({norm}) at iteration {i}"
        pending.clipped += config.clip is not None and norm > config.clip
        pending.norms.append(norm)
        if config.clip_value is not None:
            nn.utils.clip_grad_value_(params, config.clip_value)
        optimizer.step()
        optimizer.zero_grad()
    return loss, None


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


def _log_record(i, pending: _Pending, value, seconds) -> dict:
    norms = pending.norms
    return {"iter": i,
            "loss": float(np.mean(pending.losses)) if pending.losses else None,
            "grad_norm": float(np.mean(norms)) if norms else None,
            "grad_norm_max": float(np.max(norms)) if norms else None,
            "clip_fraction": pending.clipped / len(norms) if norms else 0.0,
            "eval": value,
            "seconds": round(seconds, 3)}


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


def _checkpoint(config, model, optimizer, rng, i, log, pending, seconds) -> int | None:
    """Save the checkpoint of iteration ``i`` (and model.npz, the model alone); returns ``i``."""
    if not config.out:
        return None
    save_checkpoint(os.path.join(config.out, CHECKPOINT_SUBDIR), model, optimizer, iteration=i,
                    config=dataclasses.asdict(config), rngs={"train": rng},
                    extra={"history": log, "pending": dataclasses.asdict(pending), "seconds": seconds})
    save(model.state_dict(), os.path.join(config.out, "model.npz"))
    return i
