"""Finding the recurrence in a drawn graph: the states h_t (and c_t), which state feeds which, and
the numbers that go on the recurrent edges.

States are found by name, as ``nn.unrolling`` writes them for every model (the layers,
``SequenceModel``, a cell called in a loop, ``analysis.unroll``): a state the cells declare
(``state_names``: h, and c for the LSTM), then the step, ``h_3``, ``c_3`` (``h_3_l1`` in layer 1
of a stacked net). A loop of one's own that names its states the same way is drawn the same way.

For each step t with a state h_(t-1) -> h_t (a *transition*):

- ``sigma``: the largest singular value of the step Jacobian of the whole state: ∂h_t/∂h_(t-1) for
  the RNN and GRU (for the Elman RNN, diag(φ'(a_t))·W_hh), and for the LSTM, whose state is the
  pair (h_t, c_t), the 2H × 2H ∂(h_t, c_t)/∂(h_(t-1), c_(t-1)) (``jacobian``, the name the labels
  show). By how much one step back can stretch a gradient, at most: the product of the σ₁ from the
  last step back to step k bounds ‖∂h_T/∂h_k‖. (The LSTM's ∂h_t/∂h_(t-1) alone would not: it holds
  c_(t-1) fixed, while the gradient also reaches h_(t-1) through c_t.) At an LSTM's last step, where
  the graph may hold no c_T, it is σ₁ of ∂h_T/∂(h_(T-1), c_(T-1)), H × 2H, which bounds the same;
- ``to_last``: ||∂h_T/∂h_(t-1)||_2, measured, for the last state h_T of the sequence (through
  every path, for the LSTM through c too): at most the product of the σ₁ from the end back;
- ``gate``, where the state also reaches its successor along an additive path, state_t =
  gate ⊙ state_(t-1) + ...: the gate that multiplies it there, shown with its mean, min and max.
  For the LSTM's c_(t-1) -> c_t that is the forget gate f_t (∂c_t/∂c_(t-1) = diag(f_t) with h_(t-1)
  held fixed); for the GRU's h_(t-1) -> h_t the update gate z_t (h_t = (1 - z_t) ⊙ n_t + z_t ⊙
  h_(t-1): the term z_t ⊙ h_(t-1) passes the gradient back times z_t, no weight matrix on the way).
  It is found in the graph: the other factor of a ``mul`` that reads the state in the next step
  and whose product is added straight into the next state (or, where a step is one node, the
  gate the node saved: ``carried_gate()`` of ``LSTMStep`` and ``GRUStep``).

The Jacobians come from the engine's reverse mode (``analysis.jacobians``) and need the graph's
saved arrays: draw before ``backward()``, or after ``backward(retain_graph=True)``. Nothing is
written to any tensor.
"""
import dataclasses
import re

import numpy as np

from ..analysis.jacobians import jacobians_to_last, joint_jacobian, spectral_norm
from ..core import GraphFreedError, Tensor
from ..nn.cells import CELLS
from .walk import is_detached

#: the states the cells carry, as they declare them: h, and the LSTM's c
STATE_KINDS = tuple(sorted({name for cell in CELLS.values() for name in cell.state_names}))
STATE_NAME = re.compile(rf"^(?P<kind>{'|'.join(STATE_KINDS)})_(?P<step>\d+)(?P<layer>_l\d+)?$")


@dataclasses.dataclass
class State:
    tensor: object
    kind: str          # "h" or "c"
    step: int          # the t in h_t
    series: str        # "h", "c", or "h_l1" ...: states of one series feed each other
    detached: bool     # made by detach(): the start of a truncated window


@dataclasses.dataclass
class Transition:
    """The recurrent link prev -> cur between two states of one series (prev is state t-1)."""
    prev: object
    cur: object
    kind: str
    step: int                       # t, the step of cur
    sigma: float | None = None      # ||∂cur/∂prev||_2
    to_last: float | None = None    # ||∂last/∂prev||_2
    last: object = None             # the last state of the series
    gate: object = None             # the gate on the additive path: f_t (LSTM's c), z_t (GRU's h)
    prev_name: str = ""
    jacobian: str = ""              # whose σ₁ ``sigma`` is: "∂h_3/∂h_2", "∂(h_3,c_3)/∂(h_2,c_2)"

    @property
    def cut(self) -> bool:
        """True when prev was made by detach(): no gradient goes from cur to the step before."""
        return is_detached(self.prev)


def find_states(walk) -> dict:
    """``{id(tensor): State}`` for every tensor of the walk named as a state: h_<t> or c_<t>."""
    states = {}
    for tensor in walk.tensors:
        match = STATE_NAME.match(tensor.name or "")
        if match:
            series = match["kind"] + (match["layer"] or "")
            states[id(tensor)] = State(tensor, match["kind"], int(match["step"]), series, is_detached(tensor))
    return states


def contract(tensor, stop) -> list:
    """The tensors that ``tensor`` is computed from, skipping over everything in between until ``stop``.

    Walks back through ops from ``tensor``; a tensor for which ``stop(t)`` is true (e.g. another
    state, an input, a leaf) is collected and not walked past. Returns them in order of discovery,
    each once. This is how a whole cell collapses into "h_(t-1) and x_t make h_t".
    """
    found, seen = [], {id(tensor)}
    stack = list(reversed(tensor._ctx.parents)) if tensor._ctx is not None else []
    while stack:
        t = stack.pop()
        if id(t) in seen:
            continue
        seen.add(id(t))
        if stop(t) or t._ctx is None:
            found.append(t)
        else:
            stack.extend(reversed(t._ctx.parents))
    return found


def find_transitions(walk, states: dict) -> list:
    """Every state-to-state link h_(t-1) -> h_t (and c_(t-1) -> c_t) of one series, in walk order."""
    transitions = []
    for tensor in walk.tensors:
        state = states.get(id(tensor))
        if state is None or state.detached:
            continue
        for source in contract(tensor, lambda t: id(t) in states):
            prev = states.get(id(source))
            if prev is not None and prev.series == state.series and prev.step == state.step - 1:
                transitions.append(Transition(source, tensor, state.kind, state.step, prev_name=source.name,
                                              gate=_carry_gate(walk, source, tensor)))
    return transitions


def additive_path(walk, prev, cur) -> list:
    """The edges prev -> mul -> u -> add -> cur (as (tail, head) pairs) where cur = gate ⊙ prev + ...,
    or [] if the graph has no such path (every op a node; a fused step has none to show)."""
    for op, _ in walk.consumers.get(id(prev), []):
        if op.op_name != "mul" or len(op.parents) != 2 or walk.op_step(op) != cur.step:
            continue
        product = walk.output_of(op)
        for add, _ in walk.consumers.get(id(product), []):
            if add.op_name == "add" and walk.output_of(add) is cur:
                return [(prev, op), (op, product), (product, add), (add, cur)]
    return []


def _carry_gate(walk, prev, cur):
    """The gate that multiplies prev on its additive path to cur (f_t, z_t): the other input of
    the ``mul`` of ``additive_path``, or, where the step is one node (``LSTMStep``, ``GRUStep``), the
    gate it saved (``carried_gate``), as a new tensor named f_t or z_t (the graph is not changed).
    ``None`` if there is none."""
    path = additive_path(walk, prev, cur)
    if path:
        op = path[0][1]
        return op.parents[1] if op.parents[0] is prev else op.parents[0]
    step = cur._ctx
    carried = step.carried_gate() if step is not None and hasattr(step, "carried_gate") else None
    if carried is not None and step.parents[carried[0]] is prev:    # a one-node step (LSTMStep, GRUStep)
        slot, letter, gate = carried
        return Tensor(gate, name=f"{letter}_{cur.step}" if cur.step is not None else f"{letter}_t")
    return None


def measure(transitions, states: dict) -> bool:
    """Fill in ``sigma`` and ``to_last`` of each transition between states of shape (H,) or (B, H)
    from the engine's Jacobians.

    Returns False (numbers left as None) if the graph's saved arrays were freed by a ``backward()``.
    """
    transitions = [tr for tr in transitions if tr.cur.ndim in (1, 2) and tr.prev.ndim in (1, 2)]  # (H,), (B, H)
    try:
        for tr in transitions:
            if not is_pure_gate(tr):       # for c_(t-1) -> c_t the gate f_t tells the story instead
                ys, xs = joint_state(tr, states)
                tr.jacobian = _jacobian_name(ys, xs)
                tr.sigma = spectral_norm(joint_jacobian(ys, xs))
        for series in sorted({state.series for state in states.values()}):
            in_series = [tr for tr in transitions if states[id(tr.cur)].series == series]
            if not in_series:
                continue
            last = max(in_series, key=lambda tr: tr.step).cur
            norms = jacobians_to_last([tr.prev for tr in in_series] + [last])
            for tr, jac in zip(in_series, norms):
                tr.last, tr.to_last = last, spectral_norm(jac)
    except GraphFreedError:
        for tr in transitions:
            tr.sigma = tr.to_last = tr.last = None
        return False
    return True


def joint_state(tr, states: dict) -> tuple:
    """([h_t, c_t], [h_(t-1), c_(t-1)]) for an LSTM's h transition: the whole state of a step, whose
    Jacobian's σ₁ bounds the gradient's growth; ([h_t], [h_(t-1)]) for the RNN and GRU. Where the graph
    holds no c_t (an LSTM's last step when the loss reads h_T only) the ys are [h_t] alone."""
    if tr.kind != "h":
        return [tr.cur], [tr.prev]
    partner = "c" + states[id(tr.cur)].series[1:]          # h_l1 -> c_l1
    def find(step, detached):       # a truncated window starts from detach()-ed copies of both states
        return next((s.tensor for s in states.values()
                     if s.series == partner and s.step == step and s.detached == detached), None)
    prev_c, cur_c = find(tr.step - 1, is_detached(tr.prev)), find(tr.step, False)
    if prev_c is None:
        return [tr.cur], [tr.prev]
    return ([tr.cur] + ([cur_c] if cur_c is not None else [])), [tr.prev, prev_c]


def _jacobian_name(ys, xs) -> str:
    """∂h_3/∂h_2, ∂(h_3,c_3)/∂(h_2,c_2), ∂h_3/∂(h_2,c_2)."""
    def part(tensors):
        names = [t.name or "?" for t in tensors]
        return names[0] if len(names) == 1 else "(" + ",".join(names) + ")"
    return f"∂{part(ys)}/∂{part(xs)}"


def is_pure_gate(tr) -> bool:
    """True where the gate is the whole step Jacobian (the LSTM's c: ∂c_t/∂c_(t-1) = diag(f_t) with
    h_(t-1) held fixed); the GRU's z_t is only one term of ∂h_t/∂h_(t-1), so h keeps its σ₁."""
    return tr.gate is not None and tr.kind != "h"


def gate_stats(gate) -> tuple | None:
    """(mean, min, max) of a gate's values, or None."""
    if gate is None:
        return None
    values = np.asarray(gate.data, dtype=np.float64)
    return float(values.mean()), float(values.min()), float(values.max())
