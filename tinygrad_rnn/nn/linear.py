"""``Linear`` and ``Embedding``: PyTorch's two simplest layers, and the small helpers every
layer here uses to make its parameters (``dtype=`` and ``generator=`` keywords).

Every module takes ``dtype=None`` (float32, as PyTorch; ``np.float64`` for gradient
checks) and ``generator=None`` (an ``np.random.Generator``; by default the library's
global one, so ``tg.manual_seed(0)`` makes the initial weights repeatable).
"""
import numpy as np

from ..core import Tensor
from ..core.checks import check_dtype_kind, describe
from ..core.creation import default_generator
from . import functional as F
from .module import Module, Parameter


def resolve_dtype(dtype, owner: str) -> np.dtype:
    """``dtype`` as a NumPy floating dtype (float32 when ``None``)."""
    dtype = np.dtype(np.float32 if dtype is None else dtype)
    if not np.issubdtype(dtype, np.floating):
        raise TypeError(f"{owner}: dtype must be a floating point type (np.float32 or np.float64), got {dtype}")
    return dtype


def check_sizes(owner: str, minimum: int = 1, **sizes) -> None:
    """Raise unless every size (``input_size=3, hidden_size=4`` ...) is an int >= ``minimum``:
    TypeError for a float, str or bool, ValueError for a number that is too small."""
    for name, value in sizes.items():
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            whole = isinstance(value, float) and value.is_integer()
            raise TypeError(f"{owner}: {name} must be an int, got {value!r} ({type(value).__name__}). Fix: pass "
                            + (f"{name}={int(value)}" if whole else f"a whole number, e.g. int({name})"))
        if value < minimum:
            rule = "positive (>= 1)" if minimum == 1 else f">= {minimum}"
            raise ValueError(f"{owner}: {name} must be {rule}, got {value}. Fix: pass {name} >= {minimum}")


def resolve_generator(generator, owner: str) -> np.random.Generator:
    """``generator`` if it is a ``np.random.Generator``, the library's global one for ``None``."""
    if generator is None:
        return default_generator()
    if not isinstance(generator, np.random.Generator):
        seed = generator if isinstance(generator, (int, np.integer)) and not isinstance(generator, bool) else 0
        raise TypeError(f"{owner}: generator must be a np.random.Generator or None, got "
                        f"{type(generator).__name__}. Fix: generator=np.random.default_rng({seed})")
    return generator


def uniform_parameter(shape, bound: float, dtype, generator=None, owner: str = "uniform_parameter") -> Parameter:
    """A ``Parameter`` of ``shape`` drawn from U(-bound, bound), PyTorch's default for Linear and the RNNs."""
    rng = resolve_generator(generator, owner)
    return Parameter(rng.uniform(-bound, bound, size=shape).astype(dtype))


def dtype_mismatch(owner: str, what: str, name: str, got, weights) -> TypeError:
    """The error for a tensor whose float dtype differs from the weights': convert one of them.

    Only float32 and float64 modules exist (``module.float()``/``.double()``), so for a float16 (or other)
    tensor the one fix is to convert the tensor."""
    cast = lambda dt: "double" if dt == np.float64 else "float"          # noqa: E731
    if np.dtype(got).kind == "c":                      # .float() would drop the imaginary part without a word
        return TypeError(f"{owner}: {what} is {got} (complex) but the weights are {weights}; this engine's "
                         f"gradients are for real numbers. Fix: pass {name}.real if the imaginary part is zero")
    if np.dtype(got) not in (np.float32, np.float64):
        return TypeError(f"{owner}: {what} is {got} but the weights are {weights}. Fix: convert it to the weights' "
                         f"dtype, e.g. {name}.{cast(weights)}() for a Tensor or {name}.astype(np.{weights}) for "
                         f"an array")
    return TypeError(f"{owner}: {what} is {got} but the weights are {weights}. Fix: convert one of them, e.g. "
                     f"{name}.{cast(weights)}() or module.{cast(got)}()")


def as_input(x, owner: str, dtype) -> Tensor:
    """Accept a Tensor of the weights' ``dtype``, or an ndarray / list for convenience (converted
    to ``dtype``, not differentiated). A floating Tensor of another dtype is an error, as in
    PyTorch: mixing float32 weights with a float64 input would silently compute in float64."""
    if isinstance(x, Tensor):
        check_dtype_kind(owner, x, name="the input")         # a complex Tensor: x.real, not x.float()
        if x.dtype.kind != "f":
            cast = "double" if dtype == np.float64 else "float"
            raise TypeError(f"{owner}: the input is {x.dtype}, but the weights are {dtype}: a layer needs a "
                            f"floating point input. Fix: convert it, e.g. x.{cast}() (for token ids, use one-hot "
                            f"vectors or an Embedding first)")
        if x.dtype != dtype:
            raise dtype_mismatch(owner, "the input", "x", x.dtype, dtype)
        return x
    if isinstance(x, (np.ndarray, np.generic)):
        check_dtype_kind(owner, x, name="the input")         # complex, object, str ... are refused, not cast
    elif isinstance(x, (list, tuple)):
        try:
            check_dtype_kind(owner, np.asarray(x), name="the input")
        except ValueError:                                    # ragged: reported below
            pass
    try:
        return Tensor(x, dtype=dtype)
    except (TypeError, ValueError):
        raise TypeError(f"{owner}: expected a Tensor (or an array of numbers) as input, got {describe(x)}. Fix: "
                        f"pass tinygrad_rnn.tensor(x) of shape (batch, features)") from None


class Linear(Module):
    """y = x W^T + b.

    ``Linear(in_features, out_features, bias=True)``; ``weight`` (out_features, in_features),
    ``bias`` (out_features,), both U(-1/sqrt(in_features), 1/sqrt(in_features)) as in PyTorch.
    Input (..., in_features) -> output (..., out_features).
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, *, dtype=None, generator=None):
        super().__init__()
        dtype = resolve_dtype(dtype, "Linear")
        check_sizes("Linear", 0, in_features=in_features, out_features=out_features)   # 0 allowed, as PyTorch
        generator = resolve_generator(generator, "Linear")
        self.in_features, self.out_features = int(in_features), int(out_features)
        bound = 1 / np.sqrt(in_features) if in_features > 0 else 0.0
        self.weight = uniform_parameter((out_features, in_features), bound, dtype, generator)
        self.bias = uniform_parameter((out_features,), bound, dtype, generator) if bias else None

    def forward(self, x: Tensor) -> Tensor:
        x = as_input(x, "Linear", self.weight.dtype)
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            raise ValueError(f"Linear: input has shape {x.shape}, but in_features is {self.in_features}: expected "
                             f"(..., {self.in_features}). Fix: give an input whose last dim is {self.in_features}, "
                             f"or build Linear({x.shape[-1] if x.ndim else '?'}, {self.out_features}).")
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Embedding(Module):
    """A lookup table: row ``i`` of ``weight`` (num_embeddings, embedding_dim) is the vector of token ``i``.

    ``weight`` starts N(0, 1), as in PyTorch. Input: integer indices of any shape S (an
    integer ndarray, int Tensor, list or int) -> output S + (embedding_dim,). The gradient
    of a row used twice is the sum of both uses.
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, *, dtype=None, generator=None):
        super().__init__()
        dtype = resolve_dtype(dtype, "Embedding")
        check_sizes("Embedding", 0, num_embeddings=num_embeddings, embedding_dim=embedding_dim)
        rng = resolve_generator(generator, "Embedding")
        self.num_embeddings, self.embedding_dim = int(num_embeddings), int(embedding_dim)
        self.weight = Parameter(rng.standard_normal((num_embeddings, embedding_dim)).astype(dtype))

    def forward(self, indices) -> Tensor:
        indices = np.asarray(indices.data if isinstance(indices, Tensor) else indices)
        if not np.issubdtype(indices.dtype, np.integer):
            raise TypeError(f"Embedding: indices must be integers, got dtype {indices.dtype}. Fix: convert them, "
                            "e.g. np.asarray(ids, dtype=np.int64).")
        if indices.size and (indices.min() < 0 or indices.max() >= self.num_embeddings):
            raise IndexError(f"Embedding: indices must be in [0, {self.num_embeddings - 1}] "
                             f"(num_embeddings={self.num_embeddings}), got range [{indices.min()}, {indices.max()}]")
        return self.weight[indices]

    def extra_repr(self) -> str:
        return f"{self.num_embeddings}, {self.embedding_dim}"
