"""Find where NaN/Inf first appear: ``detect_anomaly`` (PyTorch's name).

STUB: the two hooks below are called by ``Function.apply`` (after each forward) and by
``run_backward`` (after each op's backward) while ``_enabled`` is True.
"""
_enabled = False


def check_forward(fn, parents, out) -> None:
    """Called after ``fn.forward``: ``parents`` are the input Tensors, ``out`` the output ndarray."""


def check_backward(fn, output, grad, parent_grads) -> None:
    """Called after ``fn.backward``: ``output`` is the Tensor ``fn`` made, ``grad`` dL/d(output),
    ``parent_grads`` what backward returned (one array or None per parent, in ``fn.parents`` order)."""
