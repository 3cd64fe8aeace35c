"""Training recurrent nets: the model (cell + read-out), BPTT and truncated BPTT, and the loop.

- ``truncation``: ``TBPTT(k1, k2)``, full BPTT as ``TBPTT.full(T)``, ``detach_state``
- ``model``: ``SequenceModel``, ``init_recurrent_``
- ``loop``: ``TrainConfig``, ``train``, ``TrainResult``
"""
from .loop import TrainConfig, TrainResult, evaluate, gradient_norm, train
from .model import INITS, SequenceModel, init_recurrent_
from .truncation import TBPTT, Window, detach_state

__all__ = ["TBPTT", "Window", "detach_state", "SequenceModel", "init_recurrent_", "INITS", "TrainConfig",
           "TrainResult", "train", "evaluate", "gradient_norm"]
