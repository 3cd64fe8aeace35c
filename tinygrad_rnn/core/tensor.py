"""``Tensor``: a NumPy array that remembers how it was computed, so gradients can flow back.

A tensor is a *leaf* (made by you: data, parameters) or the output of an op, in
which case ``_ctx`` points to that op's ``Function`` node and the node points to
the op's inputs. ``loss.backward()`` follows those links backwards (see
``core/backward.py``) and leaves dL/dx in ``x.grad`` for every leaf ``x`` that
has ``requires_grad=True``.

Names and behaviour follow PyTorch: ``Tensor``, ``requires_grad``, ``grad``,
``backward``, ``detach``, ``retain_grad``, ``item``, ``numpy``, ``dim``/``keepdim``,
the in-place ``zero_``, ``fill_``, ``copy_``, ``add_`` ... and the version counter ``_version``.
"""
import collections
import itertools
import operator
import weakref

import numpy as np

from . import backward as _backward
from . import checks as _checks
from . import grad_mode as _grad_mode
from . import time_step as _time_step


def _to_array(data, dtype=None, fn: str = "Tensor") -> np.ndarray:
    """NumPy arrays keep their dtype; Python floats and lists of floats become float32 (as PyTorch).

    Complex, object, str, bytes and structured data are refused (``checks.check_dtype_kind``): cast to
    float they would lose their imaginary part or turn None into nan without a word."""
    dtype = _checks.check_dtype_arg(fn, dtype)
    if isinstance(data, Tensor):
        data = data.data
    if isinstance(data, (np.ndarray, np.generic)):
        _checks.check_dtype_kind(fn, data, name="the data")
        return np.array(data, dtype=dtype)
    try:
        array = np.array(data)
    except (ValueError, TypeError) as err:           # ragged nested lists, objects NumPy can't read
        raise ValueError(f"{fn}: cannot make a tensor from {_checks.describe(data)}: every row of a nested list "
                         f"must have the same length ({err}). Fix: pad the rows, or make one tensor per "
                         f"row") from None
    if array.dtype == object:
        raise TypeError(f"{fn}: cannot make a tensor from {_checks.describe(data)}; give a number, "
                        "a (nested) list of numbers or a NumPy array")
    _checks.check_dtype_kind(fn, array, name="the data")
    if dtype is not None:
        array = array.astype(dtype, copy=False)
    elif array.dtype == np.float64:
        array = array.astype(np.float32)
    return array


def as_tensor(x, like=None, fn: str = "Tensor"):
    """``x`` as a Tensor; a plain number takes the dtype of ``like`` when that is floating point.
    ``fn`` names the op in the error for data a tensor can't hold (complex, str, object ...)."""
    if isinstance(x, Tensor):
        return x
    if like is not None and isinstance(x, (int, float)) and like.dtype.kind == "f":
        return Tensor._wrap(np.asarray(x, dtype=like.dtype))
    return Tensor._wrap(_to_array(x, fn=fn))


MaxResult = collections.namedtuple("MaxResult", ["values", "indices"])

#: Numbers the tensors in the order they are made (``Tensor._made``). An op's inputs exist before its
#: output, so a tensor can only depend on tensors with smaller numbers: ``run_backward(inputs=...)``
#: skips every tensor made before the oldest of ``inputs``, which no gradient to them flows through.
_made = itertools.count()

#: How many in-place writes have been counted so far, over all tensors: a clock. A node that saves
#: arrays notes its value; if it is unchanged at backward, nothing was written since, and the
#: node's check is one comparison of two ints (``Function.checked_backward``).
_write_count = [0]


class _VersionCounter:
    """The in-place writes into one tensor's memory, shared with its views (PyTorch's VariableVersion).

    ``version`` counts them (``Tensor._version``); ``recent`` holds the clock (``_write_count``) at
    the last few, so that backward can tell whether the tensor was written since a node saved it,
    and what its version was then. ``replaced``: weak references to the arrays that ``x.data = new``
    replaced, which a node may still have saved as this tensor's.
    """

    __slots__ = ("version", "recent", "replaced")
    KEEP = 8      # the clock of this many writes is kept: enough to name the saved version

    def __init__(self):
        self.version, self.recent, self.replaced = 0, [], []

    def bump(self) -> None:
        _write_count[0] += 1
        self.version += 1
        self.recent.append(_write_count[0])
        if len(self.recent) > self.KEEP:
            del self.recent[0]

    def written_since(self, clock: int) -> bool:
        return bool(self.recent) and self.recent[-1] > clock

    def version_at(self, clock: int) -> int | None:
        """The version when the clock read ``clock``; None if more than KEEP writes came since."""
        later = sum(1 for stamp in self.recent if stamp > clock)
        return None if later == len(self.recent) < self.version else self.version - later

    def remember_replaced(self, array) -> None:
        try:
            self.replaced.append(weakref.ref(array))
        except TypeError:                      # a NumPy scalar cannot be referred to weakly
            return
        self.replaced = [ref for ref in self.replaced[-self.KEEP:] if ref() is not None]

    def held(self, array, same=operator.is_) -> bool:
        """Was ``array`` replaced by ``x.data = new``? (``same(old, array)`` decides what matches.)"""
        return any(ref() is not None and same(ref(), array) for ref in self.replaced)


class Tensor:
    """An n-dimensional array (``.data``) with an optional gradient (``.grad``).

    ``Tensor(data, requires_grad=False, name=None)`` copies ``data`` (a number, list or
    ndarray). ``name`` is a label for drawings and error messages (e.g. ``"W_hh"``, ``"h_3"``).

    Version counter (PyTorch's ``_version``): every in-place write the library makes bumps it —
    the ``*_`` methods below (``zero_``, ``add_``, ``x[i] = v`` ...), assigning ``x.data = ...``
    (so ``x.data -= lr * x.grad`` too), ``optimizer.step()`` and the ``nn.init`` functions. If
    an op saved this tensor's array for backward and the tensor was written to afterwards,
    ``backward()`` raises: the saved values no longer match the tensor. A tensor and its
    views (``x.T``, ``x[0]``, ``x.reshape(...)``, ``x.detach()``: the same memory) share one counter.
    A write straight into the NumPy array (``x.data[...] = 0``, ``np.copyto(x.data, y)``) bypasses
    the Tensor and is not counted; ``detect_anomaly()`` catches those too, by a checksum.
    """

    __slots__ = ("_data", "grad", "_requires_grad", "_ctx", "_output_index", "_retains_grad", "name", "step",
                 "_cut_from", "_version_counter", "_made", "__weakref__")
    __array_ufunc__ = None  # make `ndarray + tensor` call Tensor.__radd__ instead of NumPy's loop

    def __init__(self, data, requires_grad: bool = False, name: str | None = None, dtype=None):
        self._init(_to_array(data, dtype), requires_grad, name)

    def _init(self, array, requires_grad, name=None):
        self._data: np.ndarray = array    # read and written through the `data` property below
        self._version_counter = None      # a _VersionCounter, shared with views; None until needed
        self.grad: np.ndarray | None = None
        self._ctx = None                  # the Function that made this tensor (None for a leaf)
        self._output_index = 0            # which of its outputs this is (ops like chunk make several)
        self._retains_grad = False
        self._cut_from = None             # weak reference to the tensor this one was detached from
        self.name = name
        self.step = _time_step.current_time_step()  # set inside `with time_step(t):`, for drawings
        self._made = next(_made)          # creation number: an op's inputs always have smaller ones
        self._requires_grad = False
        self.requires_grad = requires_grad

    @classmethod
    def _wrap(cls, array, requires_grad=False):
        """Make a tensor around ``array`` without copying it (used by ops, which run it thousands of
        times per training step: so the fields are set directly, as in ``_init``, without its checks)."""
        tensor = cls.__new__(cls)
        tensor._data = np.asarray(array)
        tensor.grad = tensor._ctx = tensor._cut_from = tensor.name = tensor._version_counter = None
        tensor._retains_grad = False
        tensor._output_index = 0
        tensor.step = _time_step._current
        tensor._made = next(_made)
        tensor._requires_grad = requires_grad
        return tensor

    # --- attributes -----------------------------------------------------
    @property
    def data(self) -> np.ndarray:
        """The values, a NumPy array (shared, not copied)."""
        return self._data

    @data.setter
    def data(self, array):
        # Assigning counts as a write to this tensor (`x.data -= d` too: it assigns the same array back).
        if array is not self._data:
            array = self._checked_new_data(array)
            # New memory: views of the old array are not written to, so this tensor leaves their
            # counter for one of its own, which remembers the old array (a node may have saved it).
            counter = _VersionCounter()
            counter.version = self._version
            counter.remember_replaced(self._data)
            self._version_counter = counter
        self._data = array
        self._bump_version()

    def _checked_new_data(self, array) -> np.ndarray:
        """``x.data = array``: an ndarray (a Tensor gives its array) of real numbers; floating point if x
        requires grad. A TypeError names the problem and the fix; nothing is changed then."""
        if isinstance(array, Tensor):
            array = array._data
        if not isinstance(array, np.ndarray):
            raise TypeError(f"Tensor.data: must be set to a NumPy array, got {_checks.describe(array)}. Fix: "
                            f"x.data = np.asarray(value, dtype=x.dtype), or write in place: x.data[...] = value")
        _checks.check_dtype_kind("Tensor.data", array, name="the new array")
        if self._requires_grad and array.dtype.kind != "f":
            raise TypeError(f"Tensor.data: the tensor requires grad, so its data must be floating point, got "
                            f"{array.dtype}. Fix: x.data = array.astype({self._data.dtype.name!r})")
        return array

    @property
    def _version(self) -> int:
        """How many in-place writes this tensor (or a view of its memory) has had (PyTorch's name)."""
        counter = self._version_counter
        return 0 if counter is None else counter.version

    def _bump_version(self) -> None:
        """Count one in-place write. For library writers: call it after changing ``self.data``'s
        values in place by hand (``self.data[...] = v``), so that a backward pass that saved the
        old values raises instead of silently using the new ones."""
        counter = self._version_counter
        if counter is None:
            counter = self._version_counter = _VersionCounter()
        counter.bump()

    def _share_version_counter(self, base) -> None:
        """Count writes together with ``base``, whose memory this tensor is a view of (PyTorch:
        a view and its base share one version counter)."""
        counter = base._version_counter
        if counter is None:
            counter = base._version_counter = _VersionCounter()
        self._version_counter = counter

    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool):
        if value and self._data.dtype.kind != "f":  # float16/32/64
            raise TypeError(f"requires_grad: only floating point tensors can require gradients, this one is "
                            f"{self.data.dtype}. Fix: convert first, e.g. Tensor(x, dtype=np.float32) or x.float()")
        if not value and self._ctx is not None:
            raise RuntimeError("requires_grad: this tensor is the output of an op; you can only change "
                               "requires_grad on leaves. Use .detach() for a copy outside the graph.")
        self._requires_grad = bool(value)

    def requires_grad_(self, requires_grad: bool = True):
        self.requires_grad = requires_grad
        return self

    shape = property(lambda self: self._data.shape, doc="tuple of dim sizes")
    ndim = property(lambda self: self._data.ndim, doc="number of dims")
    dtype = property(lambda self: self._data.dtype, doc="NumPy dtype")
    is_leaf = property(lambda self: self._ctx is None, doc="True unless made by an op that recorded the graph")
    grad_fn = property(lambda self: self._ctx, doc="the Function node that made this tensor, or None")

    def size(self, dim=None):
        return self.shape if dim is None else self.shape[_check_dim("size", dim, self.ndim)]

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
                               "nothing to differentiate. " + self._why_no_graph())
        if gradient is None:
            if self.data.size != 1:
                raise RuntimeError(f"backward: grad can be implicitly created only for a one-element tensor, "
                                   f"this one has shape {self.shape}. Fix: reduce it to a scalar loss first "
                                   f"(.sum() or .mean()), or pass backward(gradient) of shape {self.shape}.")
            gradient = np.ones_like(self.data)
        else:
            gradient = _to_array(gradient, dtype=self.dtype, fn="backward")
            if gradient.shape != self.shape:
                raise RuntimeError(f"backward: gradient has shape {gradient.shape} but the tensor has shape "
                                   f"{self.shape}; they must match")
        _backward.run_backward(self, gradient, retain_graph=retain_graph)

    def _why_no_graph(self) -> str:
        """The likely cause and its fix, for ``backward()`` on a tensor that requires no grad."""
        if self._cut_from is not None:
            return ("It was made by .detach(), which cuts it from the graph. Fix: call backward() on the "
                    "tensor it was detached from, or compute the loss from that tensor, not its detached copy.")
        if not _grad_mode._enabled:
            return ("Gradients are switched off here (inside no_grad() or set_grad_enabled(False)), so no graph "
                    "was recorded. Fix: compute the loss outside that block.")
        return ("Fix: create the inputs you want gradients for with requires_grad=True (parameters of nn modules "
                "have it), don't compute the loss inside no_grad(), and don't build it from x.detach().")

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
        The new tensor remembers (weakly) which tensor it was cut from, for drawings. It shares
        this tensor's memory, so an in-place write to either counts for both (``_version``).
        """
        out = Tensor._wrap(self._data)
        out.name = self.name
        out._cut_from = weakref.ref(self)
        out._share_version_counter(self)
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

    # --- in-place writes (PyTorch's names: a trailing underscore) ------------------------
    # They change ``self.data``'s values where they are, record no graph, bump ``_version`` and
    # return ``self``. As in PyTorch, a tensor that requires grad may only be written to inside
    # ``with no_grad():`` (where optimizers and nn.init work); here that holds for a non-leaf too,
    # since the write is not recorded in the graph.
    def _check_write(self, op: str, value=None) -> None:
        if not _grad_mode._enabled:
            return
        if self._requires_grad and self._ctx is None:
            raise RuntimeError(f"{op}: a leaf Variable that requires grad is being used in an in-place operation "
                               f"({_label(self)}): the write would not be recorded in the graph. Fix: do it "
                               f"inside `with no_grad():` (as optimizer.step() and nn.init do), or compute a new "
                               f"tensor instead (x = x + 1)")
        if self._requires_grad:
            raise RuntimeError(f"{op}: {_label(self)} is part of the graph (made by '{self._ctx.op_name}'), and "
                               f"in-place writes are not recorded in it, so gradients through it would be wrong. "
                               f"Fix: compute a new tensor instead (y = y * 2), or write inside `with no_grad():` "
                               f"if no gradient needs to flow through this value")
        if isinstance(value, Tensor) and value._requires_grad:
            raise RuntimeError(f"{op}: the value written into {_label(self)} requires grad, but in-place writes "
                               f"are not recorded in the graph, so no gradient would reach it. Fix: compute a new "
                               f"tensor instead (x = x + w), or write w.detach() if no gradient should flow")

    def _write(self, op: str, value, write) -> "Tensor":
        """Check, then ``write(self.data, value as an array or number)``, then count the write."""
        self._check_write(op, value)
        if value is not None and not isinstance(value, (int, float)):     # complex, object ...: refused
            _checks.check_dtype_kind(op, np.asarray(value) if isinstance(value, complex) else value,
                                     name="the value written")
        try:
            write(self._data, value._data if isinstance(value, Tensor) else value)
        except (ValueError, TypeError) as err:   # a shape that doesn't broadcast, a float into an int tensor
            kind = ValueError if isinstance(err, ValueError) else TypeError
            raise kind(f"{op}: can't write into {_label(self)}: {err}") from None
        self._bump_version()
        return self

    def fill_(self, value):
        """Set every element to ``value`` (a number or a one-element tensor)."""
        return self._write("fill_", value, _assign)

    def zero_(self):
        return self._write("zero_", 0, _assign)

    def copy_(self, src):
        """Copy ``src``'s values in (broadcast to this shape, cast to this dtype)."""
        return self._write("copy_", src, _assign)

    def add_(self, other, *, alpha=1):
        """``self += alpha * other``."""
        return self._write("add_", other, lambda out, v: np.add(out, v if alpha == 1 else alpha * np.asarray(v),
                                                                 out=out))

    def sub_(self, other, *, alpha=1):
        """``self -= alpha * other``."""
        return self._write("sub_", other, lambda out, v: np.subtract(out, v if alpha == 1 else
                                                                      alpha * np.asarray(v), out=out))

    def mul_(self, other):
        return self._write("mul_", other, lambda out, v: np.multiply(out, v, out=out))

    def div_(self, other):
        return self._write("div_", other, lambda out, v: np.divide(out, v, out=out))

    def clamp_(self, min=None, max=None):
        if min is None and max is None:
            raise ValueError("clamp_: give at least one of min and max")
        _check_bounds("clamp_", min, max, self.shape)
        low, high = _bound_array(min), _bound_array(max)
        return self._write("clamp_", None, lambda out, _: np.clip(out, low, high, out=out))

    def __setitem__(self, index, value):
        """``x[index] = value``: NumPy's indexing, in place (as ``copy_`` into ``x[index]``)."""
        index = _plain_index(index)
        self._write("setitem", value, lambda out, v: out.__setitem__(index, v))

    # --- dtype ---------------------------------------------------------
    def to(self, dtype):
        """A copy cast to ``dtype`` (``np.float32``, ``np.float64``); gradients flow through the cast."""
        if dtype is None:
            raise TypeError("to: dtype is None. Fix: pass a dtype, e.g. x.to(np.float32) or x.to(np.float64)")
        dtype = _checks.check_dtype_arg("to", dtype)
        return self if self.dtype == dtype else ops.Cast.apply(self, dtype=dtype)

    def float(self):
        return self.to(np.float32)

    def double(self):
        return self.to(np.float64)

    # --- arithmetic (operators accept numbers on either side) --------------
    def _binary(self, op, other, reverse=False):
        if not isinstance(other, Tensor):     # a number or an array: a constant of this tensor's dtype
            other = as_tensor(other, like=self, fn=getattr(op, "name", None) or op.__name__.lower())
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

    # --- augmented assignment: x += y, x -= y, x *= y, x /= y ------------------------------
    # As in PyTorch, in place wherever no gradient has to be recorded: inside ``no_grad()`` (the hand-written
    # update ``w -= lr * w.grad``) or on tensors that need no gradient. The values change where they are and
    # ``x._version`` goes up, so a graph that saved ``x`` refuses to backpropagate the old values. Outside
    # ``no_grad()`` a leaf that requires grad is refused, as in PyTorch. A tensor in the graph (``h += 1`` after
    # ``h = x * 2``) gets a new node and the name is rebound to it: PyTorch records the in-place op on the same
    # object instead; the values and gradients are the same.
    def _augmented(self, symbol: str, other, ufunc, op):
        if _grad_mode._enabled and (self._requires_grad or (isinstance(other, Tensor) and other._requires_grad)):
            if self._requires_grad and self._ctx is None:
                self._check_write(symbol)            # raises: a leaf that requires grad, outside no_grad()
            return self._binary(op, other)
        return self._write(symbol, other, lambda out, v: ufunc(out, v, out=out))

    def __iadd__(self, other):
        return self._augmented("+=", other, np.add, ops.Add)

    def __isub__(self, other):
        return self._augmented("-=", other, np.subtract, ops.Sub)

    def __imul__(self, other):
        return self._augmented("*=", other, np.multiply, ops.Mul)

    def __itruediv__(self, other):
        return self._augmented("/=", other, np.divide, ops.Div)

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
        _checks.check_real_number("pow", "exponent", exponent, finite=False, example=2)
        return ops.Pow.apply(self, exponent=float(exponent))  # a Python float keeps x's dtype

    add, sub, mul, div, matmul, neg, pow = __add__, __sub__, __mul__, __truediv__, __matmul__, __neg__, __pow__

    # comparisons give bool tensors (no gradient), as in PyTorch
    def _compare(self, other, fn):
        name = {np.less: "lt", np.less_equal: "le", np.greater: "gt", np.greater_equal: "ge", np.equal: "eq",
                np.not_equal: "ne"}[fn]
        other = other.data if isinstance(other, Tensor) else other
        if other is None or isinstance(other, (str, bytes)):
            raise TypeError(f"{name}: can't compare a tensor of shape {self.shape} with {_checks.describe(other)}. "
                            f"Fix: compare with a number or a tensor of a shape that broadcasts")
        other = np.asarray(other)
        _checks.check_dtype_kind(name, other, name="the other operand")
        try:
            return Tensor._wrap(fn(self.data, other))
        except ValueError:
            raise ValueError(f"{name}: shapes {self.shape} and {other.shape} cannot be broadcast together. Fix: "
                             f"reshape one side (.unsqueeze(dim), .reshape(...)) so each pair of sizes, lined up "
                             f"from the right, is equal or 1") from None

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
        """Each entry limited to [min, max]. ``min``/``max``: numbers, arrays or Tensors broadcasting to
        x's shape. A bound Tensor that requires grad gets the gradient where it is the result (as in
        PyTorch: clamp(x, min) = where(x >= min, x, min), then the same with max)."""
        if min is None and max is None:
            raise ValueError("clamp: give at least one of min and max")
        _check_bounds("clamp", min, max, self.shape)
        if any(isinstance(b, Tensor) and b.requires_grad for b in (min, max)) and _grad_mode.is_grad_enabled():
            out = self
            if min is not None:
                out = ops.Where.apply(as_tensor(out >= min), out, as_tensor(min, like=self, fn="clamp"))
            if max is not None:
                out = ops.Where.apply(as_tensor(out <= max), out, as_tensor(max, like=self, fn="clamp"))
            return out
        return ops.Clamp.apply(self, min=_bound_array(min), max=_bound_array(max))

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
        if dim is not None and not isinstance(dim, (int, np.integer)):
            raise TypeError(f"max: dim must be one int when you want (values, indices), got {_checks.describe(dim)};"
                            f" use amax for several dims")
        values = ops.Max.apply(self, dim=dim, keepdim=keepdim)
        if dim is None:
            return values
        indices = np.argmax(self.data, axis=dim)
        return MaxResult(values, Tensor._wrap(np.expand_dims(indices, dim) if keepdim else indices))

    def argmax(self, dim=None, keepdim=False):
        if dim is not None:
            dim = _check_dim("argmax", dim, self.ndim)
        if self.data.size == 0 and (dim is None or self.shape[dim] == 0):
            raise ValueError(f"argmax: the tensor of shape {self.shape} is empty, so it has no largest entry. Fix: "
                             f"check how it was made (a slice such as x[0:0]?)")
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
        if isinstance(dim, (bool, np.bool_)) or not isinstance(dim, (int, np.integer)):
            raise TypeError(f"unsqueeze: dim must be an int, got {_checks.describe(dim)}. Fix: e.g. unsqueeze(0)")
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
        for d in dims:
            if isinstance(d, (bool, np.bool_)) or not isinstance(d, (int, np.integer)):
                raise TypeError(f"permute: each dim must be an int, got {_checks.describe(d)} in "
                                f"{_checks.describe(tuple(dims))}. Fix: e.g. permute(1, 0) for a matrix")
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
        if self.ndim == 0:
            raise ValueError("split: a 0-d tensor has no dim to split. Fix: reshape it first, e.g. x.reshape(1)")
        dim = _check_dim("split", dim, self.ndim)
        n = self.shape[dim]
        if isinstance(split_size_or_sections, (int, np.integer)) and not isinstance(split_size_or_sections, bool):
            if split_size_or_sections <= 0:
                raise ValueError(f"split: split_size must be positive, got {split_size_or_sections}. Fix: pass a "
                                 f"size >= 1, e.g. split(1, dim={dim})")
            sizes = [min(split_size_or_sections, n - start) for start in range(0, n, split_size_or_sections)]
        elif not isinstance(split_size_or_sections, (list, tuple)):
            raise TypeError(f"split: split_size_or_sections must be an int or a list of ints, got "
                            f"{_checks.describe(split_size_or_sections)}. Fix: e.g. split(2) or split([1, 2])")
        else:
            sizes = [_checks.check_int("split", "each section size", s, minimum=0) for s in split_size_or_sections]
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
        _checks.check_int("chunk", "chunks", chunks, minimum=1, example=2)
        if self.ndim == 0:
            raise ValueError("chunk: a 0-d tensor has no dim to chunk. Fix: reshape it first, e.g. x.reshape(1)")
        n = self.shape[_check_dim("chunk", dim, self.ndim)]
        return self.split(max(-(-n // chunks), 1), dim)


def _assign(out: np.ndarray, value) -> None:
    out[...] = value


def _label(tensor) -> str:
    """``'W_hh' (shape (4, 4))`` or ``a tensor of shape (4, 4)``, for messages."""
    return f"'{tensor.name}' (shape {tensor.shape})" if tensor.name else f"a tensor of shape {tensor.shape}"


def _check_dim(op: str, dim: int, ndim: int) -> int:
    """``dim`` as a non-negative axis, or an IndexError naming the op and the valid range."""
    return _checks.check_dim(op, dim, ndim)


def _check_bounds(op: str, low, high, shape) -> None:
    """clamp's ``min``/``max``: None, numbers or tensors/arrays of real numbers broadcasting to ``shape``."""
    for name, bound in (("min", low), ("max", high)):
        if bound is None:
            continue
        if not isinstance(bound, (Tensor, np.ndarray)):
            _checks.check_real_number(op, name, bound, finite=False, example=0.0)
            continue
        _checks.check_dtype_kind(op, bound, name=name)
        try:
            fits = np.broadcast_shapes(bound.shape, shape) == tuple(shape)
        except ValueError:
            fits = False
        if not fits:
            raise ValueError(f"{op}: {name} has shape {tuple(bound.shape)}, which does not broadcast to x's shape "
                             f"{tuple(shape)}. Fix: a number, or a bound of shape {tuple(shape)}"
                             + (f" (or one that broadcasts to it, e.g. shape {tuple(shape[-1:])} for one bound per "
                                f"column)" if len(shape) > 1 else ""))


def _bound_array(bound):
    """A clamp bound as NumPy takes it: a Tensor's array (no gradient reaches it), or the bound as given."""
    return bound.data if isinstance(bound, Tensor) else bound


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
