"""Reference solution of exercise 08 (dh_T/dh_0 as a product of Jacobians). Try the exercise first."""
import numpy as np


def hidden_jacobian(weight_hh, hs):
    J = np.eye(weight_hh.shape[0])
    for h in hs:                                       # t = 1, ..., T
        J = ((1 - h ** 2)[:, None] * weight_hh) @ J    # J_t on the left
    return J
