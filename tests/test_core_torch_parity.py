"""Same expressions, same numbers: tinygrad_rnn against PyTorch, in float64.

PyTorch is an independent oracle: each expression below is written once, as a function
of the library (``tg`` or ``torch``) and its functional module (``F``), and run on both.
Values and every input's gradient must agree to float64 precision.

Skipped (with the install command) when PyTorch isn't installed.
"""
import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="install the torch extra: pip install -e '.[torch]'")
import torch.nn.functional as torch_F  # noqa: E402

import tinygrad_rnn as tg  # noqa: E402
from tinygrad_rnn.nn import functional as tg_F  # noqa: E402

SHAPES = {"x": (4, 3), "W": (5, 3), "b": (5,), "y": (4, 5), "v": (3,)}


def composite_rnn_step(lib, F, x, W, b, y, v):
    return (((x @ W.T + b).tanh() * y).sum(dim=1) ** 2).mean()


def composite_gates(lib, F, x, W, b, y, v):
    i, f, g = (x @ W.T + b)[:, :3].sigmoid(), (y[:, 1:4]).sigmoid(), (x * v).tanh()
    return (f * g + i * g.relu()).sum()


def composite_shapes(lib, F, x, W, b, y, v):
    joined = lib.cat([x, W[:4]], dim=1)                       # (4, 6)
    stacked = lib.stack([joined, joined.exp() / 10], dim=0)   # (2, 4, 6)
    return (stacked.permute(2, 0, 1).reshape(6, 8).amax(dim=1) + stacked.transpose(0, 2).mean()).sum()


def composite_indexing(lib, F, x, W, b, y, v):
    rows = lib.tensor([0, 0, 3, 1])
    picked = x[rows] * y[:, ::2].abs()                        # repeated rows accumulate
    return (picked.clamp(-0.5, 0.8).sum() + x[x > 0].sqrt().sum() + (1 / (2 + y.abs())).sum())


def composite_where_and_max(lib, F, x, W, b, y, v):
    chosen = lib.where(x > 0, x * 2, -x * 3)
    return chosen.max() + chosen.max(dim=0).values.sum() + (chosen - 1).abs().mean() + (v @ x.T).sum()


def composite_batched_matmul(lib, F, x, W, b, y, v):
    a = x.reshape(2, 1, 2, 3)                                  # batch (2, 1)
    c = W.reshape(5, 3, 1)                                     # batch (5,)
    return (a @ c).tanh().sum() + (v @ W.T).sum() + (W @ v).exp().sum() / 100


def functional_losses(lib, F, x, W, b, y, v):
    target = lib.tensor([0, 4, 2, 4])
    return (F.cross_entropy(y, target) + F.cross_entropy(y, target, reduction="sum") / 7
            + F.mse_loss(x @ W.T, y) + F.mse_loss(x, x.detach() * 0.5, reduction="sum"))


def functional_softmaxes(lib, F, x, W, b, y, v):
    weights = lib.tensor(np.linspace(-1, 1, 20).reshape(4, 5))
    return ((F.softmax(y, dim=1) * weights).sum() + (F.log_softmax(y, dim=0) * weights).sum()
            + (F.softmax(y * 100, dim=-1) * weights).sum())


EXPRESSIONS = [composite_rnn_step, composite_gates, composite_shapes, composite_indexing,
               composite_where_and_max, composite_batched_matmul, functional_losses, functional_softmaxes]


@pytest.mark.parametrize("expression", EXPRESSIONS, ids=[e.__name__ for e in EXPRESSIONS])
def test_value_and_gradients_match_pytorch(expression):
    rng = np.random.default_rng(0)
    arrays = {name: rng.standard_normal(shape) for name, shape in SHAPES.items()}

    ours = {name: tg.Tensor(a, requires_grad=True) for name, a in arrays.items()}
    out = expression(tg, tg_F, **ours)
    out.backward()

    theirs = {name: torch.tensor(a, requires_grad=True) for name, a in arrays.items()}
    reference = expression(torch, torch_F, **theirs)
    reference.backward()

    np.testing.assert_allclose(out.data, reference.detach().numpy(), rtol=1e-10, atol=1e-12)
    for name in arrays:
        expected = theirs[name].grad
        expected = np.zeros(SHAPES[name]) if expected is None else expected.numpy()
        got = np.zeros(SHAPES[name]) if ours[name].grad is None else ours[name].grad
        np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12, err_msg=f"gradient of {name}")


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_losses_match_pytorch_per_reduction(reduction):
    rng = np.random.default_rng(1)
    logits, target = rng.standard_normal((6, 4)) * 5, rng.integers(0, 4, 6)
    a, b = rng.standard_normal((3, 2)), rng.standard_normal((3, 2))
    for ours_fn, torch_fn, args in [
        (lambda l: tg_F.cross_entropy(l, target, reduction=reduction),
         lambda l: torch_F.cross_entropy(l, torch.tensor(target), reduction=reduction), (logits,)),
        (lambda p, q: tg_F.mse_loss(p, q, reduction=reduction),
         lambda p, q: torch_F.mse_loss(p, q, reduction=reduction), (a, b)),
    ]:
        ours = [tg.Tensor(x, requires_grad=True) for x in args]
        theirs = [torch.tensor(x, requires_grad=True) for x in args]
        out, reference = ours_fn(*ours), torch_fn(*theirs)
        np.testing.assert_allclose(out.data, reference.detach().numpy(), rtol=1e-12)
        seed = np.linspace(0.5, 1.5, out.data.size).reshape(out.shape)
        out.backward(seed)
        reference.backward(torch.tensor(seed))
        for mine, theirs_tensor in zip(ours, theirs):
            np.testing.assert_allclose(mine.grad, theirs_tensor.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_tanh_rnn_bptt_matches_pytorch():
    """A small unrolled RNN: h_t = tanh(W_hh h_{t-1} + W_xh x_t + b), loss on the last state."""
    rng = np.random.default_rng(2)
    W_hh, W_xh, b = rng.standard_normal((4, 4)) * 0.5, rng.standard_normal((4, 3)), rng.standard_normal(4)
    xs = rng.standard_normal((7, 2, 3))                         # T=7, batch 2

    def run(lib, params):
        W_hh, W_xh, b = params
        h = lib.zeros(2, 4, dtype=lib.float64) if lib is torch else lib.zeros(2, 4, dtype=np.float64)
        for x in xs:
            h = (h @ W_hh.T + lib.tensor(x) @ W_xh.T + b).tanh()
        return (h ** 2).sum()

    ours = [tg.Tensor(p, requires_grad=True) for p in (W_hh, W_xh, b)]
    theirs = [torch.tensor(p, requires_grad=True) for p in (W_hh, W_xh, b)]
    run(tg, ours).backward()
    run(torch, theirs).backward()
    for mine, reference in zip(ours, theirs):
        np.testing.assert_allclose(mine.grad, reference.grad.numpy(), rtol=1e-10, atol=1e-13)
