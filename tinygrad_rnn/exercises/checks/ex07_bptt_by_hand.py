"""Checks for exercise 07: ``bptt_scalar`` against the engine."""
import numpy as np

from ...core import Tensor
from ._helpers import assert_close, get, tensor64

_KEYS = ("dL_dw", "dL_du", "dL_db", "dL_dh0")


def _engine(w, u, b, xs, h0) -> dict:
    """The same gradients from the autodiff engine (the oracle)."""
    params = {name: tensor64(value, requires_grad=True) for name, value in (("w", w), ("u", u), ("b", b), ("h0", h0))}
    h = params["h0"]
    for x in xs:
        h = (params["w"] * h + params["u"] * x + params["b"]).tanh()
    h.backward()
    return {"dL_dw": params["w"].grad, "dL_du": params["u"].grad, "dL_db": params["b"].grad,
            "dL_dh0": params["h0"].grad}


def _compare(bptt_scalar, w, u, b, xs, h0):
    what = f"bptt_scalar(w={w}, u={u}, b={b}, xs={xs}, h0={h0})"
    result = bptt_scalar(w, u, b, list(xs), h0)
    if not isinstance(result, dict):
        raise AssertionError(f"{what} must return a dict with keys {', '.join(_KEYS)}; got {type(result).__name__}")
    missing = [k for k in _KEYS if k not in result]
    if missing:
        raise AssertionError(f"{what}: the returned dict lacks {', '.join(missing)}")
    for key in _KEYS:
        if isinstance(result[key], Tensor):
            raise AssertionError(f"{what}: {key} is a Tensor; do this one by hand with numbers (floats)")
    expected = _engine(w, u, b, xs, h0)
    for key in _KEYS:
        assert_close(result[key], expected[key], f"{what}: {key}", rtol=1e-9, atol=1e-12)


def check_three_steps(mod):
    """3 steps: the four gradients match the engine's"""
    _compare(get(mod, "bptt_scalar"), 0.8, 0.5, 0.1, [1.0, -0.5, 2.0], 0.3)


def check_one_step(mod):
    """1 step: dL/dw = (1 - h_1^2) h_0, dL/dh0 = (1 - h_1^2) w"""
    bptt_scalar = get(mod, "bptt_scalar")
    w, u, b, x, h0 = 1.5, -0.7, 0.2, 0.4, -0.6
    result = bptt_scalar(w, u, b, [x], h0)
    if not isinstance(result, dict) or "dL_dw" not in result or "dL_dh0" not in result:
        raise AssertionError(f"bptt_scalar must return a dict with keys {', '.join(_KEYS)}, got {result!r:.100}")
    d = 1 - np.tanh(w * h0 + u * x + b) ** 2
    assert_close(result["dL_dw"], d * h0, "one step: dL/dw", rtol=1e-9)
    assert_close(result["dL_dh0"], d * w, "one step: dL/dh0", rtol=1e-9)


def check_longer_sequences(mod):
    """6 and 10 steps, a negative and a large w: still the engine's numbers"""
    bptt_scalar = get(mod, "bptt_scalar")
    rng = np.random.default_rng(16)
    _compare(bptt_scalar, -1.3, 0.9, -0.2, [float(v) for v in rng.standard_normal(6).round(3)], 0.1)
    _compare(bptt_scalar, 2.5, 0.3, 0.0, [float(v) for v in rng.standard_normal(10).round(3)], -0.4)


TESTS = [check_three_steps, check_one_step, check_longer_sequences]
