"""Timing and thread settings.

Timing is *interleaved*: every repeat calls each contender once, round-robin (starting one
further along each round), so a change of machine load during the run hits all of them
alike, and the reported figure is each contender's median. Only ratios measured in the same
run are meaningful; the absolute times depend on the machine and what else runs on it.
"""
import contextlib
import functools
import gc
import math
import statistics
import time

from threadpoolctl import threadpool_info, threadpool_limits

THREAD_SETTINGS = ("1", "default")


def freeze_heap() -> None:
    """Move every object alive now (modules, torch's import) out of the garbage collector's view, so
    the ``gc.collect()`` before each sample only walks what the benchmark itself made (with torch
    imported, a full collection takes tens of ms and evicts the CPU caches)."""
    gc.collect()
    gc.freeze()


def seconds_of(fn, number: int = 1) -> float:
    """Mean wall time of one call of ``fn`` over ``number`` calls (garbage collected first)."""
    gc.collect()
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - start) / number


def calls_per_sample(first_call_seconds: float, min_sample_seconds: float) -> int:
    """How many calls make one timing sample last at least ``min_sample_seconds`` (short steps are
    repeated so that the timer's resolution and one-off hiccups do not dominate)."""
    return max(1, math.ceil(min_sample_seconds / max(first_call_seconds, 1e-9)))


def interleaved(timers: dict, repeats: int) -> dict:
    """Take ``repeats`` samples of each of ``timers`` (name -> zero-argument callable returning the
    seconds one sample took, e.g. ``functools.partial(seconds_of, step, number)``), round-robin.
    Returns name -> list of seconds."""
    names = list(timers)
    samples = {name: [] for name in names}
    for r in range(repeats):
        for name in names[r % len(names):] + names[:r % len(names)]:
            samples[name].append(timers[name]())
    return samples


def medians(samples: dict) -> dict:
    return {name: statistics.median(values) for name, values in samples.items()}


def time_steps(steps: dict, repeats: int, min_sample_seconds: float) -> tuple:
    """Time training steps (name -> zero-argument ``step()`` returning its loss) against each other:
    one warm-up call each, which also sizes its samples (``calls_per_sample``), then ``repeats``
    interleaved samples. Returns (first losses as floats, calls per sample, samples in seconds)."""
    first_loss, numbers = {}, {}
    for name, step in steps.items():
        start = time.perf_counter()
        loss = step()
        first_loss[name] = loss if isinstance(loss, float) else loss.item()
        numbers[name] = calls_per_sample(time.perf_counter() - start, min_sample_seconds)
    timers = {name: functools.partial(seconds_of, step, numbers[name]) for name, step in steps.items()}
    return first_loss, numbers, interleaved(timers, repeats)


def losses_agree(first_loss: dict, reference: str, rtol: float = 1e-4) -> bool:
    """Whether every first loss (of steps started from the same weights) is within ``rtol`` of the
    ``reference``'s: a check that the contenders compute the same thing."""
    return max(abs(loss - first_loss[reference]) for loss in first_loss.values()) < rtol * abs(first_loss[reference])


def ratio_spread(samples: dict, numerator: str, denominator: str) -> list:
    """[lowest, highest] of the ratio numerator / denominator over the interleaved rounds (round r
    pairs the r-th sample of each): how much the ratio of medians could move with the load."""
    ratios = [a / b for a, b in zip(samples[numerator], samples[denominator])]
    return [min(ratios), max(ratios)]


# --- threads -----------------------------------------------------------------------------------------

def torch_module():
    """``torch`` if it can be imported, else None (it is an optional comparison)."""
    try:
        import torch
    except ImportError:
        return None
    return torch


_TORCH_DEFAULT_THREADS = {}


@contextlib.contextmanager
def thread_setting(setting: str, torch=None):
    """``"1"``: one BLAS thread for NumPy (threadpoolctl) and ``torch.set_num_threads(1)``;
    ``"default"``: the libraries' own defaults. ``torch``: the module, or None to leave it alone.
    Restores the previous settings afterwards."""
    if setting not in THREAD_SETTINGS:
        raise ValueError(f"thread_setting: expected one of {THREAD_SETTINGS}, got {setting!r}")
    if torch is not None:
        _TORCH_DEFAULT_THREADS.setdefault("threads", torch.get_num_threads())   # before anyone changes it
        before = torch.get_num_threads()
    limits = threadpool_limits(limits=1, user_api="blas") if setting == "1" else contextlib.nullcontext()
    with limits:
        if torch is not None:
            torch.set_num_threads(1 if setting == "1" else _TORCH_DEFAULT_THREADS["threads"])
        try:
            yield
        finally:
            if torch is not None:
                torch.set_num_threads(before)


def thread_report(torch=None) -> dict:
    """The thread pools as they are now: each library threadpoolctl sees (BLAS, OpenMP), and torch's."""
    keys = ("user_api", "internal_api", "prefix", "version", "num_threads", "threading_layer")
    return {"threadpools": [{k: pool.get(k) for k in keys if k in pool} for pool in threadpool_info()],
            "torch_num_threads": torch.get_num_threads() if torch is not None else None}


def describe_threads(report: dict) -> str:
    """One line, e.g. ``blas: openblas 0.3.31 x 1 thread; openmp: libgomp x 2; torch: 1``."""
    parts = [f"{p['user_api']}: {p.get('internal_api')} {p.get('version') or ''}".rstrip() +
             f" x {p['num_threads']}" for p in report["threadpools"]]
    if report["torch_num_threads"] is not None:
        parts.append(f"torch: {report['torch_num_threads']}")
    return "; ".join(parts) + " (threads)"
