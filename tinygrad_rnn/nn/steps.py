"""One time step as ONE node: the cell equations forward, their derivatives written out backward.

The cells in ``cells.py`` can build each step from a dozen core ops, so a drawing shows every
gate (``fused=False``), or use these (``fused=True``): a step is one node whose outputs are h_t
(and c_t), so the unrolled graph is still one node per cell, with every h_t a real tensor, but a
step costs one node's bookkeeping instead of a dozen. The input's contribution x_t W_ih^T + b_ih
comes in as ``xw`` (B, G*H), computed before: by the cell for its one step, and by a sequence
layer (or ``train.SequenceModel``) for all steps at once, as one matmul.

The backward of each is the chain rule through the cell by hand: the same maths the composed
ops give (the tests check the two paths agree), and a compact view of one step of BPTT. Every
gradient goes back along the graph's edges, W_hh's too: each step sends
dL/dW_hh = dgates_t^T h_(t-1), and the engine adds the T terms up (fan-in), as for any shared tensor.
Shapes: ``xw`` (B, G*H), ``h`` and ``c`` (B, H), ``weight_hh`` (G*H, H), ``bias_hh`` (G*H,);
a leading batch shape of any size (or none) works the same way.
"""
import numpy as np

from ..core import Function
from ..core.ops.elementwise import sigmoid

__all__ = ["RNNStep", "LSTMStep", "GRUStep"]


def _hidden_part(h, weight_hh, bias_hh):
    """h W_hh^T + b_hh, (B, G*H): a new array (safe to write into)."""
    hw = h @ weight_hh.T
    if bias_hh is not None:
        hw += bias_hh
    return hw


def _through(dgates, weight_hh, needed: bool):
    """dL/dh_(t-1) = dgates W_hh (skipped when h_(t-1) needs no gradient, e.g. h_0 = 0)."""
    return dgates @ weight_hh if needed else None


class _Step(Function):
    """What the three step nodes share: the gradients of weight_hh and bias_hh."""

    weight_index = 2      # where weight_hh is among the inputs (bias_hh, if given, follows it)

    def carried_gate(self):
        """For drawings: ``(slot, letter, gate)`` where a state reaches the step's output along an
        additive path, state_t = gate ⊙ state_(t-1) + ...: the input slot of state_(t-1), the gate's
        letter and its values (B, H) read from the saved arrays. ``None`` for a step without one
        (the plain RNN) or once backward has freed them."""
        return None

    def _weight_grads(self, dgates, h) -> tuple:
        """dL/dW_hh = dgates^T h_(t-1) and dL/db_hh = dgates summed over the batch (``None`` where not
        needed), with dgates = dL/d(h_(t-1) W_hh^T + b_hh)."""
        needs = self.needs_input_grad[self.weight_index:]
        rows, h_rows = dgates.reshape(-1, dgates.shape[-1]), h.reshape(-1, h.shape[-1])
        grad_w = rows.T @ h_rows if needs[0] else None
        grad_b = rows.sum(axis=0) if len(needs) > 1 and needs[1] else None
        return grad_w, grad_b


class RNNStep(_Step):
    """h_t = act(xw_t + h_(t-1) W_hh^T + b_hh), act = tanh, relu or linear (act(a) = a).
    Inputs ``(xw, h, weight_hh[, bias_hh])``."""

    name = "rnn_step"
    derivative = ("da = dh_t * act'(a) (tanh' = 1 - h_t^2, relu' = [a > 0], linear' = 1); dxw = da, "
                  "dh_(t-1) = da W_hh")

    def forward(self, xw, h, weight_hh, bias_hh=None, *, nonlinearity="tanh"):
        a = _hidden_part(h, weight_hh, bias_hh)
        a += xw
        h_new = np.tanh(a) if nonlinearity == "tanh" else np.maximum(a, 0) if nonlinearity == "relu" else a
        self.nonlinearity = nonlinearity
        self.save_for_backward(h, weight_hh, h_new)
        return h_new

    def backward(self, grad):
        # da = dh_t * act'(a) (tanh' = 1 - h_t^2, relu' = [a > 0], linear' = 1); dxw = da, dh_(t-1) = da W_hh
        h, weight_hh, h_new = self.saved
        if self.nonlinearity == "tanh":
            da = grad * (1 - h_new * h_new)
        else:
            da = grad * (h_new > 0) if self.nonlinearity == "relu" else grad
        return (da, _through(da, weight_hh, self.needs_input_grad[1])) + self._weight_grads(da, h)


class LSTMStep(_Step):
    """(h_t, c_t) from ``(xw, h, c, weight_hh[, bias_hh])``; gates i, f, g, o as in ``lstm_cell``:
    c_t = f_t * c_(t-1) + i_t * g_t,  h_t = o_t * tanh(c_t). Two outputs."""

    name = "lstm_step"
    derivative = "dc_(t-1) = dc_t f_t (the additive path); dgates = d[i|f|g|o] * slopes; dh_(t-1) = dgates W_hh"
    weight_index = 3

    def forward(self, xw, h, c, weight_hh, bias_hh=None):
        # Written for speed (it runs T times per sequence): in place on one (B, 4H) array that
        # ends up holding the four gates side by side, [i_t | f_t | g_t | o_t].
        H = h.shape[-1]
        gates = _hidden_part(h, weight_hh, bias_hh)          # a new array: safe to overwrite
        gates += xw                                          # pre-activations a_i, a_f, a_g, a_o
        g = np.tanh(gates[..., 2 * H:3 * H])                 # g_t, before the next line overwrites a_g
        sigmoid(gates, out=gates)                            # i_t, f_t, o_t (in place)
        gates[..., 2 * H:3 * H] = g
        i, f, g, o = (gates[..., k * H:(k + 1) * H] for k in range(4))
        c_new = f * c
        c_new += i * g                                       # c_t = f_t c_(t-1) + i_t g_t
        tanh_c = np.tanh(c_new)
        self.save_for_backward(h, c, weight_hh, gates, tanh_c)
        return o * tanh_c, c_new                             # h_t = o_t tanh(c_t)

    def carried_gate(self):
        """``(2, "f", f_t)``: c_(t-1) (input 2) reaches c_t multiplied by the forget gate f_t (B, H)."""
        if not self.saved:
            return None
        gates = self.saved[3]
        H = gates.shape[-1] // 4
        return 2, "f", gates[..., H:2 * H]

    def backward(self, grads):
        # dc_(t-1) = dc_t f_t (the additive path); dgates = d[i|f|g|o] * slopes; dh_(t-1) = dgates W_hh
        # in detail: dc_t gets dh_t * o * (1 - tanh(c_t)^2) on top of what flows in directly; then
        # di = dc g, df = dc c_(t-1), dg = dc i, do = dh tanh(c_t), and dc_(t-1) = dc f  (the additive path);
        # each gate's pre-activation: sigmoid' = s(1-s), tanh' = 1 - g^2; dxw = dgates, dh_(t-1) = dgates W_hh
        # (the saved arrays are only read: backward(retain_graph=True) may run this again)
        h, c, weight_hh, gates, tanh_c = self.saved
        dh, dc = grads
        H = h.shape[-1]
        i, f, g, o = (gates[..., k * H:(k + 1) * H] for k in range(4))
        dc = np.zeros_like(c) if dc is None else dc.copy()
        if dh is not None:
            dc += dh * o * (1 - tanh_c * tanh_c)
        dgates = np.empty_like(gates)                        # dL/d[i | f | g | o], then times each slope
        d_i, d_f, d_g, d_o = (dgates[..., k * H:(k + 1) * H] for k in range(4))
        np.multiply(dc, g, out=d_i)
        np.multiply(dc, c, out=d_f)
        np.multiply(dc, i, out=d_g)
        if dh is None:
            d_o[...] = 0
        else:
            np.multiply(dh, tanh_c, out=d_o)
        slopes = gates * (1 - gates)                         # sigmoid' = s (1 - s) for i, f, o
        np.multiply(g, g, out=slopes[..., 2 * H:3 * H])
        np.subtract(1, slopes[..., 2 * H:3 * H], out=slopes[..., 2 * H:3 * H])   # tanh' = 1 - g^2 for g
        dgates *= slopes
        dc *= f                                              # dc_(t-1) = dc_t f_t
        return ((dgates, _through(dgates, weight_hh, self.needs_input_grad[1]), dc)
                + self._weight_grads(dgates, h))


class GRUStep(_Step):
    """h_t from ``(xw, h, weight_hh[, bias_hh])``; gates r, z, n as in ``gru_cell`` (PyTorch's variant):
    n_t = tanh(xw_n + r_t * (h W_hn^T + b_hn)),  h_t = (1 - z_t) * n_t + z_t * h_(t-1)."""

    name = "gru_step"
    derivative = "dh_(t-1) = dh_t z (the additive path) + dgates W_hh; dz = dh_t (h_(t-1) - n), dn = dh_t (1 - z)"

    def forward(self, xw, h, weight_hh, bias_hh=None):
        x_r, x_z, x_n = np.split(xw, 3, axis=-1)
        h_r, h_z, h_n = np.split(_hidden_part(h, weight_hh, bias_hh), 3, axis=-1)
        r, z = sigmoid(x_r + h_r), sigmoid(x_z + h_z)
        n = np.tanh(x_n + r * h_n)
        self.save_for_backward(h, weight_hh, r, z, n, h_n)
        return (1 - z) * n + z * h

    def carried_gate(self):
        """``(1, "z", z_t)``: h_(t-1) (input 1) reaches h_t multiplied by the update gate z_t (B, H)."""
        return (1, "z", self.saved[3]) if self.saved else None

    def backward(self, grad):
        # dh_(t-1) = dh_t z (the additive path) + dgates W_hh; dz = dh_t (h_(t-1) - n), dn = dh_t (1 - z)
        # in detail: through n's tanh, da_n = dn (1 - n^2), which reaches
        # xw_n directly, r as da_n * (h W_hn^T + b_hn), and the hidden part as da_n * r
        h, weight_hh, r, z, n, h_n = self.saved
        da_n = grad * (1 - z) * (1 - n * n)
        da_r = da_n * h_n * r * (1 - r)
        da_z = grad * (h - n) * z * (1 - z)
        dx = np.concatenate([da_r, da_z, da_n], axis=-1)                    # dL/dxw
        dhidden = np.concatenate([da_r, da_z, da_n * r], axis=-1)           # dL/d(h W_hh^T + b_hh)
        return (dx, grad * z + dhidden @ weight_hh) + self._weight_grads(dhidden, h)
