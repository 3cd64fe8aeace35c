"""Error messages: each names what went wrong, with the shapes involved, and how to fix it.

A learner who writes ``h @ W`` instead of ``h @ W.T`` should read "matmul: shapes (2, 3)
and (4, 3) don't line up ..." — not a bare NumPy traceback. So every op error starts
with the op's name, and the NumPy exception it came from is not chained onto it.
"""
import re

import numpy as np
import pytest

import tinygrad_rnn as tg
from tinygrad_rnn.nn import functional as F

from helpers import leaf


def ones_leaf(shape):
    """A leaf of ones: these tests only look at shapes."""
    return leaf(np.ones(shape))


def shapes_pattern(*shapes):
    """A regex matching the shapes, in order, anywhere in the message."""
    return ".*".join(re.escape(str(tuple(s))) for s in shapes)


# --- backward ----------------------------------------------------------------------------------
def test_backward_on_non_scalar_names_shape_and_fix():
    y = ones_leaf((2, 3)) * 2
    with pytest.raises(RuntimeError, match=r"one-element tensor.*shape \(2, 3\)") as err:
        y.backward()
    message = str(err.value)
    assert ".sum()" in message and "backward(gradient)" in message    # both ways to fix it


def test_backward_on_tensor_that_does_not_require_grad():
    with pytest.raises(RuntimeError, match=r"^backward: .*does not require grad.*requires_grad=True"):
        tg.Tensor([1.0, 2.0]).sum().backward()


def test_backward_without_a_graph_names_the_cause_when_it_is_known():
    w = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"made by \.detach\(\).*Fix: call backward\(\) on the tensor it was"):
        (w * 2).detach().backward(tg.ones(2))
    with tg.no_grad():
        loss = (w * 2).sum()
        with pytest.raises(RuntimeError, match=r"switched off here \(inside no_grad\(\).*outside that block"):
            loss.backward()
    with pytest.raises(RuntimeError, match=r"requires_grad=True.*no_grad\(\).*x\.detach\(\)"):
        loss.backward()                 # outside the block now: the general advice, every cause named


def test_backward_with_gradient_of_wrong_shape():
    y = ones_leaf((2, 3)) * 2
    with pytest.raises(RuntimeError, match=r"gradient has shape \(3,\) but the tensor has shape \(2, 3\)"):
        y.backward(np.ones(3))


# --- requires_grad ------------------------------------------------------------------------------
@pytest.mark.parametrize("make", [
    lambda: tg.Tensor([1, 2, 3], requires_grad=True),
    lambda: tg.tensor(np.arange(3), requires_grad=True),
    lambda: tg.arange(3).requires_grad_(),
    lambda: tg.Tensor(True, requires_grad=True),
], ids=["Tensor(list of ints)", "tensor(int array)", "arange.requires_grad_", "bool"])
def test_requires_grad_on_integer_tensor_is_a_type_error(make):
    with pytest.raises(TypeError, match=r"requires_grad: only floating point.*Fix: .*float\(\)"):
        make()


def test_requires_grad_false_on_an_op_output():
    y = ones_leaf(2) * 2
    with pytest.raises(RuntimeError, match=r"requires_grad: .*output of an op.*detach\(\)"):
        y.requires_grad = False


# --- op errors: each starts with the op name -----------------------------------------------------
OP_ERRORS = [
    # (description, call, exception type, op name, regex the message must also match)
    ("add broadcast", lambda: ones_leaf((2, 3)) + ones_leaf((4,)), ValueError, "add", shapes_pattern((2, 3), (4,))),
    ("sub broadcast", lambda: ones_leaf((2, 3)) - ones_leaf((2,)), ValueError, "sub", shapes_pattern((2, 3), (2,))),
    ("mul broadcast", lambda: ones_leaf((3,)) * ones_leaf((2, 4)), ValueError, "mul", shapes_pattern((3,), (2, 4))),
    ("div broadcast", lambda: ones_leaf((5, 1, 2)) / ones_leaf((3, 3)), ValueError, "div",
     shapes_pattern((5, 1, 2), (3, 3))),
    ("matmul inner dim", lambda: ones_leaf((2, 3)) @ ones_leaf((4, 5)), ValueError, "matmul",
     shapes_pattern((2, 3), (4, 5)) + r".*\(3\).*\(4\)"),
    ("matmul W not transposed", lambda: ones_leaf((2, 3)) @ ones_leaf((4, 3)), ValueError, "matmul",
     shapes_pattern((2, 3), (4, 3)) + r".*\.T"),
    ("matmul vector", lambda: ones_leaf((3,)) @ ones_leaf((4,)), ValueError, "matmul", shapes_pattern((3,), (4,))),
    ("matmul batch", lambda: ones_leaf((2, 3, 4)) @ ones_leaf((3, 4, 5)), ValueError, "matmul",
     shapes_pattern((2, 3, 4), (3, 4, 5))),
    ("matmul scalar", lambda: ones_leaf(()) @ ones_leaf((3,)), ValueError, "matmul", r"\*"),
    ("reshape count", lambda: ones_leaf((2, 3)).reshape(4, 2), ValueError, "reshape",
     shapes_pattern((2, 3)) + r".*6 elements.*" + shapes_pattern((4, 2))),
    ("view count", lambda: ones_leaf((2, 3)).view(5), ValueError, "reshape", r"\(2, 3\).*\(5,\)"),
    ("index out of range", lambda: ones_leaf((3,))[5], IndexError, "getitem", r"5.*\(3,\)"),
    ("index too many dims", lambda: ones_leaf((3,))[0, 0], IndexError, "getitem", r"\(3,\)"),
    ("array index out of range", lambda: ones_leaf((2, 2))[[0, 2]], IndexError, "getitem", r"\(2, 2\)"),
    ("sum dim", lambda: ones_leaf((2, 3)).sum(dim=2), IndexError, "sum", r"dim 2 is out of range.*\[-2, 1\]"),
    ("sum negative dim", lambda: ones_leaf((2, 3)).sum(dim=-3), IndexError, "sum", r"dim -3 is out of range"),
    ("sum tuple dim", lambda: ones_leaf((2, 3)).sum(dim=(0, 5)), IndexError, "sum", r"dim 5 is out of range"),
    ("mean dim", lambda: ones_leaf((2, 3)).mean(dim=3), IndexError, "mean", r"dim 3 is out of range"),
    ("amax dim", lambda: ones_leaf((2, 3)).amax(dim=2), IndexError, "max", r"dim 2 is out of range"),
    ("max of empty", lambda: ones_leaf((0,)).amax(), ValueError, "max", r"empty"),
    ("permute repeats", lambda: ones_leaf((2, 3)).permute(0, 0), ValueError, "permute", r"\(2, 3\)"),
    ("permute out of range", lambda: ones_leaf((2, 3)).permute(0, 3), ValueError, "permute", r"\(0, 3\)"),
    ("unsqueeze out of range", lambda: ones_leaf((2, 3)).unsqueeze(4), IndexError, "unsqueeze",
     r"dim 4.*\(2, 3\)"),
    ("cat shapes", lambda: tg.cat([ones_leaf((2, 3)), ones_leaf((2, 4))], dim=0), ValueError, "cat",
     shapes_pattern((2, 3), (2, 4)) + r".*except dim 0"),
    ("cat ndim", lambda: tg.cat([ones_leaf((2, 3)), ones_leaf((3,))]), ValueError, "cat", r"same number of dims"),
    ("cat dim", lambda: tg.cat([ones_leaf((2, 3)), ones_leaf((2, 3))], dim=2), IndexError, "cat", r"dim 2"),
    ("cat empty", lambda: tg.cat([]), ValueError, "cat", r"non-empty"),
    ("stack shapes", lambda: tg.stack([ones_leaf((2, 3)), ones_leaf((3, 2))]), ValueError, "stack",
     r"same shape.*" + shapes_pattern((2, 3), (3, 2))),
    ("where condition", lambda: tg.where(tg.Tensor([1.0, 0.0]), ones_leaf((2,)), ones_leaf((2,))), TypeError, "where",
     r"bool"),
    ("where broadcast", lambda: tg.where(tg.Tensor([True, False]), ones_leaf((3,)), ones_leaf((2,))), ValueError,
     "where", r"\(2,\), \(3,\), \(2,\)"),
    ("pow tensor exponent", lambda: ones_leaf((2,)) ** ones_leaf((2,)), TypeError, "pow", r"number exponent"),
    ("clamp without bounds", lambda: ones_leaf((2,)).clamp(), ValueError, "clamp", r"min and max"),
    ("split sizes", lambda: ones_leaf((5,)).split([2, 2]), ValueError, "split", r"\[2, 2\].*4.*size 5"),
    ("split size", lambda: ones_leaf((5,)).split(0), ValueError, "split", r"positive"),
    ("item", lambda: ones_leaf((3,)).item(), ValueError, "item", r"one-element.*shape \(3,\)"),
    ("bool", lambda: bool(ones_leaf((2,))), ValueError, "bool", r"ambiguous"),
    ("numpy", lambda: ones_leaf((3,)).numpy(), RuntimeError, "numpy", r"requires grad.*detach\(\)\.numpy\(\)"),
    ("tensor from object", lambda: tg.Tensor({"a": 1}), TypeError, "Tensor", r"dict"),
    ("cross_entropy target too big", lambda: F.cross_entropy(ones_leaf((2, 3)), [0, 3]), IndexError,
     "cross_entropy", r"\[0, 2\]"),
    ("cross_entropy target negative", lambda: F.cross_entropy(ones_leaf((2, 3)), [-1, 0]), IndexError,
     "cross_entropy", r"\[0, 2\].*-1"),
    ("cross_entropy float target", lambda: F.cross_entropy(ones_leaf((2, 3)), np.array([0.0, 1.0])), TypeError,
     "cross_entropy", r"integer class indices.*float64"),
    ("cross_entropy target shape", lambda: F.cross_entropy(ones_leaf((2, 3)), [0, 1, 2]), ValueError,
     "cross_entropy", shapes_pattern((3,), (2, 3)) + r".*\(2,\)"),
    ("cross_entropy input ndim", lambda: F.cross_entropy(ones_leaf((4, 2, 3)), [0]), ValueError,
     "cross_entropy", r"\(4, 2, 3\).*reshape"),
    ("cross_entropy reduction", lambda: F.cross_entropy(ones_leaf((2, 3)), [0, 1], reduction="avg"), ValueError,
     "cross_entropy", r"'avg'"),
    ("mse_loss shapes", lambda: F.mse_loss(ones_leaf((4, 1)), ones_leaf((4,))), ValueError, "mse_loss",
     shapes_pattern((4, 1), (4,))),
    ("mse_loss reduction", lambda: F.mse_loss(ones_leaf((2,)), ones_leaf((2,)), reduction="max"), ValueError,
     "mse_loss", r"'max'"),
]


@pytest.mark.parametrize("description, call, error, op, pattern", OP_ERRORS, ids=[e[0] for e in OP_ERRORS])
def test_op_error_starts_with_op_name_and_explains(description, call, error, op, pattern):
    with pytest.raises(error) as err:
        call()
    message = str(err.value)
    assert message.startswith(f"{op}:"), message
    assert re.search(pattern, message, re.DOTALL), f"{pattern!r} not found in: {message}"


@pytest.mark.parametrize("call", [
    lambda: ones_leaf((2, 3)) + ones_leaf((4,)),
    lambda: ones_leaf((2, 3)) @ ones_leaf((4, 5)),
    lambda: ones_leaf((2, 3)).reshape(4, 2),
    lambda: ones_leaf((3,))[5],
    lambda: ones_leaf((2, 3)).sum(dim=2),
    lambda: tg.stack([ones_leaf((2, 3)), ones_leaf((2, 3))], dim=5),
], ids=["add", "matmul", "reshape", "getitem", "sum", "stack dim"])
def test_no_numpy_traceback_is_chained(call):
    """The op's error replaces NumPy's (``raise ... from None``): one message, not two tracebacks."""
    with pytest.raises((ValueError, IndexError, TypeError)) as err:
        call()
    assert err.value.__cause__ is None
    assert err.value.__suppress_context__ or err.value.__context__ is None


def test_gradient_of_wrong_shape_from_grad():
    y = ones_leaf((2,)) * 2
    with pytest.raises(RuntimeError, match=r"grad: grad_outputs has shape \(3,\), the output \(2,\)"):
        tg.autograd.grad(y, [], grad_outputs=np.ones(3))


# --- dims out of range / repeated, found while reviewing -----------------------------------
@pytest.mark.parametrize("call,op", [(lambda x: x.squeeze(5), "squeeze"), (lambda x: x.transpose(0, 4), "transpose"),
                                     (lambda x: x.transpose(-3, 1), "transpose")])
def test_dim_out_of_range_names_the_op(call, op):
    with pytest.raises(IndexError, match=rf"^{op}: dim -?\d is out of range .* \[-2, 1\]"):
        call(tg.ones(2, 3))


def test_repeated_dim_in_a_reduction_is_an_error():
    with pytest.raises(ValueError, match=r"^sum: dim -2 appears more than once"):
        tg.ones(2, 3).sum(dim=(0, -2))
