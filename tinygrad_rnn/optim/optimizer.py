"""``Optimizer``: the base class of SGD, Adagrad and Adam, with PyTorch's interface.

An optimizer holds the parameters it updates, in *parameter groups* (each a dict with a
``"params"`` list and its own hyperparameters, e.g. ``"lr"``), and per-parameter *state*
(momentum buffers, running averages) in ``self.state[param]``. The training loop is::

    optimizer.zero_grad()      # forget the previous gradients
    loss.backward()            # fill p.grad
    optimizer.step()           # p.data <- update(p.data, p.grad)

``step()`` changes each parameter's ``.data`` array in place and records no graph.
Parameters whose ``.grad`` is None are skipped (their state does not advance either).
Each updated parameter's version (``p._version``) goes up by one, as in PyTorch, so that a
``backward()`` through a graph built before the step raises instead of mixing the old
activations with the new weights (run the forward pass again after ``step()``).

``state_dict()`` / ``load_state_dict()`` use PyTorch's layout, with parameters numbered
0, 1, 2, ... in the order of ``param_groups``::

    {"state": {0: {"step": 3, "exp_avg": ndarray, ...}, ...},        # only parameters with state
     "param_groups": [{"lr": 0.01, ..., "params": [0, 1, 2]}, ...]}
"""
import collections.abc

import numpy as np

from ..core.checks import check_grad, check_real_number, describe
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
        if closure is not None and not callable(closure):
            raise TypeError(f"{self._name}.step: closure must be a function that recomputes and returns the loss, "
                            f"got {type(closure).__name__}. Fix: call step() without arguments after backward()")
        if closure is not None:
            with enable_grad():
                loss = closure()
        index = -1
        for group in self.param_groups:
            for p in group["params"]:
                index += 1
                if p.grad is None:
                    continue
                if type(p.grad) is not np.ndarray or p.grad.shape != p.shape or p.grad.dtype.kind != "f":
                    label = f"parameter {index}" + (f" ({p.name!r})" if p.name else "") + f" of shape {p.shape}"
                    check_grad(f"{self._name}.step", label, p.grad, p.shape)
                version = p._version
                self._update(p, p.grad, self.state.setdefault(p, {}), group)
                if p._version == version:    # an _update that wrote into p.data's array by hand
                    p._bump_version()        # still counts as one write (`p.data -= ...` counted itself)
        return loss

    # --- saving and restoring -------------------------------------------------
    def state_dict(self) -> dict:
        """The optimizer's state in PyTorch's layout (see the module docstring); arrays are copies.

        Parameters are referred to by their index in ``param_groups`` order, so the state can be
        loaded into a new optimizer built the same way over the same model."""
        index = {id(p): i for i, p in enumerate(self._all_params())}
        groups = [{**{k: v for k, v in group.items() if k != "params"},
                   "params": [index[id(p)] for p in group["params"]]} for group in self.param_groups]
        state = {}
        for p in self._all_params():
            if self.state.get(p):
                state[index[id(p)]] = {k: v.copy() if isinstance(v, np.ndarray) else v
                                       for k, v in self.state[p].items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict) -> None:
        """Restore the state and hyperparameters saved by ``state_dict()``.

        Everything is checked first — the number of groups and of parameters in each, the
        hyperparameter names and values, every state entry's name, shape and dtype (those of
        its parameter) — and if anything is wrong a ValueError lists it and nothing changes.
        Arrays are copied in, so later steps do not write into ``state_dict``'s arrays."""
        state, groups = self._checked_state_dict(state_dict)
        self._apply_state_dict(state, groups)

    def _all_params(self) -> list:
        return [p for group in self.param_groups for p in group["params"]]

    def _checked_state_dict(self, state_dict):
        """Validate ``state_dict`` against this optimizer without changing anything; returns the
        new state (param -> dict) and each group's new hyperparameters."""
        who = f"{self._name}.load_state_dict"
        if not (isinstance(state_dict, collections.abc.Mapping) and set(state_dict) == {"state", "param_groups"}):
            got = type(state_dict).__name__
            if isinstance(state_dict, collections.abc.Mapping):
                got += f" with keys {sorted(map(str, state_dict))}"
            raise ValueError(f"{who}: expected a dict with the keys 'state' and 'param_groups' (what "
                             f"optimizer.state_dict() returns), got {got}")
        saved_groups, saved_state = state_dict["param_groups"], state_dict["state"]
        if not isinstance(saved_groups, (list, tuple)) or len(saved_groups) != len(self.param_groups):
            count = len(saved_groups) if isinstance(saved_groups, (list, tuple)) else type(saved_groups).__name__
            raise ValueError(f"{who}: the saved state has {count} parameter groups, this optimizer has "
                             f"{len(self.param_groups)}. Fix: build the optimizer the same way as the one saved")
        problems, new_groups, param_of = [], [], {}      # param_of: saved index -> (param, its new group)
        for g, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            if not isinstance(saved, collections.abc.Mapping) or not isinstance(saved.get("params"), (list, tuple)):
                problems.append(f"group {g}: expected a dict with a 'params' list, got {type(saved).__name__}")
                continue
            if len(saved["params"]) != len(group["params"]):
                problems.append(f"group {g}: the saved group has {len(saved['params'])} parameters, this "
                                f"optimizer's has {len(group['params'])} (a different model?)")
                continue
            hyper = {k: v for k, v in saved.items() if k != "params"}
            own = {k for k in group if k != "params"}
            if set(hyper) != own:
                problems.append(f"group {g}: the saved hyperparameters are {sorted(hyper)}, {self._name} has "
                                f"{sorted(own)} (was it saved by another optimizer?)")
                continue
            for k, v in hyper.items():                     # JSON turns tuples such as betas into lists
                if isinstance(group[k], tuple) and isinstance(v, list):
                    hyper[k] = tuple(v)
            try:
                self._check_hyperparameters({**group, **hyper})
            except (TypeError, ValueError) as error:
                problems.append(f"group {g}: {error}")
                continue
            new_groups.append(hyper)
            for saved_id, p in zip(saved["params"], group["params"]):
                if isinstance(saved_id, bool) or not isinstance(saved_id, (int, np.integer)) or saved_id in param_of:
                    problems.append(f"group {g}: bad or repeated parameter index {saved_id!r}")
                    continue
                param_of[saved_id] = (p, {**group, **hyper})
        if not isinstance(saved_state, collections.abc.Mapping):
            problems.append(f"'state' must be a dict parameter index -> dict, got {type(saved_state).__name__}")
            saved_state = {}
        new_state = {}
        for saved_id, entries in saved_state.items():
            if saved_id not in param_of:
                if not problems:                           # else its group was already reported
                    problems.append(f"state of parameter {saved_id!r}: no parameter has that index in "
                                    f"'param_groups'")
                continue
            p, group = param_of[saved_id]
            if not isinstance(entries, collections.abc.Mapping):
                problems.append(f"state of parameter {saved_id}: expected a dict, got {type(entries).__name__}")
                continue
            problems += [f"state of parameter {saved_id} ({p.name or 'unnamed'}, shape {p.shape}): {problem}"
                         for problem in self._check_state(entries, p, group)]
            new_state[p] = {k: np.array(v, copy=True) if isinstance(v, np.ndarray) else v
                            for k, v in entries.items()}
        if problems:
            raise ValueError(f"{who}: nothing was loaded, because:\n  " + "\n  ".join(problems))
        return new_state, new_groups

    def _check_state(self, entries, param, group) -> list:
        """Problems with one parameter's saved state: the entry names ``_state_keys`` expects, arrays
        of the parameter's shape and dtype, counters that are ints >= 0."""
        arrays, counters = self._state_keys(group)
        problems = []
        if entries and set(entries) != arrays | counters:
            problems.append(f"the saved entries are {sorted(entries)}, {self._name} keeps "
                            f"{sorted(arrays | counters)} with these hyperparameters")
        for key in sorted(arrays & set(entries)):
            value = entries[key]
            if not isinstance(value, np.ndarray):
                problems.append(f"'{key}' must be an array, got {type(value).__name__}")
            elif value.shape != param.shape or value.dtype != param.dtype:
                problems.append(f"'{key}' has shape {value.shape} and dtype {value.dtype}, the parameter "
                                f"{param.shape} and {param.dtype}")
        for key in sorted(counters & set(entries)):
            value = entries[key]
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
                problems.append(f"'{key}' must be a count (an int >= 0), got {value!r}")
        return problems

    def _apply_state_dict(self, state: dict, groups: list) -> None:
        """Install what ``_checked_state_dict`` returned (this cannot fail)."""
        for group, hyper in zip(self.param_groups, groups):
            group.update(hyper)
        self.state = {p: {k: int(v) if not isinstance(v, np.ndarray) else v for k, v in entries.items()}
                      for p, entries in state.items()}

    # --- for subclasses ----------------------------------------------------
    def _check_hyperparameters(self, group: dict) -> None:
        raise NotImplementedError

    def _state_keys(self, group: dict) -> tuple:
        """The names of a parameter's state entries under ``group``'s hyperparameters, once it has
        taken a step: (array names, int counter names)."""
        return set(), set()

    def _update(self, param: Tensor, grad, state: dict, group: dict) -> None:
        """Change ``param.data`` in place using ``grad`` (an ndarray of the same shape). ``step()``
        bumps ``param._version`` afterwards unless this did (``param.data -= ...`` does)."""
        raise NotImplementedError

    def _require(self, group: dict, name: str, minimum=0, *, low_open=False, maximum=None, high_open=False,
                 example=None) -> None:
        """Raise a clear ValueError unless ``group[name]`` is a finite real number (not a str, not a bool)
        within the bounds (``checks.check_real_number``; ValueError for a wrong kind too, as PyTorch's
        "Invalid learning rate")."""
        check_real_number(self._name, name, group[name], minimum=minimum, low_open=low_open, maximum=maximum,
                          high_open=high_open, example=example, type_error=ValueError)

    def _require_flag(self, group: dict, name: str) -> None:
        """``group[name]`` must be True or False (``nesterov="no"`` would be truthy)."""
        if not isinstance(group[name], (bool, np.bool_)):
            raise TypeError(f"{self._name}: {name} must be True or False, got {describe(group[name])}. Fix: "
                            f"pass {name}=True or {name}=False")

    def __repr__(self):
        lines = [f"{self._name} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {key}: {value}" for key, value in sorted(group.items()) if key != "params"]
        return "\n".join(lines) + "\n)"
