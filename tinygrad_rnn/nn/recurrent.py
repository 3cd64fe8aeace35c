"""Whole-sequence recurrent layers: ``RNN``, ``LSTM``, ``GRU`` (PyTorch's signatures, shapes,
parameter names and numbers; no dropout, bidirectional or proj_size).

How they are built
------------------
Each layer *unrolls* the recurrence in a Python loop, one time step at a time
(``unrolling.unroll_steps``, the loop every model here runs), so the graph of a forward pass is
T steps chained through h_t (and c_t), and every h_t is a real tensor you can inspect. The loop is
its cell's (``RNNCell.unroll_with`` ...), each step taken one of two ways, with the same numbers:

- ``fused=True`` (the default, fast): x_t W_ih^T + b_ih for all steps in one matmul before the
  loop, then one node per step (``RNNStep``, ``LSTMStep``, ``GRUStep`` in ``steps.py``) whose
  backward is that cell's derivative written out.
- ``fused=False``: every step from the cells' own functions (``rnn_cell``, ``lstm_cell``,
  ``gru_cell`` in ``cells.py``), a dozen core ops, so a drawing shows every gate (i_t, f_t ...).

Parameter naming (design choice)
--------------------------------
PyTorch's ``state_dict`` for a stacked layer is flat: ``weight_ih_l0, weight_hh_l0, bias_ih_l0,
bias_hh_l0, weight_ih_l1, ...``. To produce exactly these names, the layer stores its
parameters *directly on itself* under those names (no sub-modules, no renaming), and
layer k's step is ``LSTMCell.step_with(x_t, (h, c), (self.weight_ih_lk, self.weight_hh_lk, ...))``.
Holding ``LSTMCell`` objects instead would give names like ``cells.0.weight_ih`` and
need a translation layer for state_dict; sharing the cell *function* keeps the math in
one place and the names PyTorch's, with nothing in between. ``layer_parameters(k)``
returns layer k's four tensors.

Shapes (T = sequence length, B = batch, I = input_size, H = hidden_size, L = num_layers)
------------------------------------------------------------------------------------
- input: (T, B, I), or (B, T, I) with ``batch_first=True``, or unbatched (T, I)
- h_0 (and c_0 for LSTM): (L, B, H), or (L, H) for unbatched input; zeros if omitted
  (``batch_first`` never applies to the states, as in PyTorch)
- output: h_t of the last layer for every t: (T, B, H) ((B, T, H) if batch_first; (T, H) unbatched)
- h_n (and c_n): the last step's state of every layer: (L, B, H) (or (L, H))

``RNN``/``GRU`` return ``(output, h_n)``; ``LSTM`` returns ``(output, (h_n, c_n))``.

Every step's state, kept for analysis
-------------------------------------
After each forward call, ``layer.last_states[k]`` is the list ``[h_1, ..., h_T]`` of layer
k's hidden-state tensors (the very tensors in the graph, named ``h_1``... or ``h_1_l0``...
when num_layers > 1), and for ``LSTM`` ``layer.last_cell_states[k]`` is ``[c_1, ..., c_T]``.
Call ``h.retain_grad()`` on them before ``backward()`` to read dL/dh_t afterwards. The
initial state h_0 is not in the list. Every tensor made during step t (x_t's slice, the
gates, h_t, c_t) also has ``.step == t`` (``core.time_step``), so a drawing can group them.
These lists keep the last graph alive until the next forward call (set them to ``None`` to
free it).
"""
import numpy as np

from ..core import stack, zeros
from .cells import GRUCell, LSTMCell, RNNCell, check_input_size, check_state, describe
from .linear import as_input, check_sizes, resolve_dtype, uniform_parameter
from .module import Module

__all__ = ["RNN", "LSTM", "GRU"]


class RNNBase(Module):
    """What the three layers share: the parameters, the shape checks and the unrolling loop.
    Subclasses say which cell they unroll (``cell``: its gates, its states and its step)."""

    cell = RNNCell            # the cell class whose step each layer takes

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, *,
                 fused: bool = True, dtype=None, generator=None):
        super().__init__()
        self.fused = bool(fused)
        name = type(self).__name__
        if dropout:
            raise NotImplementedError(f"{name}: dropout between layers is not implemented here; "
                                      "use dropout=0 (the default)")
        if bidirectional:
            raise NotImplementedError(f"{name}: bidirectional layers are not implemented here; run a second "
                                      "layer on the reversed sequence if you need one")
        check_sizes(name, input_size=input_size, hidden_size=hidden_size, num_layers=num_layers)
        dtype = resolve_dtype(dtype, name)
        self.input_size, self.hidden_size = int(input_size), int(hidden_size)
        self.num_layers, self.bias, self.batch_first = int(num_layers), bool(bias), bool(batch_first)
        G, H, bound = self.gates, self.hidden_size, 1 / np.sqrt(hidden_size)
        for k in range(self.num_layers):
            layer_input = input_size if k == 0 else H
            setattr(self, f"weight_ih_l{k}", uniform_parameter((G * H, layer_input), bound, dtype, generator, name))
            setattr(self, f"weight_hh_l{k}", uniform_parameter((G * H, H), bound, dtype, generator, name))
            if bias:
                setattr(self, f"bias_ih_l{k}", uniform_parameter((G * H,), bound, dtype, generator, name))
                setattr(self, f"bias_hh_l{k}", uniform_parameter((G * H,), bound, dtype, generator, name))
        self.last_states = None
        self.last_cell_states = None

    @property
    def gates(self) -> int:
        """G: weight_ih_lk is (G*H, I) for layer 0, (G*H, H) above."""
        return self.cell.gates

    @property
    def has_cell_state(self) -> bool:
        """True for the LSTM: the state is (h, c) instead of h."""
        return len(self.cell.state_names) == 2

    @property
    def options(self) -> dict:
        """Keyword options of the cell's step (the RNN's nonlinearity)."""
        return {}

    def layer_parameters(self, k: int):
        """Layer k's ``(weight_ih, weight_hh, bias_ih, bias_hh)`` (biases ``None`` when bias=False)."""
        return (getattr(self, f"weight_ih_l{k}"), getattr(self, f"weight_hh_l{k}"),
                getattr(self, f"bias_ih_l{k}", None), getattr(self, f"bias_hh_l{k}", None))

    # --- the unrolled loop ---------------------------------------------------------------------
    def forward(self, input, hx=None):
        name = type(self).__name__
        x = as_input(input, name, self.weight_ih_l0.dtype)
        I = self.input_size
        if x.ndim not in (2, 3):
            raise ValueError(f"{name}: expected input of shape (seq_len, batch, {I}) "
                             f"{'[batch_first: (batch, seq_len, ' + str(I) + ')] ' if self.batch_first else ''}"
                             f"or unbatched (seq_len, {I}), got {x.ndim}-D input of shape {x.shape}. "
                             f"For a single time step use {name}Cell.")
        batched = x.ndim == 3
        time_dim = 1 if batched and self.batch_first else 0
        check_input_size(name, x, I, "(seq_len, batch, {0}), (batch, seq_len, {0}) with batch_first=True, or "
                                     "(seq_len, {0})".format(I))
        T = x.shape[time_dim]
        if T == 0:
            raise ValueError(f"{name}: the input sequence is empty (shape {x.shape}); give at least one time step")
        batch_shape = x.shape[:time_dim] + x.shape[time_dim + 1:-1]         # (B,) or ()
        states = self._initial_states(hx, batch_shape, x.shape)              # per layer: (h_0,) or (h_0, c_0)

        self.last_states, self.last_cell_states = [], ([] if self.has_cell_state else None)
        finals, hs = [], None
        for k in range(self.num_layers):
            layer_states = self.cell.unroll_with(x if k == 0 else hs, states[k], self.layer_parameters(k),
                                                 fused=self.fused, time_dim=time_dim,   # layer k+1 reads k's h_t
                                                 suffix="" if self.num_layers == 1 else f"_l{k}", **self.options)
            hs = [s[0] for s in layer_states]
            finals.append(layer_states[-1])
            self.last_states.append(hs)
            if self.has_cell_state:
                self.last_cell_states.append([s[1] for s in layer_states])

        output = stack(hs, dim=time_dim)                                # (T, B, H) / (B, T, H) / (T, H)
        h_n = stack([s[0] for s in finals], dim=0)                      # (L, B, H) / (L, H)
        if not self.has_cell_state:
            return output, h_n
        return output, (h_n, stack([s[1] for s in finals], dim=0))

    def _initial_states(self, hx, batch_shape: tuple, input_shape: tuple) -> list:
        """Per layer, ``(h_0,)`` or ``(h_0, c_0)``: slices of the given hx, or zeros."""
        name, L, H = type(self).__name__, self.num_layers, self.hidden_size
        labels = ("h_0", "c_0") if self.has_cell_state else ("h_0",)
        if hx is None:
            dtype = self.weight_ih_l0.dtype
            return [tuple(zeros(batch_shape + (H,), dtype=dtype, name=label if L == 1 else f"{label}_l{k}")
                          for label in labels) for k in range(L)]
        if self.has_cell_state:
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                raise TypeError(f"{name}: the initial state must be a tuple (h_0, c_0), got {describe(hx)}. "
                                "Fix: call lstm(x, (h_0, c_0)), or lstm(x) to start from zeros.")
        else:
            if isinstance(hx, (tuple, list)):
                raise TypeError(f"{name}: the initial state must be one tensor h_0 of shape (num_layers, batch, "
                                f"hidden_size), got a {type(hx).__name__}")
            hx = (hx,)
        expected = (L,) + batch_shape + (H,)
        given = [check_state(name, label, s, expected, input_shape, dtype=self.weight_ih_l0.dtype)
                 for label, s in zip(labels, hx)]
        per_layer = []
        for k in range(L):
            layer_state = tuple(s[k] for s in given)
            for label, s in zip(labels, layer_state):
                s.name = label if L == 1 else f"{label}_l{k}"
            per_layer.append(layer_state)
        return per_layer

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        return s


class RNN(RNNBase):
    """Elman RNN over a sequence: h_t = act(x_t W_ih^T + b_ih + h_(t-1) W_hh^T + b_hh) in each layer,
    act = tanh or relu. ``rnn(input, h_0=None)`` -> ``(output, h_n)``; shapes in the module docstring."""

    cell = RNNCell

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, nonlinearity: str = "tanh",
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 *, fused: bool = True, dtype=None, generator=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         fused=fused, dtype=dtype, generator=generator)
        self.nonlinearity = nonlinearity

    @property
    def options(self) -> dict:
        return {"nonlinearity": self.nonlinearity}

    def extra_repr(self) -> str:
        # PyTorch's RNN repr leaves the nonlinearity out; shown here because it changes the model.
        s = super().extra_repr()
        return s + (f", nonlinearity={self.nonlinearity}" if self.nonlinearity != "tanh" else "")


class LSTM(RNNBase):
    """LSTM over a sequence (gates i, f, g, o; c_t = f_t*c_(t-1) + i_t*g_t, h_t = o_t*tanh(c_t)).
    ``lstm(input, (h_0, c_0)=None)`` -> ``(output, (h_n, c_n))``; shapes in the module docstring."""

    cell = LSTMCell

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 proj_size: int = 0, *, fused: bool = True, dtype=None, generator=None):
        if proj_size:
            raise NotImplementedError("LSTM: proj_size (LSTM with projections) is not implemented here; "
                                      "use proj_size=0 (the default)")
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         fused=fused, dtype=dtype, generator=generator)


class GRU(RNNBase):
    """GRU over a sequence (gates r, z, n; h_t = (1-z_t)*n_t + z_t*h_(t-1)).
    ``gru(input, h_0=None)`` -> ``(output, h_n)``; shapes in the module docstring."""

    cell = GRUCell
