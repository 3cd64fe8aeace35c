"""Truncated BPTT cuts the graph, and produces exactly the truncated gradient.

The reference here never detaches anything. It unrolls the *whole* sequence once, with a
separate copy of every parameter at every time step (theta_j is used only at step j). In
that full graph, dL/dtheta_j collects every path from the loss back to step j. The
gradient TBPTT(k1, k2) should give for a window is the sum of dL_window/dtheta_j over the
steps j inside the window: paths from the window's losses to those steps stay inside the
window, so they are the paths that survive the cut — and all the paths to earlier steps
are exactly what truncation drops.
"""
import gc
import tracemalloc

import numpy as np
import pytest

import tinygrad_rnn as tg
from tinygrad_rnn.nn.cells import gru_cell, lstm_cell, rnn_cell
from tinygrad_rnn.train import TBPTT, SequenceModel, Window, detach_state

CELL_PARAMS = ["cell.weight_ih", "cell.weight_hh", "cell.bias_ih", "cell.bias_hh", "readout.weight",
               "readout.bias"]


def make_problem(cell, T, seed, I=3, H=4, B=2):
    rng = np.random.default_rng(seed)
    model = SequenceModel(cell, I, H, 2, dtype=np.float64, generator=rng)
    inputs = rng.standard_normal((T, B, I))
    targets = rng.standard_normal((T, B, 2))
    return model, inputs, targets


def step_loss(targets):
    return lambda y, t: ((y - targets[t]) ** 2).sum()


def window_loss(targets, loss_steps=None):
    """The same loss for a window's steps [start, stop) in one call (steps outside ``loss_steps`` weigh 0)."""
    def loss(outputs, start, stop):
        weights = np.array([loss_steps is None or t in loss_steps for t in range(start, stop)], float)
        return (((outputs - targets[start:stop]) ** 2) * weights[:, None, None]).sum()
    return loss


ROUTES = ["step_loss", "window_loss"]


def losses(route, targets, loss_steps=None) -> dict:
    """TBPTT.run's loss keyword for ``route``: a loss per step, or a window's loss in one call."""
    return {route: step_loss(targets) if route == "step_loss" else window_loss(targets, loss_steps)}


def reference_window_grads(model, inputs, targets, window, loss_steps):
    """Sum over steps j in [cut, stop) of dL_window/dtheta_j, from one untruncated graph."""
    state_dict = model.state_dict()
    copies = [{k: tg.tensor(v, requires_grad=True) for k, v in state_dict.items()} for _ in range(window.stop)]
    B, H = inputs.shape[1], model.cell.hidden_size
    h = tg.zeros(B, H, dtype=np.float64)
    c = tg.zeros(B, H, dtype=np.float64)
    loss = None
    for t in range(window.stop):
        p = copies[t]
        x = tg.tensor(inputs[t])
        args = (p["cell.weight_ih"], p["cell.weight_hh"], p["cell.bias_ih"], p["cell.bias_hh"])
        if model.kind == "lstm":
            h, c = lstm_cell(x, h, c, *args)
        elif model.kind == "gru":
            h = gru_cell(x, h, *args)
        else:
            h = rnn_cell(x, h, *args)
        if window.loss_start <= t and t in loss_steps:
            y = h @ p["readout.weight"].T + p["readout.bias"]
            term = ((y - targets[t]) ** 2).sum()
            loss = term if loss is None else loss + term
    if loss is None:
        return {k: np.zeros_like(v) for k, v in state_dict.items()}
    loss.backward()
    return {k: sum(copies[j][k].grad for j in range(window.cut, window.stop) if copies[j][k].grad is not None)
            for k in state_dict}


def tbptt_grads(model, inputs, targets, tbptt, loss_steps, route="step_loss"):
    """Gradients per window from TBPTT.run (no optimizer step in between)."""
    per_window = []
    for window, loss in tbptt.run(model, inputs, loss_steps=loss_steps, **losses(route, targets, loss_steps)):
        per_window.append((window, {k: (p.grad.copy() if p.grad is not None else np.zeros_like(p.data))
                                    for k, p in model.named_parameters()}))
        model.zero_grad()
    return per_window


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("k1,k2,T", [(3, 3, 10), (4, 4, 8), (2, 5, 9), (3, 4, 7), (1, 3, 5), (5, 5, 5), (7, 7, 5),
                                     (2, 7, 11)])
def test_tbptt_gradients_equal_the_per_step_reference(cell, k1, k2, T, route):
    model, inputs, targets = make_problem(cell, T, seed=T * 10 + k1 + k2)
    loss_steps = set(range(T))
    for window, grads in tbptt_grads(model, inputs, targets, TBPTT(k1, k2), loss_steps, route):
        expected = reference_window_grads(model, inputs, targets, window, loss_steps)
        for name in CELL_PARAMS:
            np.testing.assert_allclose(grads[name], expected[name], rtol=1e-10, atol=1e-12,
                                       err_msg=f"{cell} {window} {name}")


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_sparse_loss_steps_and_windows_without_loss(cell, route):
    """Only some steps carry loss (like the adding task): windows with none call no backward."""
    T = 11
    model, inputs, targets = make_problem(cell, T, seed=3)
    loss_steps = {4, 10}
    results = tbptt_grads(model, inputs, targets, TBPTT(3), loss_steps, route)
    assert [w for w, _ in results] == TBPTT(3).windows(T)
    for window, grads in results:
        expected = reference_window_grads(model, inputs, targets, window, loss_steps)
        for name in CELL_PARAMS:
            np.testing.assert_allclose(grads[name], expected[name], rtol=1e-10, atol=1e-12)
    no_loss = [g for w, g in results if not any(w.loss_start <= t < w.stop for t in loss_steps)]
    assert no_loss and all(not np.any(g[name]) for g in no_loss for name in CELL_PARAMS)


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_k_equal_T_is_full_bptt(cell, route):
    T = 9
    model, inputs, targets = make_problem(cell, T, seed=7)
    ((window, grads),) = tbptt_grads(model, inputs, targets, TBPTT.full(T), set(range(T)), route)
    assert window == Window(0, 0, T)
    outputs, _ = model(inputs)
    ((outputs - targets) ** 2).sum().backward()
    for name, p in model.named_parameters():
        # the same maths; model(inputs) projects the inputs and reads out all steps in one matmul
        # each, where TBPTT steps one at a time, so the sums round in another order
        np.testing.assert_allclose(grads[name], p.grad, rtol=1e-12, atol=1e-14)


def test_truncation_changes_the_gradient():
    """Guard against a vacuous reference: cutting at k < T gives a different gradient than full BPTT."""
    T = 8
    model, inputs, targets = make_problem("rnn", T, seed=1)
    total = {n: 0 for n in CELL_PARAMS}
    for _, grads in tbptt_grads(model, inputs, targets, TBPTT(2), set(range(T))):
        total = {n: total[n] + grads[n] for n in CELL_PARAMS}
    outputs, _ = model(inputs)
    ((outputs - targets) ** 2).sum().backward()
    assert not np.allclose(total["cell.weight_hh"], model.cell.weight_hh.grad)
    # the read-out never crosses a cut, so its gradient is the same either way
    np.testing.assert_allclose(total["readout.weight"], model.readout.weight.grad, rtol=1e-10)


@pytest.mark.parametrize("route", ROUTES)
def test_carried_state_keeps_its_values(route):
    """Only gradients are cut: the final state equals an uncut forward pass's."""
    T = 10
    for k1, k2 in [(3, 3), (2, 5), (2, 7)]:
        model, inputs, targets = make_problem("lstm", T, seed=2)
        tbptt = TBPTT(k1, k2)
        for _ in tbptt.run(model, inputs, **losses(route, targets)):
            pass
        with tg.no_grad():
            _, (h, c) = model(inputs)
        np.testing.assert_allclose(tbptt.final_state[0].data, h.data, rtol=1e-12)
        np.testing.assert_allclose(tbptt.final_state[1].data, c.data, rtol=1e-12)
        assert tbptt.final_state[0].is_leaf and not tbptt.final_state[0].requires_grad


def test_windows_schedule():
    assert TBPTT(3).windows(7) == [Window(0, 0, 3), Window(3, 3, 6), Window(6, 6, 7)]
    assert TBPTT(2, 4).windows(6) == [Window(0, 0, 2), Window(0, 2, 4), Window(2, 4, 6)]
    assert TBPTT.full(5).windows(5) == [Window(0, 0, 5)]


def test_random_truncation_windows_cover_the_sequence():
    tbptt = TBPTT(10, random=True, rng=np.random.default_rng(0))
    windows = tbptt.windows(500)
    assert windows[0].loss_start == 0 and windows[-1].stop == 500
    assert all(a.stop == b.loss_start for a, b in zip(windows, windows[1:]))      # no gaps, no overlap
    assert all(w.cut == w.loss_start for w in windows)
    lengths = [w.stop - w.loss_start for w in windows[:-1]]
    assert min(lengths) >= 5 and max(lengths) <= 15 and len(set(lengths)) > 3     # lengths really vary
    assert abs(np.mean(lengths) - 10) < 1.5


@pytest.mark.parametrize("kwargs,match", [({"k1": 0}, "k1"), ({"k1": 5, "k2": 3}, "k2"),
                                          ({"k1": 5, "k2": 6, "random": True}, "random")])
def test_bad_settings_are_explained(kwargs, match):
    with pytest.raises(ValueError, match=match):
        TBPTT(**kwargs)


def test_detach_state_handles_tuples():
    h = tg.ones(2, requires_grad=True) * 2
    c = tg.ones(2, requires_grad=True) * 3
    dh, dc = detach_state((h, c))
    assert dh.is_leaf and dc.is_leaf and not dh.requires_grad
    assert detach_state(None) is None


def _peak_bytes(T, k, cell="rnn", route="step_loss"):
    """Peak traced bytes of one pass; B = 16, H = 32, so that arrays, not the interpreter's free lists of
    small objects (a fixed ~200 KB over the first thousands of steps), make the peak."""
    rng = np.random.default_rng(0)
    model = SequenceModel(cell, 2, 32, 1, generator=rng)
    inputs = rng.random((T, 16, 2), dtype=np.float32)
    targets = rng.random((T, 16, 1), dtype=np.float32)
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    for _ in TBPTT(k).run(model, inputs, **losses(route, targets)):
        model.zero_grad()
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return peak


@pytest.mark.parametrize("route", ROUTES)
def test_peak_memory_grows_with_the_window_not_the_sequence(route):
    """T = 1,000 and T = 10,000 at k = 50: the peak stays within a small factor (nothing from
    earlier windows stays reachable); a 4x longer window needs clearly more."""
    short, long_ = _peak_bytes(1_000, 50, route=route), _peak_bytes(10_000, 50, route=route)
    assert long_ < 1.5 * short, (short, long_)
    wide = _peak_bytes(1_000, 200, route=route)
    assert wide > 2 * short, (short, wide)


@pytest.mark.parametrize("route", ROUTES)
def test_lstm_state_tuple_is_cut_too(route):
    """The LSTM carries (h, c): both must be cut, or the graph (and memory) would grow with T."""
    short, long_ = _peak_bytes(500, 25, "lstm", route), _peak_bytes(5_000, 25, "lstm", route)
    assert long_ < 1.5 * short, (short, long_)


def test_a_window_graph_is_dropped_before_the_next_is_built():
    """The window route holds one window's graph at a time: the peak of T = 200 in windows of 50 is well
    under that of full BPTT over 100 steps (two windows' graphs alive at once would be as much)."""
    assert _peak_bytes(400, 50, "lstm", "window_loss") < 0.75 * _peak_bytes(100, 100, "lstm", "window_loss")


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_random_windows_give_the_reference_gradients(cell, route):
    """Randomized truncation: each window's gradient is still the never-detach reference's."""
    T = 23
    model, inputs, targets = make_problem(cell, T, seed=5)
    tbptt = TBPTT(4, random=True, rng=np.random.default_rng(1))
    results = tbptt_grads(model, inputs, targets, tbptt, set(range(T)), route)
    assert [w for w, _ in results] == TBPTT(4, random=True, rng=np.random.default_rng(1)).windows(T)
    assert len({w.stop - w.loss_start for w, _ in results}) > 2               # the lengths really vary
    for window, grads in results:
        expected = reference_window_grads(model, inputs, targets, window, set(range(T)))
        for name in CELL_PARAMS:
            np.testing.assert_allclose(grads[name], expected[name], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("k1,k2", [(5, 5), (3, 8), (4, 6)])
def test_the_two_routes_train_alike(k1, k2):
    """With an optimizer step after every window, both routes give the same losses and weights
    (float64; they differ only in the order of rounding)."""
    weights = {}
    for route in ROUTES:
        model, inputs, targets = make_problem("lstm", 17, seed=11)
        optimizer = tg.optim.Adam(model.parameters(), lr=0.05)
        values = []
        for _, loss in TBPTT(k1, k2).run(model, inputs, **losses(route, targets)):
            values.append(loss.item())
            optimizer.step()
            optimizer.zero_grad()
        weights[route] = (values, {k: v.copy() for k, v in model.state_dict().items()})
    (first, a), (second, b) = weights.values()
    np.testing.assert_allclose(first, second, rtol=1e-10)
    for name in a:
        np.testing.assert_allclose(a[name], b[name], rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("given", [{}, "both"])
def test_run_takes_exactly_one_loss(given):
    model, inputs, targets = make_problem("rnn", 4, seed=0)
    kwargs = {} if given == {} else {"step_loss": step_loss(targets), "window_loss": window_loss(targets)}
    with pytest.raises(TypeError, match="give one loss.*" + ("neither" if given == {} else "both")):
        next(TBPTT(2).run(model, inputs, **kwargs))


def test_a_window_loss_that_is_not_a_tensor_is_explained():
    model, inputs, targets = make_problem("rnn", 4, seed=0)
    with pytest.raises(TypeError, match=r"window_loss\(outputs, start, stop\) must return a one-element Tensor.*"
                                        r"a float for steps \[0, 2\)"):
        next(TBPTT(2).run(model, inputs, window_loss=lambda outputs, start, stop: 1.0))


@pytest.mark.parametrize("name", ["adding", "copy", "agreement", "text"])
def test_task_window_losses_add_up_to_the_whole_loss(name):
    """Task.window_loss over windows covering a batch adds up to compute_loss over it, and each equals
    the sum of step_loss over its steps: three independent ways to the same number."""
    from tinygrad_rnn.tasks import make_task
    task = make_task(name, seq_len=24)
    batch = task.batch(5, rng=3)
    outputs = tg.tensor(np.random.default_rng(4).standard_normal((24, 5, task.output_size)))
    whole = task.compute_loss(outputs, batch).item()
    parts = []
    for start in range(0, 24, 7):
        stop = min(start + 7, 24)
        steps = [t for t in batch.loss_steps if start <= t < stop]
        if not steps:
            with pytest.raises(ValueError, match="carry no loss"):
                task.window_loss(outputs[start:stop], batch, start, stop)
            continue
        part = task.window_loss(outputs[start:stop], batch, start, stop).item()
        assert part == pytest.approx(sum(task.step_loss(outputs[t], batch, t).item() for t in steps), rel=1e-12)
        parts.append(part)
    assert sum(parts) == pytest.approx(whole, rel=1e-12)


def test_sequence_model_refuses_a_nonlinearity_its_cell_ignores():
    from tinygrad_rnn.train import SequenceModel
    with pytest.raises(ValueError, match="applies to the 'rnn' cell only"):
        SequenceModel("lstm", 2, 3, 1, nonlinearity="relu")


def test_sequence_model_takes_arrays_in_the_weights_dtype():
    from tinygrad_rnn.train import SequenceModel
    model = SequenceModel("gru", 2, 3, 1, generator=np.random.default_rng(0))   # float32 weights
    outputs, _ = model(np.random.default_rng(1).standard_normal((4, 2, 2)))     # a float64 array
    assert outputs.dtype == np.float32 and outputs.shape == (4, 2, 1)


def test_a_float64_model_takes_float32_task_arrays():
    """The tasks' arrays are float32; a model in float64 (``.double()``) gets them converted by its cell,
    in TBPTT and in evaluate, and computes in float64 throughout."""
    from tinygrad_rnn.tasks import make_task
    from tinygrad_rnn.train import TrainConfig, build_model, evaluate
    task = make_task("adding", seq_len=10)
    model = build_model(TrainConfig(cell="lstm", seq_len=10), task).double()
    batch = task.batch(4, rng=0)
    assert batch.inputs.dtype == np.float32
    losses = [loss for _, loss in TBPTT(5).run(model, batch.inputs, lambda y, t: task.step_loss(y, batch, t),
                                               loss_steps=batch.loss_steps) if loss is not None]
    assert [loss.dtype for loss in losses] == [np.float64]
    assert all(p.grad.dtype == np.float64 for p in model.parameters())
    assert evaluate(model, task, batch) == pytest.approx(losses[0].item(), rel=1e-12)
