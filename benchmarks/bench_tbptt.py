"""What truncation buys: time and peak memory of one pass over a long sequence with
TBPTT(k) for k = 20, 50, 100 and full BPTT, as ratios to k = 50 measured in the same run.

    python benchmarks/bench_tbptt.py [--T 1000] [--cell lstm]

Time per sequence hardly depends on k (every step is computed once either way; a shorter
window only means more, smaller backward passes), while the memory held for backward grows
with k: the lecture's "cheaper" is about memory first.
"""
import argparse
import gc
import time
import tracemalloc

import numpy as np
from threadpoolctl import threadpool_limits

from tinygrad_rnn.train import TBPTT, SequenceModel


def one_pass(cell, T, k, measure_memory):
    rng = np.random.default_rng(0)
    model = SequenceModel(cell, 8, 32, 1, generator=rng)
    inputs = rng.standard_normal((T, 16, 8)).astype(np.float32)
    targets = rng.standard_normal((T, 16, 1)).astype(np.float32)
    loss = lambda y, t: ((y - targets[t]) ** 2).mean()
    gc.collect()
    if measure_memory:
        tracemalloc.start()
    start = time.perf_counter()
    for _ in TBPTT(k).run(model, inputs, loss):
        model.zero_grad()
    seconds = time.perf_counter() - start
    peak = 0
    if measure_memory:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return seconds, peak


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--T", type=int, default=1000)
    parser.add_argument("--cell", choices=["rnn", "lstm", "gru"], default="lstm")
    args = parser.parse_args()
    windows = [20, 50, 100, args.T]
    with threadpool_limits(limits=1, user_api="blas"):
        times = {k: min(one_pass(args.cell, args.T, k, False)[0] for _ in range(3)) for k in windows}
        peaks = {k: one_pass(args.cell, args.T, k, True)[1] for k in windows}
    print(f"{args.cell.upper()}, H = 32, B = 16, T = {args.T}; ratios to k = 50 (one BLAS thread)")
    for k in windows:
        label = "full" if k == args.T else f"k = {k}"
        print(f"  {label:>8}: time {times[k] / times[50]:5.2f} x   peak memory {peaks[k] / peaks[50]:6.2f} x"
              f"   ({times[k]:.2f} s, {peaks[k] / 2**20:.1f} MiB)")


if __name__ == "__main__":
    main()
