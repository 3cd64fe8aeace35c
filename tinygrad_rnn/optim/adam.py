"""Adam: momentum on the gradient plus a per-entry step size from its running mean square."""
import numpy as np

from ..core.checks import describe
from .optimizer import Optimizer


class Adam(Optimizer):
    """``Adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False)``,
    as ``torch.optim.Adam`` (Kingma & Ba, 2015; AMSGrad: Reddi et al., 2018).

    Per parameter p with gradient g, at step t = 1, 2, ... (counted per parameter)::

        g  <- g + weight_decay * p                    (L2 penalty added to g, not AdamW's decay)
        m  <- beta1 * m + (1 - beta1) * g             (m, v start at 0)
        v  <- beta2 * v + (1 - beta2) * g * g
        v_max <- max(v_max, v)                        (amsgrad only; then v_max replaces v below)
        step_size = lr / (1 - beta1^t)                (bias corrections: m and v start at 0, so
        denom = sqrt(v) / sqrt(1 - beta2^t) + eps      early averages are too small)
        p  <- p - step_size * m / denom
    """

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad))

    def _check_hyperparameters(self, group):
        self._require(group, "lr", 0, example=1e-3)
        self._require(group, "eps", 0, example=1e-8)
        self._require(group, "weight_decay", 0, example=0)
        self._require_flag(group, "amsgrad")
        betas = group["betas"]
        if not (isinstance(betas, (tuple, list)) and len(betas) == 2):
            raise ValueError(f"Adam: betas must be a pair (beta1, beta2), e.g. (0.9, 0.999), got {describe(betas)}")
        for i, beta in enumerate(betas):
            if isinstance(beta, (bool, np.bool_)) or not isinstance(beta, (int, float, np.integer, np.floating)) \
                    or not 0.0 <= float(beta) < 1.0:
                raise ValueError(f"Adam: invalid beta parameter at index {i}: {describe(beta)}; each beta must be in "
                                 f"[0, 1) (typical: betas=(0.9, 0.999))")

    def _state_keys(self, group):
        return {"exp_avg", "exp_avg_sq"} | ({"max_exp_avg_sq"} if group["amsgrad"] else set()), {"step"}

    def _update(self, param, grad, state, group):
        beta1, beta2 = group["betas"]
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(param.data)             # m
            state["exp_avg_sq"] = np.zeros_like(param.data)          # v
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = np.zeros_like(param.data)  # v_max
        state["step"] += 1
        step = state["step"]
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * param.data         # g + wd * p
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m += (1 - beta1) * (grad - m)                                # m = beta1 m + (1 - beta1) g  (a lerp)
        v *= beta2
        v += (1 - beta2) * (grad * grad)                             # v = beta2 v + (1 - beta2) g^2
        if group["amsgrad"]:
            np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
            v = state["max_exp_avg_sq"]                              # use the largest v seen so far
        bias_correction1 = 1 - beta1 ** step
        bias_correction2 = 1 - beta2 ** step
        step_size = group["lr"] / bias_correction1
        denom = np.sqrt(v) / (bias_correction2 ** 0.5) + group["eps"]
        param.data -= step_size * (m / denom)                        # p - lr/(1-b1^t) * m / denom
