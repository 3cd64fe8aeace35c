"""How much does readability cost? One LSTM training step (forward + backward over T steps)
with the engine, against the same math hand-written in NumPy, and PyTorch if installed.
Reported as ratios measured in the same run (one BLAS thread for all).

    python benchmarks/bench_lstm.py [--T 50] [--H 32] [--B 32]
"""
import argparse
import time

import numpy as np
from threadpoolctl import threadpool_limits

import tinygrad_rnn as tg
from tinygrad_rnn import nn


def best_of(fn, repeat=7):
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def inputs(T, B, I):
    return [np.random.default_rng(t).random((B, I), dtype=np.float32) for t in range(T)]


def unrolled_step(cell, xs):
    """One training step with a PyTorch-style LSTMCell (ours or torch's): unroll, backward, zero."""
    def step():
        state = None
        for x in xs:
            state = cell(x, state)
        state[0].sum().backward()
        cell.zero_grad()
    return step


def engine_step(T, B, I, H):
    tg.manual_seed(0)
    return unrolled_step(nn.LSTMCell(I, H), [tg.tensor(x) for x in inputs(T, B, I)])


def numpy_step(T, B, I, H):
    """The LSTM forward and backward written out by hand (the fastest a NumPy version gets)."""
    rng = np.random.default_rng(0)
    W_ih = rng.uniform(-0.1, 0.1, (4 * H, I)).astype(np.float32)
    W_hh = rng.uniform(-0.1, 0.1, (4 * H, H)).astype(np.float32)
    b = np.zeros(4 * H, np.float32)
    xs = inputs(T, B, I)
    sig = lambda a: 1 / (1 + np.exp(-a))

    def step():
        h, c = np.zeros((B, H), np.float32), np.zeros((B, H), np.float32)
        cache = []
        for x in xs:
            a = x @ W_ih.T + h @ W_hh.T + b
            i, f, g, o = sig(a[:, :H]), sig(a[:, H:2 * H]), np.tanh(a[:, 2 * H:3 * H]), sig(a[:, 3 * H:])
            c_new = f * c + i * g
            tc = np.tanh(c_new)
            cache.append((x, h, c, i, f, g, o, tc))
            h, c = o * tc, c_new
        dW_ih, dW_hh, db = np.zeros_like(W_ih), np.zeros_like(W_hh), np.zeros_like(b)
        dh, dc = np.ones((B, H), np.float32), np.zeros((B, H), np.float32)
        for x, h_prev, c_prev, i, f, g, o, tc in reversed(cache):
            do = dh * tc
            dc = dc + dh * o * (1 - tc * tc)
            di, df, dg = dc * g, dc * c_prev, dc * i
            da = np.concatenate([di * i * (1 - i), df * f * (1 - f), dg * (1 - g * g), do * o * (1 - o)], axis=1)
            dW_ih += da.T @ x
            dW_hh += da.T @ h_prev
            db += da.sum(0)
            dh, dc = da @ W_hh, dc * f
    return step


def torch_step(T, B, I, H):
    import torch
    torch.manual_seed(0)
    return unrolled_step(torch.nn.LSTMCell(I, H), [torch.from_numpy(x) for x in inputs(T, B, I)])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--T", type=int, default=50)
    parser.add_argument("--H", type=int, default=32)
    parser.add_argument("--B", type=int, default=32)
    args = parser.parse_args()
    T, B, I, H = args.T, args.B, 2, args.H
    cases = {"tinygrad_rnn": engine_step, "hand-written NumPy": numpy_step}
    try:
        import torch
        torch.set_num_threads(1)
        cases["PyTorch (CPU)"] = torch_step
    except ImportError:
        pass
    with threadpool_limits(limits=1, user_api="blas"):
        times = {name: best_of(make(T, B, I, H)) for name, make in cases.items()}
    base = times["hand-written NumPy"]
    print(f"LSTM forward + backward, T={T} B={B} H={H} (best of 7, one BLAS thread)")
    for name, seconds in times.items():
        print(f"  {name:20s} {seconds * 1e3:8.2f} ms   {seconds / base:5.2f} x hand-written NumPy")


if __name__ == "__main__":
    main()
