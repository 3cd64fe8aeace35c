"""Ops that move values around without changing them: reshape, permute, indexing, split, cat, stack.
Their backward moves the gradient back to where each value came from."""
import numpy as np

from ..function import Function


class Reshape(Function):
    derivative = "reshape only relabels positions: reshape the gradient back"

    def forward(self, x, *, shape):
        self.input_shape = x.shape
        try:
            return x.reshape(shape)
        except ValueError:
            raise ValueError(f"reshape: cannot reshape a tensor of shape {x.shape} ({x.size} elements) to "
                             f"{tuple(shape)}; the number of elements must stay the same (use -1 for one "
                             "dim to have it inferred)") from None

    def backward(self, grad):
        # reshape only relabels positions: reshape the gradient back
        return (grad.reshape(self.input_shape),)


class Permute(Function):
    """Reorder axes: output axis i is input axis ``dims[i]`` (``.T``, ``transpose``, ``permute``)."""

    derivative = "the inverse permutation puts each axis back"

    def forward(self, x, *, dims):
        in_range = all(-x.ndim <= d < x.ndim for d in dims)  # d % ndim alone would wrap 3 to 1 for a matrix
        if not in_range or sorted(d % max(x.ndim, 1) for d in dims) != list(range(x.ndim)):
            raise ValueError(f"permute: dims {tuple(dims)} must be a reordering of 0..{x.ndim - 1} for a "
                             f"tensor of shape {x.shape}")
        self.dims = tuple(d % x.ndim for d in dims)
        return np.transpose(x, self.dims)

    def backward(self, grad):
        # the inverse permutation puts each axis back
        return (np.transpose(grad, np.argsort(self.dims)),)


def _is_basic_index(index) -> bool:
    """Ints, slices, None and ... only: each element is picked at most once."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(isinstance(p, (int, np.integer, slice)) or p is None or p is Ellipsis for p in parts)


class GetItem(Function):
    """``x[index]`` with NumPy's indexing: ints, slices, integer arrays, bool masks."""

    name = "getitem"
    derivative = "each picked element sends its gradient back to its position (picked twice: both add up)"

    def forward(self, x, *, index):
        self.input_shape, self.index = x.shape, index
        self.dtype = x.dtype
        try:
            return np.asarray(x[index])
        except IndexError as err:
            raise IndexError(f"getitem: index {index!r} does not fit a tensor of shape {x.shape}: {err}") from None

    def backward(self, grad):
        # each picked element sends its gradient back to its position (picked twice: both add up)
        out = np.zeros(self.input_shape, dtype=grad.dtype)
        if _is_basic_index(self.index):
            out[self.index] = grad
        else:
            np.add.at(out, self.index, grad)        # not out[index] = grad: x[[0, 0]] gets both contributions
        return (out,)


class Split(Function):
    """Cut ``x`` along ``dim`` into pieces of the given ``sizes``: one node with several outputs
    (the LSTM's ``gates.chunk(4, dim=-1)`` gives i, f, g, o from one node)."""

    name = "chunk"
    derivative = "each piece's gradient goes back to its place; a piece nothing flowed to gets zeros"

    def forward(self, x, *, sizes, dim):
        before = (slice(None),) * (dim % x.ndim)           # the axes in front of dim, taken whole
        self.places, start = [], 0
        for size in sizes:
            self.places.append(before + (slice(start, start + size),))
            start += size
        self.shape = x.shape
        return tuple(x[place] for place in self.places)    # views of x, no copies

    def backward(self, grads):
        # each piece's gradient goes back to its place; a piece nothing flowed to gets zeros
        dtype = next(g for g in grads if g is not None).dtype
        out = np.empty(self.shape, dtype=dtype)
        for place, g in zip(self.places, grads):
            out[place] = 0 if g is None else g
        return (out,)


class Unbind(Function):
    """Every slice of ``x`` along ``dim``, as separate tensors: one node with ``x.shape[dim]`` outputs
    (a sequence (T, B, I) -> x_1 .. x_T, each (B, I), without T indexing nodes)."""

    name = "unbind"
    derivative = "slice t's gradient goes back to position t along dim; slices nothing flowed to get zeros"

    def forward(self, x, *, dim):
        self.dim, self.shape = dim % x.ndim, x.shape
        return tuple(np.moveaxis(x, self.dim, 0))            # views of x, no copies

    def backward(self, grads):
        # slice t's gradient goes back to position t along dim; slices nothing flowed to get zeros
        out = np.empty(self.shape, dtype=next(g for g in grads if g is not None).dtype)
        along = np.moveaxis(out, self.dim, 0)                 # a view: writing it fills out
        for t, g in enumerate(grads):
            along[t] = 0 if g is None else g
        return (out,)


class Cat(Function):
    """Join tensors along an existing axis ``dim``."""

    derivative = "each input gets back its own slab of the gradient"

    def forward(self, *xs, dim=0):
        self.dim = dim
        self.sizes = [x.shape[dim] for x in xs]
        return np.concatenate(xs, axis=dim)

    def backward(self, grad):
        # each input gets back its own slab of the gradient
        return tuple(np.split(grad, np.cumsum(self.sizes)[:-1], axis=self.dim))


class Stack(Function):
    """Join same-shaped tensors along a new axis ``dim``."""

    derivative = "input i gets slice i along the new axis"

    def forward(self, *xs, dim=0):
        self.dim = dim
        return np.stack(xs, axis=dim)

    def backward(self, grad):
        # input i gets slice i along the new axis
        return tuple(np.moveaxis(grad, self.dim, 0))
