"""What ``tinygrad-rnn train`` does, written by hand in NumPy: the yardstick of the benchmark's
whole-process rows (``suite/train_cli.py``).

    python3 benchmarks/numpy_train.py --task adding --iters 2000
    python3 benchmarks/numpy_train.py --task text --stream --tbptt 50 --iters 200

The same work as ``tinygrad-rnn train`` with its defaults (an LSTM of H = 32 units and a linear
read-out, batch 32, Adam with lr 1e-2, one BLAS thread), with ``numpy_reference``'s forward and
backward through time and no graph:

- ``--task adding``: each iteration draws a batch of the adding problem (T = 50) from the run's
  generator, computes the MSE of the read-out at the last step and its gradients by full BPTT,
  the gradient norm, and takes an Adam step. Every 50 iterations the held-out batch (256 sequences,
  drawn once from seed + 1,000,003, as ``train`` does) is scored, forward only.
- ``--task text --stream --tbptt K``: the text (Python's pydoc topics, as ``train --stream``) cut into
  32 tracks; each iteration reads the next K characters of every track, starting from the state
  the iteration before left (detached), computes the mean cross-entropy at every step and its
  gradients through those K steps, and takes an Adam step; at a track's end every track starts
  over from zeros. Every 50 iterations the held-out slice is scored window by window (256 steps),
  the state carried.

The data come from ``tinygrad_rnn.tasks`` (as ``train`` draws them): only the model, its gradients
and the optimizer are hand-written. Prints one line: the iterations, the last held-out metric and
the seconds. ``loss_and_grads`` of each task is checked against the engine in
``tests/test_bench_numpy_train.py``.
"""
import argparse
import math
import sys
import time

import numpy as np
from threadpoolctl import threadpool_limits

import numpy_reference
from tinygrad_rnn.tasks import TextStream, make_task

LOG_EVERY = 50
EVAL_WINDOW = 256           # a stream's held-out windows (train's STREAM_EVAL_WINDOW)


def initial_params(I: int, H: int, O: int, rng, dtype=np.float32) -> dict:
    """An LSTM cell and a read-out under numpy_reference's names, U(-1/sqrt(H), 1/sqrt(H)) as PyTorch."""
    bound = 1 / math.sqrt(H)
    shapes = {"cell.weight_ih": (4 * H, I), "cell.weight_hh": (4 * H, H), "cell.bias_ih": (4 * H,),
              "cell.bias_hh": (4 * H,), "readout.weight": (O, H), "readout.bias": (O,)}
    return {name: rng.uniform(-bound, bound, shape).astype(dtype) for name, shape in shapes.items()}


class Adam:
    """torch.optim.Adam's update (no weight decay) on a dict of arrays, in place."""

    def __init__(self, params: dict, lr: float = 1e-2, betas=(0.9, 0.999), eps: float = 1e-8):
        self.lr, (self.beta1, self.beta2), self.eps, self.t = lr, betas, eps, 0
        self.m = {name: np.zeros_like(p) for name, p in params.items()}
        self.v = {name: np.zeros_like(p) for name, p in params.items()}

    def step(self, params: dict, grads: dict) -> None:
        self.t += 1
        step_size = self.lr / (1 - self.beta1 ** self.t)
        root = (1 - self.beta2 ** self.t) ** 0.5
        for name, p in params.items():
            g, m, v = grads[name], self.m[name], self.v[name]
            m += (1 - self.beta1) * (g - m)
            v *= self.beta2
            v += (1 - self.beta2) * (g * g)
            p -= step_size * (m / (np.sqrt(v) / root + self.eps))


def gradient_norm(grads: dict) -> float:
    return math.sqrt(sum(float(np.sum(np.square(g, dtype=np.float64))) for g in grads.values()))


def run_lstm(params: dict, xs: np.ndarray, state: tuple) -> tuple:
    """Forward over ``xs`` (k, B, I) from ``state`` (h, c): (hs, caches, final state)."""
    forward = numpy_reference.CELLS["lstm"][0]
    hs, caches = [], []
    for x in xs:
        state, cache = forward(params, x, state)
        hs.append(state[0])
        caches.append(cache)
    return hs, caches, state


def zero_state(params: dict, B: int) -> tuple:
    zero = np.zeros((B, params["cell.weight_hh"].shape[1]), params["cell.weight_hh"].dtype)
    return zero, zero


# --- the adding problem: MSE at the last step, full BPTT ------------------------------------------

def adding_loss_and_grads(params: dict, batch) -> tuple:
    """The adding problem's loss (the MSE of y_T against the sum) and its gradients."""
    return numpy_reference.last_mse_loss_and_grads("lstm", params, batch.inputs, batch.targets[-1])


def adding_metric(params: dict, batch) -> float:
    hs, _, _ = run_lstm(params, batch.inputs, zero_state(params, batch.batch_size))
    y = hs[-1] @ params["readout.weight"].T + params["readout.bias"]
    return float(np.mean((y.astype(np.float64) - batch.targets[-1]) ** 2))


# --- a text stream: cross-entropy at every step, the state carried --------------------------------

def stream_loss_and_grads(params: dict, xs: np.ndarray, targets: np.ndarray, state: tuple) -> tuple:
    """The mean cross-entropy over the window's k*B steps from ``state`` (detached: no gradient flows
    into it) and its gradients: (loss, grads, the state after the window)."""
    k, B, _ = xs.shape
    hs, caches, final = run_lstm(params, xs, state)
    grads = {name: np.zeros_like(value) for name, value in params.items()}
    loss, dhs = 0.0, []
    for h, target in zip(hs, targets):
        loss_t, cache = numpy_reference.readout_forward(params, h, target, 1.0 / (k * B))
        loss += loss_t
        dhs.append(numpy_reference.readout_backward(params, grads, cache))
    numpy_reference.backprop_through_time("lstm", params, grads, caches, dhs)
    return loss, grads, final


def stream_metric(params: dict, stream: TextStream) -> float:
    """Mean cross-entropy per held-out character (nats), windows of EVAL_WINDOW steps, the state carried."""
    total, count, state = 0.0, 0, zero_state(params, stream.eval_tracks)
    for piece in stream.held_out_windows(EVAL_WINDOW):
        hs, _, state = run_lstm(params, piece.inputs, state)
        for h, target in zip(hs, piece.targets):
            logits = (h @ params["readout.weight"].T + params["readout.bias"]).astype(np.float64)
            top = logits.max(axis=1, keepdims=True)
            log_z = np.log(np.exp(logits - top).sum(axis=1)) + top[:, 0]
            total += float(np.sum(log_z - logits[np.arange(len(target)), target]))
            count += len(target)
    return total / count


# --- the two runs ---------------------------------------------------------------------------------

def train_adding(iters: int, seed: int = 0, H: int = 32, B: int = 32, T: int = 50, lr: float = 1e-2) -> float:
    rng = np.random.default_rng(seed)
    task = make_task("adding", seq_len=T)
    params = initial_params(task.input_size, H, task.output_size, rng)
    optimizer = Adam(params, lr)
    held_out = task.batch(256, rng=seed + 1_000_003)
    metric = adding_metric(params, held_out)
    for i in range(1, iters + 1):
        _, grads = adding_loss_and_grads(params, task.batch(B, rng))
        gradient_norm(grads)
        optimizer.step(params, grads)
        if i % LOG_EVERY == 0 or i == iters:
            metric = adding_metric(params, held_out)
    return metric


def train_stream(iters: int, k: int, seed: int = 0, H: int = 32, B: int = 32, lr: float = 1e-2) -> float:
    rng = np.random.default_rng(seed)
    stream = TextStream(None, B)
    params = initial_params(stream.input_size, H, stream.output_size, rng)
    optimizer = Adam(params, lr)
    metric = stream_metric(params, stream)
    step, state = 0, None
    for i in range(1, iters + 1):
        if step + k > stream.track_length:        # the end of the tracks: start them over, from zeros
            step, state = 0, None
        window = stream.window(step, step + k)
        _, grads, state = stream_loss_and_grads(params, window.inputs, window.targets,
                                                zero_state(params, B) if state is None else state)
        gradient_norm(grads)
        optimizer.step(params, grads)
        step += k
        if i % LOG_EVERY == 0 or i == iters:
            metric = stream_metric(params, stream)
    return metric


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python3 benchmarks/numpy_train.py", description=__doc__.splitlines()[0])
    parser.add_argument("--task", choices=["adding", "text"], default="adding")
    parser.add_argument("--stream", action="store_true", help="--task text: read the text as one stream")
    parser.add_argument("--tbptt", type=int, default=50, help="the stream's window (default 50)")
    parser.add_argument("--iters", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.task == "text" and not args.stream:
        parser.error("--task text is timed as a stream only: add --stream")
    start = time.perf_counter()
    with threadpool_limits(limits=1, user_api="blas"):
        if args.task == "adding":
            metric = train_adding(args.iters, args.seed)
        else:
            metric = train_stream(args.iters, args.tbptt, args.seed)
    print(f"numpy_train {args.task}: {args.iters} iterations, held-out {metric:.4g}, "
          f"{time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    sys.exit(main())
