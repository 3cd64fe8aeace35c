"""Exercise 07 — backpropagation through time by hand, for a scalar RNN (chapter 2: RNNs and BPTT).

Take the smallest recurrent net there is: one hidden unit, one input, weights that are numbers.

    a_t = w h_{t-1} + u x_t + b
    h_t = tanh(a_t)                 for t = 1, ..., T, starting from h_0
    L   = h_T                       (the loss is the last state)

Implement ``bptt_scalar(w, u, b, xs, h0)`` with plain Python/NumPy numbers — no Tensors — and
return the dict ``{"dL_dw": ..., "dL_du": ..., "dL_db": ..., "dL_dh0": ...}`` (floats).
``xs`` is the list [x_1, ..., x_T]. The checker compares your numbers with the engine's.

This is what ``h.backward()`` does for you, written out: a forward pass, then the chain rule
applied step by step, from t = T back to t = 1. Before you write it, answer three questions:

- Which values from the forward pass does step t of the backward pass need?
- w, u and b appear in every step's a_t. What does that mean for dL/dw, dL/du and dL/db?
- How does dL/dh_t become dL/dh_{t-1}?

For T = 1 the answers are dL/dw = (1 - h_1^2) h_0 and dL/dh_0 = (1 - h_1^2) w (the checker's
one-step case). For T steps, dL/dh_0 is a product with one factor per step: chapter 2's
dh_t/dh_1 = prod diag(sigma'(a_i)) W_hh, with 1 x 1 matrices, which is why it shrinks or grows
geometrically with T.

When a check fails, its message says which gradient is wrong for which inputs; the hints
(``tinygrad-rnn check ex07 --hint``, once more for each next one) go from what to look at to
the recipe. To see the engine's answer: make w, u, b, h0 Tensors with requires_grad=True
(float64), run the same loop with ``.tanh()``, and call ``h.backward()``.

Check your work:   tinygrad-rnn check ex07
"""
import numpy as np


def bptt_scalar(w, u, b, xs, h0):
    """dL/dw, dL/du, dL/db and dL/dh0 for L = h_T of the scalar RNN h_t = tanh(w h_{t-1} + u x_t + b)."""
    raise NotImplementedError("exercise ex07: write bptt_scalar (delete this line)")
