"""One global switch used three ways, as PyTorch's modes (``no_grad``, ``set_grad_enabled``,
``detect_anomaly``, ``set_detect_anomaly``) are:

- ``with mode: ...``: the setting holds inside the block; the previous one comes back after it,
  even when the block raises;
- ``@mode``: the same, around every call of the decorated function;
- a plain call, for the ``set_...`` kinds only: ``set_grad_enabled(False)`` switches from now on.

A subclass says where the setting lives (``_get`` and ``_set``) and what this mode sets it to.
"""
import contextlib


class Mode(contextlib.ContextDecorator):
    """A setting that a ``with`` block or a decorated call switches to ``value`` and then restores.

    ``switch_now=True`` (the ``set_...`` kinds) switches already in the constructor, so that a
    plain call works; a ``with`` block right after takes that switch over as its own.
    """

    def __init__(self, value, switch_now: bool = False):
        self.value = value
        self._previous = []   # a stack: one object may be entered again inside (a recursive decorated call)
        self._switched = False
        if switch_now:
            self._previous.append(self._get())
            self._set(value)
            self._switched = True

    def _get(self):
        raise NotImplementedError("Mode._get: a subclass returns the current setting")

    def _set(self, value) -> None:
        raise NotImplementedError("Mode._set: a subclass stores the setting")

    def __enter__(self):
        if self._switched:    # the constructor's switch belongs to this block
            self._switched = False
        else:
            self._previous.append(self._get())
            self._set(self.value)

    def __exit__(self, *exc):
        self._set(self._previous.pop())
        return False

    def __call__(self, func):
        if self._switched:    # used as a decorator: undo the constructor's switch, made at definition time
            self._switched = False
            self._set(self._previous.pop())
        return super().__call__(func)
