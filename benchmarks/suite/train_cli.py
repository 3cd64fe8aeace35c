"""Whole processes: ``tinygrad-rnn train`` against ``benchmarks/numpy_train.py``, the same training
written by hand in NumPy (same sizes, loss, optimizer, number of updates and held-out scoring).

Two runs, each command started as a new Python process and timed from start to exit (imports,
data, training, evaluation), interleaved with its NumPy counterpart; medians and the ratio:

- ``adding``: ``tinygrad-rnn train --task adding --iters N`` (LSTM H 32, T 50, batch 32, Adam, full
  BPTT: ``TBPTT.run`` with the task's ``window_loss``);
- ``stream``: ``tinygrad-rnn train --task text --stream --tbptt 50 --iters N`` (a text read as 32
  tracks, the state carried from window to window: ``stream_update``).

The engine's command is ``python3 -m tinygrad_rnn train ...`` with this checkout first on the path
(not an installed ``tinygrad-rnn`` script, which may import another copy). Both processes run
with one BLAS thread (the CLI sets it; the NumPy script too).
"""
import functools
import os
import pathlib
import subprocess
import sys
import time

from . import measure

HERE = pathlib.Path(__file__).resolve().parents[1]          # benchmarks/
ROOT = HERE.parent

#: run name -> (the options both commands take, the target ratio)
RUNS = {"adding": (["--task", "adding"], 1.3),
        "stream": (["--task", "text", "--stream", "--tbptt", "50"], 1.3)}


def commands(run: str, iters: int) -> dict:
    """The two commands of ``run``: ``engine`` (tinygrad-rnn train) and ``numpy`` (numpy_train.py)."""
    options = RUNS[run][0] + ["--iters", str(iters)]
    return {"engine": [sys.executable, "-m", "tinygrad_rnn", "train", *options],
            "numpy": [sys.executable, str(HERE / "numpy_train.py"), *options]}


def environment() -> dict:
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    return env


def seconds_of_process(command: list, env: dict) -> float:
    """Wall time of one run of ``command``, from start to exit (a RuntimeError with its stderr if it fails)."""
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"benchmark: {' '.join(command)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return seconds


def run(iters: dict, repeats: int) -> list:
    """Each run in ``iters`` (name -> iterations), its two commands interleaved ``repeats`` times."""
    env, rows = environment(), []
    for name, n in iters.items():
        found = commands(name, n)
        timers = {who: functools.partial(seconds_of_process, command, env) for who, command in found.items()}
        samples = measure.interleaved(timers, repeats)
        median = measure.medians(samples)
        rows.append({"run": name, "iters": n, "commands": {who: " ".join(["python3"] + c[1:]) for who, c in found.items()},
                     "median_s": median, "samples_s": samples, "ratio": median["engine"] / median["numpy"],
                     "spread": measure.ratio_spread(samples, "engine", "numpy"), "target": RUNS[name][1]})
    return rows
