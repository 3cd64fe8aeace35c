"""Input validation that a row of test_errors_table.py can't express: no NumPy warning escapes, a refused
``step()`` changes nothing, what is still accepted, messages that survive hostile values, and random junk
for the numeric arguments (Hypothesis) either works or raises an error that names the function."""
import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_rnn as tg
from tinygrad_rnn import nn, optim
from tinygrad_rnn.core import checks


class BadRepr:
    """A value whose repr (and everything else) raises: a message must still be built."""

    def __repr__(self):
        raise RuntimeError("repr exploded")

    __str__ = __repr__


def param(*shape):
    return nn.Parameter(np.ones(shape))


# --- complex data: refused, and NumPy's ComplexWarning never escapes ---------------------------------------
@pytest.mark.parametrize("make", [
    lambda: tg.tensor(np.ones(3, dtype=complex)),
    lambda: tg.Tensor(np.ones(3, dtype=complex), dtype=np.float32),
    lambda: nn.RNNCell(3, 4)(np.ones((2, 3), dtype=complex)),
    lambda: nn.Linear(3, 4)(np.ones((2, 3), dtype=np.complex64)),
    lambda: tg.ones(3) + np.ones(3, dtype=complex),
    lambda: tg.ones(3) == np.ones(3, dtype=complex),
], ids=["tensor", "Tensor with dtype", "cell", "Linear", "add", "eq"])
def test_complex_is_refused_without_a_numpy_warning(make):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(TypeError, match="complex") as info:
            make()
    assert not caught, [str(w.message) for w in caught]
    assert "x.real" in str(info.value)


def test_an_object_array_never_turns_none_into_nan():
    cell = nn.GRUCell(3, 4)
    with pytest.raises(TypeError, match="GRUCell.*object"):
        cell(np.array([[1.0, None, 2.0]], dtype=object))


# --- what keeps working ---------------------------------------------------------------------------------
def test_bool_and_int_arrays_keep_their_dtype():
    assert tg.tensor(np.array([True, False])).dtype == np.bool_
    assert tg.tensor(np.array([1, 2], dtype=np.int32)).dtype == np.int32
    assert tg.tensor([1, 2]).dtype == np.int64
    assert tg.tensor([1.0, 2.0]).dtype == np.float32
    assert tg.tensor([1, 2], dtype=np.float64).dtype == np.float64
    mask = tg.ones(3) > 0
    assert mask.dtype == np.bool_ and mask.data.all()
    with pytest.raises(TypeError, match=r"RNNCell.*int64.*x\.float\(\)"):      # a layer still wants floats
        nn.RNNCell(3, 4)(tg.tensor(np.ones((2, 3), dtype=np.int64)))


def test_numbers_of_every_real_kind_are_accepted():
    p = param(2)
    for lr in (0.1, 1, np.float32(0.1), np.int64(1), 0):
        optim.SGD([p], lr=lr)
    assert tg.arange(np.int64(3)).shape == (3,)
    assert tg.zeros(np.int64(2), 3).shape == (2, 3)
    assert tg.ones(2, 3).argmax(dim=np.int64(1)).shape == (2,)


# --- step(): each .grad must be an ndarray of its parameter's shape ------------------------------------
def test_a_grad_of_another_shape_is_refused_and_nothing_moves():
    a, b = param(3), param(3)
    a.grad, b.grad = np.ones(3), np.ones(1)         # b's (1,) grad would move all three entries of b
    opt = optim.SGD([a, b], lr=0.5, momentum=0.9)
    with pytest.raises(ValueError, match=r"SGD\.step: the \.grad of parameter 1 of shape \(3,\) has shape \(1,\)"):
        opt.step()
    np.testing.assert_array_equal(b.data, np.ones(3))
    assert b._version == 0


@pytest.mark.parametrize("make", [optim.SGD, optim.Adam, optim.Adagrad])
def test_every_optimizer_checks_the_grad(make):
    p = param(2, 3)
    p.grad = np.ones((3, 2))
    with pytest.raises(ValueError, match=rf"{make.__name__}\.step: .*\(3, 2\).*\(2, 3\)"):
        make([p], lr=0.1).step()
    p.grad = np.ones((2, 3))
    make([p], lr=0.1).step()                      # the right shape steps as before
    assert not np.array_equal(p.data, np.ones((2, 3)))


# --- the fix is right for the case ----------------------------------------------------------------------
def test_a_float16_input_is_told_to_convert_the_input_not_the_module():
    with pytest.raises(TypeError) as info:
        nn.Linear(2, 3)(tg.tensor(np.ones((1, 2), dtype=np.float16)))
    assert "module.float()" not in str(info.value) and "x.float()" in str(info.value)


def test_int_weights_in_load_state_dict_are_not_told_to_convert_the_module():
    layer = nn.Linear(2, 3)
    state = dict(layer.state_dict(), weight=np.ones((3, 2), dtype=np.int64))
    with pytest.raises(ValueError) as info:
        layer.load_state_dict(state)
    assert ".to(np.int64)" not in str(info.value) and ".astype(np.float32)" in str(info.value)


# --- a message never fails to build ---------------------------------------------------------------------
@pytest.mark.parametrize("value", [BadRepr(), np.ones((2, 0)), object(), float("nan"), "x" * 1000, None])
def test_describe_never_raises(value):
    assert isinstance(checks.describe(value), str) and len(checks.describe(value)) < 200


@pytest.mark.parametrize("make", [
    lambda: optim.SGD([param(2)], lr=BadRepr()),
    lambda: optim.Adam([param(2)], betas=(BadRepr(), 0.9)),
    lambda: tg.zeros(BadRepr()),
    lambda: tg.ones(2).argmax(dim=BadRepr()),
    lambda: tg.tensor(BadRepr()),
    lambda: tg.ones(2) < BadRepr(),
    lambda: nn.Linear(2, 3)(BadRepr()),
], ids=["lr", "betas", "zeros", "argmax", "tensor", "lt", "Linear"])
def test_an_unprintable_value_gets_a_message_not_a_crash(make):
    with pytest.raises((TypeError, ValueError)) as info:
        make()
    assert "repr exploded" not in str(info.value)


# --- random junk: it works, or the error names the function ---------------------------------------------
junk = st.one_of(
    st.none(), st.booleans(), st.integers(-10, 10), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=4), st.lists(st.integers(0, 2), max_size=2), st.tuples(st.integers(0, 2)),
    st.complex_numbers(max_magnitude=2), st.just(BadRepr()), st.just(np.float32(0.5)), st.just(np.array([0.1])),
)


@settings(max_examples=150, deadline=None)
@given(lr=junk, momentum=junk)
def test_sgd_hyperparameters_work_or_name_sgd(lr, momentum):
    p = param(3)
    try:
        opt = optim.SGD([p], lr=lr, momentum=momentum)
    except (TypeError, ValueError) as err:
        assert str(err).startswith("SGD: "), err
        return
    assert math.isfinite(float(lr)) and float(lr) >= 0 and 0 <= float(momentum) < 1
    p.grad = np.ones(3)
    opt.step()
    assert np.isfinite(p.data).all()


@settings(max_examples=150, deadline=None)
@given(dim=junk, method=st.sampled_from(["argmax", "sum", "mean", "amax", "split", "chunk", "unbind",
                                         "squeeze", "unsqueeze", "size", "transpose", "cat", "stack"]))
def test_dims_work_or_name_the_function(dim, method):
    x = tg.ones(2, 3)
    calls = {
        "argmax": lambda: x.argmax(dim=dim), "sum": lambda: x.sum(dim=dim), "mean": lambda: x.mean(dim=dim),
        "amax": lambda: x.amax(dim=dim), "split": lambda: x.split(1, dim=dim), "chunk": lambda: x.chunk(2, dim=dim),
        "unbind": lambda: x.unbind(dim), "squeeze": lambda: x.squeeze(dim), "unsqueeze": lambda: x.unsqueeze(dim),
        "size": lambda: x.size(dim), "transpose": lambda: x.transpose(dim, 0),
        "cat": lambda: tg.cat([x, x], dim=dim), "stack": lambda: tg.stack([x, x], dim=dim),
    }
    name = {"amax": "max", "squeeze": "squeeze"}.get(method, method)
    try:
        calls[method]()
    except (TypeError, ValueError, IndexError) as err:   # IndexError: a dim out of range, as PyTorch
        assert str(err).startswith(f"{name}"), err
        assert "repr exploded" not in str(err)


@settings(max_examples=100, deadline=None)
@given(size=junk)
def test_creation_sizes_work_or_name_the_function(size):
    for make in (tg.zeros, tg.ones, tg.randn, tg.rand):
        try:
            out = make(size)
        except (TypeError, ValueError) as err:
            assert str(err).startswith(f"{make.__name__}: "), err
        else:
            assert isinstance(out, tg.Tensor)


# --- issue 27, "Elsewhere": the core ops against PyTorch, and writes through .data ---------------------
def test_the_gradient_of_x_to_the_0_is_0_at_0_as_in_pytorch():
    torch = pytest.importorskip("torch")
    x = tg.tensor([0.0, 2.0, -3.0], requires_grad=True)
    (x ** 0).sum().backward()
    tx = torch.tensor([0.0, 2.0, -3.0], requires_grad=True)
    (tx ** 0).sum().backward()
    np.testing.assert_array_equal(x.grad, tx.grad.numpy())       # zeros, not nan at 0
    assert np.array_equal(x.grad, np.zeros(3))


@pytest.mark.parametrize("shape, dim", [((2, 0), 1), ((2, 0), -1), ((0, 3), 1), ((0, 3), 0), ((), 0), ((), -1)])
def test_softmax_over_an_empty_dim_is_empty_as_in_pytorch(shape, dim):
    torch = pytest.importorskip("torch")
    from tinygrad_rnn.nn import functional as F
    x = tg.zeros(*shape, requires_grad=True)
    for ours, theirs in ((F.softmax, torch.softmax), (F.log_softmax, torch.log_softmax)):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            y = ours(x, dim=dim)
        expected = theirs(torch.zeros(shape), dim=dim)
        assert y.shape == tuple(expected.shape) == shape
        np.testing.assert_array_equal(y.data, expected.numpy())
        y.sum().backward()
        assert x.grad.shape == shape
        x.grad = None


@pytest.mark.parametrize("low, high", [([0.5, 2.5, 1.0], None), (None, [2.0, 2.0, -1.0]), (1.5, 2.5),
                                       ([3.0, 0.0, 0.0], [2.0, 2.5, 2.5])], ids=["min", "max", "0-d", "min > max"])
def test_clamp_with_tensor_bounds_gives_pytorchs_values_and_gradients(low, high):
    """PyTorch's clamp(x, min=Tensor, max=Tensor): the result, and the gradient to x and to each bound."""
    torch = pytest.importorskip("torch")
    xs, weights = [-1.0, 2.0, 3.0], [1.0, 2.0, 3.0]

    def run(lib, make):
        x = make(xs, requires_grad=True)
        bounds = [None if b is None else make(b, requires_grad=True) for b in (low, high)]
        y = x.clamp(min=bounds[0], max=bounds[1])
        (y * make(weights)).sum().backward()
        return [np.asarray(y.data if lib == "tg" else y.detach().numpy())] + [
            None if t is None else np.asarray(t.grad) for t in (x, *bounds)]

    ours, theirs = run("tg", tg.tensor), run("torch", torch.tensor)
    for a, b in zip(ours, theirs):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(a, b)


def test_clamp_in_place_and_without_grad_take_tensor_bounds():
    x = tg.tensor([1.0, 2.0, 3.0])
    assert x.clamp(min=tg.tensor(2.0)).data.tolist() == [2.0, 2.0, 3.0]
    x.clamp_(max=tg.tensor([2.0, 2.0, 2.0]))
    assert x.data.tolist() == [1.0, 2.0, 2.0]
    with pytest.raises(ValueError, match=r"clamp: min has shape \(2, 3\).*x's shape \(3,\)"):
        x.clamp(min=tg.ones(2, 3))


@pytest.mark.parametrize("value, fragments", [
    ([1.0, 2.0], ["Tensor.data", "list", "np.asarray"]),
    (3.0, ["Tensor.data", "float", "np.asarray"]),
    (np.array([1, 2]), ["Tensor.data", "requires grad", "int64", "astype('float32')"]),
    (np.ones(2, dtype=complex), ["Tensor.data", "complex", "x.real"]),
], ids=["list", "number", "int array", "complex"])
def test_assigning_data_that_a_tensor_cannot_hold_is_refused(value, fragments):
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError) as info:
        w.data = value
    assert all(f in str(info.value) for f in fragments), str(info.value)
    assert w.data.dtype == np.float32 and w.data.tolist() == [1.0, 2.0]      # unchanged


def test_assigning_a_tensor_to_data_takes_its_array():
    w = tg.tensor([1.0, 2.0])
    w.data = tg.tensor([3.0, 4.0])
    assert isinstance(w.data, np.ndarray) and w.data.tolist() == [3.0, 4.0]


def test_data_of_another_shape_after_forward_names_the_write_not_an_internal_error():
    w = tg.tensor([1.0, 2.0], requires_grad=True, name="w")
    y = (w + 1).sum()                         # add saves nothing, so the version check can't see the write
    w.data = np.ones(3, dtype=np.float32)
    with pytest.raises(RuntimeError) as info:
        y.backward()
    message = str(info.value)
    assert "internal error" not in message and "'w'" in message and "(2,)" in message and "(3,)" in message
    assert ".data" in message and "Fix" in message


@pytest.mark.parametrize("write", [lambda x: x.copy_(np.ones(3, dtype=complex)), lambda x: x.fill_(1j),
                                   lambda x: x.__setitem__(0, 1j)], ids=["copy_", "fill_", "setitem"])
def test_writing_complex_values_in_place_is_refused_without_a_numpy_warning(write):
    x = tg.ones(3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")             # NumPy's ComplexWarning would discard the imaginary part
        with pytest.raises(TypeError, match="complex.*x.real"):
            write(x)
    assert x.data.tolist() == [1.0, 1.0, 1.0]


# --- issue 27: norms of huge and tiny gradients, xavier of an empty matrix -----------------------------------
@pytest.mark.parametrize("scale", [1e200, 1e-170, 1.0], ids=["huge", "tiny", "usual"])
def test_gradient_norms_neither_overflow_nor_underflow(scale):
    """||(3s, 4s)|| = 5s for every finite s: the squares must not be taken of entries near 1e154 or 1e-162.
    (clip_grad_norm_ keeps PyTorch's numbers, inf for such gradients: see test_nn_clip.py.)"""
    from tinygrad_rnn.analysis.gradients import grad_norm, grad_norms
    from tinygrad_rnn.nn.utils import total_norm
    from tinygrad_rnn.train.loop import gradient_norm
    grads = [np.array([3.0 * scale, 0.0]), np.array([[4.0 * scale]])]
    params = [param(2), param(1, 1)]
    for p, g in zip(params, grads):
        p.grad = g.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("error")                  # no overflow warning either
        assert grad_norm(np.concatenate([g.ravel() for g in grads])) == pytest.approx(5 * scale, rel=1e-12, abs=0)
        assert grad_norms(params) == pytest.approx([3 * scale, 4 * scale], rel=1e-12, abs=0)
        assert gradient_norm(params) == pytest.approx(5 * scale, rel=1e-12, abs=0)
        assert total_norm(grads) == pytest.approx(5 * scale, rel=1e-12, abs=0)


@pytest.mark.parametrize("shape", [(0, 0), (0, 3), (3, 0), (0, 0, 2)])
def test_xavier_uniform_of_an_empty_matrix_is_left_empty(shape):
    from tinygrad_rnn.nn import init
    w = nn.Parameter(np.ones(shape))
    assert init.xavier_uniform_(w) is w and w.shape == shape


# --- issue 27: a gradient flow out of float64's range, an op named like markup ------------------------------
def test_gradient_flow_beyond_float64_gives_inf_or_nan_not_an_svd_error():
    from tinygrad_rnn.analysis import gradient_flow
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        flow = gradient_flow("rnn", "orthogonal", 1e100, "linear", steps=5)
    np.testing.assert_allclose(flow.jacobian_norms[:3], [1e100, 1e200, 1e300], rtol=1e-9)   # ||(sQ)^d|| = s^d
    assert not np.isfinite(flow.jacobian_norms[3:]).any() and flow.overflow_distance == 4
    assert gradient_flow("rnn", "orthogonal", 0.5, "linear", steps=3).overflow_distance is None


def test_an_op_named_lambda_is_drawn_as_text_not_graphviz_markup():
    import shutil
    import subprocess
    from tinygrad_rnn import viz
    from tinygrad_rnn.core.function import Function

    class Doubled(Function):
        name = "<lambda>"

        def forward(self, x):
            return x * 2

        def backward(self, grad):
            return (grad * 2,)

    x = tg.tensor([1.0, 2.0], requires_grad=True)
    source = viz.draw_graph(Doubled.apply(x).sum()).source
    assert "label=<lambda>" not in source and 'label="<lambda>"' in source
    if shutil.which("dot"):
        svg = subprocess.run(["dot", "-Tsvg"], input=source, capture_output=True, text=True, timeout=60)
        assert svg.returncode == 0 and "&lt;lambda&gt;" in svg.stdout, svg.stderr


@pytest.mark.parametrize("scale", [1.0, 1e300, 1e-200])
def test_spectrum_of_huge_or_tiny_matrices_keeps_its_verdicts_without_numpy_warnings(scale):
    """W Wᵀ = Wᵀ W holds for a symmetric W and fails for a shear, whatever the scale of the entries."""
    from tinygrad_rnn.analysis import spectrum
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert spectrum(scale * np.array([[1.0, 1.0], [1.0, 1.0]])).is_normal
        shear = spectrum(scale * np.array([[1.0, 1.0], [0.0, 1.0]]))
    assert shear.is_normal is (scale < 1)         # tiny: below the absolute tolerance, as before


def _complex_tensor(*shape):
    """A Tensor holding complex numbers, however it was made (the constructors refuse them)."""
    return tg.Tensor._wrap(np.ones(shape, dtype=np.complex64))


@pytest.mark.parametrize("make", [
    lambda: nn.Linear(3, 4)(_complex_tensor(2, 3)),
    lambda: nn.RNNCell(3, 4)(_complex_tensor(2, 3)),
    lambda: nn.GRU(3, 4)(_complex_tensor(5, 2, 3)),
    lambda: nn.GRUCell(3, 4)(tg.ones(2, 3), _complex_tensor(2, 4)),
    lambda: nn.LSTM(3, 4)(tg.ones(5, 2, 3), (_complex_tensor(1, 2, 4), _complex_tensor(1, 2, 4))),
], ids=["Linear", "RNNCell", "GRU", "GRUCell h", "LSTM h_0"])
def test_a_complex_tensor_into_a_layer_is_told_x_real_not_x_float(make):
    with pytest.raises(TypeError) as info:
        make()
    assert "complex" in str(info.value) and ".real" in str(info.value) and ".float()" not in str(info.value)


def test_a_save_killed_mid_write_has_its_temporary_file_removed_by_a_later_save(tmp_path):
    """atomic_write's promise: no temporary file stays behind; a killed writer's is removed by the next save
    of the same file once it is abandoned (its writer gone, older than an hour: here, by setting its time back)."""
    import os
    import signal
    import subprocess
    import sys
    import time
    from tinygrad_rnn import serialization
    code = ("import os, signal, sys\nfrom tinygrad_rnn.serialization import atomic_write\n"
            "def write(f):\n    f.write(b'half'); f.flush(); os.kill(os.getpid(), signal.SIGKILL)\n"
            "atomic_write(sys.argv[1], write)\n")
    target = tmp_path / "weights.npz"
    assert subprocess.run([sys.executable, "-c", code, str(target)]).returncode == -signal.SIGKILL
    (left,) = tmp_path.glob(".weights.npz.*.tmp")
    other = tmp_path / ".other.npz.00000000000000000000000000000000.tmp"     # another file's, not a writer's
    other.write_bytes(b"x")
    hour_ago = time.time() - 2 * 3600
    os.utime(left, (hour_ago, hour_ago))
    os.utime(other, (hour_ago, hour_ago))
    serialization.save({"w": np.ones(2)}, target)
    assert not left.exists() and other.exists()
    assert serialization.load(target)["w"].tolist() == [1.0, 1.0]
