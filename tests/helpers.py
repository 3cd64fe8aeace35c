"""Helpers shared by several test files (import them as ``from helpers import ...``; pytest puts
this folder on sys.path)."""
import json

import numpy as np

import tinygrad_rnn as tg


def leaf(values, dtype=np.float64, name=None) -> tg.Tensor:
    """A float leaf tensor that requires grad, holding a copy of ``values`` (a number, list or
    array) in ``dtype``. For a shape, pass the values: ``leaf(np.ones((2, 3)))``."""
    if not np.issubdtype(dtype, np.floating):
        raise TypeError(f"leaf: dtype must be a float type (only floats carry gradients), got {dtype!r}. "
                        f"Fix: leave the default np.float64, or pass np.float32")
    return tg.Tensor(np.asarray(values, dtype=dtype), requires_grad=True, name=name)


def without_seconds(records):
    """Training log records without their ``seconds`` (the only field that differs between runs)."""
    return [{k: v for k, v in r.items() if k != "seconds"} for r in records]


def metrics_of(out):
    """The records of ``out/metrics.jsonl``, without their ``seconds``."""
    return without_seconds(json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines())
