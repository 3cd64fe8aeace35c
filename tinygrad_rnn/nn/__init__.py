"""Neural-network building blocks on top of the autodiff core, with PyTorch's names,
shapes and numbers: ``Module``, ``Linear``, the recurrent cells and layers, ``functional`` (``F``),
``init``, ``utils``, ``Sequential``, the activation modules and the losses."""
from . import functional, init, utils          # functional first: the cells and layers below use it
from .activation import Identity, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from .cells import GRUCell, LSTMCell, RNNCell
from .containers import Sequential
from .linear import Embedding, Linear
from .loss import CrossEntropyLoss, MSELoss, NLLLoss
from .module import Module, Parameter
from .recurrent import GRU, LSTM, RNN

__all__ = ["Module", "Parameter", "functional", "init", "utils", "Linear", "Embedding", "RNNCell", "LSTMCell",
           "GRUCell", "RNN", "LSTM", "GRU", "Sequential", "Tanh", "Sigmoid", "ReLU", "Softmax", "LogSoftmax",
           "Identity", "MSELoss", "CrossEntropyLoss", "NLLLoss"]
