"""The benchmark's training step written by hand in NumPy: forward, backpropagation through time
and an SGD step, for an Elman RNN, an LSTM and a GRU with a linear read-out, under two losses:

- ``"cross_entropy"``: softmax cross-entropy at every step (the text task), ``loss_and_grads``;
- ``"last_mse"``: mean squared error of the read-out at the last step only (the adding problem),
  ``last_mse_loss_and_grads``; the gradient enters at step T alone.

This is the yardstick for the engine: the same maths with no graph, no Tensor objects and no
generic backward, only the NumPy calls the equations need (each weight gradient is one
product per step, as a plain BPTT loop computes it). Both losses share one unroll (``unroll``)
and one backward through time (``backprop_through_time``). The gradients are checked against
the engine in ``tests/test_bench_numpy_reference.py``.

Parameters: a dict of arrays under PyTorch's names for a cell plus a ``Linear`` read-out::

    cell.weight_ih (G*H, I)   cell.weight_hh (G*H, H)   cell.bias_ih (G*H,)   cell.bias_hh (G*H,)
    readout.weight (C, H)     readout.bias (C,)

with G = 1 (rnn), 4 (lstm, gates i, f, g, o) or 3 (gru, gates r, z, n; PyTorch's variant, where
the reset gate multiplies W_hn h + b_hn). Inputs ``xs`` (T, B, I). Cross-entropy: targets (T, B)
class indices, the loss is the mean over all T*B steps and samples of
-log softmax(h_t W^T + b)[target]. Last-step MSE: target (B, C) floats, the loss is the mean over
its B*C elements of (h_T W^T + b - target)^2, as ``F.mse_loss(outputs[-1], target)``.
"""
import numpy as np

__all__ = ["GATES", "LOSSES", "backprop_through_time", "last_mse_loss_and_grads", "loss_and_grads",
           "sgd_step", "train_step", "unroll"]

#: how many H-sized blocks each cell's weights stack
GATES = {"rnn": 1, "lstm": 4, "gru": 3}


def sigmoid(a: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-a))


def _add_cell_grads(grads: dict, dgx: np.ndarray, dgh: np.ndarray, x: np.ndarray, h: np.ndarray) -> None:
    """Weight gradients of gx = x W_ih^T + b_ih (B, G*H) and gh = h W_hh^T + b_hh (B, G*H),
    given dL/dgx and dL/dgh: dW_ih += dgx^T x, db_ih += sum_b dgx, and the same for hh."""
    grads["cell.weight_ih"] += dgx.T @ x
    grads["cell.bias_ih"] += dgx.sum(axis=0)
    grads["cell.weight_hh"] += dgh.T @ h
    grads["cell.bias_hh"] += dgh.sum(axis=0)


# --- one time step of each cell: forward returns (new state, cache); backward returns dL/d(old state) ---

def rnn_forward(p: dict, x: np.ndarray, state: tuple) -> tuple:
    """h_t = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh); state = (h,), each (B, H)."""
    (h,) = state
    h_new = np.tanh(x @ p["cell.weight_ih"].T + p["cell.bias_ih"] + h @ p["cell.weight_hh"].T + p["cell.bias_hh"])
    return (h_new,), (x, h, h_new)


def rnn_backward(p: dict, grads: dict, cache: tuple, dstate: tuple) -> tuple:
    x, h, h_new = cache
    (dh,) = dstate
    da = dh * (1 - h_new * h_new)                       # tanh'(a) = 1 - tanh(a)^2
    _add_cell_grads(grads, da, da, x, h)
    return (da @ p["cell.weight_hh"],)


def lstm_forward(p: dict, x: np.ndarray, state: tuple) -> tuple:
    """Gates i, f, g, o from one (B, 4H) pre-activation; c_t = f c + i g, h_t = o tanh(c_t).
    state = (h, c), each (B, H)."""
    h, c = state
    H = h.shape[1]
    a = x @ p["cell.weight_ih"].T + p["cell.bias_ih"] + h @ p["cell.weight_hh"].T + p["cell.bias_hh"]
    i, f = sigmoid(a[:, :H]), sigmoid(a[:, H:2 * H])
    g, o = np.tanh(a[:, 2 * H:3 * H]), sigmoid(a[:, 3 * H:])
    c_new = f * c + i * g
    tanh_c = np.tanh(c_new)
    return (o * tanh_c, c_new), (x, h, c, i, f, g, o, tanh_c)


def lstm_backward(p: dict, grads: dict, cache: tuple, dstate: tuple) -> tuple:
    x, h, c, i, f, g, o, tanh_c = cache
    dh, dc = dstate
    dc = dc + dh * o * (1 - tanh_c * tanh_c)            # c_t reaches the loss directly and through h_t
    da = np.concatenate([dc * g * i * (1 - i),          # sigmoid' = s (1 - s)
                         dc * c * f * (1 - f),
                         dc * i * (1 - g * g),          # tanh' = 1 - tanh^2
                         dh * tanh_c * o * (1 - o)], axis=1)
    _add_cell_grads(grads, da, da, x, h)
    return da @ p["cell.weight_hh"], dc * f


def gru_forward(p: dict, x: np.ndarray, state: tuple) -> tuple:
    """r, z = sigmoid(gx + gh) (first two blocks), n = tanh(gx_n + r * gh_n), h_t = (1 - z) n + z h.
    state = (h,), (B, H)."""
    (h,) = state
    H = h.shape[1]
    gx = x @ p["cell.weight_ih"].T + p["cell.bias_ih"]
    gh = h @ p["cell.weight_hh"].T + p["cell.bias_hh"]
    r = sigmoid(gx[:, :H] + gh[:, :H])
    z = sigmoid(gx[:, H:2 * H] + gh[:, H:2 * H])
    gh_n = gh[:, 2 * H:]
    n = np.tanh(gx[:, 2 * H:] + r * gh_n)
    return ((1 - z) * n + z * h,), (x, h, r, z, n, gh_n)


def gru_backward(p: dict, grads: dict, cache: tuple, dstate: tuple) -> tuple:
    x, h, r, z, n, gh_n = cache
    (dh,) = dstate
    da_n = dh * (1 - z) * (1 - n * n)                   # through n = tanh(a_n)
    da_r = da_n * gh_n * r * (1 - r)                    # a_n = gx_n + r * gh_n
    da_z = dh * (h - n) * z * (1 - z)                   # h_t = n + z (h - n)
    dgx = np.concatenate([da_r, da_z, da_n], axis=1)
    dgh = np.concatenate([da_r, da_z, da_n * r], axis=1)
    _add_cell_grads(grads, dgx, dgh, x, h)
    return (dh * z + dgh @ p["cell.weight_hh"],)


CELLS = {"rnn": (rnn_forward, rnn_backward), "lstm": (lstm_forward, lstm_backward),
         "gru": (gru_forward, gru_backward)}


# --- read-out and loss at one step ---------------------------------------------------------------

def readout_forward(p: dict, h: np.ndarray, target: np.ndarray, scale: float) -> tuple:
    """scale * sum_b -log softmax(h W^T + b)[b, target_b]; h (B, H), target (B,) -> (loss, cache)."""
    logits = h @ p["readout.weight"].T + p["readout.bias"]
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    total = exp.sum(axis=1, keepdims=True)
    rows = np.arange(len(target))
    loss = scale * float(np.sum(np.log(total[:, 0]) - shifted[rows, target]))
    return loss, (h, exp / total, target, scale)


def readout_backward(p: dict, grads: dict, cache: tuple) -> np.ndarray:
    """Adds the read-out's weight gradients; returns dL/dh (B, H)."""
    h, probs, target, scale = cache
    dlogits = probs                                     # d(-log softmax_y)/dlogits = softmax - onehot(y)
    dlogits[np.arange(len(target)), target] -= 1
    dlogits *= scale
    grads["readout.weight"] += dlogits.T @ h
    grads["readout.bias"] += dlogits.sum(axis=0)
    return dlogits @ p["readout.weight"]


# --- the whole step: one unroll and one backward through time, for either loss -------------------

def _zero_state(cell: str, params: dict, B: int) -> tuple:
    zero = np.zeros((B, params["cell.weight_hh"].shape[1]), params["cell.weight_hh"].dtype)
    return (zero, zero) if cell == "lstm" else (zero,)


def unroll(cell: str, params: dict, xs: np.ndarray) -> tuple:
    """Forward over all T steps of ``xs`` (T, B, I) from a zero state: (hs, caches), the hidden
    states h_1 ... h_T (each (B, H)) and each step's cache for ``backprop_through_time``."""
    forward = CELLS[cell][0]
    state = _zero_state(cell, params, xs.shape[1])
    hs, caches = [], []
    for x in xs:
        state, cache = forward(params, x, state)
        hs.append(state[0])
        caches.append(cache)
    return hs, caches


def backprop_through_time(cell: str, params: dict, grads: dict, caches: list, dhs: list) -> None:
    """Adds the cell's weight gradients to ``grads``, given ``dhs[t]`` = dL/dh_t from the loss at
    step t directly (None where step t carries no loss)."""
    backward = CELLS[cell][1]
    B = caches[0][0].shape[0]                           # every cache starts with its step's input x (B, I)
    dstate = _zero_state(cell, params, B)               # nothing flows in from after the last step
    for cache, dh_loss in zip(reversed(caches), reversed(dhs)):
        dh = dstate[0] if dh_loss is None else dstate[0] + dh_loss
        dstate = backward(params, grads, cache, (dh,) + dstate[1:])


def loss_and_grads(cell: str, params: dict, xs: np.ndarray, targets: np.ndarray) -> tuple:
    """Cross-entropy at every step: ``xs`` (T, B, I), ``targets`` (T, B) -> (loss: float, grads:
    dict like ``params``)."""
    T, B, _ = xs.shape
    hs, caches = unroll(cell, params, xs)
    grads = {name: np.zeros_like(value) for name, value in params.items()}
    scale = 1.0 / (T * B)
    loss, dhs = 0.0, []
    for h, target in zip(hs, targets):
        loss_t, readout_cache = readout_forward(params, h, target, scale)
        loss += loss_t
        dhs.append(readout_backward(params, grads, readout_cache))
    backprop_through_time(cell, params, grads, caches, dhs)
    return loss, grads


def last_mse_loss_and_grads(cell: str, params: dict, xs: np.ndarray, target: np.ndarray) -> tuple:
    """The adding problem's loss, MSE of the read-out at the last step only: ``xs`` (T, B, I),
    ``target`` (B, C) -> (loss: float, grads: dict like ``params``). Only h_T reaches the loss,
    so the gradient enters at the last step alone and flows back from there."""
    hs, caches = unroll(cell, params, xs)
    grads = {name: np.zeros_like(value) for name, value in params.items()}
    h = hs[-1]
    diff = h @ params["readout.weight"].T + params["readout.bias"] - target
    loss = float(np.mean(diff * diff))
    dy = diff * (2 / diff.size)                         # d mean((y - target)^2) / dy
    grads["readout.weight"] += dy.T @ h
    grads["readout.bias"] += dy.sum(axis=0)
    backprop_through_time(cell, params, grads, caches, [None] * (len(hs) - 1) + [dy @ params["readout.weight"]])
    return loss, grads


#: loss name -> its (loss, grads) function, for ``train_step``
LOSSES = {"cross_entropy": loss_and_grads, "last_mse": last_mse_loss_and_grads}


def sgd_step(params: dict, grads: dict, lr: float) -> None:
    """p <- p - lr * dL/dp, in place (plain SGD, as ``optim.SGD(params, lr)``)."""
    for name, value in params.items():
        value -= lr * grads[name]


def train_step(cell: str, params: dict, xs: np.ndarray, targets: np.ndarray, lr: float,
               loss: str = "cross_entropy") -> float:
    """One training step (forward, manual BPTT, SGD) on ``params`` in place, under ``loss`` (a key
    of ``LOSSES``; ``targets`` as that loss takes them); returns the loss before the update."""
    value, grads = LOSSES[loss](cell, params, xs, targets)
    sgd_step(params, grads, lr)
    return value
