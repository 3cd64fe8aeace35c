"""A graph nobody refers to any more is freed at once, by reference counting alone.

The garbage collector is switched off in every test here: if the graph's nodes formed a
reference cycle (a tensor -> its Function -> ... -> the same tensor), the weak references
below would stay alive until a ``gc.collect()``, and a long run would hold windows in memory
for as long as the collector waits. Each test first checks the references are alive, so it
can fail.
"""
import gc
import weakref

import numpy as np
import pytest

import tinygrad_rnn as tg
from tinygrad_rnn.autograd import detect_anomaly
from tinygrad_rnn.core.backward import reachable
from tinygrad_rnn.nn import LSTM
from tinygrad_rnn.nn.cells import rnn_cell
from tinygrad_rnn.train import TBPTT, SequenceModel


@pytest.fixture(autouse=True)
def no_garbage_collector():
    gc.collect()          # start clean, then only reference counting frees anything
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def graph_weakrefs(*roots, keep=()):
    """Weak references to what the graph below ``roots`` owns: every non-leaf tensor, its Function
    node, its data array and the arrays the node saved for backward. Leaves (parameters, inputs,
    detached states) and their arrays belong to the caller, so they are left out, as are the
    arrays in ``keep`` (by identity)."""
    tensors = reachable(list(roots))
    owned = {id(a) for a in keep} | {id(t.data) for t in tensors if t._ctx is None}
    refs = []
    for tensor in (t for t in tensors if t._ctx is not None):
        fn = tensor._ctx
        label = f"{fn.op_name} -> {tensor.name or 'tensor'}{tensor.shape}"
        refs += [(weakref.ref(tensor), f"tensor {label}"), (weakref.ref(fn), f"node {label}")]
        arrays = [tensor.data] + [a for a in (fn.saved or ()) if isinstance(a, np.ndarray)]
        refs += [(weakref.ref(a), f"array of {label}") for a in arrays if id(a) not in owned]
    assert refs and all(ref() is not None for ref, _ in refs)
    return refs


def alive(refs):
    return [label for ref, label in refs if ref() is not None]


def unrolled_rnn(T=30, H=3, B=2):
    rng = np.random.default_rng(0)
    W_ih = tg.Tensor(rng.normal(size=(H, 2)), requires_grad=True)
    W_hh = tg.Tensor(rng.normal(size=(H, H)) / H, requires_grad=True)
    b = tg.Tensor(rng.normal(size=H), requires_grad=True)
    h, loss = tg.Tensor(np.zeros((B, H))), 0
    for t in range(T):
        with tg.time_step(t):
            h = rnn_cell(tg.Tensor(rng.normal(size=(B, 2))), h, W_ih, W_hh, b, None, t=str(t))
            loss = loss + (h * h).mean()
    return loss, (W_ih, W_hh, b)


def test_dropped_rnn_graph_is_freed_without_the_collector():
    loss, params = unrolled_rnn()
    refs = graph_weakrefs(loss)
    del loss
    assert alive(refs) == []


@pytest.mark.parametrize("retain_graph", [False, True])
def test_graph_is_freed_after_backward(retain_graph):
    loss, params = unrolled_rnn()
    refs = graph_weakrefs(loss)
    loss.backward(retain_graph=retain_graph)
    assert all(np.isfinite(p.grad).all() for p in params)
    assert len(alive(refs)) > 0                    # the loss still holds its graph ...
    del loss
    assert alive(refs) == []                       # ... and nothing else does
    assert all(p.grad is not None for p in params)  # the leaves' gradients stay


def test_graph_with_retained_grads_is_freed():
    W = tg.Tensor(np.eye(3) * 0.5, requires_grad=True)
    h = tg.Tensor(np.ones((1, 3)), requires_grad=True)
    hs = []
    for _ in range(10):
        h = (h @ W).tanh()
        h.retain_grad()
        hs.append(weakref.ref(h))
    loss = h.sum()
    refs = graph_weakrefs(loss)
    loss.backward()
    del loss, h
    assert alive(refs) == [] and all(r() is None for r in hs)


def test_graph_made_in_anomaly_mode_is_freed():
    """Anomaly mode stores where each op was made: as text, not frames (a frame would hold the graph)."""
    with detect_anomaly():
        loss, params = unrolled_rnn()
        refs = graph_weakrefs(loss)
        loss.backward()
    assert loss.grad_fn._created_at[1]              # the record is there
    del loss
    assert alive(refs) == []


def test_lstm_layer_graph_is_freed_once_its_saved_states_go():
    """``nn.LSTM`` keeps the last forward's h_t and c_t in ``last_states`` (documented, for analysis):
    the graph lives until they are dropped or replaced by the next forward call."""
    tg.manual_seed(0)
    lstm = LSTM(2, 3)
    x = tg.randn(12, 2, 2)
    output, (h_n, c_n) = lstm(x)
    loss = (output * output).mean()
    refs = graph_weakrefs(loss, h_n, c_n)
    loss.backward()
    del output, h_n, c_n, loss
    assert len(alive(refs)) > 0                     # still held by lstm.last_states
    lstm.last_states = lstm.last_cell_states = None
    assert alive(refs) == []

    output, _ = lstm(x)
    refs = graph_weakrefs(output)
    del output, _
    lstm(x)                                         # the next forward replaces the saved states
    assert alive(refs) == []


def test_detach_does_not_keep_the_graph_alive():
    loss, params = unrolled_rnn()
    h = next(t for t in reachable(loss) if t.name == "h_20")   # a hidden state deep in the graph
    cut = h.detach()
    refs = graph_weakrefs(loss, keep=[h.data])       # the detached copy shares h's array
    del loss, h
    assert alive(refs) == []
    assert cut._cut_from() is None                  # it remembers its source only weakly
    assert cut.data.shape == (2, 3) and np.isfinite(cut.data).all()


@pytest.mark.parametrize("fused", [True, False])
def test_tbptt_previous_windows_die_when_the_next_window_starts(fused):
    tg.manual_seed(0)
    model = SequenceModel("lstm", 1, 3, 1, fused=fused)
    last_state = {}
    step = model.step

    def recording_step(x_t, state):                 # notes (by id only) the arrays of the newest state
        y, state = step(x_t, state)
        last_state["ids"] = [id(s.data) for s in state]
        return y, state

    model.step = recording_step
    inputs = np.sin(np.arange(400) * 0.1).reshape(400, 1, 1).astype(np.float32)
    previous, state_refs, windows = None, [], 0
    for window, loss in TBPTT(25).run(model, inputs, lambda y, t: (y * y).sum()):
        # The state carried into the next window shares its arrays with this window's last h_t, c_t.
        state_arrays = [a for a in _arrays(loss) if id(a) in last_state["ids"]]
        # every op a node: h_t and c_t are both in the graph (o_t * tanh(c_t) reads c_t); one node
        # per step: only h_t is, as nothing in the window reads the last c_t
        assert len(state_arrays) == (1 if fused else 2)
        refs = graph_weakrefs(loss, keep=state_arrays)
        del loss
        if previous is not None:
            assert alive(previous) == []            # window i - 1 is gone once window i has run
        if len(state_refs) >= 2:                    # its final state lives one window longer (as the
            assert all(r() is None for r in state_refs[-2])  # input of window i), then goes too
        previous = refs
        state_refs.append([weakref.ref(a) for a in state_arrays])
        del state_arrays
        for p in model.parameters():
            p.grad = None
        windows += 1
    assert windows == 16


def _arrays(root):
    """Every ndarray reachable from ``root``'s graph (data and saved arrays), for picking by identity."""
    found = []
    for tensor in reachable(root):
        found.append(tensor.data)
        if tensor._ctx is not None:
            found += [a for a in (tensor._ctx.saved or ()) if isinstance(a, np.ndarray)]
    return found
