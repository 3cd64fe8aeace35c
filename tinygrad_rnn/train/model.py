"""``SequenceModel``: a recurrent cell plus a linear read-out, stepped one time step at a time,
and ``init_recurrent_``: the recurrent-weight initialisations the lecture compares.

    y_t, state = model.step(x_t, state)          # x_t (B, I) -> y_t (B, O)
    outputs, state = model(inputs)               # (T, B, I) -> (T, B, O)

The state is h_t for an RNN or GRU cell and (h_t, c_t) for an LSTM cell, as the cells
take it. ``step`` is what truncated BPTT (``train/truncation.py``) drives.
"""
import numpy as np

from ..core import Tensor, stack
from ..core.time_step import time_step
from ..nn import GRUCell, Linear, LSTMCell, Module, RNNCell, init

CELLS = {"rnn": RNNCell, "lstm": LSTMCell, "gru": GRUCell}
GATES = {"rnn": 1, "lstm": 4, "gru": 3}
INITS = ("default", "orthogonal", "identity", "normal")


def init_recurrent_(weight_hh: Tensor, scheme: str, gates: int = 1, scale: float = 1.0, generator=None) -> Tensor:
    """Initialise a recurrent weight (gates*H, H) in place, one H x H block per gate:

    - ``default``:    leave PyTorch's U(-1/sqrt(H), 1/sqrt(H)) as it is
    - ``orthogonal``: ``scale`` times an orthogonal matrix per gate (all |eigenvalues| = scale)
    - ``identity``:   ``scale`` times I per gate (IRNN, Le et al. 2015: use with nonlinearity="relu")
    - ``normal``:     N(0, (scale/sqrt(H))^2) entries, whose spectral radius is close to ``scale``
      for large H (the circular law)
    """
    if scheme not in INITS:
        raise ValueError(f"init_recurrent_: unknown scheme {scheme!r}; choose one of {', '.join(INITS)}")
    H = weight_hh.shape[1]
    if scheme == "orthogonal":
        init.orthogonal_per_gate_(weight_hh, gates, gain=scale, generator=generator)
    elif scheme == "identity":
        weight_hh.data[...] = scale * np.concatenate([np.eye(H)] * gates, axis=0)
    elif scheme == "normal":
        init.normal_(weight_hh, std=scale / np.sqrt(H), generator=generator)
    return weight_hh


class SequenceModel(Module):
    """``cell`` ("rnn" | "lstm" | "gru") of ``hidden_size`` units reading ``input_size`` features,
    and ``readout`` = Linear(hidden_size, output_size) applied to every h_t.

    Parameters (state_dict names): ``cell.weight_ih``, ``cell.weight_hh``, ``cell.bias_ih``,
    ``cell.bias_hh``, ``readout.weight``, ``readout.bias``.
    """

    def __init__(self, cell: str, input_size: int, hidden_size: int, output_size: int, *,
                 nonlinearity: str = "tanh", init_scheme: str = "default", init_scale: float = 1.0,
                 dtype=None, generator=None):
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"SequenceModel: cell must be one of {', '.join(CELLS)}, got {cell!r}")
        options = {"nonlinearity": nonlinearity} if cell == "rnn" else {}
        self.kind = cell
        self.cell = CELLS[cell](input_size, hidden_size, dtype=dtype, generator=generator, **options)
        self.readout = Linear(hidden_size, output_size, dtype=dtype, generator=generator)
        init_recurrent_(self.cell.weight_hh, init_scheme, GATES[cell], init_scale, generator)

    def hidden(self, state) -> Tensor:
        """h_t out of a state (the LSTM's state is (h_t, c_t))."""
        return state[0] if self.kind == "lstm" else state

    def step(self, x_t, state=None):
        """One time step: x_t (B, I) -> (y_t (B, O), new state). ``state=None`` starts from zeros."""
        state = self.cell(x_t, state)
        return self.readout(self.hidden(state)), state

    def forward(self, inputs, state=None):
        """Run every step of ``inputs`` (T, B, I); returns (outputs (T, B, O), final state).
        Tensors made at step t carry ``.step == t`` for drawings."""
        inputs = inputs if isinstance(inputs, Tensor) else Tensor(inputs)
        outputs = []
        for t in range(inputs.shape[0]):
            with time_step(t):
                y_t, state = self.step(inputs[t], state)
            outputs.append(y_t)
        return stack(outputs), state

    def extra_repr(self) -> str:
        return f"cell={self.kind!r}"
