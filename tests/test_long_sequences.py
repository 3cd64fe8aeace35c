"""Long sequences: truncated BPTT over T = 100,000 steps holds one window's graph at a time
(memory does not grow with T), and full BPTT over T = 10,000 steps runs without recursion.

Memory is measured two ways: ``tracemalloc``'s peak (exact, but it slows every allocation
down ~5x, so it is used up to T = 10,000) and ``sys.getallocatedblocks()`` (the number of
live Python-allocator blocks: free to read, used on the T = 100,000 run). Inputs are made
one step at a time, so no (T, B, I) array sits in memory.
"""
import sys
import tracemalloc

import numpy as np
import pytest

import tinygrad_rnn as tg
from tinygrad_rnn.train import TBPTT, SequenceModel


class LazyInputs:
    """A (T, 1, 1) sequence whose step t is computed when asked: TBPTT only needs len() and [t]."""

    def __init__(self, T, dtype=np.float32):
        self.T, self.dtype = T, dtype

    def __len__(self):
        return self.T

    def __getitem__(self, t):
        return np.full((1, 1), np.sin(0.01 * t), dtype=self.dtype)


def squared_output(y, t):
    return (y * y).sum()


def tbptt_run(T, k=50, trace=False, on_window=None):
    """TBPTT(k) over T steps of a tiny RNN (H=4, B=1); returns (tracemalloc peak or None, windows, model)."""
    tg.manual_seed(0)
    model = SequenceModel("rnn", 1, 4, 1)
    tbptt = TBPTT(k)
    windows = 0
    if trace:
        tracemalloc.start()
    try:
        for window, loss in tbptt.run(model, LazyInputs(T), squared_output):
            del loss
            for p in model.parameters():
                assert np.isfinite(p.grad).all()
                p.grad = None                     # as optimizer.zero_grad() would
            windows += 1
            if on_window is not None:
                on_window(window)
        peak = tracemalloc.get_traced_memory()[1] if trace else None
    finally:
        if trace:
            tracemalloc.stop()
    assert np.isfinite(tbptt.final_state.data).all()
    return peak, windows, model


def test_tbptt_peak_memory_does_not_grow_with_T():
    peak_1k, windows_1k, _ = tbptt_run(1_000, trace=True)
    peak_10k, windows_10k, _ = tbptt_run(10_000, trace=True)
    assert (windows_1k, windows_10k) == (20, 200)
    # One 50-step window's graph is a few hundred KB, and the peak of either run wobbles by a few
    # hundred KB (NumPy's and Python's own transient allocations). Anything kept per step (a leaked
    # graph, or even one ~300-byte detached state per step) would add >= 2.7 MB over the 9,000
    # extra steps: well above a 1 MB allowance.
    assert peak_10k < peak_1k + 1_000_000, (peak_1k, peak_10k)


def test_tbptt_over_100k_steps_runs_in_bounded_memory():
    blocks = []

    def sample(window):
        if window.stop % 5_000 == 0:
            blocks.append(sys.getallocatedblocks())

    _, windows, _ = tbptt_run(100_000, on_window=sample)
    assert windows == 2_000 and len(blocks) == 20
    # Between step 5,000 and step 100,000: a leak of a single Python object per step would add
    # 95,000 blocks; bounded memory only wobbles (free lists, caches).
    growth = max(blocks) - blocks[0]
    assert growth < 10_000, blocks


def test_full_bptt_linear_recurrence_10k_steps_matches_forward_mode_by_hand():
    """h_t = w h_{t-1} + x_t, L = sum_t c_t h_t, T = 10,000: one chain of 20,000 ops.
    Reference: forward-mode derivatives with plain floats, dh_t/dw = h_{t-1} + w dh_{t-1}/dw and
    dh_t/dh_0 = w^t, so it shares nothing with the engine's reverse mode."""
    T = 10_000
    rng = np.random.default_rng(0)
    xs, cs = rng.normal(size=T), rng.normal(size=T)
    w0, h00 = 0.9995, 0.5

    w = tg.Tensor(np.array(w0), requires_grad=True)
    h0 = tg.Tensor(np.array(h00), requires_grad=True)
    h, loss = h0, 0.0
    for t in range(T):
        h = w * h + float(xs[t])
        loss = loss + float(cs[t]) * h
    loss.backward()

    h_ref, dh_dw, dh_dh0, dL_dw, dL_dh0 = h00, 0.0, 1.0, 0.0, 0.0
    for t in range(T):
        dh_dw = h_ref + w0 * dh_dw          # uses h_{t-1}, before the update below
        dh_dh0 = w0 * dh_dh0
        h_ref = w0 * h_ref + xs[t]
        dL_dw += cs[t] * dh_dw
        dL_dh0 += cs[t] * dh_dh0
    assert np.isfinite(w.grad) and np.isfinite(h0.grad)
    assert w.grad == pytest.approx(dL_dw, rel=1e-9)
    assert h0.grad == pytest.approx(dL_dh0, rel=1e-9)
    del loss, h                              # dropping a 20,000-node chain must not overflow the C stack


def numpy_bptt(model, xs):
    """Hand-written BPTT for h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh), y_t = h_t W^T + b,
    L = sum_t sum(y_t^2), in float64 NumPy: the reference gradients, by state_dict name."""
    p = {name: np.asarray(value, dtype=np.float64) for name, value in model.state_dict().items()}
    W_ih, W_hh, b_ih, b_hh = p["cell.weight_ih"], p["cell.weight_hh"], p["cell.bias_ih"], p["cell.bias_hh"]
    W, b = p["readout.weight"], p["readout.bias"]
    hs = [np.zeros((xs.shape[1], W_hh.shape[0]))]
    for x in xs:
        hs.append(np.tanh(x @ W_ih.T + b_ih + hs[-1] @ W_hh.T + b_hh))
    grads = {name: np.zeros_like(value) for name, value in p.items()}
    dh_next = np.zeros_like(hs[0])
    for t in range(len(xs), 0, -1):
        h, h_prev, x = hs[t], hs[t - 1], xs[t - 1]
        dy = 2 * (h @ W.T + b)                                     # dL/dy_t
        grads["readout.weight"] += dy.T @ h
        grads["readout.bias"] += dy.sum(0)
        da = (dy @ W + dh_next) * (1 - h * h)                      # dL/da_t through tanh
        grads["cell.weight_ih"] += da.T @ x
        grads["cell.weight_hh"] += da.T @ h_prev
        grads["cell.bias_ih"] += da.sum(0)
        grads["cell.bias_hh"] += da.sum(0)
        dh_next = da @ W_hh                                        # dL/dh_{t-1}
    return grads


def test_full_bptt_rnn_10k_steps_matches_hand_written_numpy_bptt():
    T = 10_000
    tg.manual_seed(1)
    model = SequenceModel("rnn", 1, 4, 1, dtype=np.float64)
    inputs = LazyInputs(T, dtype=np.float64)
    windows = [window for window, _ in TBPTT.full(T).run(model, inputs, squared_output)]
    assert len(windows) == 1                                       # one graph over all 10,000 steps
    expected = numpy_bptt(model, np.stack([inputs[t] for t in range(T)]))
    for name, param in model.named_parameters():
        assert np.isfinite(param.grad).all()
        np.testing.assert_allclose(param.grad, expected[name], rtol=1e-9, atol=1e-12, err_msg=name)
