"""Version counters: an in-place write to a tensor whose array a node saved for backward makes that
backward raise, instead of silently mixing the old forward pass with the new values (PyTorch's
"one of the variables needed for gradient computation has been modified by an inplace operation").

What saves what matters here: ``a * b``, ``a / b``, ``a @ b`` and ``linear`` save their inputs;
``tanh``, ``sigmoid``, ``exp`` and ``log_softmax`` save their output; ``+``, ``-``, ``sum``, ``mean``
and the shape ops save nothing; ``relu``, ``abs`` and ``clamp`` save a mask they made themselves.
(Where this library saves an input PyTorch would skip, e.g. ``w * c`` with a constant ``c``, torch
saves only ``c``, this library raises where torch does not: the parity tests avoid those cases.)
"""
import gc
import weakref

import numpy as np
import pytest

import tinygrad_rnn as tg
from tinygrad_rnn import nn, optim
from tinygrad_rnn.autograd import detect_anomaly
from tinygrad_rnn.core.function import SavedTensorModifiedError
from tinygrad_rnn.nn import functional as F
from tinygrad_rnn.nn import init
from tinygrad_rnn.nn.utils import clip_grad_norm_, clip_grad_value_

MODIFIED = "modified by an inplace operation"
OPTIMIZERS = {"SGD": lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9),
              "Adam": lambda ps: optim.Adam(ps, lr=0.1),
              "Adagrad": lambda ps: optim.Adagrad(ps, lr=0.1)}


def two_layer(seed=0):
    """W1 (4, 3), W2 (2, 4) and a batch x (5, 3), float64."""
    rng = np.random.default_rng(seed)
    W1 = tg.Tensor(rng.normal(size=(4, 3)), requires_grad=True, name="W1")
    W2 = tg.Tensor(rng.normal(size=(2, 4)), requires_grad=True, name="W2")
    return W1, W2, tg.Tensor(rng.normal(size=(5, 3)))


def loss_of(W1, W2, x):
    return ((x @ W1.T).tanh() @ W2.T).sum()


def fresh_grads(*arrays, x):
    """dL/dW1, dL/dW2 from a new graph on copies of the given values."""
    W1, W2 = (tg.Tensor(a.copy(), requires_grad=True) for a in arrays)
    loss_of(W1, W2, x).backward()
    return W1.grad, W2.grad


# --- the counter itself -------------------------------------------------------------------------

def test_version_starts_at_zero_and_every_tensor_api_write_adds_one():
    x = tg.Tensor(np.zeros(3))
    assert x._version == 0
    writes = [lambda: x.zero_(), lambda: x.fill_(2.0), lambda: x.copy_(np.ones(3)), lambda: x.add_(1.0),
              lambda: x.sub_(0.5, alpha=2), lambda: x.mul_(3.0), lambda: x.div_(2.0),
              lambda: x.clamp_(min=0.0, max=1.0), lambda: x.__setitem__(0, 5.0)]
    for n, write in enumerate(writes, start=1):
        write()
        assert x._version == n
    assert x.data.tolist() == [5.0, 1.0, 1.0]          # the writes really happened, in place


def test_assigning_data_counts_as_a_write_and_so_does_augmented_assignment():
    x = tg.Tensor(np.ones(2))
    x.data = np.zeros(2)
    assert x._version == 1
    array = x.data
    x.data -= 1.0                                      # in place into the same array, then assigned back
    assert x.data is array and x._version == 2


def test_a_tensor_and_its_views_share_one_counter():
    w = tg.Tensor(np.ones((2, 3)), requires_grad=True)
    d = w.detach()
    t, row = w.T, w[0]
    d.add_(1.0)
    assert w._version == d._version == t._version == row._version == 1
    with tg.no_grad():
        w[1] = 0.0
    assert d._version == t._version == row._version == 2
    assert (w * 2)._version == 0                       # a new array: a counter of its own
    pieces = w.chunk(2, dim=1) + w.unbind(0) + (w.reshape(-1), w[:, 1:])
    assert all(p._version == 2 for p in pieces)
    with tg.no_grad():
        pieces[-1].zero_()                             # w[:, 1:] is w's memory
    assert w._version == 3 and w.data[:, 1:].sum() == 0


def test_a_custom_op_that_saves_a_view_of_its_input_is_checked_too():
    class TransposeTimes(tg.autograd.Function):        # y = x^T * 2, saving x^T (a view of x)
        def forward(self, x):
            self.save_for_backward(x.T)
            return x.T * 2

        def backward(self, grad):
            (xt,) = self.saved
            return (grad.T * 2 + 0 * xt.T,)

    x = tg.Tensor(np.ones((2, 3)), requires_grad=True, name="x")
    loss = TransposeTimes.apply(x).sum()
    with tg.no_grad():
        x.mul_(3.0)
    with pytest.raises(SavedTensorModifiedError, match="input 0 of 'transposetimes'.*'x'"):
        loss.backward()


def test_in_place_methods_return_the_tensor_and_keep_its_array():
    x = tg.Tensor(np.arange(3.0))
    array = x.data
    assert x.add_(1.0) is x and x.data is array
    np.testing.assert_array_equal(x.data, [1.0, 2.0, 3.0])


@pytest.mark.parametrize("make", list(OPTIMIZERS.values()), ids=list(OPTIMIZERS))
def test_an_optimizer_step_adds_one_to_each_updated_parameter(make):
    w, skipped = tg.Tensor(np.ones(2), requires_grad=True), tg.Tensor(np.ones(2), requires_grad=True)
    opt = make([w, skipped])
    w.grad = np.ones(2)
    opt.step()
    opt.step()
    assert w._version == 2 and skipped._version == 0   # no grad, no update, no write


def test_an_optimizer_that_writes_into_data_by_hand_is_counted_too():
    class Halve(optim.Optimizer):
        def __init__(self, params):
            super().__init__(params, {})

        def _check_hyperparameters(self, group):
            pass

        def _update(self, param, grad, state, group):
            np.multiply(param.data, 0.5, out=param.data)     # around the Tensor

    w = tg.Tensor(np.ones(2), requires_grad=True)
    w.grad = np.ones(2)
    Halve([w]).step()
    assert w._version == 1


@pytest.mark.parametrize("fill", [lambda w: init.zeros_(w), lambda w: init.normal_(w),
                                  lambda w: init.orthogonal_(w), lambda w: init.xavier_uniform_(w),
                                  lambda w: init.eye_(w), lambda w: init.scale_to_spectral_radius_(w, 0.9)])
def test_nn_init_functions_count_their_write(fill):
    w = tg.Tensor(np.random.default_rng(0).normal(size=(3, 3)), requires_grad=True)
    fill(w)
    assert w._version >= 1


@pytest.mark.parametrize("name", list(init.RECURRENT_INITS))
def test_init_weight_hh_counts_its_write_for_every_init(name):
    w = tg.Tensor(np.random.default_rng(0).normal(size=(8, 4)).astype(np.float32), requires_grad=True)
    init.init_weight_hh_(w, name, gates=2)
    assert w._version >= 1


def test_clipping_changes_grad_not_data_so_no_version_changes_and_a_retained_graph_still_works():
    W1, W2, x = two_layer()
    loss = loss_of(W1, W2, x)
    loss.backward(retain_graph=True)
    clip_grad_norm_([W1, W2], 0.1)
    clip_grad_value_([W1, W2], 0.01)
    assert W1._version == W2._version == 0
    loss.backward()                                    # no error


# --- the check at backward --------------------------------------------------------------------

@pytest.mark.parametrize("make", list(OPTIMIZERS.values()), ids=list(OPTIMIZERS))
def test_stepping_between_forward_and_a_retained_backward_raises(make):
    W1, W2, x = two_layer()
    loss = loss_of(W1, W2, x)
    loss.backward(retain_graph=True)
    make([W1, W2]).step()
    with pytest.raises(SavedTensorModifiedError, match=MODIFIED) as info:
        loss.backward()
    message = str(info.value)
    assert "'matmul'" in message and "'W2'" in message          # the last op, so the first one back
    assert "saved at version 0 and is now at version 1" in message
    assert "optimizer" in message and "run the forward pass again" in message


@pytest.mark.parametrize("make", list(OPTIMIZERS.values()), ids=list(OPTIMIZERS))
def test_running_the_forward_again_after_the_step_gives_the_gradients_at_the_new_weights(make):
    W1, W2, x = two_layer()
    opt = make([W1, W2])
    loss_of(W1, W2, x).backward()
    opt.step()
    opt.zero_grad()
    loss_of(W1, W2, x).backward()                       # a new graph on the new weights: no error
    expected = fresh_grads(W1.data, W2.data, x=x)
    np.testing.assert_allclose(W1.grad, expected[0], rtol=1e-12)
    np.testing.assert_allclose(W2.grad, expected[1], rtol=1e-12)


def test_a_second_backward_with_nothing_written_between_adds_the_same_gradients():
    W1, W2, x = two_layer()
    loss = loss_of(W1, W2, x)
    loss.backward(retain_graph=True)
    first = W1.grad.copy(), W2.grad.copy()
    loss.backward()
    np.testing.assert_allclose(W1.grad, 2 * first[0], rtol=1e-12)
    np.testing.assert_allclose(W2.grad, 2 * first[1], rtol=1e-12)


def test_a_write_to_an_unrelated_tensor_between_forward_and_backward_changes_nothing():
    W1, W2, x = two_layer()
    other = tg.Tensor(np.ones(3))
    loss = loss_of(W1, W2, x)
    other.zero_()                                      # the write clock moves, but nothing here was saved
    loss.backward()
    expected = fresh_grads(W1.data, W2.data, x=x)
    np.testing.assert_allclose(W1.grad, expected[0], rtol=1e-12)


def test_nn_init_on_a_saved_weight_raises():
    tg.manual_seed(0)
    layer = nn.Linear(3, 2)
    loss = layer(tg.randn(4, 3)).tanh().sum()
    init.orthogonal_(layer.weight)
    with pytest.raises(SavedTensorModifiedError, match=MODIFIED) as info:
        loss.backward()
    assert "'linear'" in str(info.value) and "'weight'" in str(info.value)


WRITES = {
    "zero_": lambda t: t.zero_(), "fill_": lambda t: t.fill_(0.5), "copy_": lambda t: t.copy_(np.ones(t.shape)),
    "add_": lambda t: t.add_(1.0), "sub_": lambda t: t.sub_(1.0), "mul_": lambda t: t.mul_(2.0),
    "div_": lambda t: t.div_(2.0), "clamp_": lambda t: t.clamp_(max=0.0), "setitem": lambda t: t.__setitem__(0, 3.0),
    "data =": lambda t: setattr(t, "data", t.data + 1.0), "data -=": lambda t: setattr(t, "data", t.data.__isub__(1)),
}


@pytest.mark.parametrize("write", list(WRITES.values()), ids=list(WRITES))
def test_a_tensor_api_write_to_a_saved_input_raises(write):
    w = tg.Tensor(np.full(3, 0.5), requires_grad=True, name="w")
    c = tg.Tensor(np.full(3, 2.0), name="c")
    loss = (w * c).sum()                               # mul saves both w and c
    with tg.no_grad():
        write(w)
    with pytest.raises(SavedTensorModifiedError, match="input 0 of 'mul'"):
        loss.backward()
    loss = (w * c).sum()
    write(c)                                           # c needs no grad: writable outside no_grad
    with pytest.raises(SavedTensorModifiedError, match="input 1 of 'mul'.*'c'"):
        loss.backward()


NOT_SAVED = {   # (loss, the tensor to write): an op's input that the op itself does not save
    "add": lambda w, a: ((w + a).sum(), a),
    "sub-mean": lambda w, a: ((w - a).mean(), a),
    "tanh-input": lambda w, a: ((u := w * a).tanh().sum(), u),           # tanh saves its output
    "sigmoid-input": lambda w, a: ((u := w * a).sigmoid().sum(), u),
    "exp-input": lambda w, a: ((u := w * a).exp().sum(), u),
    "log_softmax-input": lambda w, a: ((F.log_softmax(u := w * a, dim=0) * a).sum(), u),
    "relu": lambda w, a: ((u := w * a).relu().sum(), u),                # relu saves its own mask
    "abs": lambda w, a: ((u := w * a).abs().sum(), u),
    "clamp": lambda w, a: ((u := w * a).clamp(-0.5, 0.5).sum(), u),
    "getitem-reshape": lambda w, a: ((u := w * a)[1:].reshape(2, 1).sum(), u),
}


@pytest.mark.parametrize("program", list(NOT_SAVED.values()), ids=list(NOT_SAVED))
def test_a_write_to_a_tensor_no_op_saved_is_fine_and_backward_uses_the_forward_values(program):
    values, a_values = np.array([0.5, -1.0, 2.0]), np.array([0.1, 0.2, -0.3])
    w, a = tg.Tensor(values.copy(), requires_grad=True), tg.Tensor(a_values.copy())
    loss, written = program(w, a)
    with tg.no_grad():
        written.add_(10.0)
    loss.backward()
    fresh = tg.Tensor(values.copy(), requires_grad=True)
    program(fresh, tg.Tensor(a_values.copy()))[0].backward()
    np.testing.assert_allclose(w.grad, fresh.grad, rtol=1e-12)


def test_writing_an_output_that_its_op_saved_raises():
    w = tg.Tensor(np.ones(3), requires_grad=True)
    y = w.exp()                                        # exp saves its output
    with tg.no_grad():
        y.mul_(2.0)
    with pytest.raises(SavedTensorModifiedError, match="its output of 'exp'"):
        y.sum().backward()


def test_a_write_through_a_view_or_a_detached_copy_is_a_write_to_the_tensor():
    for write in (lambda w: w.detach().zero_(), lambda w: w[0].fill_(7.0), lambda w: w.T.mul_(2.0)):
        w = tg.Tensor(np.ones((2, 2)), requires_grad=True, name="w")
        loss = (w * w).sum()
        with tg.no_grad():
            write(w)
        with pytest.raises(SavedTensorModifiedError, match="'w'"):
            loss.backward()


def test_a_saved_view_names_the_tensor_it_looks_into():
    W1, W2, x = two_layer()
    loss = loss_of(W1, W2, x)                          # matmul saved W2.T, a view of W2
    with tg.no_grad():
        W2.mul_(0.5)
    with pytest.raises(SavedTensorModifiedError, match=r"output of 'permute' .*a view of 'W2'"):
        loss.backward()


def test_the_message_names_the_time_step_of_the_op():
    W = tg.Tensor(np.eye(2), requires_grad=True, name="W_hh")
    h = tg.Tensor(np.ones((1, 2)))
    for t in range(1, 4):
        with tg.time_step(t):
            h = (h @ W).tanh()
    loss = h.sum()
    W.data = W.data * 0.5
    with pytest.raises(SavedTensorModifiedError) as info:
        loss.backward()
    assert "input 1 of 'matmul' at time step 3" in str(info.value) and "'W_hh'" in str(info.value)


def test_many_writes_since_the_save_are_reported_without_a_made_up_version():
    w = tg.Tensor(np.ones(2), requires_grad=True, name="w")
    loss = (w * w).sum()
    with tg.no_grad():
        for _ in range(20):
            w.add_(1.0)
    with pytest.raises(SavedTensorModifiedError, match="now at version 20, more than 8 writes after"):
        loss.backward()


@pytest.mark.parametrize("layer", [nn.LSTM, nn.GRU, nn.RNN])
@pytest.mark.parametrize("fused", [True, False])
def test_recurrent_layer_forward_then_a_step_on_w_hh_then_backward_raises(layer, fused):
    tg.manual_seed(0)
    model = layer(3, 4, fused=fused)
    out, _ = model(tg.randn(5, 2, 3))
    loss = out.sum()
    loss.backward(retain_graph=True)
    optim.SGD([model.weight_hh_l0], lr=0.1).step()     # only W_hh changes
    with pytest.raises(SavedTensorModifiedError, match="weight_hh_l0") as info:
        loss.backward()
    assert "time step 5" in str(info.value)            # the last step is the first one back


def test_recurrent_layer_forward_again_after_the_step_works():
    tg.manual_seed(0)
    model = nn.LSTM(3, 4)
    x = tg.randn(5, 2, 3)
    opt = optim.Adam(model.parameters(), lr=0.01)
    for _ in range(2):
        opt.zero_grad()
        model(x)[0].sum().backward()
        opt.step()


# --- in-place writes and the graph ------------------------------------------------------------

def test_in_place_write_to_a_leaf_that_requires_grad_needs_no_grad():
    w = tg.Tensor(np.ones(2), requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
        w.add_(1.0)
    with pytest.raises(RuntimeError, match="no_grad"):
        w[0] = 2.0
    assert w._version == 0 and w.data.tolist() == [1.0, 1.0]   # nothing was written
    with tg.no_grad():
        w.add_(1.0)
    assert w.data.tolist() == [2.0, 2.0]


def test_in_place_write_to_a_graph_tensor_or_of_a_value_that_requires_grad_is_refused():
    w = tg.Tensor(np.ones(2), requires_grad=True)
    y = w * 2
    with pytest.raises(RuntimeError, match="part of the graph.*'mul'"):
        y.mul_(2.0)
    with pytest.raises(RuntimeError, match="requires grad"):
        tg.Tensor(np.zeros(2)).copy_(w)


def test_in_place_write_errors_name_the_method():
    x = tg.Tensor(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="copy_: can't write into a tensor of shape \\(2, 2\\)"):
        x.copy_(np.ones(3))
    ints = tg.Tensor(np.zeros(2, dtype=np.int64))
    with pytest.raises(TypeError, match="div_"):
        ints.div_(2.0)
    assert x._version == 0 and ints._version == 0


def test_a_dropped_graph_is_still_freed_by_reference_counting_after_writes():
    gc.collect()
    gc.disable()
    try:
        w = tg.Tensor(np.ones(3), requires_grad=True)
        y = (w * w).tanh()
        refs = [weakref.ref(y), weakref.ref(y._ctx)]
        with tg.no_grad():
            w.add_(1.0)
            w.data = w.data * 2
        del y
        assert [r() for r in refs] == [None, None]
    finally:
        gc.enable()


# --- what the counter cannot see, and anomaly mode --------------------------------------------

def test_a_raw_write_into_data_is_not_seen_outside_anomaly_mode():
    """Documented limitation: ``w.data[...] = v`` goes around the Tensor, so the gradient silently
    uses the new values (here dL/dc = w, read at backward)."""
    w, c = tg.Tensor(np.ones(2), requires_grad=True), tg.Tensor(np.ones(2), requires_grad=True)
    loss = (w * c).sum()
    w.data[...] = 5.0
    loss.backward()
    assert w._version == 0 and c.grad.tolist() == [5.0, 5.0]


@pytest.mark.parametrize("raw_write", [lambda w: w.data.__setitem__(Ellipsis, 5.0),
                                       lambda w: np.copyto(w.data, 3.0),
                                       lambda w: np.subtract(w.data, 1.0, out=w.data)],
                         ids=["setitem", "copyto", "out="])
def test_detect_anomaly_catches_a_raw_write_by_checksum(raw_write):
    with detect_anomaly():
        w, c = tg.Tensor(np.ones(2), requires_grad=True, name="w"), tg.Tensor(np.ones(2), requires_grad=True)
        loss = (w * c).sum()
        raw_write(w)
        with pytest.raises(SavedTensorModifiedError, match="'mul'") as info:
            loss.backward()
    message = str(info.value)
    assert "'w'" in message and "checksum" in message and "around the Tensor" in message


def test_in_anomaly_mode_a_tensor_api_write_is_still_reported_by_its_version():
    with detect_anomaly():
        w = tg.Tensor(np.ones(2), requires_grad=True, name="w")
        loss = (w * w).sum()
        with tg.no_grad():
            w.add_(1.0)
        with pytest.raises(SavedTensorModifiedError, match="saved at version 0 and is now at version 1"):
            loss.backward()


def test_detect_anomaly_passes_an_untouched_graph_and_a_write_to_unsaved_arrays():
    with detect_anomaly():
        w, a = tg.Tensor(np.ones(2), requires_grad=True), tg.Tensor(np.ones(2))
        loss = ((w + a).tanh() * w).sum()
        a.data[...] = 4.0                              # add saved nothing of a
        loss.backward(retain_graph=True)
        loss.backward()


# --- PyTorch parity -----------------------------------------------------------------------------

def _torch_two_layer(torch, W1, W2, x):
    tW1, tW2 = (torch.tensor(t.data.copy(), requires_grad=True) for t in (W1, W2))
    return tW1, tW2, torch.tensor(x.data)


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_torch_also_raises_after_an_optimizer_step(name):
    torch = pytest.importorskip("torch")
    W1, W2, x = two_layer()
    tW1, tW2, tx = _torch_two_layer(torch, W1, W2, x)
    make_torch = {"SGD": lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9),
                  "Adam": lambda ps: torch.optim.Adam(ps, lr=0.1),
                  "Adagrad": lambda ps: torch.optim.Adagrad(ps, lr=0.1)}[name]
    for params, make, loss in (([W1, W2], OPTIMIZERS[name], loss_of(W1, W2, x)),
                               ([tW1, tW2], make_torch, (torch.tanh(tx @ tW1.T) @ tW2.T).sum())):
        loss.backward(retain_graph=True)
        make(params).step()
        assert [p._version for p in params] == [1, 1]
        with pytest.raises(RuntimeError, match=MODIFIED):
            loss.backward()


def test_torch_agrees_on_which_writes_matter():
    torch = pytest.importorskip("torch")

    def run(lib, tensor, no_grad, program):
        w = tensor([0.5, -1.0, 2.0], requires_grad=True)
        loss, write = program(w)
        with no_grad():
            write()
        try:
            loss.backward()
        except RuntimeError as error:
            assert MODIFIED in str(error)
            return "raises", None
        return "ok", np.asarray(w.grad).tolist()

    programs = {
        "tanh saves its output, not its input": lambda w: (w.tanh().sum(), lambda: w.add_(1.0)),
        "exp saves its output": lambda w: ((y := w.exp()).sum(), lambda: y.mul_(2.0)),
        "w * w saves w": lambda w: ((w * w).sum(), lambda: w.mul_(2.0)),
        "a detached copy shares the counter": lambda w: ((w * w).sum(), lambda: w.detach().zero_()),
        "a view shares the counter": lambda w: ((w * w).sum(), lambda: w[1:].zero_()),
        "add saves nothing": lambda w: ((w + 1.0).sum(), lambda: w.add_(1.0)),
    }
    for label, program in programs.items():
        ours = run("tg", lambda v, **kw: tg.Tensor(np.array(v), **kw), tg.no_grad, program)
        theirs = run("torch", lambda v, **kw: torch.tensor(v, dtype=torch.float64, **kw), torch.no_grad, program)
        assert ours[0] == theirs[0], label
        if ours[1] is not None:
            np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-12, err_msg=label)


def test_torch_counts_the_same_versions():
    torch = pytest.importorskip("torch")
    counts = []
    for x in (tg.Tensor(np.zeros(3)), torch.zeros(3, dtype=torch.float64)):
        x.zero_(), x.add_(1.0), x.__setitem__(0, 1.0), x.fill_(2.0), x.clamp_(0.0, 1.0)
        x.mul_(2.0), x.div_(2.0), x.sub_(1.0)
        x.detach().add_(1.0)
        counts.append(x._version)
    assert counts[0] == counts[1] == 9


def test_torch_lstm_also_raises_after_a_step_on_w_hh():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(3, 4)
    loss = lstm(torch.randn(5, 2, 3))[0].sum()
    loss.backward(retain_graph=True)
    torch.optim.SGD([lstm.weight_hh_l0], lr=0.1).step()
    with pytest.raises(RuntimeError, match=MODIFIED):
        loss.backward()


def test_load_state_dict_between_forward_and_backward_is_caught():
    import tinygrad_rnn as tg
    lin = tg.nn.Linear(2, 2)
    x = tg.randn(1, 2, requires_grad=True)
    y = lin(x).sum()
    lin.load_state_dict({k: np.asarray(v) * 2 for k, v in lin.state_dict().items()})
    with pytest.raises(tg.SavedTensorModifiedError, match="'weight'"):
        y.backward()
