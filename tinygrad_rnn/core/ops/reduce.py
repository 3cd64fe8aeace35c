"""Reductions over some axes (``dim``; all of them when ``None``), optionally keeping them as size 1."""
import numpy as np

from ..checks import check_dim
from ..function import Function


def _normalize_dims(dim, ndim: int, op: str):
    """``dim`` (None, int or tuple, negatives allowed) as a sorted tuple of axes."""
    if dim is None:
        return tuple(range(ndim))
    if not isinstance(dim, (int, np.integer, tuple, list)):
        check_dim(op, dim, ndim)               # a TypeError naming the op and the value
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    out = []
    for d in dims:
        check_dim(op, d, ndim)                 # an int in range, or an error naming the op
        if d % max(ndim, 1) in out:
            raise ValueError(f"{op}: dim {d} appears more than once in dim={dim}")
        out.append(d % max(ndim, 1))
    return tuple(sorted(out)) if ndim else ()


def _expand_back(grad, shape, dims, keepdim):
    """Put the reduced axes back (as size 1) so ``grad`` broadcasts against the input."""
    if not keepdim:
        grad = np.expand_dims(grad, dims)
    return np.broadcast_to(grad, shape)


class Sum(Function):
    derivative = "d sum(x)/dx_i = 1: every summed element gets the output's gradient"

    def forward(self, x, *, dim=None, keepdim=False):
        self.dims = _normalize_dims(dim, x.ndim, "sum")
        self.shape, self.keepdim = x.shape, keepdim
        return np.asarray(x.sum(axis=self.dims, keepdims=keepdim))

    def backward(self, grad):
        # d sum(x)/dx_i = 1: every summed element gets the output's gradient
        return (_expand_back(grad, self.shape, self.dims, self.keepdim).copy(),)


class Mean(Function):
    derivative = "d mean(x)/dx_i = 1/n for the n averaged elements"

    def forward(self, x, *, dim=None, keepdim=False):
        self.dims = _normalize_dims(dim, x.ndim, "mean")
        self.shape, self.keepdim = x.shape, keepdim
        self.count = int(np.prod([x.shape[d] for d in self.dims]))
        return np.asarray(x.mean(axis=self.dims, keepdims=keepdim))

    def backward(self, grad):
        # d mean(x)/dx_i = 1/n for the n averaged elements
        return (_expand_back(grad, self.shape, self.dims, self.keepdim) / self.count,)


class Max(Function):
    """Largest value over ``dim``. Where several elements tie for the maximum, the gradient is
    shared equally among them (as PyTorch's ``amax``)."""

    derivative = "d max(x)/dx_i = 1 for the maximal element (shared among ties), 0 elsewhere"

    def forward(self, x, *, dim=None, keepdim=False):
        self.dims = _normalize_dims(dim, x.ndim, "max")
        if x.size == 0:
            raise ValueError("max: cannot take the max of an empty tensor")
        self.shape, self.keepdim = x.shape, keepdim
        y = x.max(axis=self.dims, keepdims=True)
        is_max = x == y
        share = is_max / is_max.sum(axis=self.dims, keepdims=True)  # float64 (bool / int): cast to x's dtype
        self.save_for_backward(share.astype(x.dtype) if np.issubdtype(x.dtype, np.floating) else share)
        return np.asarray(y if keepdim else np.squeeze(y, axis=self.dims))

    def backward(self, grad):
        # d max(x)/dx_i = 1 for the maximal element (shared among ties), 0 elsewhere
        (share,) = self.saved
        return (_expand_back(grad, self.shape, self.dims, self.keepdim) * share,)
