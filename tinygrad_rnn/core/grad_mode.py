"""Switch graph recording on and off: ``no_grad`` and ``enable_grad`` (PyTorch names).

While recording is off, ops compute values only: no node remembers its inputs,
so nothing can be backpropagated and no memory is held for a backward pass.
"""
import contextlib

_enabled = True


def is_grad_enabled() -> bool:
    """True while ops record the graph needed by ``backward()``."""
    return _enabled


class _GradMode(contextlib.ContextDecorator):
    """Recording on or off inside a ``with`` block or a decorated function, restored afterwards."""

    def __init__(self, mode: bool):
        self.mode = bool(mode)
        self.previous = []  # a stack: a decorated function may re-enter (recursion), so one slot is not enough

    def __enter__(self):
        global _enabled
        self.previous.append(_enabled)
        _enabled = self.mode

    def __exit__(self, *exc):
        global _enabled
        _enabled = self.previous.pop()
        return False


class no_grad(_GradMode):
    """``with no_grad(): ...`` computes values without recording a graph (e.g. evaluation, optimizer steps)."""

    def __init__(self):
        super().__init__(False)


class enable_grad(_GradMode):
    """Turn recording back on inside a ``no_grad`` block."""

    def __init__(self):
        super().__init__(True)


class set_grad_enabled(_GradMode):
    """Turn recording on (``True``) or off (``False``), as PyTorch's: a plain call
    ``set_grad_enabled(False)`` switches it from now on; ``with set_grad_enabled(mode): ...``
    and ``@set_grad_enabled(mode)`` switch it for the block or each call only."""

    def __init__(self, mode: bool):
        global _enabled
        super().__init__(mode)
        self.previous.append(_enabled)
        _enabled = self.mode
        self._switched = True      # by this call already: a plain call needs no `with`

    def __enter__(self):
        if self._switched:         # the switch made by __init__ belongs to this block
            self._switched = False
        else:                      # the same object entered again
            super().__enter__()

    def __call__(self, func):
        global _enabled
        if self._switched:         # used as a decorator: undo the switch made at decoration time
            self._switched = False
            _enabled = self.previous.pop()
        return super().__call__(func)
