"""The checks every public entry point runs on what it is given, and the words they use.

Each check names the function that complains (``fn``), the bad value with its type (and
shape/dtype for arrays), and a fix for that case, and raises TypeError (wrong kind of value)
or ValueError (right kind, wrong value); a dim out of range is an IndexError, as in PyTorch.
Building a message never raises: ``describe`` survives objects whose repr fails.

The core uses these (``Tensor``, the creation functions, the ops) and so do ``nn`` and ``optim``;
this module imports nothing from the library, so anything may import it.
"""
import math
import numbers

import numpy as np

#: dtype kinds a tensor may not hold, with why and what to do instead (bool, int, uint, float are fine).
_REFUSED_KINDS = {
    "c": ("complex", "this engine's gradients are for real numbers; pass x.real if the imaginary part is zero"),
    "O": ("object", "an object array may hold None or other non-numbers; convert with "
                    "np.asarray(x, dtype=np.float32) once every entry is a number"),
    "U": ("text (str)", "parse the text first, e.g. np.asarray(x, dtype=np.float32) for numeric strings"),
    "S": ("bytes", "decode and parse it first, e.g. np.asarray(x, dtype=np.float32)"),
    "V": ("structured (void)", "take one numeric field, e.g. x['value'].astype(np.float32)"),
    "M": ("datetime", "convert to numbers first, e.g. x.astype(np.int64) or a float offset"),
    "m": ("timedelta", "convert to numbers first, e.g. x / np.timedelta64(1, 's')"),
}


def describe(value, limit: int = 60) -> str:
    """``value`` in a few words for a message: ``'0.1' (str)``, ``True (bool)``, ``an ndarray of shape (2,)
    and dtype object``. Never raises, whatever ``value`` is."""
    kind = _type_name(value)
    try:
        shape, dtype = getattr(value, "shape", None), getattr(value, "dtype", None)
        if isinstance(value, np.ndarray) or (kind == "Tensor" and shape is not None):
            article = "an" if kind[:1].lower() in "aeiou" else "a"
            return f"{article} {kind} of shape {tuple(shape)} and dtype {dtype}"
    except Exception:                                       # noqa: BLE001 - a message must never fail
        pass
    return f"{_short_repr(value, limit)} ({kind})"


def _type_name(value) -> str:
    try:
        return type(value).__name__
    except Exception:                                       # noqa: BLE001
        return "object"


def _short_repr(value, limit: int = 40) -> str:
    """``repr(value)``, cut to ``limit`` characters; never raises."""
    try:
        text = repr(value)
        if not isinstance(text, str):
            raise TypeError
    except Exception:                                       # noqa: BLE001
        return f"<a {_type_name(value)} whose repr failed>"
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _is_real(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def _rule(minimum, maximum, low_open, high_open) -> str:
    if minimum is not None and maximum is not None:
        return f"in {'(' if low_open else '['}{minimum}, {maximum}{')' if high_open else ']'}"
    if minimum is not None:
        return f"{'>' if low_open else '>='} {minimum}"
    if maximum is not None:
        return f"{'<' if high_open else '<='} {maximum}"
    return "a finite number"


def check_real_number(fn: str, name: str, value, *, minimum=None, maximum=None, low_open=False, high_open=False,
                      finite=True, example=None, type_error=TypeError) -> float:
    """``value`` as a float, if it is a real number (not a str, not a bool) within the bounds.

    ``low_open``/``high_open`` exclude ``minimum``/``maximum``; ``example`` is a good value for the fix.
    A value of the wrong kind raises ``type_error`` (TypeError unless the caller's contract says otherwise),
    one out of range a ValueError."""
    rule = _rule(minimum, maximum, low_open, high_open)
    fix = f"Fix: pass {name}={example!r}" if example is not None else f"Fix: pass a number {rule}"
    if not _is_real(value):
        hint = " (convert it with float(...))" if isinstance(value, (str, bytes)) else ""
        raise type_error(f"{fn}: invalid {name}={_short_repr(value)} ({_type_name(value)}); it must be a real "
                         f"number {rule}, not a {_type_name(value)}{hint}. {fix}")
    number = float(value)
    if (finite and not math.isfinite(number)) or math.isnan(number):
        raise ValueError(f"{fn}: invalid {name}={number}; it must be finite{' and ' + rule if rule != 'a finite number' else ''}. {fix}")
    low_bad = minimum is not None and (number <= minimum if low_open else number < minimum)
    high_bad = maximum is not None and (number >= maximum if high_open else number > maximum)
    if low_bad or high_bad:
        raise ValueError(f"{fn}: invalid {name}={value!r}; it must be {rule}. {fix}")
    return number


def check_int(fn: str, name: str, value, *, minimum=None, example=None) -> int:
    """``value`` as an int, if it is one (a Python or NumPy int, not a bool, not a float) >= ``minimum``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        whole = isinstance(value, (float, np.floating)) and math.isfinite(value) and float(value).is_integer()
        fix = f"{name}={int(value)}" if whole else (f"{name}={example!r}" if example is not None else
                                                    f"a whole number, e.g. int({name})")
        raise TypeError(f"{fn}: {name} must be an int, got {describe(value)}. Fix: pass {fix}")
    if minimum is not None and value < minimum:
        fix = f"{name}={example!r}" if example is not None else f"{name} >= {minimum}"
        raise ValueError(f"{fn}: {name} must be >= {minimum}, got {int(value)}. Fix: pass {fix}")
    return int(value)


def check_dim(fn: str, dim, ndim: int, *, name: str = "dim") -> int:
    """``dim`` as an axis in ``0..ndim-1`` (negatives count from the end; a 0-d tensor takes -1 and 0)."""
    if isinstance(dim, (bool, np.bool_)) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{fn}: {name} must be an int, got {describe(dim)}. Fix: pass one axis, "
                        f"e.g. {name}=0 or {name}=-1")
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"{fn}: {name} {dim} is out of range for a tensor with {ndim} dimension(s); use a "
                         f"{name} in [{-n}, {n - 1}]")
    return int(dim) % n


def check_dtype_kind(fn: str, value, *, name: str = "x") -> None:
    """Refuse arrays (or dtypes) a tensor cannot hold: complex, object, str, bytes, structured, datetime."""
    try:
        dtype = value if isinstance(value, np.dtype) else getattr(value, "dtype", None)
        kind = np.dtype(dtype).kind if dtype is not None else None
    except TypeError:
        return
    if kind in _REFUSED_KINDS:
        what, fix = _REFUSED_KINDS[kind]
        shape = f" of shape {tuple(value.shape)}" if hasattr(value, "shape") else ""
        what = "" if what == str(dtype) else f" ({what})"
        raise TypeError(f"{fn}: {name} has dtype {dtype}{what}{shape}; a tensor holds real numbers "
                        f"(float, int or bool). Fix: {fix}")


def check_dtype_arg(fn: str, dtype) -> np.dtype | None:
    """A ``dtype=`` argument as a NumPy dtype (None stays None), refusing unknown and non-real ones."""
    if dtype is None:
        return None
    try:
        resolved = np.dtype(dtype)
    except (TypeError, ValueError):
        raise TypeError(f"{fn}: dtype={describe(dtype)} is not a NumPy dtype. Fix: pass e.g. dtype=np.float32 "
                        f"or dtype=np.float64") from None
    if resolved.kind in _REFUSED_KINDS:
        raise TypeError(f"{fn}: dtype={resolved} ({_REFUSED_KINDS[resolved.kind][0]}) can't be a tensor's dtype. "
                        f"Fix: pass dtype=np.float32 (or np.float64, an int or bool dtype)")
    return resolved


def check_size(fn: str, size) -> tuple:
    """A shape given as ``f(2, 3)`` or ``f((2, 3))``: a tuple of ints >= 0."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for i, n in enumerate(size):
        label = "size" if len(size) == 1 else f"size[{i}]"
        if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)):
            whole = isinstance(n, (float, np.floating)) and math.isfinite(n) and float(n).is_integer()
            fix = f"{int(n)}" if whole else "whole numbers"
            raise TypeError(f"{fn}: {label} must be an int, got {describe(n)} in the shape {describe(tuple(size))}. "
                            f"Fix: pass {fix}, e.g. {fn}(2, 3) or {fn}((2, 3))")
        if n < 0:
            raise ValueError(f"{fn}: {label} is {int(n)}, but a dimension size must be >= 0 (shape "
                             f"{tuple(size)}). Fix: pass sizes >= 0, e.g. {fn}(2, 3)")
    return tuple(int(n) for n in size)


def check_grad(fn: str, label: str, grad, shape: tuple) -> None:
    """A parameter's ``.grad``: a floating ndarray of the parameter's ``shape`` (no broadcasting)."""
    if not isinstance(grad, np.ndarray):
        raise TypeError(f"{fn}: the .grad of {label} must be a NumPy array of shape {shape}, got "
                        f"{describe(grad)}. Fix: let backward() fill it, or assign p.grad = np.zeros(p.shape, "
                        f"dtype=p.dtype)")
    if grad.shape != tuple(shape):
        raise ValueError(f"{fn}: the .grad of {label} has shape {grad.shape}, the parameter {tuple(shape)}; a "
                         f"gradient must have its parameter's shape (it would be broadcast silently). Fix: assign "
                         f"a .grad of shape {tuple(shape)}, or zero_grad() and run backward() again")
    if grad.dtype.kind != "f":
        raise TypeError(f"{fn}: the .grad of {label} has dtype {grad.dtype}, not a floating dtype. Fix: assign "
                        f"p.grad = grad.astype(p.dtype)")
