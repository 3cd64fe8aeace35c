"""Adagrad: a per-entry learning rate that shrinks with the sum of that entry's squared gradients."""
import numpy as np

from .optimizer import Optimizer


class Adagrad(Optimizer):
    """``Adagrad(params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10)``,
    as ``torch.optim.Adagrad`` (Duchi, Hazan & Singer, 2011).

    Per parameter p with gradient g, at step t = 1, 2, ... (counted per parameter)::

        g   <- g + weight_decay * p
        clr  = lr / (1 + (t - 1) * lr_decay)
        s   <- s + g * g                       (s starts at initial_accumulator_value)
        p   <- p - clr * g / (sqrt(s) + eps)
    """

    def __init__(self, params, lr: float = 1e-2, lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10):
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value, eps=eps))

    def _check_hyperparameters(self, group):
        self._require(group, "lr", 0, example=1e-2)
        self._require(group, "lr_decay", 0, example=0)
        self._require(group, "weight_decay", 0, example=0)
        self._require(group, "initial_accumulator_value", 0, example=0)
        self._require(group, "eps", 0, example=1e-10)

    def _state_keys(self, group):
        return {"sum"}, {"step"}

    def _update(self, param, grad, state, group):
        if not state:
            state["step"] = 0
            state["sum"] = np.full_like(param.data, group["initial_accumulator_value"])
        state["step"] += 1
        step = state["step"]
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * param.data                 # g + wd * p
        clr = group["lr"] / (1 + (step - 1) * group["lr_decay"])             # decayed learning rate
        state["sum"] += grad * grad                                          # s_t = s_{t-1} + g^2
        std = np.sqrt(state["sum"]) + group["eps"]                           # sqrt(s_t) + eps
        param.data -= clr * (grad / std)                                     # p - clr * g / (sqrt(s) + eps)
