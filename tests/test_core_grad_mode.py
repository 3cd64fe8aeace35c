"""``no_grad()`` and ``enable_grad()``: switching graph recording off and on.

Inside ``no_grad()`` ops compute values but record nothing: results don't require grad
and have no ``grad_fn``. It works as a ``with`` block and as a decorator, and
``enable_grad()`` turns recording back on inside it. Leaving the block — normally, by an
exception, or from a recursive decorated call — must restore the previous state.
"""
import numpy as np
import pytest

import tinygrad_rnn as tg

from helpers import leaf


def test_no_grad_records_nothing_but_computes_values():
    x = leaf([1.0, 2.0])
    with tg.no_grad():
        assert not tg.is_grad_enabled()
        y = (x * 3).tanh().sum()
    assert not y.requires_grad and y.grad_fn is None and y.is_leaf
    np.testing.assert_allclose(y.data, np.tanh([3.0, 6.0]).sum())
    assert tg.is_grad_enabled()
    z = x * 3
    assert z.requires_grad and z.grad_fn is not None     # recording is back on afterwards


def test_no_grad_as_a_decorator():
    x = leaf([1.0])

    @tg.no_grad()
    def evaluate(t):
        assert not tg.is_grad_enabled()
        return t * 2

    y = evaluate(x)
    assert not y.requires_grad and y.grad_fn is None
    assert tg.is_grad_enabled()


def test_enable_grad_inside_no_grad():
    x = leaf([1.0, 2.0])
    with tg.no_grad():
        with tg.enable_grad():
            y = (x * x).sum()
        z = x * 2
    assert y.requires_grad and y.grad_fn is not None
    assert not z.requires_grad
    y.backward()
    np.testing.assert_array_equal(x.grad, [2, 4])


def test_set_grad_enabled_as_a_context():
    x = leaf([1.0])
    with tg.set_grad_enabled(False):
        assert not (x * 2).requires_grad
        with tg.set_grad_enabled(True):
            assert (x * 2).requires_grad
    assert tg.is_grad_enabled()


def test_state_is_restored_after_an_exception():
    with pytest.raises(ZeroDivisionError):
        with tg.no_grad():
            1 / 0
    assert tg.is_grad_enabled()


def test_recursive_decorated_function_restores_the_state():
    """One decorator instance is entered once per call; nested calls must not lose the outer state."""

    @tg.no_grad()
    def depth(n):
        return depth(n - 1) if n else tg.is_grad_enabled()

    assert depth(3) is False
    assert tg.is_grad_enabled()

    @tg.enable_grad()
    def inner(n):
        return inner(n - 1) if n else tg.is_grad_enabled()

    with tg.no_grad():
        assert inner(2) is True
        assert not tg.is_grad_enabled()
    assert tg.is_grad_enabled()


def test_reusing_one_no_grad_object_nested():
    off = tg.no_grad()
    with off:
        with off:
            assert not tg.is_grad_enabled()
        assert not tg.is_grad_enabled()
    assert tg.is_grad_enabled()


def test_backward_of_a_no_grad_result_explains_the_problem():
    x = leaf([1.0])
    with tg.no_grad():
        loss = (x * 2).sum()
    with pytest.raises(RuntimeError, match=r"does not require grad.*no_grad\(\)"):
        loss.backward()


def test_set_grad_enabled_as_a_plain_call_switches_until_switched_back():
    x = tg.randn(2, requires_grad=True)
    try:
        tg.set_grad_enabled(False)                      # PyTorch's plain-call form
        assert not tg.is_grad_enabled() and not (x * 2).requires_grad
    finally:
        tg.set_grad_enabled(True)
    assert tg.is_grad_enabled() and (x * 2).requires_grad


def test_grad_and_anomaly_modes_are_one_mode_class():
    """no_grad, enable_grad, set_grad_enabled and anomaly mode share one switch-and-restore class;
    as in PyTorch, ``with`` gives None, and leaving the block restores even after an exception."""
    from tinygrad_rnn.core.modes import Mode
    modes = [tg.no_grad(), tg.enable_grad(), tg.autograd.detect_anomaly()]
    assert all(isinstance(mode, Mode) for mode in modes)
    with tg.no_grad() as entered:
        assert entered is None
    with pytest.raises(ZeroDivisionError):
        with tg.autograd.set_detect_anomaly(True, check_nan=False):
            assert tg.autograd.is_anomaly_enabled()
            1 / 0
    assert not tg.autograd.is_anomaly_enabled() and tg.is_grad_enabled()


def test_set_grad_enabled_as_a_decorator_does_not_switch_at_definition():
    @tg.set_grad_enabled(False)
    def inside():
        return tg.is_grad_enabled()

    assert tg.is_grad_enabled()
    assert inside() is False
    assert tg.is_grad_enabled()
