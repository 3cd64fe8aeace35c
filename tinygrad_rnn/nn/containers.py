"""``Sequential``: modules applied one after another, ``x -> m0(x) -> m1(...) -> ...``.

Its modules are registered under "0", "1", ... (or the names of an ``OrderedDict``), so parameter
names match PyTorch's (``0.weight``, ``2.bias``) and a ``state_dict`` moves between the two.
"""
import collections

from .module import Module

__all__ = ["Sequential"]


class Sequential(Module):
    """``Sequential(m0, m1, ...)`` or ``Sequential(OrderedDict(name=module, ...))``; ``forward(x)`` is
    ``...m1(m0(x))``, so each module's output shape must be the next one's input shape."""

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], collections.OrderedDict):
            modules = modules[0].items()
        else:
            modules = ((str(i), m) for i, m in enumerate(modules))
        for name, module in modules:
            self._add("Sequential", name, module)

    def _add(self, owner: str, name: str, module) -> None:
        if not isinstance(module, Module):
            hint = (f"wrap the function in a module, e.g. nn.Tanh() instead of {getattr(module, '__name__', module)}"
                    if callable(module) else "pass modules such as nn.Linear(3, 4) or nn.Tanh()")
            raise TypeError(f"{owner}: entry '{name}' is a {type(module).__name__}, not a Module. Fix: {hint}")
        setattr(self, name, module)

    def append(self, module) -> "Sequential":
        """Add ``module`` at the end (named by its position)."""
        self._add("Sequential.append", str(len(self)), module)
        return self

    def forward(self, input):
        for module in self._modules.values():
            input = module(input)
        return input

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __getitem__(self, index):
        """``seq[i]`` is the i-th module; ``seq[a:b]`` a new ``Sequential`` of the same modules (shared)."""
        items = list(self._modules.items())
        if isinstance(index, slice):
            return Sequential(collections.OrderedDict(items[index]))
        try:
            return items[index][1]
        except (IndexError, TypeError):
            raise IndexError(f"Sequential: index {index!r} is out of range for {len(items)} modules "
                             f"(use 0..{len(items) - 1}, or -1 for the last)") from None
