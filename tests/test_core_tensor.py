"""``Tensor`` basics: dtypes, copying, and the creation helpers.

The dtype rules follow PyTorch:

- Python floats and lists of floats become float32; Python ints become int64;
- NumPy arrays keep their dtype (float64 stays float64);
- a Python number combined with a tensor takes the tensor's dtype (float32 * 2.0 is float32);
- ``.grad`` has its tensor's dtype, and a float32 backward pass stays float32 throughout.

``Tensor(ndarray)`` copies the array. Random helpers draw from one generator that
``manual_seed`` resets, unless you pass your own ``generator=``.
"""
import numpy as np
import pytest

import tinygrad_rnn as tg
from tinygrad_rnn import Function
from tinygrad_rnn.nn import functional as F


# --- dtype of new tensors -----------------------------------------------------------------------
@pytest.mark.parametrize("data, dtype", [
    (1.5, np.float32), ([1.0, 2.0], np.float32), ([[1, 2.5]], np.float32),
    (3, np.int64), ([1, 2], np.int64),
    (True, np.bool_),
    (np.zeros(2), np.float64), (np.zeros(2, np.float32), np.float32), (np.arange(3), np.int64),
    (np.float64(1.5), np.float64),
])
def test_dtype_of_new_tensor(data, dtype):
    assert tg.Tensor(data).dtype == dtype
    assert tg.tensor(data).dtype == dtype


def test_explicit_dtype_wins():
    assert tg.Tensor(1.5, dtype=np.float64).dtype == np.float64
    assert tg.Tensor([1, 2], dtype=np.float32).dtype == np.float32
    np.testing.assert_array_equal(tg.Tensor([1, 2], dtype=np.float32).data, [1, 2])


def test_tensor_copies_the_array():
    source = np.array([1.0, 2.0, 3.0])
    t = tg.Tensor(source)
    source[0] = 100.0
    assert t.data[0] == 1.0
    assert not np.shares_memory(t.data, source)
    u = tg.Tensor(t)                       # from another tensor: also a copy
    t.data[1] = 50.0
    assert u.data[1] == 2.0


# --- dtype through arithmetic ----------------------------------------------------------------
@pytest.mark.parametrize("fn", [
    lambda x: x * 2.0, lambda x: 2.0 * x, lambda x: x + 1, lambda x: 1 - x, lambda x: x / 2,
    lambda x: 1 / x, lambda x: x ** 2, lambda x: x ** 0.5, lambda x: x.sqrt(), lambda x: x.clamp(0.5, 2.0),
    lambda x: tg.where(x > 1, x, 0.0), lambda x: x.sum(), lambda x: x.mean(), lambda x: x.amax(),
    lambda x: F.softmax(x), lambda x: F.log_softmax(x), lambda x: F.mse_loss(x, [1.0, 2.0, 3.0]),
    lambda x: x.sigmoid(),
], ids=["x*2.0", "2.0*x", "x+1", "1-x", "x/2", "1/x", "x**2", "x**0.5", "sqrt", "clamp", "where", "sum",
        "mean", "amax", "softmax", "log_softmax", "mse_loss", "sigmoid"])
def test_float32_stays_float32(fn):
    x = tg.Tensor(np.array([1.0, 2.0, 3.0], dtype=np.float32), requires_grad=True)
    y = fn(x)
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32


def test_mixing_float32_and_float64_promotes_like_numpy():
    a = tg.Tensor(np.ones(2, np.float32))
    b = tg.Tensor(np.ones(2, np.float64))
    assert (a + b).dtype == np.float64
    assert (tg.Tensor(3) * 2).dtype == np.int64


class Probe(Function):
    """Identity op that records the dtype of the gradient arriving at it from above."""
    seen = []

    def forward(self, x):
        return x

    def backward(self, grad):
        # d x/dx = 1
        Probe.seen.append(grad.dtype)
        return (grad,)


@pytest.mark.parametrize("fn", [
    lambda x: x.amax(dim=1), lambda x: x.max(dim=0).values, lambda x: x.mean(dim=0), lambda x: x.tanh(),
    lambda x: x.sigmoid(), lambda x: x.relu(), lambda x: x.abs(), lambda x: x.exp(), lambda x: x.sqrt(),
    lambda x: x[[0, 0, 1]], lambda x: x[x > 0.5], lambda x: tg.cat([x, x], 1), lambda x: tg.stack([x, x]),
    lambda x: x @ x.T, lambda x: x.clamp(max=0.5), lambda x: tg.where(x > 0.5, x, 1.0),
    lambda x: F.cross_entropy(x, [0, 2]), lambda x: F.log_softmax(x, dim=0), lambda x: x / 3,
    lambda x: x.double().tanh(), lambda x: x.reshape(3, 2), lambda x: x.T, lambda x: x.unsqueeze(0),
    lambda x: x.sum(dim=1), lambda x: x.split(1, dim=1)[2], lambda x: x[1, ::-1], lambda x: x ** 3,
], ids=["amax", "max", "mean", "tanh", "sigmoid", "relu", "abs", "exp", "sqrt", "index-array", "mask", "cat",
        "stack", "matmul", "clamp", "where", "cross_entropy", "log_softmax", "div", "double", "reshape", "T",
        "unsqueeze", "sum", "split", "index-basic", "pow"])
def test_a_float32_backward_pass_stays_float32(fn):
    """Not just .grad (which is cast at the end): the gradient passed between ops must not
    silently become float64, which would double memory and time."""
    x = tg.Tensor(np.array([[0.25, 0.75, 1.0], [0.9, 0.1, 0.6]], dtype=np.float32), requires_grad=True)
    Probe.seen = []
    fn(Probe.apply(x)).sum().backward()
    assert Probe.seen == [np.float32]


def test_casting_to_an_integer_dtype_drops_requires_grad():
    x = tg.Tensor([1.7, 2.2], requires_grad=True)
    i = x.to(np.int64)
    assert i.dtype == np.int64 and not i.requires_grad
    np.testing.assert_array_equal(i.data, [1, 2])


def test_comparisons_give_bool_tensors_without_gradient():
    x = tg.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    for mask in (x > 1.5, x >= 2, x < 2, x <= 2, x == 2, x != 2):
        assert mask.dtype == np.bool_ and not mask.requires_grad
    np.testing.assert_array_equal((x > 1.5).data, [False, True, True])


def test_size_helpers():
    x = tg.zeros(2, 3, 4)
    assert x.shape == (2, 3, 4) and x.size() == (2, 3, 4) and x.size(1) == 3
    assert x.ndim == 3 and x.dim() == 3 and x.numel() == 24 and len(x) == 2
    assert [t.shape for t in x] == [(3, 4), (3, 4)]
    assert tg.Tensor([[5.0]]).item() == 5.0 and isinstance(tg.Tensor([[5.0]]).item(), float)
    assert float(tg.Tensor(2.5)) == 2.5


def test_numpy_shares_data_and_detach_numpy_works():
    x = tg.Tensor([1.0, 2.0])
    assert x.numpy() is x.data
    y = tg.Tensor([1.0, 2.0], requires_grad=True)
    np.testing.assert_array_equal(y.detach().numpy(), [1, 2])


# --- creation helpers ----------------------------------------------------------------------------
@pytest.mark.parametrize("make, shape", [
    (lambda: tg.zeros(2, 3), (2, 3)), (lambda: tg.zeros((2, 3)), (2, 3)), (lambda: tg.ones(4), (4,)),
    (lambda: tg.ones([1, 2]), (1, 2)), (lambda: tg.randn(3, 2), (3, 2)), (lambda: tg.rand(5), (5,)),
    (lambda: tg.eye(3), (3, 3)), (lambda: tg.eye(2, 4), (2, 4)), (lambda: tg.full((2, 2), 1.5), (2, 2)),
    (lambda: tg.full(3, 0.5), (3,)), (lambda: tg.zeros(()), ()),
], ids=["zeros(2,3)", "zeros((2,3))", "ones(4)", "ones([1,2])", "randn", "rand", "eye(3)", "eye(2,4)",
        "full((2,2))", "full(3)", "zeros(())"])
def test_creation_shapes_default_to_float32(make, shape):
    t = make()
    assert t.shape == shape
    assert t.dtype == np.float32
    assert not t.requires_grad and t.is_leaf


def test_creation_values():
    np.testing.assert_array_equal(tg.zeros(2, 2).data, np.zeros((2, 2)))
    np.testing.assert_array_equal(tg.ones(3).data, np.ones(3))
    np.testing.assert_array_equal(tg.eye(2, 3).data, np.eye(2, 3))
    np.testing.assert_array_equal(tg.full((2,), 1.5).data, [1.5, 1.5])
    u = tg.rand(1000).data
    assert (u >= 0).all() and (u < 1).all()
    n = tg.randn(4000, generator=np.random.default_rng(0)).data
    assert abs(n.mean()) < 0.1 and abs(n.std() - 1) < 0.1


def test_creation_dtype_requires_grad_and_name():
    t = tg.randn(2, dtype=np.float64, requires_grad=True, name="W")
    assert t.dtype == np.float64 and t.requires_grad and t.name == "W"
    assert tg.zeros(2, dtype=np.float64).dtype == np.float64
    assert tg.eye(2, dtype=np.float64).dtype == np.float64


def test_arange_integers_stay_int64_floats_become_float32():
    t = tg.arange(5)
    assert t.dtype == np.int64
    np.testing.assert_array_equal(t.data, np.arange(5))
    np.testing.assert_array_equal(tg.arange(2, 10, 3).data, [2, 5, 8])
    f = tg.arange(0, 1, 0.25)
    assert f.dtype == np.float32
    np.testing.assert_array_equal(f.data, [0, 0.25, 0.5, 0.75])
    assert tg.arange(3, dtype=np.float64).dtype == np.float64


@pytest.mark.parametrize("like", [tg.zeros_like, tg.ones_like, tg.randn_like, tg.rand_like])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_like_helpers_copy_shape_and_dtype(like, dtype):
    x = tg.Tensor(np.ones((2, 3), dtype=dtype))
    y = like(x)
    assert y.shape == (2, 3) and y.dtype == dtype
    assert like(x, dtype=np.float64).dtype == np.float64
    assert like(x, requires_grad=True).requires_grad


def test_like_values():
    x = tg.Tensor(np.full((2, 2), 7.0))
    np.testing.assert_array_equal(tg.zeros_like(x).data, 0)
    np.testing.assert_array_equal(tg.ones_like(x).data, 1)


# --- randomness ---------------------------------------------------------------------------------
@pytest.mark.parametrize("draw", [lambda: tg.randn(3, 2), lambda: tg.rand(4),
                                  lambda: tg.randn_like(tg.zeros(5))])
def test_manual_seed_makes_draws_repeatable(draw):
    tg.manual_seed(42)
    first, second = draw().data, draw().data
    tg.manual_seed(42)
    np.testing.assert_array_equal(draw().data, first)
    np.testing.assert_array_equal(draw().data, second)
    assert not np.array_equal(first, second)            # the stream moves on between draws
    tg.manual_seed(43)
    assert not np.array_equal(draw().data, first)


def test_manual_seed_returns_the_new_default_generator():
    generator = tg.manual_seed(0)
    assert generator is tg.default_generator()


def test_explicit_generator_leaves_the_global_stream_untouched():
    tg.manual_seed(7)
    expected = tg.randn(3).data
    tg.manual_seed(7)
    state = tg.default_generator().bit_generator.state
    mine = tg.randn(3, generator=np.random.default_rng(0)).data
    tg.rand(2, generator=np.random.default_rng(1))
    tg.randn_like(tg.zeros(2), generator=np.random.default_rng(2))
    assert tg.default_generator().bit_generator.state == state
    np.testing.assert_array_equal(tg.randn(3).data, expected)
    np.testing.assert_array_equal(tg.randn(3, generator=np.random.default_rng(0)).data, mine)


def test_full_infers_the_dtype_from_the_value_as_pytorch():
    assert tg.full((2,), 7).dtype == np.int64
    assert tg.full((2,), 7.0).dtype == np.float32
    assert tg.full((2,), True).dtype == np.bool_
    assert tg.full((2,), 7, dtype=np.float64).dtype == np.float64


def test_numpy_scalar_exponent_keeps_float32():
    assert (tg.ones(2) ** np.float64(2.0)).dtype == np.float32
