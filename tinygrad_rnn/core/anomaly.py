"""Find where NaN/Inf first appear: ``detect_anomaly`` (PyTorch's name).

Inside ``with detect_anomaly():`` every op is checked twice:

- after its forward: if its output holds NaN or Inf although none of its inputs did,
  this op is where they appeared (e.g. ``log`` of a negative number): ``AnomalyError``;
- before that, its inputs: if one that no op made (a leaf: data wrapped into a Tensor, a
  constant, a parameter; or a slice of one) holds NaN or Inf, the values came in with it, and
  the first op to read them within a time step is named, at that step (``_entering``);
  a NaN seed ``backward(gradient=...)`` is reported as such;
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

One more check, for in-place writes the version counter (``Tensor._version``) cannot see: a
write straight into a NumPy array (``w.data[...] = 0``, ``np.copyto(w.data, v)``) goes around
the Tensor. In anomaly mode each node also stores a checksum (CRC-32) of every array it saves
for backward, and a backward pass run in anomaly mode recomputes it before using them: a
changed array raises ``SavedTensorModifiedError`` (with or without ``check_nan``; not a PyTorch
feature). So put both the forward and the backward pass inside ``detect_anomaly()``.
"""
import os
import sys
import weakref
import zlib

import numpy as np

from . import time_step as _time_step
from .modes import Mode

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


# What one anomaly session (from switching the mode on until switching it off) has learned about the
# values that came in from outside the ops: see ``_entering``.
_seen_leaves = {}   # id(tensor) -> (weakref to its array, its version, all finite?): each leaf scanned once
_carried = {}       # id(array) -> (weakref to it, origin): non-finite values an op passed on from a leaf
_pending = [None]   # the first non-finite input met outside any time step, reported by backward()
_SEEN_MAX = 200_000  # forget the cache past this many leaves (a long session making new constants)


def _set(mode: bool, check_nan: bool) -> None:
    global _enabled, _check_nan
    if bool(mode) != _enabled:          # a session starts or ends: forget what the last one saw
        _seen_leaves.clear()
        _carried.clear()
        _pending[0] = None
    _enabled, _check_nan = bool(mode), bool(check_nan)


class _AnomalyMode(Mode):
    """Anomaly mode, the pair (enabled, check_nan), switched for a ``with`` block or a decorated call."""

    def _get(self) -> tuple:
        return _enabled, _check_nan

    def _set(self, state: tuple) -> None:
        _set(*state)                   # the module function above (clears the session on a switch)


class detect_anomaly(_AnomalyMode):
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
        super().__init__((True, self.check_nan))


class set_detect_anomaly(_AnomalyMode):
    """Switch anomaly detection on (``mode=True``) or off (``False``), as PyTorch's.

    Works three ways: a plain call ``set_detect_anomaly(True)`` switches it from now on; as
    ``with set_detect_anomaly(mode): ...`` the previous setting comes back after the block;
    as a decorator ``@set_detect_anomaly(mode)`` the mode holds during each call only.
    ``check_nan`` as in ``detect_anomaly``.
    """

    def __init__(self, mode: bool, check_nan: bool = True):
        self.mode, self.check_nan = bool(mode), bool(check_nan)
        super().__init__((self.mode, self.check_nan), switch_now=True)


# --- the two hooks --------------------------------------------------------------------------------

def check_forward(fn, parents, out) -> None:
    """Called after ``fn.forward``: ``parents`` are the input Tensors, ``out`` the output ndarray (a
    list of them for an op with several outputs, such as ``chunk``).

    Remembers where ``fn`` was made (``fn._created_at``) and a checksum of each array it saved
    (``fn.saved_checksums``, see ``check_saved``). With ``check_nan``, raises ``AnomalyError``

    - if an input that no op of this session made (a leaf: data wrapped into a Tensor, a constant,
      a parameter; or a slice of such a leaf) holds NaN/Inf: the values came in with it (see
      ``_entering`` for when this is reported here and when later);
    - if ``out`` holds NaN/Inf and no input did: this op made them.
    """
    step = _time_step.current_time_step()
    fn._created_at = (step, _user_frames())
    if fn.saved and fn.saved_checksums is None:
        fn.saved_checksums = checksums(fn.saved)      # see check_saved
    if not _check_nan:
        return
    outs = out if isinstance(out, list) else [out]
    entering = _entering(parents)
    if entering is not None:
        _carry_in(fn, parents, outs, entering, step)
        return
    bad = next((o for o in outs if not _all_finite(o)), None)
    if bad is None or not all(_all_finite(p.data) for p in parents):
        return                          # (a non-finite input no check of this session saw: made before it)
    frames = fn._created_at[1]
    where = f" Made at {_where(frames)}." if frames else ""
    shape = f"output shape {bad.shape}" if len(outs) == 1 else f"{len(outs)} outputs, shape {bad.shape}"
    raise AnomalyError(
        f"detect_anomaly: '{fn.op_name}'{_at_step(_time_step.step_of(parents, step))} produced {_bad_values(bad)} in its "
        f"forward pass ({shape}), although none of its inputs had NaN or Inf: this is where they "
        f"first appear. Inputs: {_describe_inputs(parents)}.{where} Likely cause: {_forward_hint(fn, bad)}")


# Ops that only move values around: a NaN read by one is not reported there but in its output, where
# the next op reads it (x[36] of an input whose row 36 holds NaN: reported at step 37, not at x[0]).
_PASS_THROUGH = frozenset(("getitem", "unbind", "chunk", "reshape", "permute", "cat", "stack", "cast"))
_ENTRY_HINT = ("the input already contained nan/inf: check your data (np.isfinite(x).all()) or the previous "
               "step's state.")


def _entering(parents):
    """The first input (index, tensor) whose NaN/Inf came from outside the ops, or None.

    Only leaves are scanned (a tensor no op of this session made, or an op's output that carries a
    leaf's NaN on, ``_carried``): every other input is an output some op made in this session, and
    that op's check found it finite (it would have raised otherwise). A leaf is scanned once per
    session (and again after an in-place write counted by its version), not at every step reading it.
    """
    for i, p in enumerate(parents):
        data = p._data
        carried = _carried.get(id(data))
        if carried is not None and carried[0]() is data:
            return i, p
        ctx = p._ctx
        if ctx is not None and hasattr(ctx, "_created_at"):
            continue                    # made by an op this session checked
        counter = p._version_counter
        version = 0 if counter is None else counter.version
        seen = _seen_leaves.get(id(p))
        if seen is not None and seen[0]() is data and seen[1] == version:
            finite = seen[2]
        else:
            finite = _all_finite(data)
            if len(_seen_leaves) >= _SEEN_MAX:
                _seen_leaves.clear()
            try:
                _seen_leaves[id(p)] = (weakref.ref(data), version, finite)
            except TypeError:           # not an ndarray (cannot be weakly referenced): scan it each time
                pass
        if not finite:
            return i, p
    return None


def _carry_in(fn, parents, outs, entering, step) -> None:
    """``fn`` read a non-finite leaf: raise here if we know the time step it belongs to (the leaf's own
    ``.step``, else the op's), unless ``fn`` only moves values (a slice: its outputs are checked
    where they are read). Otherwise its non-finite outputs carry the leaf on (``_carried``): e.g. the
    fused layers run one matmul over the whole (T, B, I) input outside any time step, then ``unbind``
    it and tag slice t with ``.step = t``; the step node reading the first slice that holds NaN
    raises, at that step. What never reaches a time step is reported by ``backward()``."""
    index, leaf = entering
    carried = _carried.get(id(leaf._data))
    origin = carried[1] if carried is not None else (_describe(leaf), ())
    leaf_step = leaf.step if leaf.step is not None else _time_step.step_of(parents, step)
    passes = fn.op_name in _PASS_THROUGH or any(
        o.base is not None and (o.base is leaf._data or o.base is leaf._data.base) for o in outs)
    if leaf_step is not None and not passes:
        raise AnomalyError(_entry_message(fn, parents, index, leaf, origin, leaf_step))
    chain = (origin[0], origin[1] + (fn.op_name,))
    for o in outs:
        if not _all_finite(o):
            _carried[id(o)] = (weakref.ref(o), chain)
    if not passes and _pending[0] is None:
        _pending[0] = _entry_message(fn, parents, index, leaf, origin, None)


def _entry_message(fn, parents, index, leaf, origin, step) -> str:
    described, via = origin
    label = _describe(leaf)
    what = f"input {index}, {'a tensor ' if label.startswith('(') else ''}{label}"
    if via:
        what += f", which carries the values of {described} on through {', '.join(repr(v) for v in via)}"
    frames = fn._created_at[1]
    where = f" Made at {_where(frames)}." if frames else ""
    return (f"detect_anomaly: '{fn.op_name}'{_at_step(step)} read {what}, and that input already holds "
            f"{_bad_values(np.asarray(leaf._data))}: no op made these values, they came in with the data "
            f"(this is the first op to read them{'' if step is None else f', at time step {step}'}). "
            f"Inputs: {_describe_inputs(parents)}.{where} Likely cause: {_ENTRY_HINT}")


def check_seed(root, gradient) -> None:
    """Called by ``run_backward`` first: raise if the gradient handed to ``backward(gradient=...)`` holds
    NaN/Inf, or if the loss does and its NaN came in with an input read outside any time step (the
    forward pass noted it, ``_pending``, in case a time step would read it: none did)."""
    if not _check_nan:
        return
    if not _all_finite(gradient):
        raise AnomalyError(
            f"detect_anomaly: the gradient given to backward(gradient=...) for {_describe(root)} holds "
            f"{_bad_values(np.asarray(gradient))}: the NaN/Inf enters the backward pass here, with the seed, "
            f"not from an op. Fix: check the value you pass (np.isfinite(g).all()), e.g. a gradient computed "
            f"from a NaN loss or a division by a zero count.")
    if _pending[0] is not None and not _all_finite(root._data):
        raise AnomalyError(f"{_pending[0]} (Reported by backward(): the op ran outside any time step, and "
                           f"the loss {_describe(root)} holds {_bad_values(np.asarray(root._data))}.)")


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
            f"Inputs: {_describe_inputs(fn.parents)}. "
            f"{_backward_hint(parent_grad, fn.parents)}")


def checksums(saved) -> tuple:
    """A CRC-32 of each saved array (None for what is not an array), taken right after forward."""
    return tuple(zlib.crc32(np.ascontiguousarray(a)) if isinstance(a, np.ndarray) else None for a in saved)


def check_saved(fn, output) -> None:
    """Called before ``fn.backward``: if ``fn`` was made in anomaly mode (so it took checksums), raise
    if a saved array's checksum changed, i.e. the array was written to in place behind the Tensor's back."""
    from .function import SavedTensorModifiedError, describe_tensor
    from .tensor import _write_count

    if fn.saved_checksums is None or not fn.saved:      # made outside anomaly mode, or freed (reported later)
        return
    if fn.saved_at != _write_count[0]:
        fn._check_versions(output)     # a write the version counter saw: report it as that, first
    for i, (array, checksum) in enumerate(zip(fn.saved, fn.saved_checksums)):
        if checksum is None or zlib.crc32(np.ascontiguousarray(array)) == checksum:
            continue
        owner = next((p for p in fn.parents if p._data is array), None)
        if owner is None and output is not None and output._data is array:
            owner = output
        what = (f"the array of {describe_tensor(owner)}" if owner is not None else
                f"saved value {i} (shape {array.shape}), an array its forward pass made")
        made = created_at(fn)
        raise SavedTensorModifiedError(
            f"detect_anomaly: an array saved for the backward of '{fn.op_name}'"
            f"{'' if made is None else f' (made {made})'} was changed in place after the forward pass: {what}. "
            f"The write went straight into the NumPy array, around the Tensor (x.data[...] = v, "
            f"np.copyto(x.data, v), np.subtract(x.data, d, out=x.data)), so its version counter did not "
            f"see it; its checksum did. Fix: call backward before changing the values, or run the forward "
            f"pass again after the change; write through the Tensor (x.copy_(v), x.sub_(d) inside no_grad(), "
            f"x.data = new_array) so that the change is counted without anomaly mode too.")


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


def _backward_hint(parent_grad, parents=()) -> str:
    if not all(_all_finite(p._data) for p in parents):      # a forward input held NaN/Inf already
        return f"An input of this op holds NaN/Inf in the forward pass already: {_ENTRY_HINT}"
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
