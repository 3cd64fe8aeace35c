"""Exercise 07 — backpropagation through time by hand, for a scalar RNN (chapter 2: RNNs and BPTT).

Take the smallest recurrent net there is: one hidden unit, one input, weights that are numbers.

    a_t = w h_{t-1} + u x_t + b
    h_t = tanh(a_t)                 for t = 1, ..., T, starting from h_0
    L   = h_T                       (the loss is the last state)

Implement ``bptt_scalar(w, u, b, xs, h0)`` with plain Python/NumPy numbers — no Tensors — and
return the dict ``{"dL_dw": ..., "dL_du": ..., "dL_db": ..., "dL_dh0": ...}`` (floats).
``xs`` is the list [x_1, ..., x_T]. The checker compares your numbers with the engine's.

The recipe is the engine's, unrolled by hand:

1. Forward: compute and keep h_0, h_1, ..., h_T.
2. Backward: carry delta = dL/dh_t, starting from dL/dh_T = 1, and walk t = T, T-1, ..., 1:

       dL/da_t     = delta * (1 - h_t^2)          (tanh' written with the output)
       dL/dw      += dL/da_t * h_{t-1}            w is used at *every* step: the
       dL/du      += dL/da_t * x_t                contributions of all steps add up
       dL/db      += dL/da_t
       delta       = dL/da_t * w                  dL/dh_{t-1}: one step further back

   After the loop, delta is dL/dh_0.

For T = 3 this gives dL/dh_0 = w^3 (1 - h_3^2)(1 - h_2^2)(1 - h_1^2): one factor w and one
tanh' per step. With more steps the product shrinks or grows geometrically — chapter 2's
formula dh_t/dh_1 = prod diag(sigma'(a_i)) W_h, with 1 x 1 matrices.

Hints:
- Keep the list of all h's: step t of the backward pass needs both h_t and h_{t-1}.
- The most common mistake is to take dL/dw from the last step only.
- To see the engine's answer: make w, u, b, h0 Tensors with requires_grad=True (float64),
  run the same loop with ``.tanh()``, and call ``h.backward()``.

Check your work:   tinygrad-rnn check ex07
"""
import numpy as np


def bptt_scalar(w, u, b, xs, h0):
    """dL/dw, dL/du, dL/db and dL/dh0 for L = h_T of the scalar RNN h_t = tanh(w h_{t-1} + u x_t + b)."""
    raise NotImplementedError("exercise ex07: write bptt_scalar (delete this line)")
