"""``tinygrad-rnn train``: train a recurrent net on a task and report the held-out metric.

Progress goes to stderr (a bar when stderr is a terminal, and a line every ``--log-every``
iterations); the final result goes to stdout, as text or, with ``--json``, as one JSON
object. Ctrl-C stops after the current iteration, writes the checkpoint and reports (exit
status 130); a second Ctrl-C aborts at once (the checkpoint keeps the last saved iteration).
``--resume DIR`` continues the run saved in DIR: options left out are taken from its
checkpoint, options given must agree with it (except --iters, --log-every, --out).
A non-finite loss or gradient norm stops training with one line on stderr (exit status 1).
"""
import argparse
import dataclasses
import json
import os
import signal
import sys

from ..nn.cells import CELLS
from ..tasks import TASKS
from ..train import INITS, TrainConfig, train
from ..train.checkpoint import CHECKPOINT_SUBDIR, load_checkpoint
from ..train.loop import OPTIMIZERS, build_task
from .args import report

# The options that are TrainConfig fields (argparse's dest = the field name).
_CONFIG_FIELDS = [field.name for field in dataclasses.fields(TrainConfig)]


def add_parser(sub):
    # argument_default=SUPPRESS: an option left out is absent from args, so --resume can tell which
    # options were given; the defaults are TrainConfig's (and are named in each help text).
    p = sub.add_parser("train", help="train an RNN/LSTM/GRU on a sequence task (full or truncated BPTT)",
                       description="Train a recurrent net on a task. Default: LSTM, adding problem, T = 50, "
                                   "full BPTT, Adam, lr 1e-2.", argument_default=argparse.SUPPRESS)
    p.add_argument("--task", choices=list(TASKS), help="the task (default adding)")
    p.add_argument("--text", metavar="FILE", help="text file for --task text (default: a bundled text)")
    p.add_argument("--cell", choices=list(CELLS), help="the recurrent cell (default lstm)")
    p.add_argument("--nonlinearity", choices=["tanh", "relu"], help="for --cell rnn (default tanh)")
    p.add_argument("--hidden", type=int, help="hidden size H (default 32)")
    p.add_argument("--seq-len", type=int, help="time steps per sequence (default 50)")
    p.add_argument("--batch", type=int, help="batch size (default 32)")
    p.add_argument("--iters", type=int, help="training iterations in all, those before a --resume included "
                                             "(default 1000)")
    p.add_argument("--optim", choices=list(OPTIMIZERS), help="the optimizer (default adam)")
    p.add_argument("--lr", type=float, help="learning rate (default 1e-2)")
    p.add_argument("--tbptt", type=int, metavar="K", help="truncated BPTT with windows of K steps "
                                                          "(default: full BPTT)")
    p.add_argument("--k1", type=int, help="TBPTT(k1, k2): backpropagate every k1 steps ...")
    p.add_argument("--k2", type=int, help="... through the last k2 steps (default k1)")
    p.add_argument("--random-truncation", action="store_true",
                   help="draw each window's length at random around K (Tallec & Ollivier 2017)")
    p.add_argument("--clip", type=float, metavar="NORM", help="clip the gradient norm to NORM")
    p.add_argument("--clip-value", type=float, metavar="V", help="clamp each gradient entry to [-V, V]")
    p.add_argument("--init", choices=INITS, help="initialisation of weight_hh (default: PyTorch's)")
    p.add_argument("--init-scale", type=float,
                   help="orthogonal/identity: gain (default 1); normal: std (default 1/sqrt(H)); spectral: the "
                        "spectral radius (default 1); default: a factor on PyTorch's init")
    p.add_argument("--seed", type=int, help="seed of the run's random generator (default 0)")
    p.add_argument("--out", metavar="DIR", help="write config.json, metrics.jsonl, model.npz and the checkpoint "
                                                "(checkpoint/) here")
    p.add_argument("--log-every", type=int, metavar="N", help="log, evaluate and save the checkpoint every N "
                                                              "iterations (default 50)")
    p.add_argument("--resume", metavar="DIR", help="continue the run saved in DIR (its --out folder) up to --iters "
                                                   "iterations in all; it ends as if never interrupted")
    p.add_argument("--json", action="store_true", help="print the final evaluation as one JSON object")
    return p


def config_from_args(args) -> TrainConfig:
    """The run's settings: the options given, the rest from TrainConfig's defaults, or with
    ``--resume`` from the checkpoint (with ``out`` the resumed folder, unless --out is given)."""
    given = {name: getattr(args, name) for name in _CONFIG_FIELDS if hasattr(args, name)}
    resume = getattr(args, "resume", None)
    if resume is None:
        return TrainConfig(**given)
    checkpoint = load_checkpoint(resume)
    saved = {name: value for name, value in checkpoint.config.items() if name in _CONFIG_FIELDS}
    return TrainConfig(**{**saved, "out": os.path.dirname(checkpoint.directory) or ".", **given})


class _StopOnInterrupt:
    """First Ctrl-C: ask the loop to stop after this iteration. Second: the usual KeyboardInterrupt."""

    def __init__(self):
        self.requested = False

    def __call__(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        print("\ninterrupted: stopping after this iteration and saving (Ctrl-C again to abort)",
              file=sys.stderr, flush=True)


def _progress_bar(total):
    if not sys.stderr.isatty():
        return None

    def show(i, loss):
        width = 30
        filled = int(width * i / total)
        print(f"\r[{'#' * filled}{'.' * (width - filled)}] {i}/{total} loss {loss:.4g}", end="",
              file=sys.stderr, flush=True)
    return show


def _log_line(metric):
    def log(record):
        clip = f"  clipped {record['clip_fraction']:.0%}" if record["grad_norm"] is not None else ""
        grad = f"  grad norm {record['grad_norm']:.3g}" if record["grad_norm"] is not None else ""
        loss = f"loss {record['loss']:.4g}" if record["loss"] is not None else "loss -"
        print(f"\riter {record['iter']:6d}  {loss}{grad}{clip}  held-out {metric} {record['eval']:.4g}"
              f"  ({record['seconds']:.1f} s)", file=sys.stderr, flush=True)
    return log


def run(args):
    config = config_from_args(args).check()     # ValueError/OSError: cli.main prints them as one line
    resume = getattr(args, "resume", None)
    task = build_task(config)
    stopper = _StopOnInterrupt()
    previous = signal.signal(signal.SIGINT, stopper)
    try:
        result = train(config, on_log=_log_line(task.metric), on_iter=_progress_bar(config.iters),
                       should_stop=lambda: stopper.requested, task=task, resume=resume)
    finally:
        signal.signal(signal.SIGINT, previous)
    out = config.out
    summary = result.summary()
    summary.update({"cell": config.cell, "seq_len": config.seq_len, "hidden": config.hidden,
                    "tbptt": config.tbptt or config.k1, "clip": config.clip, "init": config.init,
                    "seed": config.seed})
    if getattr(args, "json", False):
        print(json.dumps(summary))
    checkpoint = os.path.join(out, CHECKPOINT_SUBDIR) if out else None
    kept = (f"; the checkpoint in {checkpoint} still holds iteration {result.checkpoint_iteration}"
            if checkpoint and result.checkpoint_iteration is not None else "")
    if result.stopped is not None and not result.interrupted:     # a non-finite loss, gradient or parameter
        if sys.stderr.isatty():
            print(file=sys.stderr)                                  # end the progress bar's line
        report("train", f"training stopped: {result.stopped}{kept}. Fix: a smaller --lr, gradient clipping "
                        f"(--clip 1), or find the first nan/inf with tinygrad_rnn.autograd.detect_anomaly()")
        return 1
    if not getattr(args, "json", False):
        state = "stopped early" if result.interrupted else "done"
        print(f"{state}: {result.iters} iterations in {result.seconds:.1f} s. Held-out {result.metric}: "
              f"{result.value:.4g} (trivial baseline {result.baseline:.4g})")
        if checkpoint:
            print(f"checkpoint: {checkpoint} (iteration {result.checkpoint_iteration}; continue with --resume "
                  f"{out}), model: {os.path.join(out, 'model.npz')}, log: {os.path.join(out, 'metrics.jsonl')}")
    if result.stopped is not None:                                  # a second Ctrl-C, in the middle of an iteration
        print(f"{result.stopped}: that iteration was not saved{kept}", file=sys.stderr)
    return 130 if result.interrupted else 0
