"""Checking and inspecting gradients: ``grad``, ``jacobian``, ``gradcheck`` (PyTorch's names).

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
    one-element output). Inputs may be intermediate tensors (e.g. h_{t-1}).
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


def jacobian(fn, x) -> Tensor:
    """The full Jacobian d fn(x) / dx, shape ``fn(x).shape + x.shape``, by reverse mode
    (one backward pass per output element)."""
    x = Tensor._wrap(np.array(x.data if isinstance(x, Tensor) else x, dtype=np.float64), requires_grad=True)
    y = fn(x)
    jac = np.zeros(y.shape + x.shape, dtype=np.result_type(y.dtype, x.dtype))
    if not y.requires_grad:            # y does not depend on x
        return Tensor._wrap(jac)
    for index in np.ndindex(*y.shape):
        seed = np.zeros_like(y.data)
        seed[index] = 1
        (g,) = grad(y, x, grad_outputs=seed, retain_graph=True, allow_unused=True)
        if g is not None:
            jac[index] = g.data
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
            for index in np.ndindex(*o.shape):
                if o.requires_grad:
                    seed = np.zeros(o.shape)
                    seed[index] = 1
                    (g,) = grad(o, x, grad_outputs=seed, retain_graph=True, allow_unused=True)
                    if g is not None and g.shape != x.shape:  # e.g. a backward that forgot unbroadcast
                        message = (f"gradcheck: backward returned a gradient of shape {g.shape} for input {i} "
                                   f"of shape {x.shape}; each input's gradient must have the input's shape")
                        if raise_exception:
                            raise GradcheckError(message)
                        return False
                    if g is not None:
                        analytical[row] = g.data.ravel()
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
