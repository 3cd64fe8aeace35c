"""One time step of a recurrent net: ``RNNCell``, ``LSTMCell``, ``GRUCell`` (PyTorch's names,
parameter names, shapes, gate order and numbers).

Read this file next to the equations. Each cell is two parts:

- a plain function (``rnn_cell``, ``lstm_cell``, ``gru_cell``) that *is* the equations,
  written with ordinary tensor ops, so every gate is a node you can see in a drawn
  graph and every gradient comes from the core ops' backward;
- a ``Module`` that owns the weights and checks the shapes, then calls the function.

The sequence layers in ``recurrent.py`` (``RNN``, ``LSTM``, ``GRU``) call the very same
functions once per time step.

Shapes (B = batch, I = input_size, H = hidden_size). Row vectors, as PyTorch::

    x_t      (B, I)  or unbatched (I,)
    h_t, c_t (B, H)  or unbatched (H,)
    weight_ih (G*H, I), weight_hh (G*H, H), bias_ih (G*H,), bias_hh (G*H,)

with G = 1 (RNN), 4 (LSTM: gates i, f, g, o stacked in that order) or 3 (GRU: r, z, n).
Every parameter starts U(-1/sqrt(H), 1/sqrt(H)).

The intermediate tensors carry the lecture's names in ``.name`` (``i_t``, ``f_t``, ``g_t``,
``o_t``, ``c_t``, ``h_t``, ``r_t``, ``z_t``, ``n_t``), for drawings. The sequence layers replace
the ``t`` by the step number (``h_3``; ``h_3_l1`` in layer 1 of a stacked net).
"""
import numpy as np

from .. import functional as F
from ..core import Tensor, zeros
from ..core.checks import check_dtype_kind
from .linear import as_input, check_sizes, dtype_mismatch, resolve_dtype, resolve_generator, uniform_parameter
from .module import Module

__all__ = ["RNNCell", "LSTMCell", "GRUCell", "rnn_cell", "lstm_cell", "gru_cell", "CELLS"]


# --- the equations ---------------------------------------------------------------------------

def _affine(x: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
    """x W^T + b (b omitted when None): (B, in) -> (B, out), or (in,) -> (out,)."""
    return F.linear(x, weight, bias)


def rnn_cell(x, h, weight_ih, weight_hh, bias_ih=None, bias_hh=None, nonlinearity="tanh", t="t") -> Tensor:
    """Elman RNN step::

        h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh),   act = tanh or relu

    ``x`` (B, I) or (I,), ``h`` = h_{t-1} (B, H) or (H,) -> h_t, same shape as ``h``.
    ``t`` is only the label used in the tensors' names.
    """
    a = _affine(x, weight_ih, bias_ih) + _affine(h, weight_hh, bias_hh)
    a.name = f"a_{t}"                                      # pre-activation
    h_new = a.tanh() if nonlinearity == "tanh" else a.relu()
    h_new.name = f"h_{t}"
    return h_new


def lstm_cell(x, h, c, weight_ih, weight_hh, bias_ih=None, bias_hh=None, t="t") -> tuple[Tensor, Tensor]:
    """LSTM step (Hochreiter & Schmidhuber, with a forget gate; PyTorch's gate order i, f, g, o)::

        i_t = sigmoid(W_ii x_t + b_ii + W_hi h_{t-1} + b_hi)     input gate
        f_t = sigmoid(W_if x_t + b_if + W_hf h_{t-1} + b_hf)     forget gate
        g_t =    tanh(W_ig x_t + b_ig + W_hg h_{t-1} + b_hg)     candidate cell values
        o_t = sigmoid(W_io x_t + b_io + W_ho h_{t-1} + b_ho)     output gate
        c_t = f_t * c_{t-1} + i_t * g_t                          the additive cell path
        h_t = o_t * tanh(c_t)

    The four W_i* are stacked row-wise in ``weight_ih`` (4H, I), so one matmul computes all
    four gates' pre-activations side by side, (B, 4H), and ``chunk(4, dim=-1)`` splits them.
    ``x`` (B, I) or (I,); ``h``, ``c`` (B, H) or (H,) -> ``(h_t, c_t)``, each like ``h``.
    """
    gates = _affine(x, weight_ih, bias_ih) + _affine(h, weight_hh, bias_hh)
    gates.name = f"gates_{t}"
    a_i, a_f, a_g, a_o = gates.chunk(4, dim=-1)
    i_t = a_i.sigmoid()
    f_t = a_f.sigmoid()
    g_t = a_g.tanh()
    o_t = a_o.sigmoid()
    c_t = f_t * c + i_t * g_t
    h_t = o_t * c_t.tanh()
    i_t.name, f_t.name, g_t.name, o_t.name = f"i_{t}", f"f_{t}", f"g_{t}", f"o_{t}"
    c_t.name, h_t.name = f"c_{t}", f"h_{t}"
    return h_t, c_t


def gru_cell(x, h, weight_ih, weight_hh, bias_ih=None, bias_hh=None, t="t") -> Tensor:
    """GRU step (Cho et al. 2014, PyTorch's variant and gate order r, z, n)::

        r_t = sigmoid(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)       reset gate
        z_t = sigmoid(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)       update gate
        n_t =    tanh(W_in x_t + b_in + r_t * (W_hn h_{t-1} + b_hn))  candidate
        h_t = (1 - z_t) * n_t + z_t * h_{t-1}

    The reset gate multiplies the *hidden* part of n_t only, so the input and hidden
    contributions are kept apart here (``gx``, ``gh``) before being split into r, z, n.
    ``x`` (B, I) or (I,), ``h`` (B, H) or (H,) -> h_t, same shape as ``h``.
    """
    gx_r, gx_z, gx_n = _affine(x, weight_ih, bias_ih).chunk(3, dim=-1)
    gh_r, gh_z, gh_n = _affine(h, weight_hh, bias_hh).chunk(3, dim=-1)
    r_t = (gx_r + gh_r).sigmoid()
    z_t = (gx_z + gh_z).sigmoid()
    n_t = (gx_n + r_t * gh_n).tanh()
    h_t = (1 - z_t) * n_t + z_t * h
    r_t.name, z_t.name, n_t.name, h_t.name = f"r_{t}", f"z_{t}", f"n_{t}", f"h_{t}"
    return h_t


# --- shape checks, shared with recurrent.py ---------------------------------------------------

def check_input_size(owner: str, x: Tensor, input_size: int, shapes: str) -> None:
    """Raise a ValueError unless the last dim of ``x`` is ``input_size``; ``shapes`` lists the accepted forms."""
    if x.ndim == 0 or x.shape[-1] != input_size:
        raise ValueError(f"{owner}: input has shape {x.shape}, but input_size is {input_size}: expected "
                         f"{shapes}. Fix: give inputs whose last dim is {input_size}, or build the module "
                         f"with input_size={x.shape[-1] if x.ndim else '?'}.")


def describe(value) -> str:
    """A few words on what ``value`` is, for error messages: "a Tensor of shape (2, 4)", "a tuple of 3 items"."""
    if isinstance(value, (Tensor, np.ndarray)):
        return f"a {type(value).__name__} of shape {value.shape} ({value.dtype})"
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of {len(value)} item{'s' if len(value) != 1 else ''}"
    return f"a {type(value).__name__}"


def check_state(owner: str, label: str, state, expected: tuple, input_shape: tuple, dtype=None) -> Tensor:
    """``state`` as a Tensor, or a ValueError unless its shape is ``expected`` (and a TypeError
    unless its dtype is ``dtype``, the weights' dtype, when given; an ndarray is converted to it)."""
    if not isinstance(state, Tensor):
        if not isinstance(state, np.ndarray):
            hint = (" (only LSTMCell/LSTM take a tuple (h, c))" if isinstance(state, (tuple, list)) else "")
            raise TypeError(f"{owner}: {label} must be a Tensor of shape {expected}, got {describe(state)}{hint}. "
                            f"Fix: pass one tensor, or leave it out to start from zeros.")
        check_dtype_kind(owner, state, name=label)        # complex, object ... are refused, not cast
        state = Tensor(state, dtype=dtype)
    if dtype is not None and state.dtype != dtype:
        raise dtype_mismatch(owner, label, label, state.dtype, dtype)
    if state.shape != expected:
        raise ValueError(f"{owner}: {label} has shape {state.shape}, expected {expected} for an input of shape "
                         f"{input_shape}. Fix: pass {label} of shape {expected} (same batch size as the input; "
                         f"unbatched input takes an unbatched state), or leave it out to start from zeros.")
    return state


# --- the modules --------------------------------------------------------------------------------

class RNNCellBase(Module):
    """Weights shared by the three cells: ``weight_ih`` (G*H, I), ``weight_hh`` (G*H, H),
    ``bias_ih`` and ``bias_hh`` (G*H,) (``None`` when ``bias=False``), all U(-1/sqrt(H), 1/sqrt(H))."""

    gates = 1   # G: how many H-sized blocks the weights stack

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, *, dtype=None, generator=None):
        super().__init__()
        name = type(self).__name__
        dtype = resolve_dtype(dtype, name)
        check_sizes(name, input_size=input_size, hidden_size=hidden_size)
        generator = resolve_generator(generator, name)
        self.input_size, self.hidden_size, self.bias = int(input_size), int(hidden_size), bool(bias)
        G, H, bound = self.gates, self.hidden_size, 1 / np.sqrt(hidden_size)
        self.weight_ih = uniform_parameter((G * H, input_size), bound, dtype, generator)
        self.weight_hh = uniform_parameter((G * H, H), bound, dtype, generator)
        self.bias_ih = uniform_parameter((G * H,), bound, dtype, generator) if bias else None
        self.bias_hh = uniform_parameter((G * H,), bound, dtype, generator) if bias else None

    def _check(self, x, states: dict):
        """Check the input (B, I) / (I,) and each given state (B, H) / (H,); zeros for missing ones."""
        name = type(self).__name__
        x = as_input(x, name, self.weight_ih.dtype)
        if x.ndim not in (1, 2):
            raise ValueError(f"{name}: expected input of shape (batch, {self.input_size}) or unbatched "
                             f"({self.input_size},), got {x.ndim}-D input of shape {x.shape}. For a whole "
                             f"sequence use the layer ({name[:-4]}) or loop over time steps.")
        check_input_size(name, x, self.input_size, f"(batch, {self.input_size}) or ({self.input_size},)")
        expected = x.shape[:-1] + (self.hidden_size,)
        checked = []
        for label, state in states.items():
            if state is None:
                state = zeros(expected, dtype=self.weight_ih.dtype, name=f"{label[0]}_0")
            checked.append(check_state(name, label, state, expected, x.shape, self.weight_ih.dtype))
        return x, checked

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            s += ", bias=False"
        return s


class RNNCell(RNNCellBase):
    """h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh), act = tanh (default) or relu.

    ``cell(x, h=None)``: x (B, I) or (I,), h (B, H) or (H,) (zeros if omitted) -> h' like h.
    """

    gates = 1

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh", *,
                 dtype=None, generator=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNNCell: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        super().__init__(input_size, hidden_size, bias, dtype=dtype, generator=generator)
        self.nonlinearity = nonlinearity

    def forward(self, x, h=None) -> Tensor:
        x, (h,) = self._check(x, {"h": h})
        return rnn_cell(x, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh, self.nonlinearity)

    def extra_repr(self) -> str:
        s = super().extra_repr()
        return s + (f", nonlinearity={self.nonlinearity}" if self.nonlinearity != "tanh" else "")


class LSTMCell(RNNCellBase):
    """c' = f*c + i*g, h' = o*tanh(c'), gates i, f, g, o (see ``lstm_cell``).

    ``cell(x, (h, c))`` or ``cell(x)`` (zeros): x (B, I) or (I,), h and c (B, H) or (H,)
    -> ``(h', c')``, each like h.
    """

    gates = 4

    def forward(self, x, hx=None) -> tuple[Tensor, Tensor]:
        if hx is None:
            hx = (None, None)
        elif not isinstance(hx, (tuple, list)) or len(hx) != 2:
            raise TypeError(f"LSTMCell: the state must be a tuple (h, c) of two tensors, got {describe(hx)}. "
                            "Fix: call cell(x, (h, c)), or cell(x) to start from zeros.")
        x, (h, c) = self._check(x, {"h": hx[0], "c": hx[1]})
        return lstm_cell(x, h, c, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)


class GRUCell(RNNCellBase):
    """h' = (1-z)*n + z*h, gates r, z, n (see ``gru_cell``).

    ``cell(x, h=None)``: x (B, I) or (I,), h (B, H) or (H,) (zeros if omitted) -> h' like h.
    """

    gates = 3

    def forward(self, x, h=None) -> Tensor:
        x, (h,) = self._check(x, {"h": h})
        return gru_cell(x, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)


#: the cells by the short names the command line and the experiments use
CELLS = {"rnn": RNNCell, "lstm": LSTMCell, "gru": GRUCell}
