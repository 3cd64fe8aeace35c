"""Every differentiable op, one small ``Function`` subclass each, grouped by kind.

- ``elementwise``: + - * / neg, ** (number exponent), exp, log, tanh, sigmoid, relu, abs, where, clamp, casts
- ``reduce``: sum, mean, max
- ``shape``: reshape, permute, indexing, cat, stack
- ``matmul``: @ (1-D, 2-D and batched, as NumPy)
"""
from .elementwise import (Abs, Add, Cast, Clamp, Div, Exp, Log, Mul, Neg, Pow, ReLU, Sigmoid, Sub,
                          Tanh, Where)
from .matmul import MatMul
from .reduce import Max, Mean, Sum
from .shape import Cat, GetItem, Permute, Reshape, Stack

__all__ = ["Abs", "Add", "Cast", "Clamp", "Div", "Exp", "Log", "Mul", "Neg", "Pow", "ReLU", "Sigmoid",
           "Sub", "Tanh", "Where", "MatMul", "Max", "Mean", "Sum", "Cat", "GetItem", "Permute",
           "Reshape", "Stack"]
