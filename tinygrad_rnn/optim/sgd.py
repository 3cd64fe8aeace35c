"""Stochastic gradient descent, with PyTorch's momentum, dampening, weight decay and Nesterov."""
from .optimizer import Optimizer


class SGD(Optimizer):
    """``SGD(params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False)``, as ``torch.optim.SGD``.

    Per parameter p with gradient g, each ``step()``::

        g <- g + weight_decay * p                  (L2 penalty weight_decay/2 * ||p||^2)
        if momentum != 0:
            b <- g                                  on the first step (the buffer starts at g, not 0)
            b <- momentum * b + (1 - dampening) * g on later steps
            g <- g + momentum * b                   if nesterov (look ahead along b)
            g <- b                                  otherwise
        p <- p - lr * g
    """

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False):
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov))

    def _check_hyperparameters(self, group):
        self._require(group, "lr", 0, example=0.01)
        self._require(group, "momentum", 0, maximum=1, high_open=True, example=0.9)   # 1 or more never decays
        self._require(group, "dampening", 0, maximum=1, example=0)
        self._require(group, "weight_decay", 0, example=0)
        self._require_flag(group, "nesterov")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(f"SGD: nesterov=True requires momentum > 0 and dampening = 0, got "
                             f"momentum={group['momentum']}, dampening={group['dampening']}. Fix: e.g. "
                             f"SGD(params, lr=..., momentum=0.9, nesterov=True)")

    def _state_keys(self, group):
        return ({"momentum_buffer"} if group["momentum"] != 0 else set()), set()

    def _update(self, param, grad, state, group):
        lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
        weight_decay, nesterov = group["weight_decay"], group["nesterov"]
        if weight_decay != 0:
            grad = grad + weight_decay * param.data                 # g + wd * p (a new array)
        if momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = grad.copy()        # b_1 = g_1
            else:
                buf *= momentum                                      # b_t = momentum * b_{t-1}
                buf += (1 - dampening) * grad                        #       + (1 - dampening) * g_t
            grad = grad + momentum * buf if nesterov else buf
        param.data -= lr * grad                                      # p_t = p_{t-1} - lr * g
