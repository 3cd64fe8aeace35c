"""``Optimizer``: the base class of SGD, Adagrad and Adam, with PyTorch's interface.

An optimizer holds the parameters it updates, in *parameter groups* (each a dict with a
``"params"`` list and its own hyperparameters, e.g. ``"lr"``), and per-parameter *state*
(momentum buffers, running averages) in ``self.state[param]``. The training loop is::

    optimizer.zero_grad()      # forget the previous gradients
    loss.backward()            # fill p.grad
    optimizer.step()           # p.data <- update(p.data, p.grad)

``step()`` changes each parameter's ``.data`` array in place and records no graph.
Parameters whose ``.grad`` is None are skipped (their state does not advance either).
"""
import math

from ..core.grad_mode import enable_grad
from ..core.tensor import Tensor


class Optimizer:
    """Base class: subclasses define ``_check_hyperparameters(group)`` and ``_update(p, grad, state, group)``.

    ``params``: an iterable of Tensors (e.g. ``model.parameters()``), or an iterable of dicts
    ``{"params": [...], "lr": ..., ...}`` for groups with their own hyperparameters (missing
    ones are taken from ``defaults``, the constructor's arguments).
    """

    def __init__(self, params, defaults: dict):
        self.defaults = dict(defaults)
        self.state: dict = {}                 # param -> dict of that parameter's state (identity-keyed)
        self.param_groups: list[dict] = []
        self._check_hyperparameters(self.defaults)
        if isinstance(params, (Tensor, dict)):
            raise TypeError(f"{self._name}: params must be an iterable of Tensors or of dicts, got a single "
                            f"{type(params).__name__}. Fix: wrap it in a list, e.g. {self._name}([w], lr=...), "
                            f"or pass model.parameters()")
        try:
            params = list(params)
        except TypeError:
            raise TypeError(f"{self._name}: params must be an iterable of Tensors (e.g. model.parameters()), "
                            f"got {type(params).__name__}") from None
        if not params:
            raise ValueError(f"{self._name}: got an empty parameter list, so there is nothing to optimize. Fix: "
                             f"pass model.parameters() of a model that has parameters (a generator such as "
                             f"model.parameters() can only be used once — did you already consume it?)")
        groups = params if isinstance(params[0], dict) else [{"params": params}]
        for group in groups:
            self.add_param_group(group)

    @property
    def _name(self) -> str:
        return type(self).__name__

    def add_param_group(self, param_group: dict) -> None:
        """Add a group ``{"params": [...], <hyperparameter>: value, ...}``; unset ones come from ``defaults``."""
        if not isinstance(param_group, dict) or "params" not in param_group:
            raise TypeError(f"{self._name}: a parameter group must be a dict with a 'params' key, got "
                            f"{type(param_group).__name__}. Fix: pass a list of tensors, or dicts like "
                            f"{{'params': [w], 'lr': 0.1}}")
        params = param_group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        if not params:
            raise ValueError(f"{self._name}: a parameter group has an empty 'params' list")
        unknown = sorted(set(param_group) - set(self.defaults) - {"params"})
        if unknown:
            raise TypeError(f"{self._name}: unknown hyperparameter(s) {unknown} in a parameter group; "
                            f"{self._name} has {sorted(self.defaults)}")
        seen = {id(p) for group in self.param_groups for p in group["params"]}
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"{self._name}: can only optimize Tensors, got a {type(p).__name__}. Fix: pass "
                                f"model.parameters() or a list of tensors made with requires_grad=True")
            if not p.is_leaf:
                raise ValueError(f"{self._name}: can't optimize a non-leaf tensor (one computed by an op, "
                                 f"name={p.name!r}). Fix: optimize the leaves it was computed from, or make "
                                 f"a leaf with .detach().requires_grad_()")
            if id(p) in seen:
                raise ValueError(f"{self._name}: a parameter (name={p.name!r}) appears more than once; each "
                                 f"parameter may be in only one group, once")
            seen.add(id(p))
        group = {**self.defaults, **param_group, "params": params}
        self._check_hyperparameters(group)
        self.param_groups.append(group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients: ``p.grad = None`` (default), or fill them with zeros in place."""
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none:
                    p.grad = None
                elif p.grad is not None:
                    p.grad.fill(0)

    def step(self, closure=None):
        """Update every parameter that has a gradient, once. Returns ``closure()`` if given, else None.

        ``closure``: an optional function that zeroes the gradients, recomputes the loss, calls
        ``backward()`` and returns the loss (PyTorch's interface; it runs with gradients enabled).
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                self._update(p, p.grad, self.state.setdefault(p, {}), group)
        return loss

    # --- for subclasses ----------------------------------------------------
    def _check_hyperparameters(self, group: dict) -> None:
        raise NotImplementedError

    def _update(self, param: Tensor, grad, state: dict, group: dict) -> None:
        """Change ``param.data`` in place using ``grad`` (an ndarray of the same shape)."""
        raise NotImplementedError

    def _require(self, group: dict, name: str, ok, rule: str) -> None:
        """Raise a clear ValueError unless ``ok(group[name])``."""
        value = group[name]
        try:
            good = ok(float(value)) and math.isfinite(float(value))
        except (TypeError, ValueError):
            good = False
        if not good:
            raise ValueError(f"{self._name}: invalid {name}={value!r}; it must be {rule}")

    def __repr__(self):
        lines = [f"{self._name} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {key}: {value}" for key, value in sorted(group.items()) if key != "params"]
        return "\n".join(lines) + "\n)"
