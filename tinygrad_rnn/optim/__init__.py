"""Optimizers with PyTorch's names, arguments and update rules: ``SGD``, ``Adagrad``, ``Adam``.

    opt = tinygrad_rnn.optim.Adam(model.parameters(), lr=1e-3)
    opt.zero_grad(); loss.backward(); opt.step()
"""
from .adagrad import Adagrad
from .adam import Adam
from .optimizer import Optimizer
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adagrad", "Adam"]
