r"""Jacobians between the states of an unrolled recurrent net, from the engine's own reverse mode.

Backpropagating from h_T to h_k multiplies the gradient by one Jacobian per step (chain rule)::

    ∂h_T/∂h_k = J_T · J_(T-1) ⋯ J_(k+1),        J_t = ∂h_t/∂h_(t-1)      (each H x H)

For the Elman RNN, h_t = φ(a_t) with a_t = x_t W_ihᵀ + b_ih + h_(t-1) W_hhᵀ + b_hh, so
J_t = diag(φ'(a_t)) · W_hh (``rnn_jacobian_formula``): the same W_hh at every step, squeezed by
φ' ≤ 1. For the LSTM's cell path c_t = f_t ⊙ c_(t-1) + i_t ⊙ g_t, ∂c_t/∂c_(t-1) = diag(f_t)
(``lstm_cell_jacobian_formula``): no weight matrix, only the forget gate.

How the engine computes a Jacobian ∂y/∂x: row i is the gradient of y[i] with respect to x, which
is one backward pass seeded with 1 at y[i] and 0 elsewhere (``autograd.grad(y, x, grad_outputs=e_i)``).
H passes give all H rows. Every pass here uses ``retain_graph=True`` and writes no ``.grad``: the
graph is only read. So call these before ``loss.backward()``, or after ``backward(retain_graph=True)``.

What "∂y/∂x" means here: the gradient that reaches the *tensor* x in the graph, through every
path from x to y. For an RNN or GRU, whose state is h alone, that is the usual Jacobian. For the
LSTM, ∂h_t/∂h_(t-1) holds c_(t-1) fixed (c_(t-1) is not computed from h_(t-1)), which is what the
state Jacobian's h block means; but gradient also travels from h_T back along the c path, so for
the LSTM the product of the ∂h_t/∂h_(t-1) is *not* ∂h_T/∂h_k — use ``jacobians_to_last``, which
asks the graph for ∂h_T/∂h_k directly.

Shapes. A state is (H,) or, for a batch, (B, H). Samples in a batch never interact, so the
Jacobian of a batch is block diagonal with one H x H block per sample; we return the blocks,
(B, H, H), or (H, H) for an unbatched state. One backward pass seeded with 1 at unit i of *every*
sample gives row i of every sample's block at once (``autograd.jacobian_rows(y, xs, per_sample=True)``).
The spectral norm of a block-diagonal matrix is the largest of its blocks' (``spectral_norm``).
"""
import numpy as np

from .. import autograd
from ..core import Tensor


def _stack_rows(rows: list, x: Tensor, batched: bool) -> np.ndarray:
    """Row i of ∂y/∂x for i = 1..H_y (each (B, H_x) or (H_x,), None where nothing reached x) ->
    the Jacobian blocks (B, H_y, H_x), or (H_y, H_x) for unbatched states."""
    rows = [np.zeros(x.shape) if g is None else np.asarray(g, dtype=np.float64) for g in rows]
    return np.stack(rows, axis=1 if batched else 0)        # (B, H_y, H_x), or (H_y, H_x)


def _check_state(tensor, what: str) -> None:
    if not isinstance(tensor, Tensor) or tensor.ndim not in (1, 2):
        shape = getattr(tensor, "shape", type(tensor).__name__)
        raise ValueError(f"{what}: expected a state tensor of shape (H,) or (batch, H), got {shape}")


def jacobian_between(y: Tensor, x: Tensor) -> np.ndarray | None:
    """∂y/∂x from the graph: (H_y, H_x) for unbatched states, (B, H_y, H_x) for a batch.

    ``y`` and ``x`` are tensors of one graph, ``x`` computed before ``y`` (e.g. h_t and h_(t-1)).
    Returns ``None`` when no gradient can reach ``x`` from ``y`` (``x`` does not require grad,
    is not used to compute ``y``, or the graph was cut in between by ``detach()``).
    """
    _check_state(y, "jacobian_between")
    _check_state(x, "jacobian_between")
    if not (y.requires_grad and x.requires_grad):
        return None
    rows = [g for (g,) in autograd.jacobian_rows(y, [x], per_sample=True)]   # row i: (B, H_x) or (H_x,)
    if all(g is None for g in rows):
        return None
    return _stack_rows(rows, x, batched=y.ndim == 2)


def joint_jacobian(ys, xs) -> np.ndarray | None:
    """∂(y_1, ..., y_m)/∂(x_1, ..., x_n) from the graph, the blocks ∂y_i/∂x_j side by side:
    (ΣH_y, ΣH_x) for unbatched states, (B, ΣH_y, ΣH_x) for a batch.

    For the LSTM, whose state is the pair (h_t, c_t), ``joint_jacobian([h_t, c_t], [h_(t-1), c_(t-1)])``
    is the 2H × 2H step Jacobian. Its σ₁ bounds how much one step can stretch a gradient through
    both paths; σ₁ of ∂h_t/∂h_(t-1) alone does not (it holds c_(t-1) fixed, while the gradient also
    reaches h_(t-1) through c_t). A block no gradient reaches is zeros; ``None`` if none is reached.
    """
    ys, xs = list(ys), list(xs)
    for t in ys + xs:
        _check_state(t, "joint_jacobian")
    batched = ys[0].ndim == 2
    rows, reached = [], False
    for y in ys:
        if not y.requires_grad:
            rows.append(np.zeros(y.shape[:-1] + (y.shape[-1], sum(x.shape[-1] for x in xs))))
            continue
        passes = autograd.jacobian_rows(y, xs, per_sample=True)     # pass i: row i of ∂y/∂x for every x
        blocks = []
        for j, x in enumerate(xs):
            found = [p[j] for p in passes]
            reached = reached or any(g is not None for g in found)
            blocks.append(_stack_rows(found, x, batched))
        rows.append(np.concatenate(blocks, axis=-1))
    return np.concatenate(rows, axis=-2) if reached else None


def step_jacobians(states) -> list:
    """``[J_1, ..., J_T]`` with J_t = ∂s_t/∂s_(t-1), for ``states = [s_0, s_1, ..., s_T]``.

    Each s_t is a tensor of one graph, shape (H,) or (B, H) (e.g. ``[h_0, h_1, ..., h_T]``).
    J_t has shape (H, H) or (B, H, H), or is ``None`` where the graph does not link s_(t-1) to
    s_t (s_0 made without requires_grad, or a ``detach()`` in between).
    Each J_t costs H backward passes through the graph below s_t.
    """
    states = list(states)
    return [jacobian_between(states[t], states[t - 1]) for t in range(1, len(states))]


def jacobians_to_last(states) -> list:
    """``[∂s_T/∂s_0, ∂s_T/∂s_1, ..., ∂s_T/∂s_T]`` for ``states = [s_0, ..., s_T]``, straight from the graph.

    H backward passes from s_T in total: the pass seeded at unit i of s_T yields row i of
    ∂s_T/∂s_k for every k at once. Shapes as in ``step_jacobians``; ``None`` where no gradient
    reaches s_k from s_T.
    """
    states = list(states)
    for s in states:
        _check_state(s, "jacobians_to_last")
    last = states[-1]
    if not last.requires_grad:                            # no graph at all
        return [None] * len(states)
    wanted = [s for s in states if s.requires_grad]
    passes = autograd.jacobian_rows(last, wanted, per_sample=True)     # pass i: row i for every s_k
    rows = {id(s): [found[k] for found in passes] for k, s in enumerate(wanted)}
    result = []
    for s in states:
        if id(s) not in rows or all(g is None for g in rows[id(s)]):
            result.append(None)
        else:
            result.append(_stack_rows(rows[id(s)], s, batched=last.ndim == 2))
    return result


def jacobian_products(jacobians) -> list:
    """The chain rule: from ``[J_1, ..., J_T]`` (J_t = ∂s_t/∂s_(t-1)) make ``[P_0, ..., P_T]`` with

        P_k = J_T · J_(T-1) ⋯ J_(k+1) = ∂s_T/∂s_k,        P_T = I.

    Works on (H, H) or (B, H, H) arrays (one product per sample). Where some J_t is ``None``
    (the graph was cut), P_k for every k < t is ``None``: no gradient crosses the cut.
    """
    jacobians = list(jacobians)
    if not jacobians:
        return []
    shapes = {np.shape(J) for J in jacobians if J is not None}
    if len(shapes) > 1 or any(len(s) not in (2, 3) or s[-1] != s[-2] for s in shapes):
        raise ValueError(f"jacobian_products: every J_t must have the same shape (H, H) or (B, H, H), got shapes "
                         f"{sorted(shapes)}. Fix: pass the Jacobians of one recurrence, e.g. step_jacobians(states)")
    known = next((J for J in jacobians if J is not None), None)
    if known is None:
        return [None] * len(jacobians) + [None]
    product = np.broadcast_to(np.eye(known.shape[-1]), known.shape[:-2] + known.shape[-1:] * 2).copy()
    products = [product]                                  # P_T
    for J in reversed(jacobians):                         # J_T, J_(T-1), ..., J_1
        product = None if (product is None or J is None) else product @ J
        products.append(product)
    return products[::-1]                                 # P_0, ..., P_T


def spectral_norm(jac) -> float | None:
    """||J||_2, the largest singular value (for a batch (B, n, n): the largest over samples,
    which is the spectral norm of the whole block-diagonal Jacobian). ``None`` for ``None``; inf for a
    Jacobian with an infinite entry, nan for one with a nan entry (out of float64's range)."""
    if jac is None:
        return None
    jac = np.asarray(jac, dtype=np.float64)
    if jac.ndim not in (2, 3):
        raise ValueError(f"spectral_norm: expected a Jacobian of shape (n, m) or a batch (B, n, m), got shape "
                         f"{jac.shape}. Fix: for a vector, use np.linalg.norm (its Euclidean norm)")
    if not np.isfinite(jac).all():     # the SVD can't converge on inf/nan: inf if an entry is, nan if undefined
        return float("nan") if np.isnan(jac).any() else float("inf")
    return float(np.linalg.norm(jac, 2)) if jac.ndim == 2 else float(max(np.linalg.norm(j, 2) for j in jac))


def activation_derivative(h_t: np.ndarray, nonlinearity: str) -> np.ndarray:
    """φ'(a_t) read off the output h_t = φ(a_t): tanh: 1 - h_t², relu: 1 where h_t > 0, linear: 1."""
    h_t = np.asarray(h_t, dtype=np.float64)
    if nonlinearity == "tanh":
        return 1 - h_t ** 2
    if nonlinearity == "relu":
        return (h_t > 0).astype(np.float64)
    if nonlinearity == "linear":
        return np.ones_like(h_t)
    raise ValueError(f"activation_derivative: nonlinearity must be 'tanh', 'relu' or 'linear', got {nonlinearity!r}")


def rnn_jacobian_formula(h_t, weight_hh, nonlinearity: str = "tanh") -> np.ndarray:
    """The Elman RNN's ∂h_t/∂h_(t-1) = diag(φ'(a_t)) · W_hh, written out.

    ``h_t``: (H,) or (B, H) (a Tensor or array); ``weight_hh``: (H, H). Returns (H, H) or (B, H, H):
    row i is W_hh's row i times φ'(a_t[i]).
    """
    h = np.asarray(h_t.data if isinstance(h_t, Tensor) else h_t, dtype=np.float64)
    W = np.asarray(weight_hh.data if isinstance(weight_hh, Tensor) else weight_hh, dtype=np.float64)
    if h.ndim not in (1, 2) or W.shape != (h.shape[-1],) * 2:
        raise ValueError(f"rnn_jacobian_formula: h_t must be (H,) or (B, H) and weight_hh (H, H), got shapes "
                         f"{h.shape} and {W.shape}. Fix: pass an RNN's state h_t and its weight_hh")
    return activation_derivative(h, nonlinearity)[..., :, None] * W


def lstm_cell_jacobian_formula(f_t) -> np.ndarray:
    """The LSTM's ∂c_t/∂c_(t-1) with h_(t-1) held fixed: diag(f_t). ``f_t`` (H,) or (B, H) ->
    (H, H) or (B, H, H)."""
    f = np.asarray(f_t.data if isinstance(f_t, Tensor) else f_t, dtype=np.float64)
    if f.ndim not in (1, 2):
        raise ValueError(f"lstm_cell_jacobian_formula: f_t must be (H,) or (B, H), got shape {f.shape}")
    return f[..., :, None] * np.eye(f.shape[-1])
