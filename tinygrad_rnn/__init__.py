"""tinygrad_rnn: a small reverse-mode autodiff engine over NumPy, for seeing why recurrent
nets' gradients explode and vanish. Names follow PyTorch.

    import tinygrad_rnn as tg
    x = tg.randn(3, requires_grad=True)
    y = (x * x).tanh().sum()
    y.backward()
    x.grad                     # dy/dx, an ndarray

The layers above the engine (``tg.tasks``, ``tg.train``, ``tg.analysis``, ``tg.viz``,
``tg.lecture``) are attributes too, imported the first time they are used.
"""
import importlib

from . import autograd, nn, optim
from . import functional      # after nn: it re-exports nn.functional (its old place)
from .core import (Function, GraphFreedError, SavedTensorModifiedError, Tensor, arange, cat, default_generator,
                   enable_grad, eye, full,
                   is_grad_enabled, manual_seed, no_grad, ones, ones_like, rand, rand_like, randn, randn_like,
                   set_grad_enabled, stack, tensor, time_step, where, zeros, zeros_like)
from .serialization import load, save

__version__ = "0.1.0"

#: subpackages imported on first use (``tg.viz.draw_graph(...)`` works after ``import tinygrad_rnn as tg``)
LAZY = ("tasks", "train", "analysis", "viz", "lecture")


def __getattr__(name: str):
    if name in LAZY:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'tinygrad_rnn' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(LAZY))

__all__ = ["Tensor", "Function", "GraphFreedError", "SavedTensorModifiedError", "tensor", "zeros", "ones", "full",
           "eye", "randn", "rand",
           "arange", "zeros_like", "ones_like", "randn_like", "rand_like", "cat", "stack", "where",
           "manual_seed", "default_generator", "no_grad", "enable_grad", "set_grad_enabled",
           "is_grad_enabled", "time_step", "autograd", "functional", "nn",
           "optim", "save", "load"]
