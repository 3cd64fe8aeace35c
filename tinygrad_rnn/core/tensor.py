"""``Tensor``: a NumPy array that remembers how it was computed, so gradients can flow back.

A tensor is a *leaf* (made by you: data, parameters) or the output of an op, in
which case ``_ctx`` points to that op's ``Function`` node and the node points to
the op's inputs. ``loss.backward()`` follows those links backwards (see
``core/backward.py``) and leaves dL/dx in ``x.grad`` for every leaf ``x`` that
has ``requires_grad=True``.

Names and behaviour follow PyTorch: ``Tensor``, ``requires_grad``, ``grad``,
``backward``, ``detach``, ``retain_grad``, ``item``, ``numpy``, ``dim``/``keepdim``.
"""
import collections
import weakref

import numpy as np

from . import backward as _backward
from . import time_step as _time_step


def _to_array(data, dtype=None) -> np.ndarray:
    """NumPy arrays keep their dtype; Python floats and lists of floats become float32 (as PyTorch)."""
    if isinstance(data, Tensor):
        data = data.data
    if isinstance(data, (np.ndarray, np.generic)):
        return np.array(data, dtype=dtype)
    array = np.array(data, dtype=dtype)
    if dtype is None and array.dtype == np.float64:
        array = array.astype(np.float32)
    if array.dtype == object:
        raise TypeError(f"Tensor: cannot make a tensor from {type(data).__name__} {data!r:.60}; give a number, "
                        "a (nested) list of numbers or a NumPy array")
    return array


def as_tensor(x, like=None):
    """``x`` as a Tensor; a plain number takes the dtype of ``like`` when that is floating point."""
    if isinstance(x, Tensor):
        return x
    if like is not None and isinstance(x, (int, float)) and like.dtype.kind == "f":
        return Tensor._wrap(np.asarray(x, dtype=like.dtype))
    return Tensor(x)


MaxResult = collections.namedtuple("MaxResult", ["values", "indices"])


class Tensor:
    """An n-dimensional array (``.data``) with an optional gradient (``.grad``).

    ``Tensor(data, requires_grad=False, name=None)`` copies ``data`` (a number, list or
    ndarray). ``name`` is a label for drawings and error messages (e.g. ``"W_hh"``, ``"h_3"``).
    """

    __slots__ = ("data", "grad", "_requires_grad", "_ctx", "_output_index", "_retains_grad", "name", "step",
                 "_cut_from", "__weakref__")
    __array_ufunc__ = None  # make `ndarray + tensor` call Tensor.__radd__ instead of NumPy's loop

    def __init__(self, data, requires_grad: bool = False, name: str | None = None, dtype=None):
        self._init(_to_array(data, dtype), requires_grad, name)

    def _init(self, array, requires_grad, name=None):
        self.data: np.ndarray = array
        self.grad: np.ndarray | None = None
        self._ctx = None                  # the Function that made this tensor (None for a leaf)
        self._output_index = 0            # which of its outputs this is (ops like chunk make several)
        self._retains_grad = False
        self._cut_from = None             # weak reference to the tensor this one was detached from
        self.name = name
        self.step = _time_step.current_time_step()  # set inside `with time_step(t):`, for drawings
        self._requires_grad = False
        self.requires_grad = requires_grad

    @classmethod
    def _wrap(cls, array, requires_grad=False):
        """Make a tensor around ``array`` without copying it (used by ops, which run it thousands of
        times per training step: so the fields are set directly, as in ``_init``, without its checks)."""
        tensor = cls.__new__(cls)
        tensor.data = np.asarray(array)
        tensor.grad = tensor._ctx = tensor._cut_from = tensor.name = None
        tensor._retains_grad = False
        tensor._output_index = 0
        tensor.step = _time_step._current
        tensor._requires_grad = requires_grad
        return tensor

    # --- attributes -----------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool):
        if value and self.data.dtype.kind != "f":  # float16/32/64
            raise TypeError(f"requires_grad: only floating point tensors can require gradients, this one is "
                            f"{self.data.dtype}. Fix: convert first, e.g. Tensor(x, dtype=np.float32) or x.float()")
        if not value and self._ctx is not None:
            raise RuntimeError("requires_grad: this tensor is the output of an op; you can only change "
                               "requires_grad on leaves. Use .detach() for a copy outside the graph.")
        self._requires_grad = bool(value)

    def requires_grad_(self, requires_grad: bool = True):
        self.requires_grad = requires_grad
        return self

    shape = property(lambda self: self.data.shape, doc="tuple of dim sizes")
    ndim = property(lambda self: self.data.ndim, doc="number of dims")
    dtype = property(lambda self: self.data.dtype, doc="NumPy dtype")
    is_leaf = property(lambda self: self._ctx is None, doc="True unless made by an op that recorded the graph")
    grad_fn = property(lambda self: self._ctx, doc="the Function node that made this tensor, or None")

    def size(self, dim=None):
        return self.shape if dim is None else self.shape[dim]

    def dim(self) -> int:
        return self.ndim

    def numel(self) -> int:
        return self.data.size

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def numpy(self) -> np.ndarray:
        """The data as an ndarray (shared, not copied). As in PyTorch, call ``.detach()`` first if
        the tensor requires grad."""
        if self.requires_grad:
            raise RuntimeError("numpy: can't call numpy() on a tensor that requires grad. Use "
                               "tensor.detach().numpy() (or read tensor.data).")
        return self.data

    def item(self) -> float:
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(f"item: only a one-element tensor can be converted to a Python number, this one "
                             f"has shape {self.shape}. Fix: reduce it first (.sum(), .mean()) or index it.")
        return self.data.item()

    def __bool__(self):
        if self.data.size != 1:
            raise ValueError(f"bool: the truth value of a tensor of shape {self.shape} is ambiguous; use "
                             "(x > 0).any() style NumPy calls on x.data, or reduce it first")
        return bool(self.data)

    def __float__(self):
        return float(self.item())

    def __repr__(self):
        body = np.array2string(self.data, separator=", ", prefix="tensor(", precision=4, threshold=20)
        extras = []
        if self.data.dtype != np.float32:
            extras.append(f"dtype={self.data.dtype}")
        if self.name:
            extras.append(f"name={self.name!r}")
        if self._ctx is not None:
            extras.append(f"grad_fn=<{self._ctx.op_name}>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + ", ".join([body] + extras) + ")"

    # --- autograd ---------------------------------------------------------
    def backward(self, gradient=None, retain_graph: bool = False) -> None:
        """Compute dself/dx for every leaf ``x`` below this tensor and add it to ``x.grad``.

        For a one-element tensor (a loss) ``gradient`` defaults to 1. Otherwise pass
        ``gradient``, dL/dself, of this tensor's shape. Gradients *add up* across calls
        until you zero them (``x.grad = None`` or ``optimizer.zero_grad()``).

        Calling ``backward()`` twice through the same graph: the first call frees the
        arrays the ops saved, so the second raises an error — unless the first was
        ``backward(retain_graph=True)``, in which case the second adds the same
        gradients again (PyTorch's rule).
        """
        if not self.requires_grad:
            raise RuntimeError("backward: this tensor does not require grad and has no grad_fn, so there is "
                               "nothing to differentiate. Fix: create the inputs you want gradients for with "
                               "requires_grad=True, and don't compute the loss inside no_grad().")
        if gradient is None:
            if self.data.size != 1:
                raise RuntimeError(f"backward: grad can be implicitly created only for a one-element tensor, "
                                   f"this one has shape {self.shape}. Fix: reduce it to a scalar loss first "
                                   f"(.sum() or .mean()), or pass backward(gradient) of shape {self.shape}.")
            gradient = np.ones_like(self.data)
        else:
            gradient = _to_array(gradient, dtype=self.dtype)
            if gradient.shape != self.shape:
                raise RuntimeError(f"backward: gradient has shape {gradient.shape} but the tensor has shape "
                                   f"{self.shape}; they must match")
        _backward.run_backward(self, gradient, retain_graph=retain_graph)

    def retain_grad(self) -> None:
        """Keep dL/dself in ``.grad`` after backward even though this tensor is not a leaf (e.g. h_t)."""
        if not self.requires_grad:
            raise RuntimeError("retain_grad: can't retain the grad of a tensor that doesn't require grad")
        self._retains_grad = True

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad and self._ctx is not None

    def detach(self):
        """A new leaf sharing this tensor's data, with no history: gradients stop here.

        This is how truncated BPTT cuts the graph: ``h = h.detach()`` between windows.
        The new tensor remembers (weakly) which tensor it was cut from, for drawings.
        """
        out = Tensor._wrap(self.data)
        out.name = self.name
        out._cut_from = weakref.ref(self)
        return out

    def unchain_backward(self) -> None:
        """Cut every link upstream of this tensor, in place (Chainer's/DeZero's idiom).

        This tensor and every tensor it was computed from become leaves; unreferenced
        parts of the old graph are freed. ``requires_grad`` is unchanged, so a later
        backward still reaches this tensor but goes no further.
        """
        stack = [self]
        while stack:
            tensor = stack.pop()
            fn, tensor._ctx = tensor._ctx, None
            if fn is not None:
                stack.extend(fn.parents)
                fn.parents = ()

    # --- dtype ---------------------------------------------------------
    def to(self, dtype):
        """A copy cast to ``dtype`` (``np.float32``, ``np.float64``); gradients flow through the cast."""
        return self if self.dtype == np.dtype(dtype) else ops.Cast.apply(self, dtype=np.dtype(dtype))

    def float(self):
        return self.to(np.float32)

    def double(self):
        return self.to(np.float64)

    # --- arithmetic (operators accept numbers on either side) --------------
    def _binary(self, op, other, reverse=False):
        other = as_tensor(other, like=self)
        return op.apply(other, self) if reverse else op.apply(self, other)

    def __add__(self, other):
        return self._binary(ops.Add, other)

    def __radd__(self, other):
        return self._binary(ops.Add, other, reverse=True)

    def __sub__(self, other):
        return self._binary(ops.Sub, other)

    def __rsub__(self, other):
        return self._binary(ops.Sub, other, reverse=True)

    def __mul__(self, other):
        return self._binary(ops.Mul, other)

    def __rmul__(self, other):
        return self._binary(ops.Mul, other, reverse=True)

    def __truediv__(self, other):
        return self._binary(ops.Div, other)

    def __rtruediv__(self, other):
        return self._binary(ops.Div, other, reverse=True)

    def __matmul__(self, other):
        return self._binary(ops.MatMul, other)

    def __rmatmul__(self, other):
        return self._binary(ops.MatMul, other, reverse=True)

    def __neg__(self):
        return ops.Neg.apply(self)

    def __pow__(self, exponent):
        if isinstance(exponent, Tensor) or not np.isscalar(exponent):
            raise TypeError("pow: only a number exponent is supported (x ** 2, x ** 0.5); for a tensor "
                            "exponent use (y * x.log()).exp()")
        return ops.Pow.apply(self, exponent=float(exponent))  # a Python float keeps x's dtype

    add, sub, mul, div, matmul, neg, pow = __add__, __sub__, __mul__, __truediv__, __matmul__, __neg__, __pow__

    # comparisons give bool tensors (no gradient), as in PyTorch
    def _compare(self, other, fn):
        return Tensor._wrap(fn(self.data, other.data if isinstance(other, Tensor) else other))

    __lt__ = lambda self, other: self._compare(other, np.less)
    __le__ = lambda self, other: self._compare(other, np.less_equal)
    __gt__ = lambda self, other: self._compare(other, np.greater)
    __ge__ = lambda self, other: self._compare(other, np.greater_equal)
    __eq__ = lambda self, other: self._compare(other, np.equal)
    __ne__ = lambda self, other: self._compare(other, np.not_equal)
    __hash__ = object.__hash__  # tensors are hashed by identity, like PyTorch's

    # --- elementwise functions ---------------------------------------------
    def exp(self):
        return ops.Exp.apply(self)

    def log(self):
        return ops.Log.apply(self)

    def tanh(self):
        return ops.Tanh.apply(self)

    def sigmoid(self):
        return ops.Sigmoid.apply(self)

    def relu(self):
        return ops.ReLU.apply(self)

    def abs(self):
        return ops.Abs.apply(self)

    def sqrt(self):
        return self ** 0.5

    def clamp(self, min=None, max=None):
        if min is None and max is None:
            raise ValueError("clamp: give at least one of min and max")
        return ops.Clamp.apply(self, min=min, max=max)

    clip = clamp

    # --- reductions -------------------------------------------------------
    def sum(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """Sum over ``dim`` (int or tuple; all dims if None). ``axis``/``keepdims`` are NumPy aliases."""
        dim, keepdim = _dims(dim, keepdim, axis, keepdims)
        return ops.Sum.apply(self, dim=dim, keepdim=keepdim)

    def mean(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        dim, keepdim = _dims(dim, keepdim, axis, keepdims)
        return ops.Mean.apply(self, dim=dim, keepdim=keepdim)

    def amax(self, dim=None, keepdim=False):
        """Largest value over ``dim`` (a tensor; gradient shared among ties)."""
        return ops.Max.apply(self, dim=dim, keepdim=keepdim)

    def max(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """``x.max()`` is the largest value; ``x.max(dim)`` is ``(values, indices)`` along ``dim``, as PyTorch."""
        dim, keepdim = _dims(dim, keepdim, axis, keepdims)
        values = ops.Max.apply(self, dim=dim, keepdim=keepdim)
        if dim is None:
            return values
        if not isinstance(dim, (int, np.integer)):
            raise TypeError("max: dim must be one int when you want (values, indices); use amax for several dims")
        indices = np.argmax(self.data, axis=dim)
        return MaxResult(values, Tensor._wrap(np.expand_dims(indices, dim) if keepdim else indices))

    def argmax(self, dim=None, keepdim=False):
        indices = np.argmax(self.data, axis=dim)
        return Tensor._wrap(np.expand_dims(indices, dim) if keepdim and dim is not None else indices)

    # --- shape --------------------------------------------------------------
    def reshape(self, *shape):
        shape = shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        return ops.Reshape.apply(self, shape=tuple(shape))

    view = reshape

    def flatten(self):
        return self.reshape(-1)

    def unsqueeze(self, dim: int):
        """Insert a size-1 axis at ``dim`` (e.g. (H,) -> (1, H))."""
        shape = list(self.shape)
        if not -len(shape) - 1 <= dim <= len(shape):  # list.insert would silently clamp it
            raise IndexError(f"unsqueeze: dim {dim} is out of range for a tensor of shape {self.shape}; "
                             f"use a dim in [{-len(shape) - 1}, {len(shape)}]")
        shape.insert(dim if dim >= 0 else len(shape) + dim + 1, 1)
        return self.reshape(shape)

    def squeeze(self, dim=None):
        """Drop size-1 axes (only ``dim`` if given, and only if its size is 1, as PyTorch)."""
        if dim is None:
            shape = [n for n in self.shape if n != 1]
        else:
            shape = list(self.shape)
            if shape and shape[_check_dim("squeeze", dim, self.ndim)] == 1:
                del shape[dim]
        return self.reshape(shape)

    def permute(self, *dims):
        dims = dims[0] if len(dims) == 1 and isinstance(dims[0], (tuple, list)) else dims
        return ops.Permute.apply(self, dims=tuple(dims))

    def transpose(self, dim0: int, dim1: int):
        """Swap two axes."""
        dim0, dim1 = _check_dim("transpose", dim0, self.ndim), _check_dim("transpose", dim1, self.ndim)
        dims = list(range(self.ndim))
        dims[dim0], dims[dim1] = dims[dim1], dims[dim0]
        return self.permute(dims)

    @property
    def T(self):
        """All axes reversed (for a matrix, the transpose)."""
        return self.permute(tuple(reversed(range(self.ndim))))

    def __getitem__(self, index):
        return ops.GetItem.apply(self, index=_plain_index(index))

    def split(self, split_size_or_sections, dim: int = 0):
        """Pieces of ``split_size`` along ``dim`` (the last may be smaller), or of the listed sizes."""
        n = self.shape[dim]
        if isinstance(split_size_or_sections, (int, np.integer)):
            if split_size_or_sections <= 0:
                raise ValueError(f"split: split_size must be positive, got {split_size_or_sections}")
            sizes = [min(split_size_or_sections, n - start) for start in range(0, n, split_size_or_sections)]
        else:
            sizes = list(split_size_or_sections)
            if sum(sizes) != n:
                raise ValueError(f"split: sizes {sizes} add up to {sum(sizes)} but dim {dim} has size {n}")
        return ops.Split.apply(self, sizes=tuple(sizes), dim=dim)

    def unbind(self, dim: int = 0) -> tuple:
        """The slices along ``dim`` as a tuple of tensors, from one node (a sequence into its steps)."""
        dim = _check_dim("unbind", dim, self.ndim)
        if self.ndim == 0:
            raise IndexError("unbind: a 0-d tensor has no dim to unbind")
        return ops.Unbind.apply(self, dim=dim)

    def chunk(self, chunks: int, dim: int = 0):
        """``chunks`` nearly equal pieces along ``dim`` (the LSTM's four gates: ``gates.chunk(4, 1)``)."""
        n = self.shape[dim]
        return self.split(-(-n // chunks), dim)


def _check_dim(op: str, dim: int, ndim: int) -> int:
    """``dim`` as a non-negative axis, or an IndexError naming the op and the valid range."""
    if not -max(ndim, 1) <= dim < max(ndim, 1):
        raise IndexError(f"{op}: dim {dim} is out of range for a tensor with {ndim} dimension(s); use a dim "
                         f"in [{-ndim}, {ndim - 1}]")
    return dim % max(ndim, 1)


def _dims(dim, keepdim, axis, keepdims):
    """Accept PyTorch's ``dim``/``keepdim`` and NumPy's ``axis``/``keepdims``."""
    return (axis if dim is None else dim), (keepdims if keepdims is not None else keepdim)


def _plain_index(index):
    """Indices may contain Tensors (e.g. targets); use their arrays."""
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    if isinstance(index, list):
        return np.asarray(index)
    return index


# The ops import this module's Tensor, so they are imported after it is defined.
from . import ops  # noqa: E402
