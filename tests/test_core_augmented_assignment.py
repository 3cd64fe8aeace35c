"""x += y, x -= y, x *= y, x /= y behave as in PyTorch: in place (same object, version bumped) where no gradient
is recorded, refused on a leaf that requires grad outside no_grad(), and the same values and gradients as
PyTorch on a tensor in the graph. The first training loop of micrograd's and PyTorch's tutorials is written
with them, so it must train here too."""
import re

import numpy as np
import pytest

import tinygrad_rnn as tg

torch = pytest.importorskip("torch", reason="PyTorch parity tests need the torch extra: pip install -e '.[torch]'")

SYMBOLS = {"+=": lambda a, b: a.__iadd__(b), "-=": lambda a, b: a.__isub__(b),
           "*=": lambda a, b: a.__imul__(b), "/=": lambda a, b: a.__itruediv__(b)}


def test_the_hand_written_update_trains_the_same_tensor_as_pytorch():
    start = np.array([1.5, -2.0, 0.5])
    ours, theirs = tg.tensor(start, requires_grad=True), torch.tensor(start, requires_grad=True)
    same_object = ours
    for _ in range(5):
        for w, lib in ((ours, tg), (theirs, torch)):
            loss = ((w * w).sum() - 1) ** 2
            loss.backward()
            with lib.no_grad():
                w -= 0.05 * w.grad
            w.grad = None
    assert ours is same_object and ours.requires_grad and ours.grad is None
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-12)
    assert ours._version == theirs._version == 5


@pytest.mark.parametrize("symbol", SYMBOLS)
def test_in_place_without_a_graph_keeps_the_object_and_bumps_its_version(symbol):
    x = tg.tensor([2.0, 4.0])
    t = torch.tensor([2.0, 4.0])
    before = x._version
    result = SYMBOLS[symbol](x, tg.tensor([1.0, 2.0]))
    SYMBOLS[symbol](t, torch.tensor([1.0, 2.0]))
    assert result is x and x._version == before + 1
    np.testing.assert_allclose(x.data, t.numpy())


@pytest.mark.parametrize("symbol", SYMBOLS)
def test_a_leaf_that_requires_grad_is_refused_outside_no_grad(symbol):
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=re.escape(symbol) + ": a leaf Variable that requires grad") as info:
        SYMBOLS[symbol](w, 1.0)
    assert "no_grad()" in str(info.value)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        SYMBOLS[symbol](torch.tensor([1.0, 2.0], requires_grad=True), 1.0)


def test_a_saved_tensor_changed_by_minus_equals_is_refused():
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    y = (w * w).sum()
    with tg.no_grad():
        w -= 1
    with pytest.raises(tg.SavedTensorModifiedError, match="modified by an inplace operation"):
        y.backward()


@pytest.mark.parametrize("symbol", SYMBOLS)
def test_on_a_tensor_in_the_graph_values_and_gradients_match_pytorch(symbol):
    start, other = np.array([0.5, -1.5, 2.0]), np.array([2.0, 0.5, -4.0])
    x, tx = tg.tensor(start, requires_grad=True), torch.tensor(start, requires_grad=True)
    o, to = tg.tensor(other, requires_grad=True), torch.tensor(other, requires_grad=True)
    h, th = x * 3, tx * 3
    h = SYMBOLS[symbol](h, o)
    th = SYMBOLS[symbol](th, to)
    (h * h).sum().backward()
    (th * th).sum().backward()
    np.testing.assert_allclose(h.data, th.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(o.grad, to.grad.numpy(), rtol=1e-12)


def test_a_shape_that_does_not_fit_names_the_operator():
    x = tg.zeros(3)
    with pytest.raises(ValueError, match=r"\+=: can't write into"):
        x += tg.ones(2, 3)
