"""Shared test settings.

- One BLAS thread: the matrices here are small, and on a 2-core machine under load a
  multithreaded OpenBLAS was seen to be ~50x slower on small matmuls (see benchmarks/).
- Hypothesis: no per-example deadline (timing belongs in benchmarks), and derandomized
  so that a CI run is repeatable.
"""
import signal
import subprocess
import sys
import time

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


@pytest.fixture
def interrupt_training():
    """``interrupt(argv, out_dir)`` starts ``python -m tinygrad_rnn train <argv> --out out_dir``, sends one
    real SIGINT (Ctrl-C) once its metrics log has a line, and returns ``(returncode, stdout, stderr)``."""
    def interrupt(argv, out_dir):
        proc = subprocess.Popen([sys.executable, "-m", "tinygrad_rnn", "train", *argv, "--out", str(out_dir)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        log = out_dir / "metrics.jsonl"            # created empty at the start; a line means training is under way
        try:
            deadline = time.monotonic() + 60
            while not (log.exists() and log.stat().st_size):
                assert proc.poll() is None, proc.communicate()
                assert time.monotonic() < deadline, "training did not start"
                time.sleep(0.02)
            proc.send_signal(signal.SIGINT)
            stdout, stderr = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
        return proc.returncode, stdout, stderr
    return interrupt
