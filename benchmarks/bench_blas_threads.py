"""Does OpenBLAS multithreading help the small matmuls of an RNN? Measures 1 vs 2 BLAS threads
in the same run, as ratios (no absolute timing is asserted anywhere).

    python benchmarks/bench_blas_threads.py [--load]

``--load`` runs a busy-loop process on every core meanwhile, to see the contended case.
Needs threadpoolctl (the ``dev`` extra).
"""
import argparse
import multiprocessing
import os
import time

import numpy as np
from threadpoolctl import threadpool_limits

import tinygrad_rnn as tg
from tinygrad_rnn.train import SequenceModel


def best_of(fn, repeat=5, number=20):
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - start) / number)
    return best


def matmul_case():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((32, 128)), rng.standard_normal((128, 512))
    return lambda: a @ b


def lstm_case(T=50):
    tg.manual_seed(0)
    model = SequenceModel("lstm", 2, 32, 1)
    x = np.random.default_rng(0).random((T, 32, 2), dtype=np.float32)

    def step():
        out, _ = model(x)
        out.sum().backward()
        model.zero_grad()
    return step


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
                                   ("LSTM H=32 B=32 T=50 forward+backward", lstm_case(), 3)]:
            times = {1: float("inf"), 2: float("inf")}
            for threads in (1, 2, 1, 2, 1, 2):      # interleaved, so a change of load hits both alike
                with threadpool_limits(limits=threads, user_api="blas"):
                    times[threads] = min(times[threads], best_of(case, repeat=2, number=number))
            print(f"{name}: 1 thread {times[1] * 1e3:.3f} ms, 2 threads {times[2] * 1e3:.3f} ms, "
                  f"ratio 2/1 = {times[2] / times[1]:.2f}")
    finally:
        stop.set()
        for p in spinners:
            p.join()


if __name__ == "__main__":
    main()
