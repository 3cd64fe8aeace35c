"""Unrolling a recurrence: the one loop that every sequence model here runs, and its naming rule.

    states = unroll_steps(step, inputs, state, ("h", "c"))     # [(h_1, c_1), ..., (h_T, c_T)]

``step(x_t, state, label) -> state`` is one time step of a cell (``state`` a tuple: ``(h,)``, or
``(h, c)`` for the LSTM). For t = 1, ..., T this opens ``time_step(t)`` (so every tensor made in
step t has ``.step == t``, for drawings), calls ``step``, and names the new state tensors after
the cell's ``state_names``: ``h_t`` and ``c_t``, with t counted from 1; the initial state is h_0.
A stacked layer adds its layer to the name (``h_3_l1``). The layers (``nn.RNN/LSTM/GRU``),
``train.SequenceModel``, the cells themselves (one step each call) and ``analysis.unroll`` all use
this function, so their graphs are named, numbered and drawn the same way.
"""
import re

from ..core.time_step import current_time_step, time_step

__all__ = ["unroll_steps", "step_after"]


def unroll_steps(step, inputs, state: tuple, state_names: tuple, *, start: int = 1, suffix: str = "",
                 tag_inputs: bool = True) -> list:
    """Run ``step`` over ``inputs`` (x_start, x_start+1, ...) from ``state``; returns the list of
    states after each step. ``tag_inputs``: give each x_t ``.step = t`` (for slices the caller made;
    a cell called on the learner's own tensor leaves it alone)."""
    states = []
    for t, x_t in enumerate(inputs, start=start):
        label = f"{t}{suffix}"
        if tag_inputs:
            x_t.step = t
        with time_step(t):
            state = step(x_t, state, label)
        for name, tensor in zip(state_names, state):
            tensor.name = f"{name}_{label}"
        states.append(state)
    return states


_NUMBERED = re.compile(r"_(\d+)(?:_l\d+)?$")


def step_after(state: tuple) -> int:
    """The number of the step that follows ``state``, for a cell called one step at a time: the
    time step open now (``with time_step(t):``), else one more than the t in the state's name
    (``h_4`` -> 5; an initial state made by the cell is ``h_0``), else 1."""
    current = current_time_step()
    if current is not None:
        return current
    match = _NUMBERED.search(state[0].name or "")
    return int(match[1]) + 1 if match else 1
