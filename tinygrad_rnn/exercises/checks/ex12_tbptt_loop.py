"""Checks for exercise 12: ``truncated_bptt`` (gradients, the cut, one backward per window)."""
import numpy as np

from ...core import GraphFreedError, Tensor
from ...core.backward import reachable
from ...train.truncation import TBPTT
from ._helpers import assert_close, get, tensor64

B, I, H = 2, 2, 3


class _Setup:
    """A small tanh RNN whose step() records what it made: ``outputs[t]`` is h_t, and
    ``grad_seen[t]`` a copy of W_hh.grad when step t started (None if no backward yet)."""

    def __init__(self, T, seed=26):
        rng = np.random.default_rng(seed)
        self.arrays = {"W_ih": 0.8 * rng.standard_normal((H, I)), "W_hh": 0.9 * rng.standard_normal((H, H)),
                       "b": 0.1 * rng.standard_normal(H)}
        self.params = {name: tensor64(a, requires_grad=True, name=name) for name, a in self.arrays.items()}
        self.xs = [tensor64(rng.standard_normal((B, I))) for _ in range(T)]
        self.h0 = tensor64(0.3 * rng.standard_normal((B, H)), name="h_0")
        self.targets = rng.standard_normal((T, B, H))
        self.outputs, self.grad_seen = [], []

    def step(self, x, h):
        p = self.params
        self.grad_seen.append(None if p["W_hh"].grad is None else p["W_hh"].grad.copy())
        out = (x @ p["W_ih"].T + h @ p["W_hh"].T + p["b"]).tanh()
        out.name = f"h_{len(self.outputs) + 1} (made at step {len(self.outputs)})"
        self.outputs.append(out)
        return out

    def loss_fn(self, h, t):
        return (h * self.targets[t]).sum()

    def reference(self, k):
        """Per-window losses and W_hh.grad after each window, from the library's TBPTT, on fresh copies."""
        params = {name: tensor64(a, requires_grad=True) for name, a in self.arrays.items()}

        class Model:
            def step(self, x, h):
                h = (x @ params["W_ih"].T + h @ params["W_hh"].T + params["b"]).tanh()
                return h, h

        losses, grads = [], []
        for _, loss in TBPTT(k).run(Model(), self.xs, self.loss_fn, state=self.h0):
            losses.append(loss.item())
            grads.append(params["W_hh"].grad.copy())
        return losses, grads, params


def _run(truncated_bptt, setup, k):
    try:
        losses = truncated_bptt(setup.step, setup.h0, setup.xs, setup.loss_fn, k)
    except GraphFreedError:
        raise AssertionError("a backward() went on into an earlier window's graph, whose saved values were already "
                             "freed: a window's loss is still connected to the windows before it. Look at the state "
                             "each window starts from: what is it still connected to? (--hint)") from None
    T = len(setup.xs)
    n_windows = -(-T // k)
    if losses is None or len(list(losses)) != n_windows or not all(isinstance(l, Tensor) for l in losses):
        raise AssertionError(f"truncated_bptt with T = {T}, k = {k} must return a list of {n_windows} loss Tensors "
                             f"(one per window), got {losses!r:.120}")
    if len(setup.outputs) != T:
        raise AssertionError(f"step() should run once per time step, {T} times, but ran {len(setup.outputs)} times")
    return list(losses)


def check_gradients(mod):
    """T = 10, k = 4: window losses and the summed gradients equal TBPTT's (windows 0-3, 4-7, 8-9)"""
    truncated_bptt = get(mod, "truncated_bptt")
    setup = _Setup(T=10)
    losses = _run(truncated_bptt, setup, 4)
    ref_losses, ref_grads, ref_params = setup.reference(4)
    assert_close([l.item() for l in losses], ref_losses, "the windows' losses", rtol=1e-9)
    for name, p in setup.params.items():
        if p.grad is None:
            raise AssertionError(f"{name}.grad is None: call backward() on each window's loss")
        assert_close(p.grad, ref_params[name].grad, f"{name}.grad summed over the windows (T = 10, k = 4)", rtol=1e-8)


def check_extremes(mod):
    """k = T is full BPTT; k = 1 cuts after every step"""
    truncated_bptt = get(mod, "truncated_bptt")
    for T, k in ((6, 6), (5, 1)):
        setup = _Setup(T=T, seed=27)
        _run(truncated_bptt, setup, k)
        _, _, ref_params = setup.reference(k)
        for name, p in setup.params.items():
            if p.grad is None:
                raise AssertionError(f"{name}.grad is None after truncated_bptt (T = {T}, k = {k})")
            label = "full BPTT" if k == T else "a cut after every step"
            assert_close(p.grad, ref_params[name].grad, f"{name}.grad for T = {T}, k = {k} ({label})", rtol=1e-8)


def check_graph_cut(mod):
    """the graph of each window's loss reaches every step of its window and nothing before the cut"""
    truncated_bptt = get(mod, "truncated_bptt")
    T, k = 9, 3
    setup = _Setup(T=T, seed=28)
    losses = _run(truncated_bptt, setup, k)
    step_of = {id(h): t for t, h in enumerate(setup.outputs)}
    for w, loss in enumerate(losses):
        start, stop = w * k, min(w * k + k, T)
        # outputs reachable *through an op*; a leaf can pass no gradient further back
        steps = sorted({step_of[id(t)] for t in reachable(loss) if id(t) in step_of and t.grad_fn is not None})
        before = [t for t in steps if t < start]
        if before:
            raise AssertionError(f"the loss of window {w} (steps {start}-{stop - 1}) reaches back to the output of "
                                 f"step {before[0]}, before the window's cut, so its backward() runs on into earlier "
                                 f"windows. Look at the state window {w} starts from, at step {start} (--hint)")
        # from the window's last state, the graph must go back through every step of the window
        last = setup.outputs[stop - 1]
        chain = {step_of[id(t)] for t in reachable(last) if id(t) in step_of and t.grad_fn is not None}
        missing = [t for t in range(start, stop) if t not in chain]
        if missing:
            raise AssertionError(f"window {w} (steps {start}-{stop - 1}): the state after step {stop - 1} does not "
                                 f"reach step {missing[0]}'s output through the graph, so the graph is cut inside the "
                                 f"window and its gradient stops short. Look at where your loop cuts the graph (--hint)")


def check_backward_per_window(mod):
    """backward() runs at the end of each window, before the next window's first step"""
    truncated_bptt = get(mod, "truncated_bptt")
    T, k = 8, 4
    setup = _Setup(T=T, seed=29)
    _run(truncated_bptt, setup, k)
    _, ref_grads, _ = setup.reference(k)
    if setup.grad_seen[k] is None:
        raise AssertionError("when the second window started (step 4), W_hh.grad was still None: call backward() "
                             "on a window's loss as soon as the window is done (an optimizer would step there)")
    assert_close(setup.grad_seen[k], ref_grads[0], "W_hh.grad when the second window starts (the first window's "
                                                   "gradient)", rtol=1e-8)


TESTS = [check_gradients, check_extremes, check_graph_cut, check_backward_per_window]
