"""``with time_step(t):`` tags every tensor created inside the block with ``t`` (its ``.step``).

Drawings group an unrolled graph by time step with it; the sequence layers open one
scope per step, and hand-written loops can too. Outside any scope ``.step`` is None.
The core only stores the number; it does not know what a time step means.
"""
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


class time_step:
    """``with time_step(t):`` sets the current time step to ``t`` for the block (and puts back the one
    before on the way out). A small class rather than a generator: the layers enter one per step."""

    __slots__ = ("t", "previous")

    def __init__(self, t: int):
        self.t = t

    def __enter__(self):
        global _current
        self.previous, _current = _current, self.t
        return self.t

    def __exit__(self, *exc):
        global _current
        _current = self.previous
        return False
