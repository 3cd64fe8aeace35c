"""Exercise 14 — dc_T/dc_0 along the LSTM's cell path, from the forget gates (chapter 7: LSTM).

The cell update c_t = f_t * c_{t-1} + i_t * g_t is additive: along the direct edge
c_{t-1} -> c_t the only factor is the forget gate, dc_t/dc_{t-1} = diag(f_t) on that edge.
In general the gates also depend on h_{t-1}, which depends on c_{t-1}, so the full Jacobian
has extra terms through weight_hh. Switch those off — weight_hh = 0 — and the gates depend
on the inputs alone. Then the chain rule gives exactly

    dc_T/dc_0 = diag(f_T) diag(f_{T-1}) ... diag(f_1) = diag( prod_t f_t )

No W_hh multiplied T times, no tanh' squeezing: the gradient along the cell lasts as long
as the forget gates stay close to 1. (A vanilla RNN's dh_T/dh_0, exercise 08, has both.)

Implement ``forget_gate_product(xs, weight_ih, bias_ih, bias_hh)`` with NumPy:

    xs          ndarray (T, I), or (T, B, I) for a batch
    weight_ih   (4H, I), bias_ih and bias_hh (4H,), gate blocks in PyTorch's order i, f, g, o
    returns     ndarray (H,), or (B, H): the diagonal of dc_T/dc_0, i.e. prod_t f_t

    f_t = sigmoid(x_t W_if^T + b_if + b_hf)     (h_{t-1} W_hf^T is 0 because weight_hh = 0)

where W_if, b_if and b_hf are the forget gate's block: rows H to 2H of weight_ih, entries
H to 2H of the biases.

Hints:
- H = weight_ih.shape[0] // 4; the forget block is ``weight_ih[H:2 * H]``.
- ``xs @ W_if.T`` works for (T, I) and (T, B, I) alike; then take the product over axis 0.
- The checker builds the LSTM with the engine, weight_hh = 0, and compares your product with
  the engine's dc_T/dc_0. In its 50-step example, adding +5 to the forget gate's bias keeps
  the product between 0.3 and 0.9; without it, the same product is below 1e-8.

Check your work:   tinygrad-rnn check ex14
"""
import numpy as np


def forget_gate_product(xs, weight_ih, bias_ih, bias_hh):
    """prod_t f_t, the diagonal of dc_T/dc_0 when weight_hh = 0."""
    raise NotImplementedError("exercise ex14: write forget_gate_product (delete this line)")
