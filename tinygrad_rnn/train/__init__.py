"""Training recurrent nets: the model (cell + read-out), BPTT and truncated BPTT, and the loop.

- ``truncation``: ``TBPTT(k1, k2)``, full BPTT as ``TBPTT.full(T)``, ``detach_state``; on a text stream,
  ``stream_update(tbptt, model, stream, cursor)`` (the state carried across windows in a ``StreamCursor``)
- ``model``: ``SequenceModel`` (its ``init_scheme`` names come from ``nn.init.init_weight_hh_``)
- ``loop``: ``TrainConfig``, ``train``, ``TrainResult`` (``train(config, resume=DIR)`` continues a run)
- ``checkpoint``: ``save_checkpoint``, ``load_checkpoint``, ``Checkpoint`` (model, optimizer, step, RNG)
"""
from .checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from .loop import TrainConfig, TrainResult, build_model, evaluate, gradient_norm, train
from .model import INITS, SequenceModel
from .truncation import TBPTT, StreamCursor, Window, detach_state, stream_update

__all__ = ["TBPTT", "Window", "detach_state", "StreamCursor", "stream_update", "SequenceModel", "INITS", "TrainConfig",
           "TrainResult", "build_model", "train", "evaluate", "gradient_norm", "Checkpoint", "load_checkpoint",
           "save_checkpoint"]
