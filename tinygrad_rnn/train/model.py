"""``SequenceModel``: a recurrent cell plus a linear read-out, stepped one time step at a time.

    y_t, state = model.step(x_t, state)          # x_t (B, I) -> y_t (B, O)
    outputs, state = model(inputs)               # (T, B, I) -> (T, B, O)

The state is h_t for an RNN or GRU cell and (h_t, c_t) for an LSTM cell, as the cells
take it. ``step`` is what truncated BPTT (``train/truncation.py``) drives. Both take the cell's
one-node step by default (``fused=True``; ``fused=False`` makes every op a node, to draw each gate),
and both name the states h_1, h_2, ... (``nn.unrolling``), as the layers do.
"""
from ..core import Tensor, stack
from ..nn import Linear, Module, init
from ..nn.cells import CELLS
from ..nn.unrolling import step_after
INITS = init.RECURRENT_INITS


class SequenceModel(Module):
    """``cell`` ("rnn" | "lstm" | "gru") of ``hidden_size`` units reading ``input_size`` features,
    and ``readout`` = Linear(hidden_size, output_size) applied to every h_t.

    ``init_scheme``/``init_scale`` set ``cell.weight_hh`` with ``nn.init.init_weight_hh_`` (one block
    per gate; ``default`` keeps PyTorch's initialisation). ``forget_bias`` (cell "lstm" only) sets
    the forget-gate bias b_f with ``nn.init.forget_gate_bias_`` (Jozefowicz et al. 2015 use 1.0);
    None keeps PyTorch's initialisation. ``fused``: the cell's step as one node (the default, fast)
    or, with False, every op a node (``nn.RNNCell`` ... ``fused``).

    Parameters (state_dict names): ``cell.weight_ih``, ``cell.weight_hh``, ``cell.bias_ih``,
    ``cell.bias_hh``, ``readout.weight``, ``readout.bias``.
    """

    def __init__(self, cell: str, input_size: int, hidden_size: int, output_size: int, *,
                 nonlinearity: str = "tanh", init_scheme: str = "default", init_scale: float | None = None,
                 forget_bias: float | None = None, fused: bool = True, dtype=None, generator=None):
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"SequenceModel: cell must be one of {', '.join(CELLS)}, got {cell!r}")
        if cell != "rnn" and nonlinearity != "tanh":
            raise ValueError(f"SequenceModel: nonlinearity={nonlinearity!r} applies to the 'rnn' cell only; the "
                             f"{cell} cell's gates fix their own activations. Fix: leave nonlinearity out, or use "
                             "cell='rnn'.")
        if forget_bias is not None and cell != "lstm":
            raise ValueError(f"SequenceModel: forget_bias={forget_bias!r} applies to the 'lstm' cell only; the "
                             f"{cell} cell has no forget gate"
                             + (" (its update gate z decides how much of h_(t-1) is kept)" if cell == "gru" else "")
                             + ". Fix: leave forget_bias out, or use cell='lstm'.")
        options = {"nonlinearity": nonlinearity} if cell == "rnn" else {}
        self.kind = cell
        self.cell = CELLS[cell](input_size, hidden_size, fused=fused, dtype=dtype, generator=generator, **options)
        self.readout = Linear(hidden_size, output_size, dtype=dtype, generator=generator)
        init.init_weight_hh_(self.cell.weight_hh, init_scheme, init_scale, self.cell.gates, generator)
        if forget_bias is not None:
            init.forget_gate_bias_(self.cell, forget_bias)

    @property
    def fused(self) -> bool:
        return self.cell.fused

    def hidden(self, state) -> Tensor:
        """h_t out of a state (the LSTM's state is (h_t, c_t))."""
        return state[0] if self.kind == "lstm" else state

    def step(self, x_t, state=None):
        """One time step: x_t (B, I) -> (y_t (B, O), new state). ``state=None`` starts from zeros."""
        state = self.cell(x_t, state)
        return self.readout(self.hidden(state)), state

    def forward(self, inputs, state=None):
        """Run every step of ``inputs`` (T, B, I); returns (outputs (T, B, O), final state).

        The same numbers as ``step`` called T times, computed as the layers do: with ``fused``, the
        input projection x_t W_ih^T + b_ih of all T steps is one matmul, and so is the read-out of
        all h_t. The states are h_1 ... h_T (``.step`` 1 ... T), after the given state (h_0 for zeros)."""
        cell = self.cell
        if not isinstance(inputs, Tensor):          # an array or list: in the weights' dtype, as the cells do
            inputs = Tensor(inputs, dtype=cell.weight_ih.dtype)
        if inputs.ndim != 3 or inputs.shape[-1] != cell.input_size or inputs.shape[0] == 0:
            raise ValueError(f"SequenceModel: inputs must have shape (T, batch, {cell.input_size}) with T >= 1, "
                             f"got {inputs.shape}. Fix: stack the steps along the first dim; for one step use "
                             f"model.step(x_t, state)")
        n = len(cell.state_names)
        given = (None,) * n if state is None else (tuple(state) if n == 2 else (state,))
        if len(given) != n:
            raise TypeError(f"SequenceModel: the state of a '{self.kind}' cell is "
                            f"{'a tuple (h, c)' if n == 2 else 'one tensor h'}, got {len(given)} items")
        states = cell.checked_state(inputs.shape[1:], given, owner="SequenceModel")
        states = cell.unroll_with(inputs, states, cell.weights, fused=cell.fused, start=step_after(states),
                                  **cell.options)
        outputs = self.readout(stack([s[0] for s in states]))            # (T, B, O): one matmul
        return outputs, states[-1] if n == 2 else states[-1][0]

    def extra_repr(self) -> str:
        return f"cell={self.kind!r}" + ("" if self.fused else ", fused=False")
