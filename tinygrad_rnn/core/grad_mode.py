"""Switch graph recording on and off: ``no_grad`` and ``enable_grad`` (PyTorch names).

While recording is off, ops compute values only: no node remembers its inputs,
so nothing can be backpropagated and no memory is held for a backward pass.
"""
from .modes import Mode

_enabled = True


def is_grad_enabled() -> bool:
    """True while ops record the graph needed by ``backward()``."""
    return _enabled


class _GradMode(Mode):
    """Recording on or off inside a ``with`` block or a decorated function, restored afterwards."""

    def _get(self) -> bool:
        return _enabled

    def _set(self, mode: bool) -> None:
        global _enabled
        _enabled = mode


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
        super().__init__(bool(mode), switch_now=True)
