"""Neural-network building blocks on top of the autodiff core, with PyTorch's names,
shapes and numbers: ``Module``, ``Linear``, the recurrent cells and layers, ``functional`` (``F``),
``init``, ``utils``."""
from . import functional, init, utils          # functional first: the cells and layers below use it
from .cells import GRUCell, LSTMCell, RNNCell
from .linear import Embedding, Linear
from .module import Module, Parameter
from .recurrent import GRU, LSTM, RNN

__all__ = ["Module", "Parameter", "functional", "init", "utils", "Linear", "Embedding", "RNNCell", "LSTMCell",
           "GRUCell", "RNN", "LSTM", "GRU"]
