"""Making tensors: ``tensor``, ``zeros``, ``ones``, ``randn``, ``rand``, ``eye``, the ``*_like`` forms,
and the functions that join or select tensors (``cat``, ``stack``, ``where``).

Random numbers come from one NumPy generator that ``manual_seed(n)`` resets, or from
a ``np.random.Generator`` you pass as ``generator=`` (then the global one is untouched).
Default dtype is float32, as in PyTorch.
"""
import numpy as np

from . import ops
from .checks import check_dim, check_dtype_arg, check_int, check_real_number, check_size, describe
from .tensor import Tensor

_default_generator = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Make every later random draw repeatable; returns the new default generator."""
    global _default_generator
    check_int("manual_seed", "seed", seed, minimum=0, example=0)
    _default_generator = np.random.default_rng(seed)
    return _default_generator


def default_generator() -> np.random.Generator:
    return _default_generator


def _shape(size, fn: str = "zeros"):
    """Accept ``zeros(2, 3)`` and ``zeros((2, 3))``: ints >= 0 (``checks.check_size``)."""
    return check_size(fn, size)


def _generator(generator, fn: str) -> np.random.Generator:
    if generator is None:
        return _default_generator
    if not isinstance(generator, np.random.Generator):
        raise TypeError(f"{fn}: generator must be a np.random.Generator or None, got {describe(generator)}. "
                        f"Fix: generator=np.random.default_rng(0)")
    return generator


def _make(array, dtype, requires_grad, name=None, fn="tensor"):
    dtype = check_dtype_arg(fn, dtype)
    made = Tensor._wrap(array.astype(dtype or np.float32, copy=False))
    made.requires_grad, made.name = requires_grad, name
    return made


def tensor(data, dtype=None, requires_grad=False, name=None) -> Tensor:
    """Same as ``Tensor(data, ...)``: copies ``data``."""
    return Tensor(data, requires_grad=requires_grad, name=name, dtype=dtype)


def zeros(*size, dtype=None, requires_grad=False, name=None) -> Tensor:
    return _make(np.zeros(_shape(size, "zeros")), dtype, requires_grad, name, "zeros")


def ones(*size, dtype=None, requires_grad=False, name=None) -> Tensor:
    return _make(np.ones(_shape(size, "ones")), dtype, requires_grad, name, "ones")


def full(size, fill_value, dtype=None, requires_grad=False, name=None) -> Tensor:
    """A tensor of ``size`` filled with ``fill_value``; the dtype follows the value as in PyTorch
    (bool -> bool, int -> int64, float -> float32) unless ``dtype`` is given."""
    if isinstance(fill_value, Tensor) and fill_value.data.size == 1:
        fill_value = fill_value.item()
    if not isinstance(fill_value, (bool, np.bool_)):
        check_real_number("full", "fill_value", fill_value, finite=False, example=0.0)
    if dtype is None:
        dtype = bool if isinstance(fill_value, bool) else np.int64 if isinstance(fill_value, int) else np.float32
    shape = check_size("full", tuple(size) if isinstance(size, (tuple, list)) else (size,))
    return _make(np.full(shape, fill_value), dtype, requires_grad, name, "full")


def eye(n: int, m: int | None = None, dtype=None, requires_grad=False, name=None) -> Tensor:
    """Identity matrix of shape (n, m) (m defaults to n)."""
    check_int("eye", "n", n, minimum=0, example=3)
    if m is not None:
        check_int("eye", "m", m, minimum=0, example=n)
    return _make(np.eye(n, m), dtype, requires_grad, name, "eye")


def randn(*size, generator=None, dtype=None, requires_grad=False, name=None) -> Tensor:
    """Standard normal samples."""
    shape, rng = _shape(size, "randn"), _generator(generator, "randn")
    return _make(rng.standard_normal(shape), dtype, requires_grad, name, "randn")


def rand(*size, generator=None, dtype=None, requires_grad=False, name=None) -> Tensor:
    """Uniform samples from [0, 1)."""
    shape, rng = _shape(size, "rand"), _generator(generator, "rand")
    return _make(rng.random(shape), dtype, requires_grad, name, "rand")


def arange(start, end=None, step=1, dtype=None) -> Tensor:
    """Like ``np.arange``; integers stay int64, Python floats give float32 (as PyTorch)."""
    check_real_number("arange", "start", start, example=0)
    if end is not None:
        check_real_number("arange", "end", end, example=10)
    check_real_number("arange", "step", step, example=1)
    if step == 0:
        raise ValueError("arange: step must be nonzero, got 0 (the range would never reach its end). Fix: pass "
                         "step=1, or a negative step to count down")
    array = np.arange(start, end, step, dtype=check_dtype_arg("arange", dtype))
    if dtype is None and array.dtype == np.float64:
        array = array.astype(np.float32)
    return Tensor._wrap(array)


def zeros_like(x: Tensor, dtype=None, requires_grad=False) -> Tensor:
    return zeros(x.shape, dtype=dtype or x.dtype, requires_grad=requires_grad)


def ones_like(x: Tensor, dtype=None, requires_grad=False) -> Tensor:
    return ones(x.shape, dtype=dtype or x.dtype, requires_grad=requires_grad)


def randn_like(x: Tensor, generator=None, dtype=None, requires_grad=False) -> Tensor:
    return randn(x.shape, generator=generator, dtype=dtype or x.dtype, requires_grad=requires_grad)


def rand_like(x: Tensor, generator=None, dtype=None, requires_grad=False) -> Tensor:
    return rand(x.shape, generator=generator, dtype=dtype or x.dtype, requires_grad=requires_grad)


def _check_join(op: str, tensors, dim: int, same_shape: bool):
    if isinstance(dim, (bool, np.bool_)) or not isinstance(dim, (int, np.integer)):
        check_dim(op, dim, 1)                          # a TypeError naming the op and the value
    if not tensors:
        raise ValueError(f"{op}: expected a non-empty list of tensors")
    shapes = [t.shape for t in tensors]
    ndim = len(shapes[0])
    if any(len(s) != ndim for s in shapes):
        raise ValueError(f"{op}: all tensors need the same number of dims, got shapes {shapes}")
    if same_shape:
        if any(s != shapes[0] for s in shapes):
            raise ValueError(f"{op}: all tensors must have the same shape, got {shapes}")
        check_dim(op, dim, ndim + 1)                   # the new axis may go anywhere from 0 to ndim
        return
    if ndim == 0 or not -ndim <= dim < ndim:
        raise IndexError(f"{op}: dim {dim} is out of range for tensors with {ndim} dims")
    d = dim % ndim
    if any(s[:d] + s[d + 1:] != shapes[0][:d] + shapes[0][d + 1:] for s in shapes):
        raise ValueError(f"{op}: shapes {shapes} must match in every dim except dim {dim}")


def _tensors(op: str, tensors) -> list:
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{op}: expected a list or tuple of tensors, got {describe(tensors)}. Fix: "
                        f"{op}([a, b], dim=0)")
    return [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]


def cat(tensors, dim: int = 0) -> Tensor:
    """Join tensors along an existing axis ``dim`` (all other sizes must match)."""
    tensors = _tensors("cat", tensors)
    tensors = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    _check_join("cat", tensors, dim, same_shape=False)
    return ops.Cat.apply(*tensors, dim=dim)


def stack(tensors, dim: int = 0) -> Tensor:
    """Join same-shaped tensors along a new axis ``dim`` (e.g. a list of h_t into (T, B, H))."""
    tensors = _tensors("stack", tensors)
    tensors = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    _check_join("stack", tensors, dim, same_shape=True)
    return ops.Stack.apply(*tensors, dim=dim)


def where(condition, input, other) -> Tensor:
    """``input`` where ``condition`` is true, else ``other`` (broadcasting)."""
    return ops.Where.apply(condition, input, other)
