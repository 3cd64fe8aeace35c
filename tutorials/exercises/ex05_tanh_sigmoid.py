"""Exercise 05 — tanh and sigmoid as Functions, forward and backward
(chapter 1: Autograd from scratch).

These two squashing functions are where recurrent gradients lose their size: every step
back in time multiplies the gradient by their derivative, which is at most 1 (tanh) or
1/4 (sigmoid). Write them as ops of the engine.

``Tanh``:     forward   y = tanh(x)
              backward  dL/dx = G * (1 - y^2)               since d tanh(x)/dx = 1 - tanh(x)^2

``Sigmoid``:  forward   y = sigma(x) = 1 / (1 + e^(-x))
              backward  dL/dx = G * y * (1 - y)             since sigma'(x) = sigma(x) (1 - sigma(x))

(G = dL/dy, the ``grad`` argument of ``backward``; all elementwise, any shape.)

Both derivatives can be written with the *output* y, so forward only needs to save y:
``self.save_for_backward(y)`` in forward, ``(y,) = self.saved`` in backward. ``backward``
returns a tuple with one gradient per input: here ``(dL/dx,)`` — note the comma.

Hints:
- ``np.tanh`` exists; for sigma, ``1 / (1 + np.exp(-x))`` is fine for the inputs here (for
  very negative x, e^(-x) overflows; the library's Sigmoid shows one way around it).
- Check your backward with central differences:
  ``tinygrad_rnn.autograd.gradcheck(lambda t: Tanh.apply(t), (tg.randn(5, requires_grad=True),))``.
- Where are the derivatives largest? tanh'(0) = 1 and sigma'(0) = 1/4; both go to 0 as |x| grows.

Check your work:   tinygrad-rnn check ex05
"""
import numpy as np

from tinygrad_rnn import Function


class Tanh(Function):
    def forward(self, x):
        """y = tanh(x); save what backward needs."""
        raise NotImplementedError("exercise ex05: write Tanh.forward (delete this line)")

    def backward(self, grad):
        """Return (dL/dx,) from grad = dL/dy."""
        raise NotImplementedError("exercise ex05: write Tanh.backward (delete this line)")


class Sigmoid(Function):
    def forward(self, x):
        """y = 1 / (1 + exp(-x)); save what backward needs."""
        raise NotImplementedError("exercise ex05: write Sigmoid.forward (delete this line)")

    def backward(self, grad):
        """Return (dL/dx,) from grad = dL/dy."""
        raise NotImplementedError("exercise ex05: write Sigmoid.backward (delete this line)")
