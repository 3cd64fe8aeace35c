"""The autodiff core: ``Tensor``, its ops, and the backward pass. It knows nothing about RNNs."""
from .anomaly import AnomalyError, detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from .creation import (arange, cat, default_generator, eye, full, manual_seed, ones, ones_like, rand,
                       rand_like, randn, randn_like, stack, tensor, where, zeros, zeros_like)
from .function import Function, GraphFreedError, SavedTensorModifiedError
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .tensor import Tensor
from .time_step import current_time_step, time_step

__all__ = ["Tensor", "Function", "GraphFreedError", "SavedTensorModifiedError", "tensor", "zeros", "ones", "full",
           "eye", "randn", "rand",
           "arange", "zeros_like", "ones_like", "randn_like", "rand_like", "cat", "stack", "where",
           "manual_seed", "default_generator", "no_grad", "enable_grad", "set_grad_enabled",
           "is_grad_enabled", "time_step", "current_time_step"]
__all__ += ["detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled", "AnomalyError"]
