"""``Module`` and ``Parameter``: PyTorch's way of bundling weights with the code that uses them.

Assigning a ``Parameter`` or another ``Module`` to an attribute registers it, in
order, so ``parameters()``, ``named_parameters()`` and ``state_dict()`` find it
under the same dotted names PyTorch uses (``layer.weight_hh``, ``cells.0.bias_ih``).
"""
import collections
import collections.abc

import numpy as np

from ..core import Tensor


class Parameter(Tensor):
    """A tensor that is a weight of a module: ``requires_grad=True`` by default, and registered
    when assigned to a module attribute."""

    __slots__ = ()

    def __init__(self, data, requires_grad: bool = True, name: str | None = None):
        super().__init__(data, requires_grad=requires_grad, name=name)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


_IncompatibleKeys = collections.namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


class Module:
    """Base class of every layer. Subclasses set parameters and sub-modules in ``__init__`` and
    compute in ``forward``; call the module itself (``cell(x, h)``) to run ``forward``."""

    def __init__(self):
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "training", True)

    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__:
            raise RuntimeError(f"{type(self).__name__}: call super().__init__() before assigning '{name}'")
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        if isinstance(value, Parameter):
            if value.name is None:
                value.name = name
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
        object.__setattr__(self, name, value)

    def __delattr__(self, name):
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        object.__delattr__(self, name)

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    # --- walking the tree ---------------------------------------------
    def named_modules(self, prefix: str = ""):
        """``(dotted_name, module)`` for this module and every module inside it, depth first."""
        yield prefix, self
        for name, child in self._modules.items():
            yield from child.named_modules(f"{prefix}.{name}" if prefix else name)

    def modules(self):
        return (m for _, m in self.named_modules())

    def named_children(self):
        return iter(self._modules.items())

    def children(self):
        return iter(self._modules.values())

    def named_parameters(self, prefix: str = "", recurse: bool = True):
        """``(dotted_name, parameter)`` pairs, in registration order (each parameter once)."""
        seen = set()
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        for module_prefix, module in modules:
            for name, p in module._parameters.items():
                if id(p) not in seen:
                    seen.add(id(p))
                    yield (f"{module_prefix}.{name}" if module_prefix else name), p

    def parameters(self, recurse: bool = True):
        return (p for _, p in self.named_parameters(recurse=recurse))

    def apply(self, fn):
        """Call ``fn(module)`` on every sub-module, then on this one (e.g. a custom init)."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # --- training helpers -----------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget accumulated gradients (``grad = None``, or zeros with ``set_to_none=False``)."""
        for p in self.parameters():
            p.grad = None if set_to_none or p.grad is None else np.zeros_like(p.grad)

    def train(self, mode: bool = True):
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self):
        return self.train(False)

    def to(self, dtype):
        """Cast every parameter to ``dtype`` in place (``np.float64`` for gradient checks)."""
        owner = f"{type(self).__name__}.to"
        try:
            dtype = np.dtype(dtype)
        except TypeError:
            raise TypeError(f"{owner}: {dtype!r} is not a NumPy dtype. Fix: pass np.float32 or np.float64") from None
        if not np.issubdtype(dtype, np.floating):
            raise TypeError(f"{owner}: parameters must stay floating point (they carry gradients), got {dtype}. "
                            f"Fix: pass np.float32 or np.float64")
        for p in self.parameters():
            p.data = p.data.astype(dtype)
            if p.grad is not None:
                p.grad = p.grad.astype(dtype)
        return self

    def double(self):
        return self.to(np.float64)

    def float(self):
        return self.to(np.float32)

    # --- saving ---------------------------------------------------------
    def state_dict(self) -> "collections.OrderedDict[str, np.ndarray]":
        """Every parameter as a NumPy array (a copy) under its PyTorch name."""
        return collections.OrderedDict((name, p.data.copy()) for name, p in self.named_parameters())

    def load_state_dict(self, state_dict, strict: bool = True):
        """Copy arrays into the parameters, after checking all of them first.

        Every name, shape and dtype is checked before anything is written; if any is
        wrong, nothing changes and the error lists every mismatch. With ``strict=False``,
        missing and unexpected names are allowed and returned.
        """
        owner = f"load_state_dict: {type(self).__name__}"
        if not isinstance(state_dict, collections.abc.Mapping):
            raise TypeError(f"{owner} expects a mapping name -> array (e.g. tinygrad_rnn.load(path) or "
                            f"other.state_dict()), got {type(state_dict).__name__}. Nothing was loaded.")
        own = dict(self.named_parameters())
        given = {k: np.asarray(v.data if isinstance(v, Tensor) else v) for k, v in state_dict.items()}
        missing = [k for k in own if k not in given]
        unexpected = [k for k in given if k not in own]
        problems = []
        if strict:
            problems += [f"missing: '{k}' (shape {own[k].shape})" for k in missing]
            problems += [f"unexpected: '{k}'" for k in unexpected]
        for name, value in given.items():
            if name not in own:
                continue
            p = own[name]
            if value.dtype.kind not in "fiub":
                problems.append(f"'{name}': expected a numeric array, got {value.dtype} "
                                f"({type(state_dict[name]).__name__})")
            elif value.shape != p.shape:
                problems.append(f"'{name}': shape {value.shape} in the state dict, {p.shape} in the module")
            elif value.dtype != p.dtype and value.dtype.kind == "f" and value.dtype in (np.float32, np.float64):
                problems.append(f"'{name}': dtype {value.dtype} in the state dict, {p.dtype} in the module "
                                f"(convert the module with .to(np.{value.dtype}) or the array with .astype)")
            elif value.dtype != p.dtype:          # int, bool, float16: a module can't be converted to those
                problems.append(f"'{name}': dtype {value.dtype} in the state dict, {p.dtype} in the module "
                                f"(a module's parameters are float32 or float64; convert the array to the "
                                f"module's dtype: state['{name}'] = state['{name}'].astype(np.{p.dtype}))")
        if problems:
            fixes = []
            if strict and (missing or unexpected):
                fixes.append("load a state dict saved from the same kind of model, or pass strict=False to load "
                             "only the names both have")
            if any("shape" in p and "in the module" in p for p in problems):
                fixes.append("build the module with the sizes the state dict was saved with")
            raise ValueError(f"load_state_dict: nothing was loaded into {type(self).__name__}, because:\n  "
                             + "\n  ".join(problems) + ("\nFix: " + "; ".join(fixes) if fixes else ""))
        for name, value in given.items():
            if name in own:
                own[name].data[...] = value
                own[name]._bump_version()        # a graph that saved the old values must not backprop them
        return _IncompatibleKeys(missing, unexpected)

    # --- printing -------------------------------------------------------
    def extra_repr(self) -> str:
        """The constructor arguments to show in ``repr`` (override in subclasses)."""
        return ""

    def __repr__(self):
        lines = [f"({name}): " + repr(child).replace("\n", "\n  ") for name, child in self._modules.items()]
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not lines:
            return head + ")"
        return head + "\n  " + "\n  ".join(lines) + "\n)"
