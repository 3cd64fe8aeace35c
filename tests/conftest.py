"""Shared test settings.

- One BLAS thread: the matrices here are small, and on a 2-core machine under load a
  multithreaded OpenBLAS was seen to be ~50x slower on small matmuls (see benchmarks/).
- Hypothesis: no per-example deadline (timing belongs in benchmarks), and derandomized
  so that a CI run is repeatable.
"""
import numpy as np
import pytest
from hypothesis import settings
from threadpoolctl import threadpool_limits

settings.register_profile("default", deadline=None, derandomize=True, max_examples=40)
settings.load_profile("default")

_limits = threadpool_limits(limits=1, user_api="blas")


@pytest.fixture
def rng():
    return np.random.default_rng(1234)
