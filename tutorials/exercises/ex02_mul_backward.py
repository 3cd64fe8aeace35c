"""Exercise 02 — the backward of ``*``, with broadcasting (chapter 1: Autograd from scratch).

Every op in the engine is a ``Function`` subclass: ``forward`` computes the result from
NumPy arrays, ``backward`` receives G = dL/d(output) and returns one gradient per input.
Here you write both halves of what makes ``a * b`` differentiable.

1. ``unbroadcast(grad, shape)``: sum ``grad`` down to ``shape``.

   NumPy broadcasting copies an input along the axes where it is missing or has size 1:
   a bias of shape (H,) added to a batch of shape (B, H) is used B times. Each copy sends
   its own gradient back, so the input's gradient is the *sum* over those copies.
   Rules (shapes line up from the right):
   - ``grad`` has extra leading axes (grad.ndim > len(shape)): sum them away;
   - where ``shape`` has a 1 but ``grad`` has n > 1: sum over that axis, keeping it as size 1.

   Examples:  (2, 3) -> (3,)      sum over axis 0
              (2, 3) -> (2, 1)    sum over axis 1, keepdims
              (4, 2, 3) -> (1, 3) sum over axis 0, then over axis 0 again with keepdims
              (2, 3) -> ()        sum everything

2. ``Mul.backward(self, grad)`` for ``out = a * b`` (forward is written for you):

       dL/da = G * b,   dL/db = G * a      (elementwise)

   then ``unbroadcast`` each to its input's shape. Return the two as a tuple ``(g_a, g_b)``.
   ``self.saved`` holds ``(a, b)``, stored by forward.

Hints:
- ``grad.sum(axis=(0, 1))`` sums several axes; ``keepdims=True`` keeps them as size 1.
- Shapes line up from the right: compare ``shape`` with the *last* ``len(shape)`` axes of ``grad``
  (after summing away the extra leading ones they have the same number of axes).
- Test it by hand: ``a = tg.tensor(np.ones((2, 3)), requires_grad=True)``,
  ``b = tg.tensor(np.arange(3.0), requires_grad=True)``, ``Mul.apply(a, b).sum().backward()``;
  ``b.grad`` must have shape (3,) and equal [2, 2, 2].

Check your work:   tinygrad-rnn check ex02
"""
import numpy as np

from tinygrad_rnn import Function


def unbroadcast(grad, shape):
    """``grad`` summed down to ``shape`` (the backward of NumPy broadcasting)."""
    raise NotImplementedError("exercise ex02: write unbroadcast (delete this line)")


class Mul(Function):
    """out = a * b, elementwise, with NumPy broadcasting."""

    def forward(self, a, b):
        self.save_for_backward(a, b)
        return a * b

    def backward(self, grad):
        """``grad`` = dL/d(out), shaped like out. Return (dL/da, dL/db), shaped like a and b."""
        raise NotImplementedError("exercise ex02: write Mul.backward (delete this line)")
