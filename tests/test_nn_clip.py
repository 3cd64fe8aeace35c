"""nn.utils.clip_grad_norm_ and clip_grad_value_: PyTorch's rule
coef = max_norm / (total_norm + 1e-6), clamped at 1, applied in place to every gradient."""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_rnn as tg
from tinygrad_rnn.nn.utils import clip_grad_norm_, clip_grad_value_


def _with_grad(grad, dtype=np.float64):
    p = tg.Tensor(np.zeros(np.shape(grad), dtype=dtype), requires_grad=True)
    p.grad = np.array(grad, dtype=dtype)
    return p


def _params(rng, shapes=((3, 4), (5,), (2, 2, 2)), scale=1.0):
    return [_with_grad(scale * rng.standard_normal(s)) for s in shapes]


# --- clip_grad_norm_ ---------------------------------------------------------------
def test_total_norm_is_the_norm_of_all_gradients_concatenated(rng):
    params = _params(rng)
    everything = np.concatenate([p.grad.ravel() for p in params])
    total = clip_grad_norm_(params, max_norm=1e9)
    assert isinstance(total, tg.Tensor) and total.shape == ()
    assert total.item() == pytest.approx(math.sqrt(np.sum(everything ** 2)), rel=1e-12)
    assert isinstance(total.item(), float)


def test_below_the_threshold_nothing_changes_bit_for_bit(rng):
    params = _params(rng)
    before = [p.grad.copy() for p in params]
    total = clip_grad_norm_(params, max_norm=2 * math.sqrt(sum(np.sum(g ** 2) for g in before)))
    for p, g in zip(params, before):
        np.testing.assert_array_equal(p.grad, g)
    assert total.item() > 0


def test_above_the_threshold_all_grads_shrink_by_one_factor(rng):
    params = _params(rng, scale=10.0)
    before = [p.grad.copy() for p in params]
    arrays = [p.grad for p in params]
    total = math.sqrt(sum(np.sum(g ** 2) for g in before))
    returned = clip_grad_norm_(params, max_norm=1.0)
    assert returned.item() == pytest.approx(total, rel=1e-12)          # the norm before clipping
    coef = 1.0 / (total + 1e-6)
    for p, g, array in zip(params, before, arrays):
        assert p.grad is array                                          # in place
        np.testing.assert_allclose(p.grad, coef * g, rtol=1e-14)       # same direction, one factor
    new_total = math.sqrt(sum(np.sum(p.grad ** 2) for p in params))
    assert new_total == pytest.approx(total / (total + 1e-6), rel=1e-12)
    assert new_total < 1.0


def test_inf_norm_is_the_largest_absolute_entry():
    params = [_with_grad([1.0, -7.0]), _with_grad([[3.0, 2.0], [-4.0, 0.5]])]
    total = clip_grad_norm_(params, max_norm=3.5, norm_type=float("inf"))
    assert total.item() == 7.0
    coef = 3.5 / (7.0 + 1e-6)
    np.testing.assert_allclose(params[0].grad, coef * np.array([1.0, -7.0]), rtol=1e-15)
    np.testing.assert_allclose(params[1].grad, coef * np.array([[3.0, 2.0], [-4.0, 0.5]]), rtol=1e-15)


@pytest.mark.parametrize("norm_type", [1.0, 3.0])
def test_other_p_norms(norm_type):
    grads = [np.array([1.0, -2.0]), np.array([3.0])]
    total = clip_grad_norm_([_with_grad(g) for g in grads], max_norm=1e9, norm_type=norm_type)
    assert total.item() == pytest.approx((1 + 2 ** norm_type + 3 ** norm_type) ** (1 / norm_type), rel=1e-12)


def test_accepts_a_single_tensor_and_skips_none_grads():
    single = _with_grad([30.0, 40.0])
    assert clip_grad_norm_(single, 5.0).item() == 50.0
    np.testing.assert_allclose(single.grad, np.array([30.0, 40.0]) * 5.0 / (50.0 + 1e-6), rtol=1e-15)
    no_grad = tg.Tensor(np.ones(3), requires_grad=True)
    total = clip_grad_norm_([no_grad, _with_grad([3.0, 4.0])], 100.0)
    assert total.item() == 5.0 and no_grad.grad is None


def test_generator_of_parameters_and_no_gradients_at_all():
    params = [_with_grad([3.0, 4.0])]
    assert clip_grad_norm_(iter(params), 1.0).item() == 5.0
    empty = clip_grad_norm_([tg.Tensor(np.ones(2), requires_grad=True)], 1.0)
    assert empty.item() == 0.0 and empty.shape == ()


def test_float32_grads_stay_float32():
    p = _with_grad([3.0, 4.0], dtype=np.float32)
    total = clip_grad_norm_(p, 1.0)
    assert p.grad.dtype == np.float32 and total.dtype == np.float32


def test_nonfinite_total_norm():
    bad = [_with_grad([1.0, np.nan]), _with_grad([2.0])]
    with pytest.raises(RuntimeError, match="clip_grad_norm_: the total norm of order 2.0 .* non-finite.*"
                                           "error_if_nonfinite=False"):
        clip_grad_norm_(bad, 1.0, error_if_nonfinite=True)
    np.testing.assert_array_equal(bad[1].grad, [2.0])                  # nothing was changed
    # without the flag, PyTorch scales by the non-finite coefficient anyway
    assert math.isnan(clip_grad_norm_(bad, 1.0).item())
    assert np.isnan(bad[1].grad).all()


def test_argument_errors():
    with pytest.raises(TypeError, match="clip_grad_norm_: every parameter must be a Tensor, got a ndarray"):
        clip_grad_norm_([np.ones(3)], 1.0)
    with pytest.raises(TypeError, match="clip_grad_norm_: parameters must be a Tensor or an iterable"):
        clip_grad_norm_(3.0, 1.0)
    with pytest.raises(ValueError, match=r"clip_grad_norm_: max_norm must be >= 0, got -1.*Fix: .*max_norm=1\.0"):
        clip_grad_norm_([_with_grad([1.0])], -1.0)


@given(grad=hnp.arrays(np.float64, st.integers(1, 8), elements=st.floats(-1e3, 1e3)),
       max_norm=st.floats(0.01, 100.0))
def test_after_clipping_the_norm_is_at_most_max_norm(grad, max_norm):
    p = _with_grad(grad)
    total = clip_grad_norm_(p, max_norm).item()
    assert np.linalg.norm(p.grad) <= max_norm * (1 + 1e-12)
    if total < max_norm:
        np.testing.assert_array_equal(p.grad, grad)


# --- clip_grad_value_ --------------------------------------------------------------
def test_clip_grad_value_clamps_each_entry_in_place():
    a, b = _with_grad([-5.0, -0.5, 0.0, 0.5, 5.0]), _with_grad([[2.0, -2.0]])
    none = tg.Tensor(np.ones(2), requires_grad=True)
    array = a.grad
    assert clip_grad_value_([a, b, none], 1.0) is None
    np.testing.assert_array_equal(a.grad, [-1.0, -0.5, 0.0, 0.5, 1.0])
    np.testing.assert_array_equal(b.grad, [[1.0, -1.0]])
    assert a.grad is array and none.grad is None
    single = _with_grad([3.0])
    clip_grad_value_(single, 2)
    assert single.grad[0] == 2.0


def test_clip_grad_value_rejects_negative():
    with pytest.raises(ValueError, match=r"clip_grad_value_: clip_value must be >= 0.*\[-clip_value, clip_value\]"):
        clip_grad_value_([_with_grad([1.0])], -1.0)


# --- PyTorch parity ---------------------------------------------------------------------
@pytest.fixture
def torch():
    return pytest.importorskip("torch", reason="PyTorch parity tests need the torch extra: pip install -e '.[torch]'")


def _pair(torch, grads, dtype):
    ours = [_with_grad(g, dtype=dtype) for g in grads]
    theirs = []
    for g in grads:
        t = torch.zeros(np.shape(g), dtype=getattr(torch, np.dtype(dtype).name), requires_grad=True)
        t.grad = torch.tensor(np.asarray(g, dtype=dtype))
        theirs.append(t)
    return ours, theirs


@pytest.mark.parametrize("norm_type", [2.0, float("inf"), 1.0])
@pytest.mark.parametrize("max_norm", [0.5, 3.0, 1e3])                  # above, around and below the norm
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_clip_grad_norm_matches_torch(torch, rng, norm_type, max_norm, dtype):
    grads = [rng.standard_normal(s) for s in [(4, 3), (3,), (2, 5), (1,)]]
    grads.append(None)
    ours, theirs = _pair(torch, [g for g in grads if g is not None], dtype)
    ours.append(tg.Tensor(np.ones(2, dtype=dtype), requires_grad=True))
    theirs.append(torch.ones(2, dtype=getattr(torch, np.dtype(dtype).name), requires_grad=True))
    our_total = clip_grad_norm_(ours, max_norm, norm_type=norm_type)
    their_total = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
    rtol = 1e-13 if dtype == np.float64 else 1e-6
    np.testing.assert_allclose(our_total.item(), their_total.item(), rtol=rtol)
    for o, t in zip(ours, theirs):
        if t.grad is None:
            assert o.grad is None
        else:
            assert o.grad.dtype == dtype
            np.testing.assert_allclose(o.grad, t.grad.numpy(), rtol=rtol, atol=0)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_clip_grad_norm_lecture_numbers_match_torch_exactly(torch, dtype):
    for grad in ([8.0, 6.0], [80.0, 60.0]):
        (ours,), (theirs,) = _pair(torch, [grad], dtype)
        our_total = clip_grad_norm_(ours, 10.0)
        their_total = torch.nn.utils.clip_grad_norm_([theirs], 10.0)
        assert our_total.item() == their_total.item()
        np.testing.assert_array_equal(ours.grad, theirs.grad.numpy())   # bit for bit


def test_clip_grad_value_matches_torch(torch, rng):
    grads = [3 * rng.standard_normal(s) for s in [(4, 3), (7,)]]
    ours, theirs = _pair(torch, grads, np.float64)
    clip_grad_value_(ours, 1.25)
    torch.nn.utils.clip_grad_value_(theirs, 1.25)
    for o, t in zip(ours, theirs):
        np.testing.assert_array_equal(o.grad, t.grad.numpy())


# --- non-finite norms and foreach (PyTorch's signature) -----------------------------------
def test_nonfinite_error_names_the_norm_and_the_fixes():
    bad = [_with_grad([np.inf, 1.0])]
    with pytest.raises(RuntimeError) as error:
        clip_grad_norm_(bad, 1.0, error_if_nonfinite=True)
    message = str(error.value)
    for part in ("order 2.0", "non-finite (inf)", "learning rate", "clip", "detect_anomaly",
                 "error_if_nonfinite=False"):
        assert part in message, part
    np.testing.assert_array_equal(bad[0].grad, [np.inf, 1.0])          # nothing was changed


@pytest.mark.parametrize("foreach", [None, True, False])
def test_foreach_is_accepted_and_changes_nothing(rng, foreach):
    grads = [3 * rng.standard_normal(s) for s in [(4, 3), (5,)]]
    plain, other = [_with_grad(g) for g in grads], [_with_grad(g) for g in grads]
    assert clip_grad_norm_(plain, 1.0).item() == clip_grad_norm_(other, 1.0, foreach=foreach).item()
    for p, q in zip(plain, other):
        np.testing.assert_array_equal(p.grad, q.grad)
    with pytest.raises(TypeError, match="clip_grad_norm_: foreach must be None, True or False, got 'yes'"):
        clip_grad_norm_(plain, 1.0, foreach="yes")


_NONFINITE_GRADS = {"nan": [[1.0, np.nan], [2.0, -3.0]],
                    "inf": [[1.0, np.inf], [2.0, -3.0]],
                    "overflow": [[1e200, 1e200], [2.0, -3.0]]}        # finite entries, infinite norm


@pytest.mark.parametrize("case", list(_NONFINITE_GRADS))
def test_nonfinite_norm_with_error_raises_like_torch(torch, case):
    ours, theirs = _pair(torch, _NONFINITE_GRADS[case], np.float64)
    with pytest.raises(RuntimeError, match="non-finite"):
        torch.nn.utils.clip_grad_norm_(theirs, 1.0, error_if_nonfinite=True)
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_(ours, 1.0, error_if_nonfinite=True)
    for o, t in zip(ours, theirs):                                      # both left the gradients alone
        np.testing.assert_array_equal(o.grad, t.grad.numpy())


@pytest.mark.parametrize("case", list(_NONFINITE_GRADS))
@pytest.mark.parametrize("foreach", [None, False])
def test_nonfinite_norm_without_error_scales_like_torch(torch, case, foreach):
    ours, theirs = _pair(torch, _NONFINITE_GRADS[case], np.float64)
    their_total = torch.nn.utils.clip_grad_norm_(theirs, 1.0, foreach=foreach)
    our_total = clip_grad_norm_(ours, 1.0, foreach=foreach)
    np.testing.assert_array_equal(our_total.item(), their_total.item())          # nan == nan here
    for o, t in zip(ours, theirs):
        np.testing.assert_array_equal(o.grad, t.grad.numpy())          # nan: all nan; inf: 0 and nan


@pytest.mark.parametrize("clip", [lambda ps: clip_grad_norm_(ps, 1.0), lambda ps: clip_grad_value_(ps, 1.0)])
def test_an_exhausted_generator_warns_as_in_pytorch(clip):
    """model.parameters() used up by an earlier pass clips nothing: PyTorch 2.13 warns, and so does this."""
    params = (p for p in [tg.tensor([3.0, 4.0], requires_grad=True)])
    list(params)                                           # used up, e.g. by list(...) or an optimizer
    with pytest.warns(UserWarning, match="empty generator, no gradient clipping will occur") as record:
        clip(params)
    assert "model.parameters() again" in str(record[0].message) and record[0].filename == __file__
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")                     # an empty list is no mistake: no warning
        clip([])
