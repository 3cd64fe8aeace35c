"""The old place of ``tinygrad_rnn.nn.functional`` (PyTorch's ``torch.nn.functional``): the same
functions, re-exported, so ``from tinygrad_rnn import functional as F`` keeps working."""
from .nn.functional import cross_entropy, linear, log_softmax, mse_loss, nll_loss, relu, sigmoid, softmax, tanh

__all__ = ["tanh", "sigmoid", "relu", "linear", "log_softmax", "softmax", "cross_entropy", "mse_loss", "nll_loss"]
