"""A float32 module must not silently compute in float64 (PyTorch raises too)."""
import numpy as np
import pytest

import tinygrad_rnn as tg
from tinygrad_rnn import nn


@pytest.mark.parametrize("make,shape", [(lambda: nn.Linear(3, 2), (4, 3)), (lambda: nn.RNNCell(3, 2), (4, 3)),
                                        (lambda: nn.LSTMCell(3, 2), (4, 3)), (lambda: nn.GRU(3, 2), (5, 4, 3))])
def test_mismatched_input_dtype_is_a_clear_error(make, shape):
    module = make()
    with pytest.raises(TypeError, match=r"input is float64 but the weights are float32.*Fix"):
        module(tg.tensor(np.zeros(shape)))               # a float64 Tensor
    out = module(np.zeros(shape))                         # a plain array is converted to the weights' dtype
    out = out[0] if isinstance(out, tuple) else out
    assert out.dtype == np.float32
    module.double()
    out = module(tg.tensor(np.zeros(shape)))
    assert (out[0] if isinstance(out, tuple) else out).dtype == np.float64
