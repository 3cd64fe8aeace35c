"""The activation functions as modules (``nn.Tanh()``, ``nn.ReLU()``...), for ``nn.Sequential``.

Each is the function of the same name in ``nn.functional`` (its backward is the op's), wrapped
so it can stand in a list of layers, with PyTorch's names and arguments.
"""
from . import functional as F
from .module import Module

__all__ = ["Tanh", "Sigmoid", "ReLU", "Softmax", "LogSoftmax", "Identity"]


class Tanh(Module):
    """tanh(x), elementwise: any shape in, the same shape out."""

    def forward(self, input):
        return F.tanh(input)


class Sigmoid(Module):
    """σ(x) = 1 / (1 + e^(-x)), elementwise: any shape in, the same shape out."""

    def forward(self, input):
        return F.sigmoid(input)


class ReLU(Module):
    """max(x, 0), elementwise: any shape in, the same shape out."""

    def forward(self, input):
        return F.relu(input)


class Identity(Module):
    """Returns its input unchanged (a placeholder in a ``Sequential``)."""

    def forward(self, input):
        return input


class _AlongDim(Module):
    """A function applied along one dimension ``dim``, which must be named (PyTorch's implicit choice of dim
    is deprecated there; here it is an error)."""

    function = None

    def __init__(self, dim=None):
        super().__init__()
        if dim is None:
            raise TypeError(f"{type(self).__name__}: dim is required, e.g. nn.{type(self).__name__}(dim=-1) for the "
                            "last dimension (the classes of (N, C) logits)")
        self.dim = dim

    def forward(self, input):
        return type(self).function(input, dim=self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Softmax(_AlongDim):
    """exp(x_i) / Σ_j exp(x_j) along ``dim``: any shape in, the same shape out."""

    function = staticmethod(F.softmax)


class LogSoftmax(_AlongDim):
    """log softmax(x) along ``dim``, computed stably as one op: any shape in, the same shape out."""

    function = staticmethod(F.log_softmax)
