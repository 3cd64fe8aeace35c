"""Find where NaN/Inf first appear: ``detect_anomaly`` (PyTorch's name).

Inside ``with detect_anomaly():`` every op is checked twice:

- after its forward: if its output holds NaN or Inf although none of its inputs did,
  this op is where they appeared (e.g. ``log`` of a negative number): ``AnomalyError``;
- after its backward: if a gradient it returns holds NaN or Inf although the gradient
  it received was finite, this op is where the gradient broke (e.g. a ``matmul`` with a
  large ``W_hh`` whose gradient overflowed float32, 3.4e38, after many steps back):
  ``AnomalyError``.

The error names the op, its input shapes (and names), and the time step the op was made
in (``with time_step(t):``). As in PyTorch, anomaly mode also remembers where each op was
created (step and ``file:line``), so the backward error can point at the line of the
forward pass that made the failing op.

``check_nan=False`` keeps that record but checks nothing. Outside anomaly mode nothing is
checked and NaN flows through silently, as in PyTorch; the two hooks below are only
called while ``_enabled`` is True, so the normal path pays nothing.
"""
import functools
import os
import sys

import numpy as np

from . import time_step as _time_step

_enabled = False    # read by Function.apply and run_backward before calling the hooks
_check_nan = True


class AnomalyError(RuntimeError):
    """An op produced NaN or Inf (in its forward output or in a gradient) from finite inputs."""


def is_anomaly_enabled() -> bool:
    """True inside ``detect_anomaly()`` / ``set_detect_anomaly(True)``."""
    return _enabled


def is_anomaly_check_nan_enabled() -> bool:
    """True when anomaly mode also checks for NaN/Inf (``check_nan=True``, the default)."""
    return _check_nan


def _set(mode: bool, check_nan: bool) -> None:
    global _enabled, _check_nan
    _enabled, _check_nan = bool(mode), bool(check_nan)


class detect_anomaly:
    """Turn anomaly detection on inside a ``with`` block or a decorated function (nestable).

    ``check_nan=True`` (default): raise ``AnomalyError`` at the first op whose forward output
    or backward gradient holds NaN/Inf while its own inputs were finite. ``check_nan=False``:
    only remember where each op was created. Slows every op down: use it for debugging.

    Example::

        with detect_anomaly():
            loss = model(x).sum()
            loss.backward()     # AnomalyError: backward of 'matmul' made at time step 20 ...
    """

    def __init__(self, check_nan: bool = True):
        self.check_nan = bool(check_nan)
        self._previous = []  # a stack: the same object may be re-entered (recursion of a decorated function)

    def __enter__(self):
        self._previous.append((_enabled, _check_nan))
        _set(True, self.check_nan)
        return self

    def __exit__(self, *exc):
        _set(*self._previous.pop())
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def checked(*args, **kwargs):
            with self:
                return func(*args, **kwargs)
        return checked


class set_detect_anomaly:
    """Switch anomaly detection on (``mode=True``) or off (``False``), as PyTorch's.

    Works three ways: a plain call ``set_detect_anomaly(True)`` switches it from now on; as
    ``with set_detect_anomaly(mode): ...`` the previous setting comes back after the block;
    as a decorator ``@set_detect_anomaly(mode)`` the mode holds during each call only.
    ``check_nan`` as in ``detect_anomaly``.
    """

    def __init__(self, mode: bool, check_nan: bool = True):
        self.mode, self.check_nan = bool(mode), bool(check_nan)
        self._previous = [(_enabled, _check_nan)]
        self._applied = True     # switched already, as PyTorch does, so that a plain call works
        _set(self.mode, self.check_nan)

    def __enter__(self):
        if self._applied:        # the switch made by __init__ is this block's
            self._applied = False
        else:                    # the same object entered again
            self._previous.append((_enabled, _check_nan))
            _set(self.mode, self.check_nan)
        return self

    def __exit__(self, *exc):
        _set(*self._previous.pop())
        return False

    def __call__(self, func):
        if self._applied:        # used as a decorator: undo the switch made at decoration time
            self._applied = False
            _set(*self._previous.pop())

        @functools.wraps(func)
        def switched(*args, **kwargs):
            with set_detect_anomaly(self.mode, self.check_nan):
                return func(*args, **kwargs)
        return switched


# --- the two hooks --------------------------------------------------------------------------------

def check_forward(fn, parents, out) -> None:
    """Called after ``fn.forward``: ``parents`` are the input Tensors, ``out`` the output ndarray.

    Remembers where ``fn`` was made (``fn._created_at``); with ``check_nan``, raises
    ``AnomalyError`` if ``out`` holds NaN/Inf and no input did.
    """
    step = _time_step.current_time_step()
    fn._created_at = (step, _user_frames())
    if not _check_nan or _all_finite(out) or not all(_all_finite(p.data) for p in parents):
        return
    frames = fn._created_at[1]
    where = f" Made at {_where(frames)}." if frames else ""
    raise AnomalyError(
        f"detect_anomaly: '{fn.op_name}'{_at_step(_time_step.step_of(parents, step))} produced {_bad_values(out)} in its "
        f"forward pass (output shape {out.shape}), although none of its inputs had NaN or Inf: this is where they "
        f"first appear. Inputs: {_describe_inputs(parents)}.{where} Likely cause: {_forward_hint(fn, out)}")


def check_backward(fn, output, grad, parent_grads) -> None:
    """Called after ``fn.backward``: ``output`` is the Tensor ``fn`` made, ``grad`` dL/d(output),
    ``parent_grads`` what backward returned (one array or None per parent, in ``fn.parents`` order).

    With ``check_nan``, raises ``AnomalyError`` if a gradient sent to an input that requires
    grad holds NaN/Inf while ``grad`` was finite. (For an op with several outputs, such as
    ``chunk``, ``grad`` is a list with one gradient or ``None`` per output.)
    """
    if not _check_nan:
        return
    received = [np.asarray(g) for g in (grad if isinstance(grad, list) else [grad]) if g is not None]
    if not all(_all_finite(g) for g in received):      # a non-finite grad was already reported upstream
        return
    n_outputs = getattr(fn, "n_outputs", 0)
    for i, (parent, parent_grad) in enumerate(zip(fn.parents, parent_grads)):
        if parent_grad is None or not parent.requires_grad:
            continue
        parent_grad = np.asarray(parent_grad)
        if _all_finite(parent_grad):
            continue
        step, frames = getattr(fn, "_created_at", (output.step, ()))
        made = f"made{_at_step(_time_step.step_of(fn.parents, step))}" + (f", at {_where(frames)}" if frames else "")
        out_label = f"'{output.name}'" if output.name else "its output"
        if n_outputs:
            out_label = f"its {n_outputs} outputs"
        largest = max((float(np.max(np.abs(g))) for g in received if g.size), default=0.0)
        raise AnomalyError(
            f"detect_anomaly: the backward of '{fn.op_name}' ({made}) returned {_bad_values(parent_grad)} in "
            f"the gradient for input {i} {_describe(parent)}, while the gradient it received for "
            f"{out_label}{'' if n_outputs else f' (shape {output.shape})'} was finite (largest |value| "
            f"{largest:.4g}). "
            f"Inputs: {_describe_inputs(fn.parents)}. {_backward_hint(parent_grad)}")


# --- helpers --------------------------------------------------------------------------------------

_CORE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
_PACKAGE_DIR = os.path.dirname(_CORE_DIR[:-1]) + os.sep


def _user_frames() -> tuple:
    """Where the op was made, as ``(file, line, function)``: the innermost caller outside ``core/``
    and, when that one is in the library (e.g. ``nn/cells.py``), your line that called it."""
    frames = []
    frame = sys._getframe(2)     # skip _user_frames and check_forward
    while frame is not None:
        path = frame.f_code.co_filename
        if not os.path.isabs(path):
            path = os.path.abspath(path)
        in_library = path.startswith(_PACKAGE_DIR)
        if not path.startswith(_CORE_DIR) and (not frames or not in_library):
            frames.append((path, frame.f_lineno, frame.f_code.co_name))
            if not in_library:
                break
        frame = frame.f_back
    return tuple(frames)


def created_at(fn) -> str | None:
    """Where anomaly mode saw the node ``fn`` made, e.g. ``"time step 3, at nn/cells.py:52 in
    rnn_cell <- train.py:10 in main"``; None for a node made outside anomaly mode."""
    if not hasattr(fn, "_created_at"):
        return None
    step, frames = fn._created_at
    parts = ([] if step is None else [f"time step {step}"]) + ([f"at {_where(frames)}"] if frames else [])
    return ", ".join(parts)


def _where(frames) -> str:
    return " <- ".join(f"{_short(path)}:{line} in {name}" for path, line, name in frames)


def _short(path: str) -> str:
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


def _all_finite(array) -> bool:
    array = np.asarray(array)
    return array.dtype.kind not in "fc" or bool(np.isfinite(array).all())


def _bad_values(array) -> str:
    nan, inf = int(np.isnan(array).sum()), int(np.isinf(array).sum())
    parts = ([f"NaN ({nan} of {array.size} values)"] if nan else []) + \
            ([f"Inf ({inf} of {array.size} values)"] if inf else [])
    return " and ".join(parts)


def _at_step(step) -> str:
    return "" if step is None else f" at time step {step}"


def _describe(tensor) -> str:
    if tensor.name:
        label = f"'{tensor.name}' "
    else:                        # unnamed: say which op made it, if any (e.g. W_hh.T is a 'permute')
        label = f"output of '{tensor._ctx.op_name}' " if tensor._ctx is not None else ""
    step = "" if tensor.step is None else f"step {tensor.step}, "
    return f"{label}({step}shape {tensor.shape}, {tensor.dtype})"


def _describe_inputs(parents) -> str:
    return "; ".join(f"{i}: {_describe(p)}" for i, p in enumerate(parents)) or "none"


def _forward_hint(fn, out) -> str:
    op = fn.op_name
    big = f"{np.finfo(out.dtype).max:.4g}" if out.dtype.kind == "f" else "its dtype's largest value"
    if op == "log":
        return ("log of a negative number is NaN and log(0) is -inf. Fix: keep the input positive, e.g. "
                "x.clamp(min=1e-12).log(), or check where negative values come from.")
    if op == "div":
        return "a division by zero (x/0 is Inf, 0/0 is NaN). Fix: add a small eps to the denominator."
    if op == "exp":
        return (f"exp overflowed {out.dtype} (largest value {big}; exp(x) overflows float32 for x > 88.7). "
                "Fix: subtract the maximum first (log-sum-exp trick) or clamp the input.")
    if op == "pow":
        return ("a negative base with a fractional exponent (e.g. sqrt of a negative) is NaN, and 0 to a "
                f"negative power is Inf; a large base may overflow {big}. Fix: check the input's range.")
    return (f"the values overflowed {out.dtype} (largest value {big}) or hit an undefined case such as "
            "inf - inf. Fix: check the inputs' size: exploding activations or weights, a too large learning "
            "rate; or compute in float64.")


def _backward_hint(parent_grad) -> str:
    if np.isnan(parent_grad).any():
        return ("NaN in a gradient usually means 0 * Inf or Inf - Inf: an infinite slope (sqrt or log at 0, "
                "a division by ~0) met a zero. Fix: keep the op's input away from that point (add eps, clamp).")
    big = f"{np.finfo(parent_grad.dtype).max:.4g}" if parent_grad.dtype.kind == "f" else "its dtype's max"
    return (f"The gradient overflowed {parent_grad.dtype} (largest value {big}) here. In a recurrent net "
            "unrolled over time it is multiplied by one Jacobian per step back, so with a large W_hh (largest "
            "singular value above 1) it grows geometrically: exploding gradients. Fix: scale W_hh down (e.g. "
            "an orthogonal or smaller init), backpropagate through fewer steps (TBPTT with a smaller k), use "
            "a gated cell (LSTM/GRU), or compute in float64. Gradient clipping acts only after backward, so "
            "it cannot stop an overflow inside it.")
