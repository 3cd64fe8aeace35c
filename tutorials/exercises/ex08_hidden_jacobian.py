"""Exercise 08 — dh_T/dh_0 as a product of per-step Jacobians (chapter 2: RNNs and BPTT).

Exercise 07 had one hidden unit; now h_t is a vector of H units:

    h_t = tanh(a_t),    a_t = x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh

Entry i of h_t is tanh(sum_j W_hh[i, j] h_{t-1}[j] + (terms without h)), so one step's
Jacobian, J_t[i, j] = d h_t[i] / d h_{t-1}[j], is

    J_t = diag(1 - h_t^2) W_hh           (H, H): row i of W_hh scaled by tanh'(a_t[i])

and by the chain rule, going back through all T steps,

    dh_T/dh_0 = J_T J_{T-1} ... J_1  =  prod_{t=T..1} diag(1 - h_t^2) W_hh

This is the product behind vanishing and exploding gradients: T factors of W_hh, each
squeezed by a tanh' <= 1.

Implement ``hidden_jacobian(weight_hh, hs)`` with NumPy:

    weight_hh   ndarray (H, H)
    hs          list of T ndarrays of shape (H,): the states h_1, ..., h_T of one sequence
    returns     ndarray (H, H), the matrix dh_T/dh_0 with entry [i, j] = d h_T[i] / d h_0[j]

Hints:
- ``np.diag(v) @ W`` equals ``v[:, None] * W`` (scale row i by v[i]).
- Order matters: matrices do not commute. J_1 is applied first (rightmost). Start from the
  identity and multiply each new J_t on the *left*.
- Try it: print ``np.linalg.norm(hidden_jacobian(W, hs[:k]), 2)`` for k = 1, 2, ... and see
  it decay (or grow, for a W with large eigenvalues).

Check your work:   tinygrad-rnn check ex08
"""
import numpy as np


def hidden_jacobian(weight_hh, hs):
    """dh_T/dh_0 = prod_{t=T..1} diag(1 - h_t^2) W_hh, an (H, H) ndarray."""
    raise NotImplementedError("exercise ex08: write hidden_jacobian (delete this line)")
