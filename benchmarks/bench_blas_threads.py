"""Does OpenBLAS multithreading help the small matmuls of an RNN? Measures 1 vs 2 BLAS threads
in the same run, interleaved, as ratios of medians (no absolute timing is asserted anywhere).

    python benchmarks/bench_blas_threads.py [--load]

``--load`` runs a busy-loop process on every core meanwhile, to see the contended case.
``python3 benchmarks/run.py --threads both`` compares the thread settings on the whole
training benchmark. Needs threadpoolctl (the ``dev`` extra).
"""
import argparse
import functools
import multiprocessing
import os
import time

import numpy as np
from threadpoolctl import threadpool_limits

from suite import measure, training


def with_blas_threads(threads: int, fn, number: int) -> float:
    """Seconds per call of ``fn`` under ``threads`` BLAS threads (one timing sample)."""
    with threadpool_limits(limits=threads, user_api="blas"):
        return measure.seconds_of(fn, number)


def matmul_case():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((32, 128)), rng.standard_normal((128, 512))
    return lambda: a @ b


def lstm_case():
    """The training benchmark's engine cell loop, LSTM H=32 T=50 B=32."""
    config = training.Config("lstm", 32, 50, 32)
    return training.build_step("engine_cells", config, training.initial_weights(config), training.make_data(config))


def _spin(stop):
    while not stop.is_set():
        pass


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--load", action="store_true", help="keep every core busy meanwhile")
    args = parser.parse_args()
    stop, spinners = multiprocessing.Event(), []
    if args.load:
        spinners = [multiprocessing.Process(target=_spin, args=(stop,)) for _ in range(os.cpu_count() or 1)]
        for p in spinners:
            p.start()
        time.sleep(1.0)                           # let them get going before measuring
    try:
        print(f"cores: {os.cpu_count()}, load: {'busy' if args.load else 'quiet'}")
        for name, case, number in [("(32x128)@(128x512) matmul", matmul_case(), 200),
                                   ("LSTM H=32 B=32 T=50 training step", lstm_case(), 3)]:
            case()                                # warm-up
            timers = {threads: functools.partial(with_blas_threads, threads, case, number) for threads in (1, 2)}
            times = measure.medians(measure.interleaved(timers, repeats=5))
            print(f"{name}: 1 thread {times[1] * 1e3:.3f} ms, 2 threads {times[2] * 1e3:.3f} ms, "
                  f"ratio 2/1 = {times[2] / times[1]:.2f}")
    finally:
        stop.set()
        for p in spinners:
            p.join()


if __name__ == "__main__":
    main()
