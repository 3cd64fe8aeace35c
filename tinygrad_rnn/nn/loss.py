"""The loss functions as modules (``criterion = nn.MSELoss(); loss = criterion(output, target)``).

Each calls the function of the same name in ``nn.functional``. Only the ``reduction`` argument of
PyTorch's is supported; the others (class weights, ``ignore_index``, label smoothing) are refused
by name rather than ignored.
"""
from . import functional as F
from .module import Module

__all__ = ["MSELoss", "CrossEntropyLoss", "NLLLoss"]


class _Loss(Module):
    function = None

    def __init__(self, reduction: str = "mean"):
        super().__init__()
        F._check_reduction(reduction, type(self).__name__)
        self.reduction = reduction

    def forward(self, input, target):
        return type(self).function(input, target, reduction=self.reduction)

    def extra_repr(self) -> str:
        return "" if self.reduction == "mean" else f"reduction={self.reduction!r}"


class MSELoss(_Loss):
    """Mean squared error: ``input`` and ``target`` of the same shape; a scalar (``"mean"``, ``"sum"``) or
    the per-element squares (``"none"``)."""

    function = staticmethod(F.mse_loss)


class _ClassLoss(_Loss):
    """A loss over class indices; PyTorch's ``weight``, ``ignore_index`` and ``label_smoothing`` are refused."""

    def __init__(self, weight=None, *, ignore_index: int = -100, reduction: str = "mean",
                 label_smoothing: float = 0.0):
        name = type(self).__name__
        unsupported = [f"{arg}={value!r}" for arg, value, default in
                       (("weight", weight, None), ("ignore_index", ignore_index, -100),
                        ("label_smoothing", label_smoothing, 0.0)) if value is not default and value != default]
        if unsupported:
            raise NotImplementedError(f"{name}: {', '.join(unsupported)} is not supported here (only reduction "
                                      f"is). Fix: leave it out, or weight and mask the per-sample losses yourself "
                                      f"with {name}(reduction='none')")
        super().__init__(reduction)


class CrossEntropyLoss(_ClassLoss):
    """Cross-entropy of logits ``input`` (N, C) or (C,) against class indices ``target`` (N,) or a scalar:
    -log softmax(input)[n, target[n]], averaged (``"mean"``), summed, or per sample (``"none"``)."""

    function = staticmethod(F.cross_entropy)


class NLLLoss(_ClassLoss):
    """Negative log-likelihood of log-probabilities ``input`` (N, C) against class indices ``target`` (N,)."""

    function = staticmethod(F.nll_loss)
