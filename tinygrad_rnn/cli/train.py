"""``tinygrad-rnn train``: train a recurrent net on a task and report the held-out metric.

Progress goes to stderr (a bar when stderr is a terminal, and a line every ``--log-every``
iterations); the final result goes to stdout, as text or, with ``--json``, as one JSON
object. Ctrl-C stops after the current iteration, writes the checkpoint and reports;
a second Ctrl-C aborts at once.
"""
import json
import signal
import sys

from ..tasks import TASKS
from ..train import INITS, TrainConfig, train
from ..train.loop import OPTIMIZERS, build_task


def add_parser(sub):
    p = sub.add_parser("train", help="train an RNN/LSTM/GRU on a sequence task (full or truncated BPTT)",
                       description="Train a recurrent net on a task. Default: LSTM, adding problem, T = 50, "
                                   "full BPTT, Adam, lr 1e-2.")
    p.add_argument("--task", choices=list(TASKS), default="adding")
    p.add_argument("--text", metavar="FILE", help="text file for --task text (default: a bundled text)")
    p.add_argument("--cell", choices=["rnn", "lstm", "gru"], default="lstm")
    p.add_argument("--nonlinearity", choices=["tanh", "relu"], default="tanh", help="for --cell rnn")
    p.add_argument("--hidden", type=int, default=32, help="hidden size H (default 32)")
    p.add_argument("--seq-len", type=int, default=50, help="time steps per sequence (default 50)")
    p.add_argument("--batch", type=int, default=32, help="batch size (default 32)")
    p.add_argument("--iters", type=int, default=1000, help="training iterations (default 1000)")
    p.add_argument("--optim", choices=list(OPTIMIZERS), default="adam")
    p.add_argument("--lr", type=float, default=1e-2, help="learning rate (default 1e-2)")
    p.add_argument("--tbptt", type=int, metavar="K", help="truncated BPTT with windows of K steps "
                                                          "(default: full BPTT)")
    p.add_argument("--k1", type=int, help="TBPTT(k1, k2): backpropagate every k1 steps ...")
    p.add_argument("--k2", type=int, help="... through the last k2 steps (default k1)")
    p.add_argument("--random-truncation", action="store_true",
                   help="draw each window's length at random around K (Tallec & Ollivier 2017)")
    p.add_argument("--clip", type=float, metavar="NORM", help="clip the gradient norm to NORM")
    p.add_argument("--clip-value", type=float, metavar="V", help="clamp each gradient entry to [-V, V]")
    p.add_argument("--init", choices=INITS, default="default", help="initialisation of weight_hh")
    p.add_argument("--init-scale", type=float, default=None,
                   help="orthogonal/identity: gain (default 1); normal: std (default 1/sqrt(H)); spectral: the "
                        "spectral radius (default 1); default: a factor on PyTorch's init")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", metavar="DIR", help="write model.npz, config.json and metrics.jsonl here")
    p.add_argument("--log-every", type=int, default=50, metavar="N", help="log and evaluate every N iterations")
    p.add_argument("--json", action="store_true", help="print the final evaluation as one JSON object")
    return p


def config_from_args(args) -> TrainConfig:
    return TrainConfig(task=args.task, text=args.text, cell=args.cell, nonlinearity=args.nonlinearity,
                       hidden=args.hidden, seq_len=args.seq_len, batch=args.batch, iters=args.iters,
                       optim=args.optim, lr=args.lr, tbptt=args.tbptt, k1=args.k1, k2=args.k2,
                       random_truncation=args.random_truncation, clip=args.clip, clip_value=args.clip_value,
                       init=args.init, init_scale=args.init_scale, seed=args.seed, out=args.out,
                       log_every=args.log_every)


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
    try:
        config = config_from_args(args).check()
    except ValueError as err:
        raise SystemExit(f"error: {err}")
    stopper = _StopOnInterrupt()
    previous = signal.signal(signal.SIGINT, stopper)
    try:
        try:
            task = build_task(config)
        except (ValueError, OSError) as err:
            raise SystemExit(f"error: {err}")
        result = train(config, on_log=_log_line(task.metric), on_iter=_progress_bar(config.iters),
                       should_stop=lambda: stopper.requested, task=task)
    finally:
        signal.signal(signal.SIGINT, previous)
    summary = result.summary()
    summary.update({"cell": config.cell, "seq_len": config.seq_len, "hidden": config.hidden,
                    "tbptt": config.tbptt or config.k1, "clip": config.clip, "init": config.init,
                    "seed": config.seed})
    if args.json:
        print(json.dumps(summary))
    else:
        state = "stopped early" if result.interrupted else "done"
        print(f"{state}: {result.iters} iterations in {result.seconds:.1f} s. Held-out {result.metric}: "
              f"{result.value:.4g} (trivial baseline {result.baseline:.4g})")
        if config.out:
            print(f"checkpoint: {config.out}/model.npz, log: {config.out}/metrics.jsonl")
    return 130 if result.interrupted else 0
