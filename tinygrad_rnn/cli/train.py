"""``tinygrad-rnn train``: train a recurrent net on a task and report the held-out metric.

Progress goes to stderr (a bar when stderr is a terminal, and a line every ``--log-every``
iterations); the final result goes to stdout, as text or, with ``--json``, as one JSON
object. Ctrl-C stops after the current iteration, writes the checkpoint and reports (exit
status 130); a second Ctrl-C aborts at once (the checkpoint keeps the last saved iteration).
SIGTERM (``kill``, ``timeout``, batch schedulers) does the same, with one line on stderr saying
where the checkpoint is and how to continue, and exit status 143 (128 + 15). Both handlers are
installed only while ``train`` runs, and the previous ones put back afterwards.
A run holds its folder's lock (``DIR/.lock``, see ``train/checkpoint.py``): a second run writing
into the same --out (or --resume) folder fails at once (exit status 2).
``--resume DIR`` continues the run saved in DIR: options left out are taken from its
checkpoint, options given must agree with it (except --iters, --log-every, --out).
A non-finite loss or gradient norm stops training with one line on stderr (exit status 1).
The run's configuration is the first line on stderr (``config_line``); the log lines show the
share of clipped gradients only when clipping by norm was asked for (``--clip``).
"""
import argparse
import contextlib
import dataclasses
import json
import math
import os
import signal
import sys

from ..nn.cells import CELLS
from ..tasks import TASKS
from ..train import INITS, TrainConfig, train
from ..train.checkpoint import CHECKPOINT_JSON, CHECKPOINT_SUBDIR, load_checkpoint, lock_run_folder
from ..train.loop import OPTIMIZERS, RESUME_MAY_CHANGE, build_task, resume_folder
from .args import PROG, CommandError, finite_float, input_file, int_at_least, json_text, report, seed_int

EXIT_TERMINATED = 128 + int(signal.SIGTERM)     # 143: what shells report for a process ended by SIGTERM

# The options that are TrainConfig fields (argparse's dest = the field name).
_CONFIG_FIELDS = [field.name for field in dataclasses.fields(TrainConfig)]

# The truncation windows: a length of 0 is not "no truncation" (leave the option out for that).
_WINDOW = int_at_least(1, "--tbptt K with K >= 1 steps (e.g. --tbptt 50), or leave --tbptt out for full BPTT")
_K1 = int_at_least(1, "--k1 K1 with K1 >= 1 steps (e.g. --k1 20 --k2 40), or leave --k1 and --k2 out for full BPTT")
_K2 = int_at_least(1, "--k2 K2 with K2 >= --k1 (e.g. --k1 20 --k2 40), or leave --k2 out (k2 = k1)")


def add_parser(sub):
    # argument_default=SUPPRESS: an option left out is absent from args, so --resume can tell which
    # options were given; the defaults are TrainConfig's (and are named in each help text).
    p = sub.add_parser("train", help="train an RNN/LSTM/GRU on a sequence task (full or truncated BPTT)",
                       description="Train a recurrent net on a task. Default: LSTM, adding problem, T = 50, "
                                   "full BPTT, Adam, lr 1e-2.", argument_default=argparse.SUPPRESS)
    p.add_argument("--task", choices=list(TASKS), help="the task (default adding)")
    p.add_argument("--text", metavar="FILE", type=_text_file,
                   help="text file (UTF-8) for --task text (default: a bundled text; with --stream: Python's "
                        "pydoc_data.topics, ~465 KB)")
    p.add_argument("--stream", action="store_true",
                   help="--task text: read the text as one stream cut into --batch tracks, window after window, "
                        "carrying h (and c) across windows (with --tbptt/--k1; without: each --seq-len window on "
                        "its own, full BPTT); the last 5%% is held out, scored in bits per character")
    p.add_argument("--cell", choices=list(CELLS), help="the recurrent cell (default lstm)")
    p.add_argument("--nonlinearity", choices=["tanh", "relu"], help="for --cell rnn (default tanh)")
    p.add_argument("--hidden", type=int_at_least(1, "--hidden 32"), help="hidden size H (default 32)")
    p.add_argument("--seq-len", type=int_at_least(1, "--seq-len 50"), help="time steps per sequence (default 50)")
    p.add_argument("--batch", type=int_at_least(1, "--batch 32"), help="batch size (default 32)")
    p.add_argument("--iters", type=int_at_least(1, "--iters 1000"),
                   help="training iterations in all, those before a --resume included (default 1000)")
    p.add_argument("--optim", choices=list(OPTIMIZERS), help="the optimizer (default adam)")
    p.add_argument("--lr", type=float, help="learning rate (default 1e-2)")
    p.add_argument("--tbptt", type=_WINDOW, metavar="K", help="truncated BPTT with windows of K >= 1 steps "
                                                              "(default: full BPTT)")
    p.add_argument("--k1", type=_K1, help="TBPTT(k1, k2): backpropagate every k1 steps ...")
    p.add_argument("--k2", type=_K2, help="... through the last k2 steps (default k1)")
    p.add_argument("--random-truncation", action="store_true",
                   help="draw each window's length at random around K (Tallec & Ollivier 2017)")
    p.add_argument("--clip", type=float, metavar="NORM", help="clip the gradient norm to NORM")
    p.add_argument("--clip-value", type=float, metavar="V", help="clamp each gradient entry to [-V, V]")
    p.add_argument("--init", choices=INITS, help="initialisation of weight_hh (default: PyTorch's)")
    p.add_argument("--init-scale", type=float,
                   help="orthogonal/identity: gain (default 1); normal: std (default 1/sqrt(H)); spectral: the "
                        "spectral radius (default 1); default: a factor on PyTorch's init")
    p.add_argument("--forget-bias", type=finite_float, metavar="B",
                   help="--cell lstm: set the forget-gate bias to B (b_ih[H:2H] = B, b_hh[H:2H] = 0; Jozefowicz "
                        "et al. 2015 use 1) (default: PyTorch's init)")
    p.add_argument("--every-op", dest="fused", action="store_const", const=False,
                   help="build each time step from every op (a node per gate, as the drawings show it) instead "
                        "of one node per step (the default); the same numbers, several times slower")
    p.add_argument("--seed", type=seed_int, help="seed of the run's random generator (default 0)")
    p.add_argument("--out", metavar="DIR", help="write config.json, metrics.jsonl, model.npz and the checkpoint "
                                                "(checkpoint/) here")
    p.add_argument("--log-every", type=int_at_least(1, "--log-every 50"), metavar="N",
                   help="log, evaluate and save the checkpoint every N iterations (default 50)")
    p.add_argument("--resume", metavar="DIR", help="continue the run saved in DIR (its --out folder) up to --iters "
                                                   "iterations in all; it ends as if never interrupted")
    p.add_argument("--json", action="store_true",
                   help="print the final evaluation as one JSON object (nan/inf as the strings \"nan\", \"inf\")")
    return p


def _text_file(text: str) -> str:
    """``--text``: the name of an existing file (kept as a string, as the config saves it)."""
    return str(input_file(text))


def config_from_args(args) -> TrainConfig:
    """The run's settings: the options given, the rest from TrainConfig's defaults, or with
    ``--resume`` from the checkpoint (with ``out`` the resumed folder, unless --out is given)."""
    given = {name: getattr(args, name) for name in _CONFIG_FIELDS if hasattr(args, name)}
    resume = getattr(args, "resume", None)
    if resume is None:
        return TrainConfig(**given)
    checkpoint = load_checkpoint(resume)
    damaged = checkpoint.nonfinite()
    if damaged:
        raise CommandError(f"can't resume from '{resume}': its checkpoint (iteration {checkpoint.iteration}) holds nan "
                           f"or inf in {', '.join(damaged[:3])}{' ...' if len(damaged) > 3 else ''}. A run never "
                           f"saves such values (it stops before), so the checkpoint was damaged, and training from "
                           f"it can only give nan, whatever the --lr. Fix: start the run again in a new --out folder "
                           f"(or delete '{checkpoint.directory}' first), or resume from a copy saved earlier")
    saved = {name: value for name, value in checkpoint.config.items() if name in _CONFIG_FIELDS}
    return TrainConfig(**{**saved, "out": os.path.dirname(checkpoint.directory) or ".", **given})


class _StopOnSignal:
    """The first Ctrl-C (SIGINT) or SIGTERM asks the loop to stop after this iteration (``signum``
    says which came); a second one of either aborts at once (a KeyboardInterrupt in the loop)."""

    def __init__(self):
        self.signum = None

    @property
    def requested(self) -> bool:
        return self.signum is not None

    def __call__(self, signum, frame):
        if self.signum is not None:
            raise KeyboardInterrupt
        self.signum = signum
        if signum == signal.SIGINT:          # SIGTERM: one line at the end (no one may be watching now)
            print("\ninterrupted: stopping after this iteration and saving (Ctrl-C again to abort)",
                  file=sys.stderr, flush=True)

    @contextlib.contextmanager
    def installed(self):
        """Handle SIGINT and SIGTERM while the block runs; then put the previous handlers back."""
        previous = {signum: signal.signal(signum, self) for signum in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield self
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)


def _progress_bar(total):
    if not sys.stderr.isatty():
        return None

    def show(i, loss):
        width = 30
        filled = int(width * i / total)
        print(f"\r[{'#' * filled}{'.' * (width - filled)}] {i}/{total} loss {loss:.4g}", end="",
              file=sys.stderr, flush=True)
    return show


def config_line(config, resume=None) -> str:
    """``train: lstm (hidden 32) on adding, seq-len 50, batch 32, 1000 iterations, adam lr 0.01, full BPTT,
    no clipping, init default, seed 0``: what the run does, printed before it starts."""
    cell = config.cell + (f" {config.nonlinearity}" if config.cell == "rnn" else "")
    if config.k1 is not None:
        bptt = f"TBPTT(k1 {config.k1}, k2 {config.k2 if config.k2 is not None else config.k1})"
    elif config.tbptt is not None:
        bptt = f"TBPTT({config.tbptt})"
    elif config.stream:             # no window carries the state: say so, "full BPTT" alone would not
        bptt = (f"full BPTT within each {config.seq_len}-step stretch (each a sequence of its own: the state "
                f"is not carried to the next; --tbptt K carries it)")
    else:
        bptt = "full BPTT"
    bptt += ", random window lengths" if config.random_truncation else ""
    clipping = [f"clip norm {config.clip:g}"] if config.clip is not None else []
    clipping += [f"clip value {config.clip_value:g}"] if config.clip_value is not None else []
    init = config.init + (f" (scale {config.init_scale:g})" if config.init_scale is not None else "")
    task = config.task + (" (stream)" if config.stream else "")
    windowed = config.tbptt is not None or config.k1 is not None
    length = [] if config.stream and windowed else [f"seq-len {config.seq_len}"]     # a stream's tracks: no seq-len
    parts = [f"{cell} (hidden {config.hidden}) on {task}", *length, f"batch {config.batch}",
             f"{config.iters} iterations", f"{config.optim} lr {config.lr:g}", bptt,
             ", ".join(clipping) or "no clipping", f"init {init}"]
    parts += [f"forget bias {config.forget_bias:g}"] if config.forget_bias is not None else []
    parts += [] if config.fused else ["every op a node"]
    parts += [f"seed {config.seed}"]
    parts += [f"out {config.out}"] if config.out else []
    return f"{PROG} train: " + ", ".join(parts) + (f" (resuming {resume})" if resume else "")


def _log_line(metric, clipping: bool, in_bits: bool = False):
    """A log record as one line on stderr. ``in_bits`` (a text stream): both losses, cross-entropies in
    nats in the record, shown in bits per character, the unit of the run's final line."""
    scale, unit = (1 / math.log(2), " bits/char") if in_bits else (1.0, "")
    label = "" if in_bits else f" {metric}"

    def log(record):
        clip = f"  clipped {record['clip_fraction']:.0%}" if clipping and record["grad_norm"] is not None else ""
        grad = f"  grad norm {record['grad_norm']:.3g}" if record["grad_norm"] is not None else ""
        loss = f"loss {record['loss'] * scale:.4g}{unit}" if record["loss"] is not None else "loss -"
        print(f"\riter {record['iter']:6d}  {loss}{grad}{clip}  held-out{label} {record['eval'] * scale:.4g}{unit}"
              f"  ({record['seconds']:.1f} s)", file=sys.stderr, flush=True)
    return log


#: the trivial predictor's expectation (task.baseline()) as a formula, where it has a short one
_EXPECTATIONS = {"adding": "1/6", "agreement": "1/2"}
_METRIC_NAMES = {"mse": "MSE", "accuracy": "accuracy", "loss": "cross-entropy (nats)"}


def stream_summary(result, stream) -> dict:
    """The stream's fields of ``--json``: held-out bits per character beside the held-out slice's unigram
    entropy (bits), and what was read."""
    bits = math.log(2)
    return {"stream": True, "bits_per_char": result.value / bits, "baseline_bits_per_char": result.baseline / bits,
            "corpus": stream.source, "corpus_chars": len(stream.text), "held_out_chars": len(stream.held_data),
            "tracks": stream.batch_size, "chars_read": result.chars_read, "note": stream.note}


def final_line(result) -> str:
    """``Held-out MSE 0.0021 (trivial predictor on the same batch 0.1898; its expectation 1/6 = 0.1667)``."""
    formula = _EXPECTATIONS.get(result.task)
    expected = f"{formula} = {result.baseline_expected:.4f}" if formula else f"{result.baseline_expected:.4g}"
    if result.chars_read is not None:           # a stream: the held-out slice, in bits per character
        return (f"Held-out {result.value / math.log(2):.4g} bits per character (the held-out slice's unigram "
                f"entropy {result.baseline / math.log(2):.4g} bits), after {result.chars_read} characters read")
    return (f"Held-out {_METRIC_NAMES.get(result.metric, result.metric)} {result.value:.4g} (trivial predictor "
            f"on the same batch {result.baseline:.4g}; its expectation {expected})")


def run(args):
    resume = getattr(args, "resume", None)
    if resume is None:
        config = config_from_args(args).check()     # ValueError/OSError: cli.main prints them as one line
        folder = config.out
    else:                                       # the checkpoint is read once the folder is locked
        config, folder = None, getattr(args, "out", None) or resume_folder(resume)
    with lock_run_folder(folder, "train") if folder else contextlib.nullcontext():
        if config is None:
            config = config_from_args(args).check()
        if folder:
            _check_out_folder(folder, config, resume)
        return _train_and_report(args, config, resume)


#: the files a run writes into its --out folder (besides the lock): another run's, if they are there
RUN_FILES = ("config.json", "metrics.jsonl", "model.npz", os.path.join(CHECKPOINT_SUBDIR, CHECKPOINT_JSON),
             CHECKPOINT_JSON)


def _check_out_folder(folder, config, resume) -> None:
    """Refuse to start a run in a folder that holds another run: it would replace that run's model,
    checkpoint, config and log. A run with the same settings is to be continued (--resume), a different
    one kept (another --out); the error says which it is. Resuming into the folder it came from is fine."""
    if resume is not None and os.path.realpath(resume_folder(resume) or resume) == os.path.realpath(folder):
        return
    found = [name for name in RUN_FILES if os.path.exists(os.path.join(folder, name))]
    if not found:
        return
    saved, iteration = _saved_settings(folder)
    if saved is None:
        raise CommandError(f"--out {folder} already holds files of an earlier run ({', '.join(found)}), which this "
                           f"run would replace. Fix: choose another --out folder, or delete those files first")
    defaults = TrainConfig()
    differences = [f"{name} {saved.get(name, getattr(defaults, name))!r} there, {getattr(config, name)!r} here"
                   for name in _CONFIG_FIELDS if name not in RESUME_MAY_CHANGE
                   and saved.get(name, getattr(defaults, name)) != getattr(config, name)]
    at = f" (its checkpoint is at iteration {iteration})" if iteration is not None else ""
    if differences:
        raise CommandError(f"--out {folder} already holds another run, with other settings ({'; '.join(differences)})"
                           f"{at}; this run would replace its model, checkpoint, config and log. Fix: choose another "
                           f"--out folder, or delete '{folder}' first if that run is no longer wanted")
    how = (f"continue it with: {PROG} train --resume {folder}" + (f" --iters {config.iters}" if iteration is not None
                                                                    and config.iters > iteration else "")
           if iteration is not None else "delete it first to start over (it has no checkpoint to continue from)")
    raise CommandError(f"--out {folder} already holds a run with these settings{at}; starting again would replace it. "
                       f"Fix: {how}, or choose another --out folder")


def _saved_settings(folder) -> tuple:
    """(the settings of the run saved in ``folder``, its checkpoint's iteration or None); (None, None) if
    neither its checkpoint nor its config.json can be read."""
    try:
        checkpoint = load_checkpoint(folder)
        return checkpoint.config, checkpoint.iteration
    except (OSError, ValueError):
        pass
    try:
        with open(os.path.join(folder, "config.json"), encoding="utf-8") as f:
            saved = json.load(f)
        return (saved, None) if isinstance(saved, dict) else (None, None)
    except (OSError, ValueError):
        return None, None


def _train_and_report(args, config, resume):
    task = build_task(config)
    _check_memory(config, task)
    out = config.out
    checkpoint = os.path.join(out, CHECKPOINT_SUBDIR) if out else None
    stopper = _StopOnSignal()
    print(config_line(config, resume), file=sys.stderr, flush=True)
    if getattr(task, "note", None):
        print(f"{PROG} train: note: {task.note}", file=sys.stderr, flush=True)
    try:
        with stopper.installed():
            result = train(config, on_log=_log_line(task.metric, config.clip is not None, in_bits=config.stream),
                           on_iter=_progress_bar(config.iters),
                           should_stop=lambda: stopper.requested, task=task, resume=resume)
    except KeyboardInterrupt:
        if stopper.signum != signal.SIGTERM:
            raise                                   # a Ctrl-C: cli.main reports it (exit status 130)
        _end_progress_bar()                         # a second SIGTERM after training, while saving or scoring
        print(f"{PROG} train: stopped by SIGTERM twice, before the run was wrapped up; "
              + (f"the checkpoint in {checkpoint} holds the last saved iteration; continue with: {PROG} train "
                 f"--resume {out}" if checkpoint else "nothing was saved (no --out)"), file=sys.stderr, flush=True)
        return EXIT_TERMINATED
    summary = result.summary()
    summary.update({"cell": config.cell, "seq_len": config.seq_len, "hidden": config.hidden,
                    "tbptt": next((k for k in (config.tbptt, config.k1) if k is not None), None), "clip": config.clip,
                    "init": config.init, "forget_bias": config.forget_bias, "seed": config.seed})
    if config.stream:
        summary.update(stream_summary(result, task))
    if getattr(args, "json", False):
        print(json_text(summary))
    kept = (f"; the checkpoint in {checkpoint} still holds iteration {result.checkpoint_iteration}"
            if checkpoint and result.checkpoint_iteration is not None else "")
    if result.stopped is not None and not result.interrupted:     # a non-finite loss, gradient or parameter
        _end_progress_bar()
        report("train", f"training stopped: {result.stopped}{kept}. Fix: {_stop_fix(config, result)}")
        return 1
    if not getattr(args, "json", False):
        state = "stopped early" if result.interrupted else "done"
        print(f"{state}: {result.iters} iterations in {result.seconds:.1f} s. {final_line(result)}")
        if checkpoint:
            print(f"checkpoint: {checkpoint} (iteration {result.checkpoint_iteration}; continue with --resume "
                  f"{out}), model: {os.path.join(out, 'model.npz')}, log: {os.path.join(out, 'metrics.jsonl')}")
    if stopper.signum == signal.SIGTERM and result.interrupted:
        _end_progress_bar()
        print(_terminated_line(result, checkpoint, out), file=sys.stderr, flush=True)
        return EXIT_TERMINATED
    if result.stopped is not None:                                  # a second Ctrl-C, in the middle of an iteration
        print(f"{result.stopped}: that iteration was not saved{kept}", file=sys.stderr)
    return 130 if result.interrupted else 0


def _stop_fix(config, result) -> str:
    """What to change after a non-finite loss, gradient or parameter: a too large --init-scale when the very
    first iteration failed with it, otherwise a smaller step."""
    first = result.iters == 0 and not result.history
    if first and config.init_scale is not None and abs(config.init_scale) > 10:
        return (f"a smaller --init-scale (with {config.init_scale:g} the very first forward pass is already out of "
                f"range; values near 1 are usual), or leave --init-scale out")
    return ("a smaller --lr, gradient clipping (--clip 1), or find the first nan/inf with "
            "tinygrad_rnn.autograd.detect_anomaly()")


#: the bytes of each parameter entry during training: the weight, its gradient, and the optimizer's state
_COPIES = {"sgd": 3, "adam": 4, "adagrad": 3}      # sgd: + momentum buffer; adam: + two moments; adagrad: + sum


def _check_memory(config, task) -> None:
    """Refuse sizes whose weights alone (with their gradients and the optimizer's state) can't fit in this
    machine's memory, before NumPy fails with a MemoryError deep inside: the option named, a size that fits."""
    total = _physical_memory()
    if total is None:
        return
    gates = CELLS[config.cell].gates
    itemsize = 4                                                        # float32 weights

    def needed(hidden):
        entries = gates * hidden * (task.input_size + hidden + 2) + task.output_size * (hidden + 1)
        return entries * itemsize * _COPIES.get(config.optim, 4)
    if needed(config.hidden) <= total:
        return
    fits = config.hidden
    while fits > 1 and needed(fits) > total / 4:
        fits //= 2
    raise CommandError(f"--hidden {config.hidden} needs about {_size(needed(config.hidden))} for the {config.cell}'s "
                       f"weights alone (with their gradients and {config.optim}'s state), more than this machine's "
                       f"{_size(total)} of memory. Fix: a smaller --hidden, e.g. --hidden {fits} "
                       f"(about {_size(needed(fits))})")


def _physical_memory() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):       # not POSIX
        return None


def _size(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:.3g} {unit}"
        n /= 1000


def _terminated_line(result, checkpoint, out) -> str:
    """The one line on stderr after a SIGTERM: what was done, where the checkpoint is, how to go on."""
    if result.stopped is not None:              # a second SIGTERM, in the middle of an iteration
        what = f"stopped by SIGTERM {result.stopped.replace('aborted ', '')} (that iteration was not saved)"
    else:
        what = f"stopped by SIGTERM after iteration {result.iters}"
    if not checkpoint:
        return f"{PROG} train: {what}; nothing was saved (give --out DIR to keep a checkpoint)"
    if result.checkpoint_iteration is None:
        return f"{PROG} train: {what}; no checkpoint was written yet, so start again"
    return (f"{PROG} train: {what}; the checkpoint in {checkpoint} holds iteration {result.checkpoint_iteration}; "
            f"continue with: {PROG} train --resume {out}")


def _end_progress_bar():
    if sys.stderr.isatty():
        print(file=sys.stderr)                  # end the progress bar's line
