"""Checks for exercise 11: ``clip_grad_norm`` and ``clip_grad_value``."""
import numpy as np

from ...core import Tensor
from ...nn import utils
from ._helpers import assert_close, get

#: switched off while the learner's code runs (``_helpers.switched_off``)
LIBRARY_OFF = [utils.clip_grad_norm_, utils.clip_grad_value_]


def _library_clip(grads, max_norm):
    """The library's clip_grad_norm_ (PyTorch's rule) on copies: (clipped arrays, total norm)."""
    params = []
    for g in grads:
        p = Tensor(np.zeros_like(g), requires_grad=True)
        p.grad = g.copy()
        params.append(p)
    total = utils.clip_grad_norm_(params, max_norm).item()
    return [p.grad for p in params], total


def _norm_case(clip_grad_norm, grads, max_norm, what):
    arrays = [g.copy() for g in grads]
    total = clip_grad_norm(arrays, max_norm)
    expected, expected_total = _library_clip(grads, max_norm)     # after the learner's call
    if total is None:
        raise AssertionError(f"{what}: returned None; return the total norm before clipping")
    assert_close(np.asarray(total, dtype=float), expected_total, f"{what}: the returned total norm (before clipping)",
                 rtol=1e-9)
    for k, (got, want) in enumerate(zip(arrays, expected)):
        assert_close(got, want, f"{what}: gradient array #{k} after clipping (changed in place)", rtol=1e-9, atol=1e-12)


def check_lecture_example(mod):
    """the lecture's (80, 60) with max_norm 10 becomes (8, 6), in place; returns 100"""
    clip_grad_norm = get(mod, "clip_grad_norm")
    g = np.array([80.0, 60.0])
    total = clip_grad_norm([g], 10.0)
    if np.allclose(g, [80.0, 60.0]):
        raise AssertionError("clip_grad_norm([g], 10) left g = (80, 60) unchanged: change the array in place "
                             "(g *= coef), don't just rebind a name")
    assert_close(g, np.array([80.0, 60.0]) * (10 / (100 + 1e-6)), "(80, 60) clipped to norm 10", rtol=1e-12)
    if total is None or not np.isclose(float(total), 100.0):
        raise AssertionError(f"clip_grad_norm should return the norm before clipping, 100; got {total}")


def check_small_unchanged(mod):
    """gradients already shorter than max_norm are left exactly as they are"""
    clip_grad_norm = get(mod, "clip_grad_norm")
    g1, g2 = np.array([0.3, -0.4]), np.array([[0.1, 0.2], [0.0, -0.2]])
    before = [g1.copy(), g2.copy()]
    total = clip_grad_norm([g1, g2], 5.0)
    if not (np.array_equal(g1, before[0]) and np.array_equal(g2, before[1])):
        raise AssertionError(f"total norm {np.sqrt(0.34):.4f} is below max_norm 5, so nothing should change; but the "
                             f"gradients became {g1} and {g2.tolist()}. Clamp the factor at 1: never scale up.")
    assert_close(np.asarray(total, dtype=float), np.sqrt(0.34), "the returned total norm")


def check_one_norm_for_all(mod):
    """several arrays share ONE total norm (PyTorch's rule, random shapes)"""
    clip_grad_norm = get(mod, "clip_grad_norm")
    rng = np.random.default_rng(25)
    grads = [rng.standard_normal((4, 3)) * 3, rng.standard_normal(4), rng.standard_normal((2, 2, 2)) * 0.1]
    _norm_case(clip_grad_norm, grads, 2.0, "clip_grad_norm(3 arrays, max_norm=2)")
    _norm_case(clip_grad_norm, [np.array([3.0, 4.0]), np.array([0.0])], 5.0,
               "clip_grad_norm([(3, 4), (0)], max_norm=5)")


def check_clip_value(mod):
    """clip_grad_value: (80, 60) at 10 becomes (10, 10), in place, a different direction"""
    clip_grad_value = get(mod, "clip_grad_value")
    g = np.array([80.0, 60.0])
    h = np.array([[-12.0, 3.0], [0.5, -0.25]])
    clip_grad_value([g, h], 10.0)
    assert_close(g, [10.0, 10.0], "(80, 60) clipped by value at 10 (in place)")
    assert_close(h, [[-10.0, 3.0], [0.5, -0.25]], "[[-12, 3], [0.5, -0.25]] clipped by value at 10 (in place)")


TESTS = [check_lecture_example, check_small_unchanged, check_one_norm_for_all, check_clip_value]
