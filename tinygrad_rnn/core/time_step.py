"""``with time_step(t):`` tags every tensor created inside the block with ``t`` (its ``.step``).

Drawings group an unrolled graph by time step with it; the sequence layers open one
scope per step, and hand-written loops can too. Outside any scope ``.step`` is None.
The core only stores the number; it does not know what a time step means.
"""
import contextlib

_current = None


def current_time_step():
    return _current


def step_of(inputs, step=None):
    """The time step an op belongs to, for messages: ``step`` (the scope it was made in) if given,
    else the latest step among its input tensors (None if they have none)."""
    if step is None:
        steps = [x.step for x in inputs if x.step is not None]
        step = max(steps) if steps else None
    return step


@contextlib.contextmanager
def time_step(t: int):
    global _current
    previous, _current = _current, t
    try:
        yield t
    finally:
        _current = previous
