"""A small recurrent net unrolled step by step, keeping every state tensor: the subject of the
gradient-flow experiments, the drawings and the CLI.

    net = unroll("lstm", steps=5, hidden_size=3)
    net.hidden          # [h_0, h_1, ..., h_5]: tensors of the graph (h_0 is a leaf with requires_grad)
    net.cell_states     # [c_0, ..., c_5] for the LSTM, None otherwise
    net.loss            # L = sum(h_T), a loss on the last step

It unrolls the cell with every op a node (``RNNCell.step_with(..., fused=False)``; ``fused=True``
for one node per step), through
``nn.unrolling.unroll_steps``, as the layers and ``SequenceModel`` do), so every tensor of step t
has ``.step == t`` and the lecture's name (h_3, f_3, ...). The weights come from PyTorch's default
initialisation, and then ``init_weight_hh_`` sets the recurrent weight W_hh as asked. For the RNN
there is one more activation than PyTorch offers, ``"linear"`` (h_t = a_t, ``nn.RNNCell``'s
addition), for which ∂h_T/∂h_k = W_hh^(T-k) exactly: the eigenvalue story without φ'.
"""
import dataclasses

import numpy as np

from ..core import Tensor, zeros
from ..nn.cells import CELLS, RNNCell
from ..nn.init import RECURRENT_INITS as INITS
from ..nn.init import forget_gate_bias_, init_weight_hh_
from ..nn.linear import check_sizes
from ..nn.unrolling import unroll_steps

NONLINEARITIES = RNNCell.NONLINEARITIES


@dataclasses.dataclass
class Unrolled:
    """One forward pass of ``steps`` steps. ``hidden`` = [h_0, ..., h_T] (and ``cell_states`` =
    [c_0, ..., c_T] for the LSTM) are the tensors of the graph; with a cut, step t+1 started from a
    ``detach()``-ed copy of the state of step t, and the lists hold the originals."""
    cell: str
    nonlinearity: str
    params: dict              # weight_ih (G*H, I), weight_hh (G*H, H), bias_ih, bias_hh (G*H,)
    inputs: list              # [x_1, ..., x_T], each (I,) or (B, I)
    hidden: list              # [h_0, ..., h_T], each (H,) or (B, H)
    cell_states: list | None  # [c_0, ..., c_T] (LSTM) or None
    loss: Tensor              # sum(h_T)
    cut_at: int | None = None

    @property
    def steps(self) -> int:
        return len(self.inputs)

    @property
    def weight_hh(self) -> np.ndarray:
        return self.params["weight_hh"].data


def unroll(cell: str = "rnn", steps: int = 5, hidden_size: int = 3, input_size: int = 2, *,
           init: str = "default", scale: float | None = None, nonlinearity: str = "tanh",
           batch: int | None = None, cut_at: int | None = None, forget_bias: float | None = None, seed: int = 0,
           fused: bool = False, dtype=np.float64) -> Unrolled:
    """Run ``cell`` ("rnn", "lstm", "gru") for ``steps`` steps on random inputs x_t ~ N(0, 1), from
    h_0 = 0 (and c_0 = 0), a leaf with ``requires_grad=True`` so that ∂h_T/∂h_0 exists.

    ``batch``: None for unbatched states (H,), else (batch, H). ``cut_at=k`` carries a ``detach()``-ed
    state from step k into step k+1, as truncated BPTT does (1 <= k < steps). ``init``, ``scale``: see
    ``init_weight_hh_``. ``forget_bias`` (LSTM only): set b_f with ``nn.init.forget_gate_bias_``. ``nonlinearity`` ("tanh", "relu", "linear") applies to the RNN only. The
    same ``seed`` gives the same weights and inputs.
    """
    if cell not in CELLS:
        raise ValueError(f"unroll: cell must be one of {', '.join(CELLS)}, got {cell!r}")
    if init not in INITS:
        raise ValueError(f"unroll: init must be one of {', '.join(INITS)}, got {init!r}")
    if nonlinearity not in NONLINEARITIES:
        raise ValueError(f"unroll: nonlinearity must be one of {', '.join(NONLINEARITIES)}, got {nonlinearity!r}")
    if cell != "rnn" and nonlinearity != "tanh":
        raise ValueError(f"unroll: the {cell.upper()}'s activations are fixed (sigmoid gates, tanh); "
                         "nonlinearity applies to the rnn cell only")
    check_sizes("unroll", steps=steps, hidden_size=hidden_size, input_size=input_size)
    if batch is not None:
        check_sizes("unroll", batch=batch)
    if forget_bias is not None and cell != "lstm":
        raise ValueError(f"unroll: forget_bias applies to the lstm cell only (the {cell} has no forget gate), "
                         f"got cell={cell!r}. Fix: leave forget_bias out, or use cell='lstm'")
    if cut_at is not None and not 1 <= cut_at < steps:
        raise ValueError(f"unroll: cut_at must be a step between 1 and steps - 1 = {steps - 1}, got {cut_at}")
    rng = np.random.default_rng(seed)
    options = {"nonlinearity": nonlinearity} if cell == "rnn" else {}
    module = CELLS[cell](input_size, hidden_size, dtype=dtype, generator=rng, **options)
    init_weight_hh_(module.weight_hh, init, scale, module.gates, generator=rng)
    if forget_bias is not None:
        forget_gate_bias_(module, forget_bias)
    params = {name: getattr(module, name) for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}

    state_shape = (hidden_size,) if batch is None else (batch, hidden_size)
    inputs = [Tensor(rng.standard_normal(state_shape[:-1] + (input_size,)).astype(dtype), name=f"x_{t}")
              for t in range(1, steps + 1)]
    state = tuple(zeros(state_shape, dtype=dtype, requires_grad=True, name=f"{name}_0")
                  for name in module.state_names)

    def step(x_t, state, label):
        return module.step_with(x_t, state, module.weights, fused=fused, t=label, **module.options)
    names = module.state_names
    if cut_at is None:
        states = [state] + unroll_steps(step, inputs, state, names)
    else:                                                  # truncated BPTT: gradients stop after step cut_at
        before = [state] + unroll_steps(step, inputs[:cut_at], state, names)
        carried = tuple(s.detach() for s in before[-1])
        states = before + unroll_steps(step, inputs[cut_at:], carried, names, start=cut_at + 1)
    hidden = [s[0] for s in states]
    cell_states = [s[1] for s in states] if len(names) == 2 else None
    loss = hidden[-1].sum()
    loss.name = "loss"
    return Unrolled(cell, nonlinearity, params, inputs, hidden, cell_states, loss, cut_at)
