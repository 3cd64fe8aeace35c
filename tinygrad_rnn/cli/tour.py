"""``tinygrad-rnn tour``: the main job — a printed walk through the lecture, each claim measured.

Every number printed here is computed on the spot by library calls: autograd on an unrolled
recurrence, eigenvalues and gradient flow, orthogonal initialisation, clipping, truncated
BPTT on the agreement task, and the LSTM's cell path. It takes about 10 seconds.
"""
import numpy as np

import tinygrad_rnn as tg
from tinygrad_rnn import analysis, nn
from tinygrad_rnn.autograd import gradcheck, jacobian
from tinygrad_rnn.train import TrainConfig, train


def add_parser(sub):
    p = sub.add_parser("tour", help="a printed walk through the lecture: every claim measured (~10 s)")
    p.add_argument("--steps", type=int, default=30, help="time steps T for the gradient-flow part (default 30)")
    p.add_argument("--quick", action="store_true", help="skip the training demo (part 6)")
    return p


def heading(number, title):
    print(f"\n{number}. {title}\n" + "-" * (len(title) + 3))


def part_autograd():
    heading(1, "Autograd: unroll h_t = tanh(W_hh h_(t-1) + x_t), backpropagate, check")
    rng = np.random.default_rng(0)
    W_hh = tg.tensor(0.5 * rng.standard_normal((4, 4)), requires_grad=True, name="W_hh")
    xs = [tg.tensor(rng.standard_normal(4)) for _ in range(3)]

    def last_state(W):
        h = tg.zeros(4, dtype=np.float64)
        for x in xs:
            h = (h @ W.T + x).tanh()
        return h
    loss = last_state(W_hh).sum()
    loss.backward()
    print(f"loss = sum(h_3) = {loss.item():.6f}; W_hh.grad: shape {W_hh.grad.shape}, "
          f"norm {np.linalg.norm(W_hh.grad):.6f}")
    ok = gradcheck(lambda W: last_state(W).sum(), (tg.tensor(W_hh.data, requires_grad=True),))
    print(f"the backward pass agrees with central differences (gradcheck): {ok}")


def part_eigenvalues():
    heading(2, "Eigenvalues decide: |lambda| > 1 explodes, = 1 holds, < 1 vanishes")
    s = 1 / np.sqrt(2)
    for label, W in [("[[1, 1], [1, 1]]", [[1, 1], [1, 1]]), ("Q = [[s, -s], [-s, -s]], s = 1/sqrt 2", [[s, -s], [-s, -s]])]:
        spec = analysis.spectrum(W)
        lam = ", ".join(f"{z.real:+.4g}" for z in spec.eigenvalues)
        print(f"{label}: eigenvalues {lam}  ->  {spec.regime}")


def part_gradient_flow(T):
    heading(3, f"Gradient flow over T = {T} steps, linear RNN with W_hh = lambda * Q, and with tanh")
    settings = [dict(init="orthogonal", scale=lam, nonlinearity="linear") for lam in (0.9, 1.0, 1.1)]
    settings.append(dict(init="orthogonal", scale=1.0, nonlinearity="tanh"))
    flows = analysis.compare_gradient_flow(settings, steps=T)
    distances = [1, T // 3, 2 * T // 3, T]
    print("||dh_T/dh_(T-d)||".ljust(34) + "".join(f"d={d:<8d}" for d in distances))
    for flow in flows:
        print(flow.label.ljust(34) + "".join(f"{flow.jacobian_norms[d - 1]:<10.3g}" for d in distances))
    print(f"lambda^T for lambda = 0.9, 1.1: {0.9 ** T:.3g}, {1.1 ** T:.3g} — the linear rows end there exactly;")
    print("tanh's derivative (at most 1) shrinks every step further, even with |lambda| = 1.")


def part_orthogonal_init():
    heading(4, "Orthogonal initialisation (QR with the sign fix)")
    tg.manual_seed(0)
    cell = nn.RNNCell(32, 32)
    default = analysis.spectrum(cell.weight_hh)
    nn.init.orthogonal_(cell.weight_hh)
    W = cell.weight_hh.data.astype(np.float64)
    ortho = analysis.spectrum(W)
    print(f"PyTorch's default U(-1/sqrt H, 1/sqrt H), H = 32: spectral radius {default.spectral_radius:.3f} "
          f"({default.regime})")
    print(f"after nn.init.orthogonal_: Q^T Q = I to {np.abs(W.T @ W - np.eye(32)).max():.1e}, every |lambda| in "
          f"[{np.abs(ortho.eigenvalues).min():.4f}, {np.abs(ortho.eigenvalues).max():.4f}] ({ortho.regime})")


def part_clipping():
    heading(5, "Gradient clipping: by norm keeps the direction, by value does not")
    for threshold, grad in [(10, [8.0, 6.0]), (10, [80.0, 60.0])]:
        g = tg.tensor(np.array(grad), requires_grad=True)
        g.grad = np.array(grad)
        total = nn.utils.clip_grad_norm_([g], max_norm=threshold)
        print(f"clip_grad_norm_({tuple(grad)}, max_norm={threshold}): norm was {total.item():g}, now "
              f"({g.grad[0]:.8f}, {g.grad[1]:.8f})")
    g.grad = np.array([80.0, 60.0])
    nn.utils.clip_grad_value_([g], clip_value=10)
    print(f"clip_grad_value_((80, 60), 10): ({g.grad[0]:g}, {g.grad[1]:g}) — pointing elsewhere now")


def part_truncation():
    heading(6, "Truncated BPTT cannot learn past its window (agreement, 10 words between subject and verb)")
    for k in (5, 12):
        result = train(TrainConfig(task="agreement", cell="lstm", seq_len=12, iters=400, tbptt=k, log_every=400))
        print(f"window k = {k:2d}: held-out accuracy {result.value:.3f} (chance {result.baseline}) "
              f"in {result.seconds:.1f} s")


def part_lstm():
    heading(7, "The LSTM's cell path: dc_t/dc_(t-1) = diag(f_t) on the direct edge")
    tg.manual_seed(0)
    H = 4
    cell = nn.LSTMCell(3, H, dtype=np.float64)
    nn.init.zeros_(cell.weight_hh)            # no path through h: the cell path is all there is
    xs = [tg.tensor(np.random.default_rng(t).standard_normal(3)) for t in range(5)]

    def c_T(c_0):
        state = (tg.zeros(H, dtype=np.float64), c_0)
        for x in xs:
            state = cell(x, state)
        return state[1]
    J = jacobian(c_T, np.zeros(H)).data
    # the forget gate (rows H..2H of the stacked weights), which no longer depends on h
    W_if, b_f = cell.weight_ih.data[H:2 * H], (cell.bias_ih.data + cell.bias_hh.data)[H:2 * H]
    forget = [1 / (1 + np.exp(-(x.data @ W_if.T + b_f))) for x in xs]
    print(f"weight_hh = 0, T = 5: diagonal of dc_T/dc_0 = {np.round(np.diag(J), 5)}")
    print(f"f_1 * f_2 * ... * f_5, elementwise      = {np.round(np.prod(forget, axis=0), 5)}")
    print("no weight matrix on this path: the gradient along c is scaled only by the forget gates. With "
          "PyTorch's\ndefault initialisation f_t is near 0.5, so it still fades; gates that learn to stay "
          "open keep it alive.")


def run(args):
    print(f"tinygrad_rnn {tg.__version__} — the tour")
    part_autograd()
    part_eigenvalues()
    part_gradient_flow(args.steps)
    part_orthogonal_init()
    part_clipping()
    if not args.quick:
        part_truncation()
    part_lstm()
    print("\nNext: draw it (`tinygrad-rnn graph --cell lstm --steps 6 --out lstm.svg`), train it "
          "(`tinygrad-rnn train --help`),\nread tutorials/README.md and solve the exercises (`tinygrad-rnn check --list`).")
    return 0
