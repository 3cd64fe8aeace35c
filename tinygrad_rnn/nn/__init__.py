"""Neural-network building blocks on top of the autodiff core, with PyTorch's names,
shapes and numbers: ``Module``, ``Linear``, the recurrent cells and layers, ``init``, ``utils``."""
from . import init, utils
from .module import Module, Parameter

__all__ = ["Module", "Parameter", "init", "utils"]
