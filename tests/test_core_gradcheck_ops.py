"""Every differentiable op passes ``gradcheck``, over many shapes drawn by Hypothesis.

``tinygrad_rnn.autograd.gradcheck(fn, inputs)`` runs ``fn`` forward, asks the backward
pass for the whole Jacobian, and compares every entry with a central difference
(f(x + eps) - f(x - eps)) / 2 eps, in float64. If an op's hand-written backward is
wrong for *some* shape (a forgotten transpose, a broadcast not summed back, an index
picked twice but counted once), one of the shapes Hypothesis draws will expose it.

How the inputs are chosen:

- shapes come from ``hypothesis.extra.numpy`` (``array_shapes``, ``mutually_broadcastable_shapes``,
  ``basic_indices``, ``integer_array_indices``);
- values come from ``arrays(...)`` with bounded floats, kept away from the points where an
  op has no derivative (0 for relu/abs, the bounds for clamp, ties for max) or no value
  (log, sqrt and division need positive / nonzero inputs).
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_rnn as tg
from tinygrad_rnn.autograd import gradcheck
from tinygrad_rnn.nn import functional as F

from helpers import leaf

SHAPES = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4)
NONSCALAR_SHAPES = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)


# --- helpers ----------------------------------------------------------------------------
def floats(shape, low=-2.0, high=2.0):
    """Arrays of ``shape`` with values in [low, high]."""
    return hnp.arrays(np.float64, shape, elements=st.floats(low, high, allow_nan=False, allow_infinity=False))


def away_from_zero(shape, low=0.2, high=2.0):
    """Arrays whose values have magnitude in [low, high] and either sign."""
    signs = hnp.arrays(np.bool_, shape)
    return st.tuples(floats(shape, low, high), signs).map(lambda ms: np.where(ms[1], ms[0], -ms[0]))


def distinct(shape):
    """Arrays with no two equal values (at least 1 apart), so max has no ties."""
    n = int(np.prod(shape))
    return st.permutations(range(n)).map(lambda p: np.array(p, dtype=np.float64).reshape(shape) - n / 2)


# --- binary arithmetic with broadcasting ------------------------------------------------
BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
}


@pytest.mark.parametrize("op", BINARY)
@given(data=st.data())
def test_binary_op_with_broadcast_shapes(op, data):
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=4))
    shape_a, shape_b = shapes.input_shapes
    a = data.draw(floats(shape_a))
    b = data.draw(away_from_zero(shape_b) if op == "div" else floats(shape_b))
    assert gradcheck(BINARY[op], (leaf(a), leaf(b)))


# Broadcasting in both directions, spelled out (Hypothesis covers these too, but a reader
# should see them): outer-product style, bias + batch, batch + bias, scalar-shaped ().
BROADCAST_CASES = [((3, 1), (1, 4)), ((4,), (2, 4)), ((2, 4), (4,)), ((), (3,)), ((3,), ()),
                   ((2, 1, 3), (4, 1)), ((5,), (1,)), ((1,), (2, 3))]


@pytest.mark.parametrize("op", BINARY)
@pytest.mark.parametrize("shape_a, shape_b", BROADCAST_CASES)
def test_binary_op_named_broadcast_cases(op, shape_a, shape_b, rng):
    a = rng.uniform(-2, 2, shape_a)
    b = rng.uniform(0.5, 2, shape_b) * rng.choice([-1, 1], shape_b)
    out = BINARY[op](leaf(a), leaf(b))
    assert out.shape == np.broadcast_shapes(shape_a, shape_b)
    assert gradcheck(BINARY[op], (leaf(a), leaf(b)))


@pytest.mark.parametrize("fn", [
    lambda x: 2 * x, lambda x: x * 2, lambda x: 1 - x, lambda x: x - 1, lambda x: 3 + x, lambda x: x + 3,
    lambda x: 1 / x, lambda x: x / 2, lambda x: -x, lambda x: 2.5 - 1 / x * 3,
], ids=["2*x", "x*2", "1-x", "x-1", "3+x", "x+3", "1/x", "x/2", "-x", "2.5-1/x*3"])
@given(x=away_from_zero((2, 3)))
@settings(max_examples=10)
def test_python_numbers_on_either_side(fn, x):
    assert gradcheck(fn, leaf(x))


@given(data=st.data())
@settings(max_examples=20)
def test_ndarray_on_the_left_of_a_tensor(data):
    """``ndarray + tensor`` goes to ``Tensor.__radd__`` (NumPy defers), so the gradient still flows."""
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3))
    constant = data.draw(away_from_zero(shapes.input_shapes[0]))
    x = data.draw(away_from_zero(shapes.input_shapes[1]))
    assert gradcheck(lambda x: constant * x + constant - constant / x, leaf(x))


# --- powers ---------------------------------------------------------------------------
@given(data=st.data(), exponent=st.sampled_from([2, 3, -1, -2, 0.5, 1.5, -2.5, 1]))
def test_pow_with_number_exponent(data, exponent):
    shape = data.draw(SHAPES)
    if float(exponent).is_integer() and exponent > 0:
        x = data.draw(floats(shape))
    elif float(exponent).is_integer():
        x = data.draw(away_from_zero(shape))     # negative integer powers: any sign, not 0
    else:
        x = data.draw(floats(shape, 0.3, 3.0))   # fractional powers: positive inputs only
    assert gradcheck(lambda x: x ** exponent, leaf(x))


# --- elementwise functions ----------------------------------------------------------------
UNARY = {
    "exp": (lambda x: x.exp(), lambda s: floats(s)),
    "log": (lambda x: x.log(), lambda s: floats(s, 0.3, 3.0)),
    "tanh": (lambda x: x.tanh(), lambda s: floats(s, -3.0, 3.0)),
    "sigmoid": (lambda x: x.sigmoid(), lambda s: floats(s, -5.0, 5.0)),
    "relu": (lambda x: x.relu(), lambda s: away_from_zero(s)),
    "abs": (lambda x: x.abs(), lambda s: away_from_zero(s)),
    "sqrt": (lambda x: x.sqrt(), lambda s: floats(s, 0.3, 3.0)),
    "neg": (lambda x: x.neg(), lambda s: floats(s)),
    "F.tanh": (F.tanh, lambda s: floats(s, -3.0, 3.0)),
    "F.sigmoid": (F.sigmoid, lambda s: floats(s, -5.0, 5.0)),
    "F.relu": (F.relu, lambda s: away_from_zero(s)),
}


@pytest.mark.parametrize("name", UNARY)
@given(data=st.data())
def test_elementwise_function(name, data):
    fn, values = UNARY[name]
    x = data.draw(values(data.draw(SHAPES)))
    assert gradcheck(fn, leaf(x))


def test_relu_and_abs_gradients_are_exact_step_and_sign():
    """Away from 0 gradcheck can only see a slope; check the 0/1 and -1/+1 pattern directly."""
    x = leaf([-2.0, -0.5, 0.5, 3.0])
    x.relu().sum().backward()
    np.testing.assert_array_equal(x.grad, [0, 0, 1, 1])
    x.grad = None
    x.abs().sum().backward()
    np.testing.assert_array_equal(x.grad, [-1, -1, 1, 1])


# --- clamp / clip ----------------------------------------------------------------------
def off_grid(shape):
    """Values k/10 + 0.05: never within 0.05 of the clamp bounds -0.5 and 0.5 used below."""
    return hnp.arrays(np.int64, shape, elements=st.integers(-15, 14)).map(lambda k: k / 10 + 0.05)


@pytest.mark.parametrize("fn", [
    lambda x: x.clamp(-0.5, 0.5), lambda x: x.clamp(min=-0.5), lambda x: x.clamp(max=0.5),
    lambda x: x.clip(-0.5, 0.5),
], ids=["clamp(min,max)", "clamp(min)", "clamp(max)", "clip"])
@given(data=st.data())
@settings(max_examples=20)
def test_clamp(fn, data):
    x = data.draw(off_grid(data.draw(SHAPES)))
    assert gradcheck(fn, leaf(x))


def test_clamp_gradient_is_one_inside_zero_outside():
    x = leaf([-2.0, -0.2, 0.3, 4.0])
    x.clamp(-1, 1).sum().backward()
    np.testing.assert_array_equal(x.grad, [0, 1, 1, 0])


# --- where -------------------------------------------------------------------------------
@given(data=st.data())
def test_where_with_broadcasting(data):
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=3, max_side=3))
    shape_c, shape_a, shape_b = shapes.input_shapes
    condition = tg.Tensor(data.draw(hnp.arrays(np.bool_, shape_c)))
    a, b = data.draw(floats(shape_a)), data.draw(floats(shape_b))
    assert gradcheck(lambda a, b: tg.where(condition, a, b), (leaf(a), leaf(b)))


def test_where_sends_gradient_to_the_chosen_side_only():
    a, b = leaf([1.0, 2.0, 3.0]), leaf([10.0, 20.0, 30.0])
    tg.where(tg.Tensor([True, False, True]), a, b).sum().backward()
    np.testing.assert_array_equal(a.grad, [1, 0, 1])
    np.testing.assert_array_equal(b.grad, [0, 1, 0])


# --- matmul ------------------------------------------------------------------------------
@st.composite
def matmul_shapes(draw):
    """Shapes for every kind of ``a @ b``: vector.vector, vector@matrix, matrix@vector,
    matrix@matrix, and batches whose batch dims broadcast (possibly against a vector)."""
    n, k, m = (draw(st.integers(1, 4)) for _ in range(3))
    kind = draw(st.sampled_from(["vv", "vm", "mv", "mm", "batched", "v@batched", "batched@v"]))
    batch_a, batch_b = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=1, max_dims=2,
                                                               max_side=3)).input_shapes
    return {
        "vv": ((k,), (k,)),
        "vm": ((k,), (k, m)),
        "mv": ((n, k), (k,)),
        "mm": ((n, k), (k, m)),
        "batched": (batch_a + (n, k), batch_b + (k, m)),
        "v@batched": ((k,), batch_b + (k, m)),
        "batched@v": (batch_a + (n, k), (k,)),
    }[kind]


@given(shapes=matmul_shapes(), data=st.data())
@settings(max_examples=60)
def test_matmul_all_kinds(shapes, data):
    a, b = (data.draw(floats(s)) for s in shapes)
    assert (leaf(a) @ leaf(b)).shape == np.matmul(a, b).shape
    assert gradcheck(lambda a, b: a @ b, (leaf(a), leaf(b)))


@pytest.mark.parametrize("shape_a, shape_b", [
    ((3,), (3,)), ((3,), (3, 2)), ((2, 3), (3,)), ((2, 3), (3, 4)),
    ((2, 1, 3, 4), (5, 4, 2)),          # batch dims (2, 1) and (5,) broadcast to (2, 5)
    ((4, 2, 3), (3, 2)), ((3, 2), (4, 2, 3)), ((1, 2, 3), (4, 3, 1)),
])
def test_matmul_named_cases(shape_a, shape_b, rng):
    a, b = rng.standard_normal(shape_a), rng.standard_normal(shape_b)
    np.testing.assert_allclose((leaf(a) @ leaf(b)).data, a @ b)
    assert gradcheck(lambda a, b: a @ b, (leaf(a), leaf(b)))
    assert gradcheck(lambda a: a @ tg.Tensor(b), leaf(a))          # only one side requires grad
    assert gradcheck(lambda b: np.asarray(a) @ b, leaf(b))         # ndarray @ tensor (__rmatmul__)


# --- reductions --------------------------------------------------------------------------
@st.composite
def reduce_args(draw, values=floats):
    """(x, dim, keepdim): dim is None, an int (maybe negative) or a tuple (maybe with negatives)."""
    shape = draw(NONSCALAR_SHAPES)
    ndim = len(shape)
    kind = draw(st.sampled_from(["all", "int", "tuple"]))
    if kind == "all":
        dim = None
    elif kind == "int":
        dim = draw(st.integers(-ndim, ndim - 1))
    else:
        axes = draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True))
        dim = tuple(a - ndim if draw(st.booleans()) else a for a in axes)
    return draw(values(shape)), dim, draw(st.booleans())


@pytest.mark.parametrize("op", ["sum", "mean"])
@given(args=reduce_args())
def test_sum_and_mean(op, args):
    x, dim, keepdim = args
    axis = dim if dim is None or isinstance(dim, int) else tuple(d % x.ndim for d in dim)
    expected = getattr(np, op)(x, axis=axis, keepdims=keepdim)
    out = getattr(leaf(x), op)(dim=dim, keepdim=keepdim)
    assert out.shape == expected.shape
    np.testing.assert_allclose(out.data, expected)
    assert gradcheck(lambda x: getattr(x, op)(dim=dim, keepdim=keepdim), leaf(x))


@given(args=reduce_args(values=distinct))
def test_amax(args):
    x, dim, keepdim = args
    axis = dim if dim is None or isinstance(dim, int) else tuple(d % x.ndim for d in dim)
    np.testing.assert_array_equal(leaf(x).amax(dim, keepdim).data, np.max(x, axis=axis, keepdims=keepdim))
    assert gradcheck(lambda x: x.amax(dim=dim, keepdim=keepdim), leaf(x))


@given(data=st.data())
def test_max_values_and_indices(data):
    x = data.draw(distinct(data.draw(NONSCALAR_SHAPES)))
    dim = data.draw(st.integers(-x.ndim, x.ndim - 1))
    keepdim = data.draw(st.booleans())
    values, indices = leaf(x).max(dim, keepdim=keepdim)
    np.testing.assert_array_equal(indices.data, np.argmax(x, axis=dim, keepdims=keepdim))
    np.testing.assert_array_equal(values.data, np.max(x, axis=dim, keepdims=keepdim))
    assert gradcheck(lambda x: x.max(dim, keepdim=keepdim).values, leaf(x))
    assert gradcheck(lambda x: x.max(), leaf(x))


def test_max_shares_the_gradient_among_ties():
    x = leaf([1.0, 3.0, 3.0, 2.0])
    x.amax().backward()
    np.testing.assert_array_equal(x.grad, [0, 0.5, 0.5, 0])


@pytest.mark.parametrize("op", ["sum", "mean", "amax"])
def test_reductions_of_a_scalar_shaped_tensor(op):
    x = leaf(1.5)
    assert getattr(x, op)().shape == ()
    assert gradcheck(lambda x: getattr(x, op)(), x)


# --- reshaping and moving axes -------------------------------------------------------------
@given(data=st.data())
def test_reshape_and_view(data):
    shape = data.draw(SHAPES)
    size = int(np.prod(shape))
    target = data.draw(st.sampled_from([(-1,), (size,), (1, size), (size, 1), tuple(reversed(shape)),
                                        (1,) + tuple(shape) + (1,)]))
    x = data.draw(floats(shape))
    assert leaf(x).reshape(target).shape == x.reshape(target).shape
    weights = tg.Tensor(np.arange(size, dtype=np.float64).reshape(target))  # every position counts differently
    assert gradcheck(lambda x: x.reshape(target) * weights, leaf(x))
    assert gradcheck(lambda x: x.view(*target).exp(), leaf(x))


@given(data=st.data())
def test_unsqueeze_and_squeeze(data):
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=2))
    x = data.draw(floats(shape))
    ndim = len(shape)
    dim = data.draw(st.integers(-ndim - 1, ndim))
    assert leaf(x).unsqueeze(dim).shape == np.expand_dims(x, dim).shape
    assert gradcheck(lambda x: x.unsqueeze(dim).tanh(), leaf(x))
    assert leaf(x).squeeze().shape == np.squeeze(x).shape
    assert gradcheck(lambda x: x.squeeze().tanh(), leaf(x))
    if ndim:
        d = data.draw(st.integers(-ndim, ndim - 1))
        expected = np.squeeze(x, d).shape if shape[d] == 1 else shape   # PyTorch: no-op unless size 1
        assert leaf(x).squeeze(d).shape == expected
        assert gradcheck(lambda x: x.squeeze(d).tanh(), leaf(x))


@given(data=st.data())
def test_permute_transpose_and_T(data):
    x = data.draw(floats(data.draw(NONSCALAR_SHAPES)))
    ndim = x.ndim
    weights = tg.Tensor(np.arange(x.size, dtype=np.float64))  # makes every position count differently
    order = tuple(data.draw(st.permutations(range(ndim))))
    d0, d1 = data.draw(st.integers(-ndim, ndim - 1)), data.draw(st.integers(-ndim, ndim - 1))
    np.testing.assert_array_equal(leaf(x).permute(*order).data, np.transpose(x, order))
    np.testing.assert_array_equal(leaf(x).transpose(d0, d1).data, np.swapaxes(x, d0, d1))
    np.testing.assert_array_equal(leaf(x).T.data, x.T)
    assert gradcheck(lambda x: x.permute(order).reshape(-1) * weights, leaf(x))
    assert gradcheck(lambda x: x.transpose(d0, d1).reshape(-1) * weights, leaf(x))
    assert gradcheck(lambda x: x.T.reshape(-1) * weights, leaf(x))


# --- indexing ------------------------------------------------------------------------------
@given(data=st.data())
def test_basic_indexing_ints_slices_negative_steps(data):
    shape = data.draw(NONSCALAR_SHAPES)
    x = data.draw(floats(shape))
    index = data.draw(hnp.basic_indices(shape, allow_newaxis=True, allow_ellipsis=True))
    np.testing.assert_array_equal(leaf(x)[index].data, x[index])
    assert gradcheck(lambda x: x[index], leaf(x))


@given(data=st.data())
def test_integer_array_indexing_accumulates_repeats(data):
    shape = data.draw(NONSCALAR_SHAPES)
    x = data.draw(floats(shape))
    index = data.draw(hnp.integer_array_indices(shape, result_shape=hnp.array_shapes(min_dims=1, max_dims=2,
                                                                                       max_side=6)))
    np.testing.assert_array_equal(leaf(x)[index].data, x[index])
    assert gradcheck(lambda x: x[index], leaf(x))


def test_repeated_index_counts_every_pick():
    """x[[0, 0, 2, 0]].sum() uses x0 three times and x2 once: the gradient must count them."""
    x = leaf([5.0, 6.0, 7.0])
    x[[0, 0, 2, 0]].sum().backward()
    np.testing.assert_array_equal(x.grad, [3, 0, 1])
    y = leaf(np.ones((3, 2)))
    y[tg.Tensor([2, 2]), 1].sum().backward()     # a Tensor index works like an array
    np.testing.assert_array_equal(y.grad, [[0, 0], [0, 0], [0, 2]])


@given(data=st.data())
def test_bool_mask_indexing(data):
    shape = data.draw(NONSCALAR_SHAPES)
    x = data.draw(floats(shape))
    mask = data.draw(hnp.arrays(np.bool_, shape))
    np.testing.assert_array_equal(leaf(x)[mask].data, x[mask])
    assert gradcheck(lambda x: x[mask], leaf(x))
    assert gradcheck(lambda x: x[tg.Tensor(mask)] * 2, leaf(x))      # a bool Tensor as the mask
    row_mask = data.draw(hnp.arrays(np.bool_, shape[:1]))
    assert gradcheck(lambda x: x[row_mask], leaf(x))                  # a mask over the first dim only


@pytest.mark.parametrize("index", [
    (1, slice(None, None, -1)), (slice(None), [2, 0, 2]), ([0, 0], slice(1, 3)), (Ellipsis, 1),
    ([1, 0, 1], [3, 3, 3]), (np.array([True, False, True]), slice(None, None, 2)), (-1, -2), (None, 0, [1, 1]),
], ids=["int,negstep", "slice,repeat-array", "repeat-array,slice", "ellipsis,int", "array,array",
        "mask,step", "negative-ints", "newaxis,int,array"])
def test_indexing_tuples_mixing_kinds(index, rng):
    x = rng.standard_normal((3, 4))
    np.testing.assert_array_equal(leaf(x)[index].data, x[index])
    assert gradcheck(lambda x: x[index], leaf(x))


# --- joining and splitting -------------------------------------------------------------------
@given(data=st.data())
def test_cat_along_any_dim(data):
    shape = data.draw(NONSCALAR_SHAPES)
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    sizes = data.draw(st.lists(st.integers(1, 3), min_size=1, max_size=3))
    arrays = []
    for size in sizes:
        piece_shape = list(shape)
        piece_shape[dim] = size
        arrays.append(data.draw(floats(tuple(piece_shape))))
    np.testing.assert_array_equal(tg.cat([leaf(a) for a in arrays], dim=dim).data, np.concatenate(arrays, dim))
    assert gradcheck(lambda *xs: tg.cat(xs, dim=dim), tuple(leaf(a) for a in arrays))


@given(data=st.data())
def test_stack_along_any_dim(data):
    shape = data.draw(SHAPES)
    dim = data.draw(st.integers(-len(shape) - 1, len(shape)))
    arrays = [data.draw(floats(shape)) for _ in range(data.draw(st.integers(1, 3)))]
    np.testing.assert_array_equal(tg.stack([leaf(a) for a in arrays], dim=dim).data, np.stack(arrays, dim))
    assert gradcheck(lambda *xs: tg.stack(xs, dim=dim), tuple(leaf(a) for a in arrays))


@given(data=st.data())
def test_split_and_chunk_including_uneven_last_piece(data):
    shape = data.draw(NONSCALAR_SHAPES)
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    x = data.draw(floats(shape))
    n = shape[dim]
    size = data.draw(st.integers(1, n + 1))
    pieces = leaf(x).split(size, dim)
    expected = np.split(x, list(range(size, n, size)), axis=dim)   # the last piece may be smaller
    assert [p.shape for p in pieces] == [e.shape for e in expected]
    assert gradcheck(lambda x: x.split(size, dim), leaf(x))          # gradcheck accepts a tuple of outputs
    chunks = data.draw(st.integers(1, n + 1))
    assert sum(c.shape[dim] for c in leaf(x).chunk(chunks, dim)) == n
    assert gradcheck(lambda x: x.chunk(chunks, dim), leaf(x))


def test_split_with_listed_sizes_and_unused_pieces(rng):
    x = rng.standard_normal((7, 2))
    assert [p.shape for p in leaf(x).split([2, 4, 1])] == [(2, 2), (4, 2), (1, 2)]
    assert [p.shape for p in leaf(x).chunk(3)] == [(3, 2), (3, 2), (1, 2)]    # uneven last chunk
    assert gradcheck(lambda x: x.split([2, 4, 1])[1].exp(), leaf(x))          # pieces 0 and 2 unused
    t = leaf(x)
    t.split([2, 4, 1])[1].sum().backward()
    np.testing.assert_array_equal(t.grad, np.r_[np.zeros((2, 2)), np.ones((4, 2)), np.zeros((1, 2))])


# --- casts ------------------------------------------------------------------------------------
@given(x=floats((2, 3)))
@settings(max_examples=10)
def test_float_and_double_casts(x):
    # float32 keeps ~7 digits, so the finite difference needs a larger step; the op is linear so
    # the central difference is exact apart from float32 rounding.
    assert gradcheck(lambda x: x.float() * 3, leaf(x), eps=1e-2, atol=1e-4)
    assert gradcheck(lambda x: x.float().double().tanh(), leaf(x), eps=1e-2, atol=1e-3, rtol=1e-2)
    assert gradcheck(lambda x: x.double() * 3, leaf(x))


def test_cast_backward_returns_the_input_dtype():
    x32 = tg.Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    y = x32.double()
    assert y.dtype == np.float64
    (y * 2).sum().backward()
    assert x32.grad.dtype == np.float32
    np.testing.assert_array_equal(x32.grad, [2, 2, 2])
    x64 = tg.Tensor(np.ones(2), requires_grad=True)
    (x64.float() * 3).sum().backward()
    assert x64.grad.dtype == np.float64
    np.testing.assert_array_equal(x64.grad, [3, 3])


# --- functional -------------------------------------------------------------------------------
@pytest.mark.parametrize("fn", [F.softmax, F.log_softmax], ids=["softmax", "log_softmax"])
@given(data=st.data())
def test_softmax_and_log_softmax_any_dim(fn, data):
    x = data.draw(floats(data.draw(NONSCALAR_SHAPES), -5, 5))
    dim = data.draw(st.integers(-x.ndim, x.ndim - 1))
    assert gradcheck(lambda x: fn(x, dim=dim), leaf(x))


@given(data=st.data(), reduction=st.sampled_from(["mean", "sum", "none"]))
def test_cross_entropy(data, reduction):
    n, classes = data.draw(st.integers(1, 4)), data.draw(st.integers(1, 5))
    logits = data.draw(floats((n, classes), -5, 5))
    target = data.draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, classes - 1)))
    assert gradcheck(lambda x: F.cross_entropy(x, target, reduction=reduction), leaf(logits))
    assert gradcheck(lambda x: F.cross_entropy(x[0], target[0], reduction=reduction), leaf(logits))


@given(data=st.data(), reduction=st.sampled_from(["mean", "sum", "none"]))
def test_mse_loss(data, reduction):
    shape = data.draw(SHAPES)
    a, b = data.draw(floats(shape)), data.draw(floats(shape))
    assert gradcheck(lambda a, b: F.mse_loss(a, b, reduction=reduction), (leaf(a), leaf(b)))
