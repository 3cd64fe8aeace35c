"""``tinygrad-rnn tour``: the main job — a short, printed walk through the project's idea.

It unrolls a recurrence h_t = act(W_hh h_{t-1} + x_t), backpropagates a loss on the
last step, and prints how ||dL/dh_t|| changes with distance from the loss for
W_hh = lambda * Q (Q orthogonal): below 1 it shrinks, at 1 it holds, above 1 it grows.
"""
import numpy as np

import tinygrad_rnn as tg
from tinygrad_rnn.autograd import gradcheck


def add_parser(sub):
    p = sub.add_parser("tour", help="a printed walk-through: build an unrolled graph, backpropagate, "
                                     "watch gradients vanish or explode")
    p.add_argument("--steps", type=int, default=30, help="time steps T to unroll (default 30)")
    p.add_argument("--hidden", type=int, default=8, help="hidden size H (default 8)")
    p.add_argument("--seed", type=int, default=0)
    return p


def unroll(W_hh, xs, activation):
    """h_t = activation(h_{t-1} @ W_hh.T + x_t) from h_0 = 0; returns [h_1, ..., h_T], each kept
    (retain_grad) so dL/dh_t can be read after backward."""
    h = tg.zeros(xs[0].shape, dtype=W_hh.dtype)
    hs = []
    for x_t in xs:
        h = activation(h @ W_hh.T + x_t)
        if h.requires_grad:
            h.retain_grad()
        hs.append(h)
    return hs


def grad_norms(scale, Q, xs, activation):
    W_hh = tg.tensor(scale * Q, requires_grad=True, name="W_hh")
    hs = unroll(W_hh, xs, activation)
    loss = hs[-1].sum()
    loss.backward()
    return [float(np.linalg.norm(h.grad)) for h in reversed(hs)]   # distance 0, 1, 2, ...


def run(args):
    rng = np.random.default_rng(args.seed)
    H, T = args.hidden, args.steps
    Q, _ = np.linalg.qr(rng.standard_normal((H, H)))
    xs = [tg.tensor(0.1 * rng.standard_normal(H)) for _ in range(T)]
    print(f"tinygrad_rnn {tg.__version__} — the tour\n")

    print("1. A graph: h_t = tanh(W_hh h_{t-1} + x_t), unrolled for 3 steps.")
    W = tg.tensor(0.9 * Q, requires_grad=True, name="W_hh")
    hs = unroll(W, [tg.tensor(x.data, dtype=np.float64) for x in xs[:3]], lambda a: a.tanh())
    loss = hs[-1].sum()
    print(f"   loss = sum(h_3) = {loss.item():.6f}, made by {loss.grad_fn}")
    loss.backward()
    print(f"   after loss.backward(): W_hh.grad has shape {W.grad.shape}, norm {np.linalg.norm(W.grad):.6f}")
    print("   ||dL/dh_t|| for t = 1, 2, 3: " + ", ".join(f"{np.linalg.norm(h.grad):.4f}" for h in hs))
    ok = gradcheck(lambda w: unroll(w, [tg.tensor(x.data, dtype=np.float64) for x in xs[:3]],
                                    lambda a: a.tanh())[-1].sum(), (tg.tensor(0.9 * Q, requires_grad=True),))
    print(f"   gradcheck against central differences: {'passed' if ok else 'FAILED'}\n")

    print(f"2. ||dL/dh_(T-d)|| for a loss on h_T (T = {T}), linear activation, W_hh = lambda * Q:")
    print("   the gradient is multiplied by W_hh^T once per step back, so it scales as lambda^d.")
    scales = (0.8, 1.0, 1.2)
    curves = {s: grad_norms(s, Q, xs, lambda a: a) for s in scales}
    print("   " + "d".rjust(4) + "".join(f"lambda={s}".rjust(14) for s in scales))
    for d in list(range(0, T, max(1, T // 6))) + [T - 1]:
        print("   " + str(d).rjust(4) + "".join(f"{curves[s][d]:14.4g}" for s in scales))
    print("\n3. The same with tanh: its derivative 1 - tanh^2 <= 1 only ever shrinks the gradient.")
    curve = grad_norms(1.0, Q, xs, lambda a: a.tanh())
    print(f"   lambda=1.0, tanh: ||dL/dh_T|| = {curve[0]:.4g}, ||dL/dh_1|| = {curve[-1]:.4g}")
    print("\nNext: tutorials/ (the chapters) and `tinygrad-rnn --help`.")
    return 0
