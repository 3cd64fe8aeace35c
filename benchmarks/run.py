"""The benchmark suite: how fast is the engine against hand-written NumPy and PyTorch?

    python3 benchmarks/run.py                      # everything (several minutes)
    python3 benchmarks/run.py --quick              # a subset, about 1-2 minutes
    python3 benchmarks/run.py --only lstm          # LSTM training configs (and the memory section)
    python3 benchmarks/run.py --only overhead,scaling
    python3 benchmarks/run.py --only truncation    # TBPTT time per sequence and per update against full BPTT
    python3 benchmarks/run.py --only targets       # the headline ratios against their targets (about 20 s)
    python3 benchmarks/run.py --only train         # whole tinygrad-rnn train processes against NumPy scripts
    python3 benchmarks/run.py --threads both       # 1 BLAS thread, then the libraries' defaults

Sections: ``training`` (a training step of RNN/LSTM/GRU in five variants over a grid of H, T, B),
``overhead`` (µs per op against raw NumPy and a minimal autograd), ``scaling`` (backward time
against graph size), ``memory`` (peak memory of TBPTT against full BPTT), ``truncation`` (time
per sequence and per update of TBPTT(k) for several k, as ratios to full BPTT), ``targets``
(the four headline ratios, each in its own interleaved timing: a ``SequenceModel`` LSTM training
step against hand-written NumPy BPTT under the adding problem's last-step MSE and under
cross-entropy at every step, with ``fused=True`` and ``fused=False`` when the model takes that
keyword; the ``LSTMCell`` loop and ``nn.LSTM`` against NumPy; the per-op overhead against a
minimal autograd), and beside the SequenceModel step the routes ``train`` takes: ``TBPTT.run`` with the
task's ``window_loss`` (and with ``step_loss``, one step at a time), ``train`` (whole processes:
``tinygrad-rnn train --task adding --iters 2000`` and ``--task text --stream --tbptt 50 --iters 200``
against ``benchmarks/numpy_train.py`` doing the same by hand, interleaved). Timing is interleaved and reported as medians and ratios of one run; the
headline targets are printed at the end (the targets section's table last, with each ratio's
spread over the rounds and met / not met) and everything is written to ``--json`` (default
benchmarks/results.json). PyTorch's columns appear when torch can be imported.
"""
import argparse
import dataclasses
import datetime
import json
import os
import pathlib
import platform
import re
import sys

import numpy as np

import tinygrad_rnn
from tinygrad_rnn.serialization import atomic_write

from suite import measure, memory, overhead, report, targets, train_cli, training, truncation

HERE = pathlib.Path(__file__).resolve().parent
SECTIONS = ("training", "overhead", "scaling", "memory", "truncation", "targets", "train")
CELLS = ("rnn", "lstm", "gru")


@dataclasses.dataclass(frozen=True)
class Plan:
    """What one run measures, and how many times."""
    cells: tuple = CELLS
    Hs: tuple = (32, 128, 512)
    Ts: tuple = (25, 100)
    Bs: tuple = (1, 32)
    repeats: int = 7                  # interleaved timing samples per variant
    min_sample_seconds: float = 0.05  # short steps are repeated within a sample to last this long
    chain_ops: int = 2000             # per-op overhead chain
    overhead_repeats: int = 15
    scaling_sizes: tuple = (1_000, 10_000, 100_000)
    scaling_repeats: int = 5
    memory_lengths: tuple = (200, 1000, 5000)
    memory_k: int = 50
    memory_H: int = 32
    memory_B: int = 8
    memory_repeats: int = 3
    truncation_T: int = 400           # the lecture's setting: text task, tanh RNN, H 32, B 8
    truncation_windows: tuple = (1, 10, 20, 50, 100, 400)   # 1: the per-window overhead at its largest
    truncation_H: int = 32
    truncation_B: int = 8
    truncation_repeats: int = 5
    targets_sequence: tuple = (32, 50, 32)  # H, T, B of SequenceModel against NumPy
    targets_layer: tuple = (128, 100, 32)   # H, T, B of the LSTMCell loop and nn.LSTM against NumPy
    train_iters: tuple = (("adding", 2000), ("stream", 200))   # whole tinygrad-rnn train runs
    train_repeats: int = 3


PLANS = {
    "full": Plan(),
    "quick": Plan(Hs=(32, 128), Ts=(100,), min_sample_seconds=0.03, overhead_repeats=9, scaling_repeats=2,
                  memory_lengths=(200, 1000), memory_repeats=1, truncation_repeats=3, train_repeats=1),
    # tiny sizes through the same code path, for the test that the suite runs end to end
    "smoke": Plan(Hs=(4,), Ts=(3,), Bs=(2,), repeats=1, min_sample_seconds=0.0, chain_ops=20, overhead_repeats=1,
                  scaling_sizes=(10, 100), scaling_repeats=1, memory_lengths=(20, 40), memory_k=10, memory_H=4,
                  memory_B=2, memory_repeats=1, truncation_T=12, truncation_windows=(1, 3, 12), truncation_H=4,
                  truncation_B=2, truncation_repeats=1, targets_sequence=(4, 3, 2), targets_layer=(4, 3, 2),
                  train_iters=(("adding", 2), ("stream", 2)), train_repeats=1),
}


@dataclasses.dataclass
class Selection:
    """What ``--only`` picked: sections, cells, and sizes that replace the plan's lists."""
    sections: tuple = SECTIONS
    cells: tuple | None = None
    sizes: dict = dataclasses.field(default_factory=dict)


def parse_only(text: str | None) -> Selection:
    """``--only`` tokens, comma separated: section names, cell names, or sizes ``H=256``, ``T=50``, ``B=16``.
    Cells and sizes filter the training grid; without a section name they select ``training``
    (and ``memory`` when a cell is named)."""
    if not text:
        return Selection()
    sections, cells, sizes = [], [], {}
    for token in filter(None, (t.strip() for t in text.split(","))):
        size = re.fullmatch(r"([HTB])=(\d+)", token)
        if token in SECTIONS:
            sections.append(token)
        elif token in CELLS:
            cells.append(token)
        elif size and int(size[2]) > 0:
            sizes.setdefault(size[1] + "s", []).append(int(size[2]))
        else:
            raise ValueError(f"--only: unknown filter {token!r}. Use section names ({', '.join(SECTIONS)}), "
                             f"cell names ({', '.join(CELLS)}) or positive sizes such as H=128, T=100, B=32, "
                             f"comma separated, e.g. --only lstm,H=128")
    if not sections:
        sections = ["training", "memory"] if cells else ["training"] if sizes else list(SECTIONS)
    return Selection(tuple(s for s in SECTIONS if s in sections), tuple(c for c in CELLS if c in cells) or None,
                     {k: tuple(v) for k, v in sizes.items()})


def apply_selection(plan: Plan, selection: Selection) -> Plan:
    return dataclasses.replace(plan, cells=selection.cells or plan.cells, **selection.sizes)


def say(text: str = "") -> None:
    print(text, flush=True)


# --- one run under one thread setting -------------------------------------------------------------------

def run_training(plan: Plan, torch) -> list:
    variants = training.available_variants(torch)
    say(report.training_header(variants, plan.repeats))
    rows = []
    for config in training.grid(plan.cells, plan.Hs, plan.Ts, plan.Bs):
        rows.append(training.run_config(config, plan.repeats, plan.min_sample_seconds, torch))
        say(report.training_row(rows[-1], variants))
    return rows


def run_sections(plan: Plan, sections: tuple, torch) -> dict:
    """Every selected section under the current thread setting; results as JSON-ready dicts."""
    result = {name: None for name in SECTIONS}
    if "training" in sections:
        result["training"] = run_training(plan, torch)
        say()
    if "overhead" in sections:
        result["overhead"] = overhead.per_op(plan.chain_ops, plan.overhead_repeats)
        say(report.overhead_table(result["overhead"]) + "\n")
    if "scaling" in sections:
        result["scaling"] = overhead.scaling(plan.scaling_sizes, plan.scaling_repeats)
        say(report.scaling_table(result["scaling"]) + "\n")
    if "memory" in sections:
        cell = "lstm" if "lstm" in plan.cells else plan.cells[0]
        result["memory"] = memory.tbptt_memory(cell, plan.memory_lengths, plan.memory_k, plan.memory_H,
                                               plan.memory_B, plan.memory_repeats)
        say(report.memory_table(result["memory"]) + "\n")
    if "truncation" in sections:
        result["truncation"] = truncation.tbptt_time("rnn", plan.truncation_T, plan.truncation_windows,
                                                     plan.truncation_H, plan.truncation_B, plan.truncation_repeats)
        say(report.truncation_table(result["truncation"]) + "\n")
    if "targets" in sections:
        result["targets"] = targets.run(plan.targets_sequence, plan.targets_layer, plan.repeats,
                                        plan.min_sample_seconds, plan.chain_ops, plan.overhead_repeats)
        result["targets"]["headline"] = report.targets_headline(result["targets"])
        say(report.targets_tables(result["targets"]) + "\n")
    if "train" in sections:
        result["train"] = train_cli.run(dict(plan.train_iters), plan.train_repeats)
        say(report.train_table(result["train"]) + "\n")
    result["headline"] = report.headline(result["training"] or [], result["overhead"])
    measured = any(t["met"] is not None for t in result["headline"])     # nothing with --only targets, say
    if measured:
        say(report.headline_table(result["headline"]))
    if result["targets"] is not None or result["train"] is not None:
        rows = (result["targets"] or {}).get("headline", []) + report.train_headline(result["train"] or [])
        say(("\n" if measured else "") + report.targets_table(rows))
    return result


def environment(torch) -> dict:
    return {"python": platform.python_version(), "numpy": np.__version__, "tinygrad_rnn": tinygrad_rnn.__version__,
            "torch": torch.__version__ if torch is not None else None, "platform": platform.platform(),
            "machine": platform.machine(), "cpu_count": os.cpu_count()}


def write_json(path: pathlib.Path, results: dict) -> None:
    data = (json.dumps(results, indent=1) + "\n").encode("utf-8")
    atomic_write(path, lambda f: f.write(data), who="benchmarks/run.py")


# --- command line ----------------------------------------------------------------------------------------

def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python3 benchmarks/run.py", description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n")[1])
    parser.add_argument("--quick", action="store_true", help="a subset (H 32 and 128, T 100, B 1 and 32), "
                        "about 1-2 minutes")
    parser.add_argument("--only", metavar="FILTERS", help="comma-separated sections (training, overhead, "
                        "scaling, memory, truncation, targets: the headline ratios at their own sizes, train: "
                        "whole tinygrad-rnn train processes against NumPy scripts), "
                        "cells (rnn, lstm, gru) and sizes (H=128, T=100, B=32; they filter the training grid)")
    parser.add_argument("--json", metavar="PATH", type=pathlib.Path, default=HERE / "results.json",
                        help="where to write the results (default: benchmarks/results.json)")
    parser.add_argument("--threads", choices=["1", "default", "both"], default="1",
                        help="1 BLAS thread for NumPy and torch (default), the libraries' own defaults, or both "
                             "one after the other")
    parser.add_argument("--repeats", type=int, metavar="N", help="interleaved timing samples per variant "
                        "(default 7)")
    parser.add_argument("--no-torch", action="store_true", help="leave PyTorch's columns out")
    parser.add_argument("--smoke", action="store_true", help=argparse.SUPPRESS)   # tiny sizes, for the tests
    args = parser.parse_args(argv)
    try:
        args.selection = parse_only(args.only)
    except ValueError as error:
        parser.error(str(error))
    if args.repeats is not None and args.repeats < 1:
        parser.error(f"--repeats must be at least 1, got {args.repeats}")
    return args


def main(argv=None) -> dict:
    args = parse_args(argv)
    plan = PLANS["smoke" if args.smoke else "quick" if args.quick else "full"]
    plan = apply_selection(plan, args.selection)
    if args.repeats is not None:
        plan = dataclasses.replace(plan, repeats=args.repeats)
    torch = None if args.no_torch else measure.torch_module()
    measure.freeze_heap()
    results = {"schema": "tinygrad_rnn-benchmarks/1",
               "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
               "command": " ".join(["python3", "benchmarks/run.py"] + (sys.argv[1:] if argv is None else argv)),
               "plan": {**dataclasses.asdict(plan), "sections": list(args.selection.sections)},
               "environment": environment(torch), "runs": []}
    say(f"tinygrad_rnn {tinygrad_rnn.__version__}, NumPy {np.__version__}, "
        f"torch {torch.__version__ if torch is not None else 'not available'}, {os.cpu_count()} cores")
    for setting in (["1", "default"] if args.threads == "both" else [args.threads]):
        with measure.thread_setting(setting, torch):
            threads = measure.thread_report(torch)
            say(f"\n=== threads: {setting} — {measure.describe_threads(threads)} ===\n")
            results["runs"].append({"threads": setting, "thread_report": threads,
                                    **run_sections(plan, args.selection.sections, torch)})
    write_json(args.json, results)
    say(f"\nwrote {args.json}")
    return results


if __name__ == "__main__":
    main()
