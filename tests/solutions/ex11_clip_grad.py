"""Reference solution of exercise 11 (clipping by norm and by value). Try the exercise first."""
import numpy as np


def clip_grad_norm(grads, max_norm):
    total = float(np.sqrt(sum(np.sum(g.astype(np.float64) ** 2) for g in grads)))
    coef = max_norm / (total + 1e-6)
    if coef < 1:
        for g in grads:
            g *= coef                      # in place: the caller's arrays change
    return total


def clip_grad_value(grads, clip_value):
    for g in grads:
        np.clip(g, -clip_value, clip_value, out=g)
