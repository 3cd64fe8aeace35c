"""Checking and inspecting gradients: ``grad``, ``jacobian``, ``gradcheck`` (PyTorch's names).

All Jacobians here (and in ``analysis.jacobians``) come from ``jacobian_rows``: row i of dy/dx is
one backward pass seeded with 1 at y[i] and 0 elsewhere.

``gradcheck`` compares every entry of the backward pass's Jacobian with a central
difference, (f(x + eps) - f(x - eps)) / (2 eps), in float64. An entry passes when
|backward - numerical| <= atol + rtol * |numerical| (PyTorch's rule).
"""
import numpy as np

from .core import Function, Tensor, no_grad
from .core.backward import run_backward
from .core.anomaly import AnomalyError, detect_anomaly, is_anomaly_enabled, set_detect_anomaly

__all__ = ["Function", "grad", "jacobian", "gradcheck", "GradcheckError"]
__all__ += ["detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled", "AnomalyError"]


class GradcheckError(AssertionError):
    """The backward pass disagrees with finite differences."""


def grad(outputs, inputs, grad_outputs=None, retain_graph=False, allow_unused=False):
    """dL/d(input) for each of ``inputs``, without touching any ``.grad``.

    ``outputs`` is one tensor; ``grad_outputs`` is dL/d(outputs) (default 1 for a
    one-element output). Inputs may be intermediate tensors (e.g. h_(t-1)).
    Returns a tuple of tensors, one per input.
    """
    single = isinstance(inputs, Tensor)
    inputs = (inputs,) if single else tuple(inputs)
    if not outputs.requires_grad:
        raise RuntimeError("grad: the output does not require grad (was it computed inside no_grad(), or from "
                           "inputs without requires_grad=True?)")
    if grad_outputs is None:
        if outputs.data.size != 1:
            raise RuntimeError(f"grad: output has shape {outputs.shape}; pass grad_outputs of that shape")
        grad_outputs = np.ones_like(outputs.data)
    seed = np.asarray(grad_outputs.data if isinstance(grad_outputs, Tensor) else grad_outputs,
                      dtype=outputs.dtype)
    if seed.shape != outputs.shape:
        raise RuntimeError(f"grad: grad_outputs has shape {seed.shape}, the output {outputs.shape}")
    found = run_backward(outputs, seed, retain_graph=retain_graph, inputs=inputs)
    result = []
    for i, (x, g) in enumerate(zip(inputs, found)):
        if g is None and not allow_unused:
            raise RuntimeError(f"grad: input {i} (shape {x.shape}) was not used to compute the output, or does "
                               "not require grad. Pass allow_unused=True to get None for it.")
        result.append(None if g is None else Tensor._wrap(np.array(g, dtype=x.dtype)))
    return tuple(result)


def jacobian_rows(output: Tensor, inputs, per_sample: bool = False) -> list:
    """The rows of d output / d inputs, by reverse mode: one backward pass per element of ``output``.

    ``output``: a tensor of shape S that requires grad; ``inputs``: a list of tensors of its graph.
    Pass k seeds dL/d(output) with 1 at element k (in ``np.ndindex(*S)`` order) and 0 elsewhere,
    and keeps the graph (``retain_graph=True``) for the next pass; no ``.grad`` is written.
    Returns one list per pass: for each input x, d output[k] / dx as an ndarray of x's shape,
    or None where no gradient reaches x.

    ``per_sample=True`` is for a batch of states (B, H) whose samples never interact: one pass
    per unit i (H passes, not B * H), seeded with 1 at unit i of every sample, so pass i gives
    row i of every sample's (H, H) Jacobian at once.
    """
    inputs = list(inputs)
    units = output.shape[-1:] if per_sample else output.shape
    rows = []
    for index in np.ndindex(*units):
        seed = np.zeros(output.shape)
        seed[(...,) + index] = 1
        found = grad(output, inputs, grad_outputs=seed, retain_graph=True, allow_unused=True)
        rows.append([None if g is None else g.data for g in found])
    return rows


def jacobian(fn, x) -> Tensor:
    """The full Jacobian d fn(x) / dx, shape ``fn(x).shape + x.shape``, by reverse mode
    (one backward pass per output element)."""
    x = Tensor._wrap(np.array(x.data if isinstance(x, Tensor) else x, dtype=np.float64), requires_grad=True)
    y = fn(x)
    jac = np.zeros(y.shape + x.shape, dtype=np.result_type(y.dtype, x.dtype))
    if not y.requires_grad:            # y does not depend on x
        return Tensor._wrap(jac)
    for index, (g,) in zip(np.ndindex(*y.shape), jacobian_rows(y, [x])):
        if g is not None:
            jac[index] = g
    return Tensor._wrap(jac)


def _numerical_jacobian(fn, inputs, i, eps):
    """d fn / d inputs[i] by central differences, one perturbed element at a time."""
    x = inputs[i].data
    columns = []
    with no_grad():
        for index in np.ndindex(*x.shape):
            original = x[index]
            x[index] = original + eps
            plus = _flat_outputs(fn(*inputs))
            x[index] = original - eps
            minus = _flat_outputs(fn(*inputs))
            x[index] = original
            columns.append((plus - minus) / (2 * eps))
    return np.stack(columns, axis=1) if columns else np.zeros((0, 0))


def _flat_outputs(out) -> np.ndarray:
    outs = out if isinstance(out, (tuple, list)) else (out,)
    return np.concatenate([np.asarray(o.data, dtype=np.float64).ravel() for o in outs])


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True) -> bool:
    """Check ``fn``'s backward pass against central differences, for every input that requires grad.

    ``fn(*inputs)`` returns a tensor (or tuple of tensors). Inputs are copied to
    float64 first. On failure raises ``GradcheckError`` naming the input, the
    element, and both values (or returns False if ``raise_exception=False``).
    """
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    inputs = tuple(_float64_copy(x) for x in inputs)
    out = fn(*inputs)
    outs = out if isinstance(out, (tuple, list)) else (out,)
    checked = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input has requires_grad=True, so there is nothing to check")
    for i in checked:
        x = inputs[i]
        numerical = _numerical_jacobian(fn, inputs, i, eps)   # (outputs, x.size)
        analytical = np.zeros_like(numerical)
        row = 0
        for o in outs:
            # one row per element of o; all None (rows stay 0) when o was not computed from any input
            rows = jacobian_rows(o, [x]) if o.requires_grad else [[None]] * o.data.size
            for (g,) in rows:
                if g is not None and g.shape != x.shape:      # e.g. a backward that forgot unbroadcast
                    message = (f"gradcheck: backward returned a gradient of shape {g.shape} for input {i} "
                               f"of shape {x.shape}; each input's gradient must have the input's shape")
                    if raise_exception:
                        raise GradcheckError(message)
                    return False
                if g is not None:
                    analytical[row] = g.ravel()
                row += 1
        bad = np.abs(analytical - numerical) > atol + rtol * np.abs(numerical)
        if bad.any():
            out_row, col = np.argwhere(bad)[0]
            where = np.unravel_index(col, x.shape) if x.ndim else ()
            label = f"input {i}" + (f" ('{x.name}')" if x.name else "") + f" of shape {x.shape}"
            message = (f"gradcheck: wrong gradient for {label} at index {tuple(int(k) for k in where)}, output "
                       f"element {int(out_row)}: backward gives {analytical[out_row, col]:.10g}, central "
                       f"difference gives {numerical[out_row, col]:.10g} (atol={atol}, rtol={rtol}; "
                       f"{int(bad.sum())} of {bad.size} entries differ)")
            if raise_exception:
                raise GradcheckError(message)
            return False
    return True


def _float64_copy(x):
    if not isinstance(x, Tensor):
        return x
    copy = Tensor._wrap(np.array(x.data, dtype=np.float64) if np.issubdtype(x.dtype, np.floating)
                        else x.data.copy())
    copy.requires_grad, copy.name = x.requires_grad, x.name
    return copy
