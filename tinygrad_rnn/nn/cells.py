"""One time step of a recurrent net: ``RNNCell``, ``LSTMCell``, ``GRUCell`` (PyTorch's names,
parameter names, shapes, gate order and numbers).

Read this file next to the equations. Each cell is two parts:

- a plain function (``rnn_cell``, ``lstm_cell``, ``gru_cell``) that *is* the equations,
  written with ordinary tensor ops, so every gate is a node you can see in a drawn
  graph and every gradient comes from the core ops' backward;
- a ``Module`` that owns the weights and checks the shapes, then takes one step.

Each cell can take its step two ways, with the same numbers: every op a node (``fused=False``,
the default for a cell: the function above, so a drawing shows every gate), or one node per
step (``fused=True``: ``x_t W_ih^T + b_ih``, then one ``RNNStep``/``LSTMStep``/``GRUStep`` from
``steps.py``, whose backward is the cell's derivative written out; much faster). The class
method ``step_with`` is that choice, and everything that unrolls a cell calls it: the cell
modules, and ``unroll_with`` (a whole sequence, with the layers' pre-pass), which the sequence
layers in ``recurrent.py``, ``train.SequenceModel`` and ``analysis.unroll`` run (all through
``unrolling.unroll_steps``, which names the states). Each cell
class declares its states, ``state_names``: ``("h",)``, or ``("h", "c")`` for the LSTM; the
drawings read them there.

Shapes (B = batch, I = input_size, H = hidden_size). Row vectors, as PyTorch::

    x_t      (B, I)  or unbatched (I,)
    h_t, c_t (B, H)  or unbatched (H,)
    weight_ih (G*H, I), weight_hh (G*H, H), bias_ih (G*H,), bias_hh (G*H,)

with G = 1 (RNN), 4 (LSTM: gates i, f, g, o stacked in that order) or 3 (GRU: r, z, n).
Every parameter starts U(-1/sqrt(H), 1/sqrt(H)).

The intermediate tensors carry the lecture's names in ``.name`` (``i_t``, ``f_t``, ``g_t``,
``o_t``, ``c_t``, ``h_t``, ``r_t``, ``z_t``, ``n_t``), for drawings, with the ``t`` replaced by
the step number (``h_3``; ``h_3_l1`` in layer 1 of a stacked net). A cell called once per step
in a loop numbers its steps itself: the step after a state named ``h_4`` is 5 (the cell's own
zero state is ``h_0``), or the t of an open ``with time_step(t):``.
"""
import numpy as np

from ..core import Tensor, stack, zeros
from ..core.checks import check_dtype_kind
from . import functional as F
from .linear import as_input, check_sizes, dtype_mismatch, resolve_dtype, resolve_generator, uniform_parameter
from .module import Module
from .steps import GRUStep, LSTMStep, RNNStep
from .unrolling import step_after, unroll_steps

__all__ = ["RNNCell", "LSTMCell", "GRUCell", "rnn_cell", "lstm_cell", "gru_cell", "CELLS"]


# --- the equations ---------------------------------------------------------------------------

def _affine(x: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
    """x W^T + b (b omitted when None): (B, in) -> (B, out), or (in,) -> (out,)."""
    return F.linear(x, weight, bias)


def rnn_cell(x, h, weight_ih, weight_hh, bias_ih=None, bias_hh=None, nonlinearity="tanh", t="t") -> Tensor:
    """Elman RNN step::

        h_t = act(x_t W_ih^T + b_ih + h_(t-1) W_hh^T + b_hh),   act = tanh or relu

    (and ``nonlinearity="linear"``, act(a) = a, which PyTorch does not offer: then
    ∂h_T/∂h_k = W_hh^(T-k) exactly, the eigenvalue story without φ').
    ``x`` (B, I) or (I,), ``h`` = h_(t-1) (B, H) or (H,) -> h_t, same shape as ``h``.
    ``t`` is only the label used in the tensors' names.
    """
    a = _affine(x, weight_ih, bias_ih) + _affine(h, weight_hh, bias_hh)
    a.name = f"a_{t}"                                      # pre-activation
    if nonlinearity == "linear":
        h_new = a
    else:
        h_new = a.tanh() if nonlinearity == "tanh" else a.relu()
    h_new.name = f"h_{t}"
    return h_new


def lstm_cell(x, h, c, weight_ih, weight_hh, bias_ih=None, bias_hh=None, t="t") -> tuple[Tensor, Tensor]:
    """LSTM step (Hochreiter & Schmidhuber, with a forget gate; PyTorch's gate order i, f, g, o)::

        i_t = sigmoid(W_ii x_t + b_ii + W_hi h_(t-1) + b_hi)     input gate
        f_t = sigmoid(W_if x_t + b_if + W_hf h_(t-1) + b_hf)     forget gate
        g_t =    tanh(W_ig x_t + b_ig + W_hg h_(t-1) + b_hg)     candidate cell values
        o_t = sigmoid(W_io x_t + b_io + W_ho h_(t-1) + b_ho)     output gate
        c_t = f_t * c_(t-1) + i_t * g_t                          the additive cell path
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

        r_t = sigmoid(W_ir x_t + b_ir + W_hr h_(t-1) + b_hr)       reset gate
        z_t = sigmoid(W_iz x_t + b_iz + W_hz h_(t-1) + b_hz)       update gate
        n_t =    tanh(W_in x_t + b_in + r_t * (W_hn h_(t-1) + b_hn))  candidate
        h_t = (1 - z_t) * n_t + z_t * h_(t-1)

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
    ``bias_ih`` and ``bias_hh`` (G*H,) (``None`` when ``bias=False``), all U(-1/sqrt(H), 1/sqrt(H)).

    ``fused``: False (the default) builds each step from core ops, every gate a node you can
    draw; True makes it one node (``steps.py``), the same numbers, several times faster.
    """

    gates = 1                 # G: how many H-sized blocks the weights stack
    state_names = ("h",)      # the state a step carries: h_t, or (h_t, c_t) for the LSTM

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, *, fused: bool = False, dtype=None,
                 generator=None):
        super().__init__()
        name = type(self).__name__
        dtype = resolve_dtype(dtype, name)
        check_sizes(name, input_size=input_size, hidden_size=hidden_size)
        generator = resolve_generator(generator, name)
        self.input_size, self.hidden_size, self.bias = int(input_size), int(hidden_size), bool(bias)
        self.fused = bool(fused)
        G, H, bound = self.gates, self.hidden_size, 1 / np.sqrt(hidden_size)
        self.weight_ih = uniform_parameter((G * H, input_size), bound, dtype, generator)
        self.weight_hh = uniform_parameter((G * H, H), bound, dtype, generator)
        self.bias_ih = uniform_parameter((G * H,), bound, dtype, generator) if bias else None
        self.bias_hh = uniform_parameter((G * H,), bound, dtype, generator) if bias else None

    # --- one step, two ways (used by the layers, SequenceModel and analysis.unroll too) ----------
    @staticmethod
    def equations(x, state: tuple, weight_ih, weight_hh, bias_ih, bias_hh, t="t", **options) -> tuple:
        """One step from core ops, every op a node: ``state`` -> the new state (tuples)."""
        raise NotImplementedError

    @staticmethod
    def one_node(xw, state: tuple, weight_hh, bias_hh, **options) -> tuple:
        """One step as one node, from ``xw`` = x_t W_ih^T + b_ih (B, G*H): ``state`` -> the new state."""
        raise NotImplementedError

    @classmethod
    def step_with(cls, x, state: tuple, weights: tuple, *, fused: bool, projected: bool = False, t="t",
                  **options) -> tuple:
        """One step of this cell with ``weights`` = (weight_ih, weight_hh, bias_ih, bias_hh):
        ``state`` (a tuple, see ``state_names``) -> the new state. ``fused``: one node, else every op
        a node. ``projected``: ``x`` is already x_t W_ih^T + b_ih (a layer computes it for all steps
        at once); only for ``fused``. ``t`` labels the gates' names; ``options``: the RNN's
        ``nonlinearity``."""
        weight_ih, weight_hh, bias_ih, bias_hh = weights
        if not fused:
            return cls.equations(x, state, weight_ih, weight_hh, bias_ih, bias_hh, t=t, **options)
        xw = x if projected else F.linear(x, weight_ih, bias_ih)
        return cls.one_node(xw, state, weight_hh, bias_hh, **options)

    #: RNN and LSTM add b_hh straight to the gates, so a pre-pass over all steps adds it to b_ih once
    #: (``project_all``); the GRU multiplies part of it by r_t, so its steps add it themselves
    bias_hh_in_projection = True

    @classmethod
    def project_all(cls, x, weights: tuple) -> tuple:
        """The input projection of every step at once, for ``step_with(..., projected=True)``: returns
        ``(x W_ih^T + b_ih (+ b_hh), the weights for the steps)``; x (T, B, I) -> (T, B, G*H) (any
        leading shape). Where b_hh is folded in here, the steps' weights carry None for it."""
        weight_ih, weight_hh, bias_ih, bias_hh = weights
        if bias_ih is None or bias_hh is None or not cls.bias_hh_in_projection:
            return F.linear(x, weight_ih, bias_ih), weights
        return F.linear(x, weight_ih, bias_ih + bias_hh), (weight_ih, weight_hh, bias_ih, None)

    @classmethod
    def unroll_with(cls, inputs, state: tuple, weights: tuple, *, fused: bool, time_dim: int = 0, start: int = 1,
                    suffix: str = "", **options) -> list:
        """Every step of a sequence with ``weights``, from ``state``: ``inputs`` is a Tensor with time on
        ``time_dim`` (T, B, I), or a list of the x_t (a stacked layer's h_t of the layer below). With
        ``fused``, the input projection of all steps first (``project_all``, one matmul), then one node
        per step; else every op a node. Returns the states after each step (``unroll_steps``)."""
        if fused:
            sequence = inputs if isinstance(inputs, Tensor) else stack(inputs, dim=time_dim)
            projected, weights = cls.project_all(sequence, weights)
            inputs = projected.unbind(time_dim)
        elif isinstance(inputs, Tensor):
            inputs = inputs.unbind(time_dim)

        def step(x_t, state, label):
            return cls.step_with(x_t, state, weights, fused=fused, projected=fused, t=label, **options)
        return unroll_steps(step, inputs, state, cls.state_names, start=start, suffix=suffix)

    @property
    def options(self) -> dict:
        """Keyword options of ``step_with`` for this cell (the RNN's nonlinearity)."""
        return {}

    @property
    def weights(self) -> tuple:
        return self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh

    def _step(self, x, state: tuple) -> tuple:
        """One step of this module on a checked input and state, named as ``unroll_steps`` names."""
        def step(x_t, state, label):
            return self.step_with(x_t, state, self.weights, fused=self.fused, t=label, **self.options)
        return unroll_steps(step, [x], state, self.state_names, start=step_after(state), tag_inputs=False)[0]

    def initial_state(self, x, given: tuple) -> tuple:
        """Check the input (B, I) / (I,) and each given state (B, H) / (H,) (``None``: zeros, named
        h_0, c_0); returns ``(x, state tuple)``."""
        name = type(self).__name__
        x = as_input(x, name, self.weight_ih.dtype)
        if x.ndim not in (1, 2):
            raise ValueError(f"{name}: expected input of shape (batch, {self.input_size}) or unbatched "
                             f"({self.input_size},), got {x.ndim}-D input of shape {x.shape}. For a whole "
                             f"sequence use the layer ({name[:-4]}) or loop over time steps.")
        check_input_size(name, x, self.input_size, f"(batch, {self.input_size}) or ({self.input_size},)")
        return x, self.checked_state(x.shape, given)

    def checked_state(self, input_shape: tuple, given: tuple, owner: str | None = None) -> tuple:
        """The state tuple for a step on an input of ``input_shape`` (B, I) / (I,): each given state
        checked to be (B, H) / (H,) in the weights' dtype, and zeros (named h_0, c_0) for ``None``."""
        owner = owner or type(self).__name__
        expected = tuple(input_shape[:-1]) + (self.hidden_size,)
        checked = []
        for label, state in zip(self.state_names, given):
            if state is None:
                state = zeros(expected, dtype=self.weight_ih.dtype, name=f"{label}_0")
            checked.append(check_state(owner, label, state, expected, input_shape, self.weight_ih.dtype))
        return tuple(checked)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            s += ", bias=False"
        if self.fused:
            s += ", fused=True"
        return s


class RNNCell(RNNCellBase):
    """h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh), act = tanh (default) or relu (and "linear",
    act(a) = a, an addition to PyTorch's two for the eigenvalue experiments).

    ``cell(x, h=None)``: x (B, I) or (I,), h (B, H) or (H,) (zeros if omitted) -> h' like h.
    """

    gates = 1
    NONLINEARITIES = ("tanh", "relu", "linear")

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh", *,
                 fused: bool = False, dtype=None, generator=None):
        if nonlinearity not in self.NONLINEARITIES:
            raise ValueError(f"RNNCell: nonlinearity must be 'tanh' or 'relu' (or 'linear', for experiments), "
                             f"got {nonlinearity!r}")
        super().__init__(input_size, hidden_size, bias, fused=fused, dtype=dtype, generator=generator)
        self.nonlinearity = nonlinearity

    @staticmethod
    def equations(x, state, weight_ih, weight_hh, bias_ih, bias_hh, t="t", nonlinearity="tanh"):
        return (rnn_cell(x, state[0], weight_ih, weight_hh, bias_ih, bias_hh, nonlinearity=nonlinearity, t=t),)

    @staticmethod
    def one_node(xw, state, weight_hh, bias_hh, nonlinearity="tanh"):
        return (RNNStep.apply(xw, state[0], weight_hh, *_given(bias_hh), nonlinearity=nonlinearity),)

    @property
    def options(self) -> dict:
        return {"nonlinearity": self.nonlinearity}

    def forward(self, x, h=None) -> Tensor:
        x, state = self.initial_state(x, (h,))
        return self._step(x, state)[0]

    def extra_repr(self) -> str:
        s = super().extra_repr()
        return s + (f", nonlinearity={self.nonlinearity}" if self.nonlinearity != "tanh" else "")


class LSTMCell(RNNCellBase):
    """c' = f*c + i*g, h' = o*tanh(c'), gates i, f, g, o (see ``lstm_cell``).

    ``cell(x, (h, c))`` or ``cell(x)`` (zeros): x (B, I) or (I,), h and c (B, H) or (H,)
    -> ``(h', c')``, each like h.
    """

    gates = 4
    state_names = ("h", "c")

    @staticmethod
    def equations(x, state, weight_ih, weight_hh, bias_ih, bias_hh, t="t"):
        return lstm_cell(x, state[0], state[1], weight_ih, weight_hh, bias_ih, bias_hh, t=t)

    @staticmethod
    def one_node(xw, state, weight_hh, bias_hh):
        return LSTMStep.apply(xw, state[0], state[1], weight_hh, *_given(bias_hh))

    def forward(self, x, hx=None) -> tuple[Tensor, Tensor]:
        if hx is None:
            hx = (None, None)
        elif not isinstance(hx, (tuple, list)) or len(hx) != 2:
            raise TypeError(f"LSTMCell: the state must be a tuple (h, c) of two tensors, got {describe(hx)}. "
                            "Fix: call cell(x, (h, c)), or cell(x) to start from zeros.")
        x, state = self.initial_state(x, tuple(hx))
        return self._step(x, state)


class GRUCell(RNNCellBase):
    """h' = (1-z)*n + z*h, gates r, z, n (see ``gru_cell``).

    ``cell(x, h=None)``: x (B, I) or (I,), h (B, H) or (H,) (zeros if omitted) -> h' like h.
    """

    gates = 3
    bias_hh_in_projection = False

    @staticmethod
    def equations(x, state, weight_ih, weight_hh, bias_ih, bias_hh, t="t"):
        return (gru_cell(x, state[0], weight_ih, weight_hh, bias_ih, bias_hh, t=t),)

    @staticmethod
    def one_node(xw, state, weight_hh, bias_hh):
        return (GRUStep.apply(xw, state[0], weight_hh, *_given(bias_hh)),)

    def forward(self, x, h=None) -> Tensor:
        x, state = self.initial_state(x, (h,))
        return self._step(x, state)[0]


def _given(bias) -> tuple:
    """``(bias,)``, or ``()`` for a cell without biases (the step nodes take bias_hh last, if at all)."""
    return () if bias is None else (bias,)


#: the cells by the short names the command line and the experiments use
CELLS = {"rnn": RNNCell, "lstm": LSTMCell, "gru": GRUCell}
