"""Switch graph recording on and off: ``no_grad`` and ``enable_grad`` (PyTorch names).

While recording is off, ops compute values only: no node remembers its inputs,
so nothing can be backpropagated and no memory is held for a backward pass.
"""
import contextlib

_enabled = True


def is_grad_enabled() -> bool:
    """True while ops record the graph needed by ``backward()``."""
    return _enabled


class set_grad_enabled(contextlib.ContextDecorator):
    """Turn recording on (``True``) or off (``False``) inside a ``with`` block or a decorated function.

    Unlike PyTorch's, a bare call ``set_grad_enabled(False)`` on its own line does nothing: use it
    as ``with set_grad_enabled(False): ...`` or as a decorator.
    """

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


class no_grad(set_grad_enabled):
    """``with no_grad(): ...`` computes values without recording a graph (e.g. evaluation, optimizer steps)."""

    def __init__(self):
        super().__init__(False)


class enable_grad(set_grad_enabled):
    """Turn recording back on inside a ``no_grad`` block."""

    def __init__(self):
        super().__init__(True)
