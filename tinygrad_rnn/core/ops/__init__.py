"""Every differentiable op, one small ``Function`` subclass each, grouped by kind.

- ``elementwise``: + - * / neg, ** (number exponent), exp, log, tanh, sigmoid, relu, abs, where, clamp, casts
- ``reduce``: sum, mean, max
- ``shape``: reshape, permute, indexing, split/chunk and unbind (one node, several outputs), cat, stack
- ``matmul``: @ (1-D, 2-D and batched, as NumPy), linear (x W^T + b)
- ``loss``: log_softmax, nll_loss (cross-entropy is the two together)
"""
from .elementwise import (Abs, Add, Cast, Clamp, Div, Exp, Log, Mul, Neg, Pow, ReLU, Sigmoid, Sub,
                          Tanh, Where)
from .loss import LogSoftmax, NLLLoss
from .matmul import Linear, MatMul
from .reduce import Max, Mean, Sum
from .shape import Cat, GetItem, Permute, Reshape, Split, Stack, Unbind

__all__ = ["Abs", "Add", "Cast", "Clamp", "Div", "Exp", "Log", "Mul", "Neg", "Pow", "ReLU", "Sigmoid",
           "Sub", "Tanh", "Where", "MatMul", "Linear", "LogSoftmax", "NLLLoss", "Max", "Mean", "Sum", "Cat", "GetItem", "Permute",
           "Reshape", "Split", "Stack", "Unbind"]
