"""What every task shares: the ``Task`` protocol, the ``Batch`` it returns, and two small helpers.

See ``tinygrad_rnn/tasks/__init__.py`` for the design and a training-loop recipe.
"""
import math
from typing import NamedTuple

import numpy as np

from ..core import Tensor, default_generator
from ..nn import functional as F

IGNORE_INDEX = -1
"""In integer targets (T, B), this value means "no loss at this step for this sample"."""


class Batch(NamedTuple):
    """One batch of a task, time-major (T = steps, B = batch size).

    - ``inputs``  (T, B, I) float32: what the network reads at each step.
    - ``targets`` (T, B) int64 class indices for classification tasks, with ``IGNORE_INDEX`` (-1)
      at the steps without a loss; or (T, B, O) float32 for regression, 0.0 at those steps.
    - ``mask``    (T, B) bool: True exactly where the loss (and the metric) is taken.

    It unpacks like a tuple: ``inputs, targets, mask = task.batch(32, rng)``.
    """
    inputs: np.ndarray
    targets: np.ndarray
    mask: np.ndarray

    @property
    def seq_len(self) -> int:
        return self.inputs.shape[0]

    @property
    def batch_size(self) -> int:
        return self.inputs.shape[1]

    @property
    def loss_steps(self) -> np.ndarray:
        """The time steps (sorted ints) at which at least one sample carries a loss."""
        return np.flatnonzero(self.mask.any(axis=1))

    def window(self, start: int, stop: int) -> "Batch":
        """Steps ``[start, stop)`` of every array (views, not copies). ``window.mask.any()`` says
        whether the window has any loss to backpropagate."""
        return Batch(self.inputs[start:stop], self.targets[start:stop], self.mask[start:stop])

    def windows(self, length: int):
        """Consecutive windows of ``length`` steps covering the batch (the last may be shorter)."""
        if length < 1:
            raise ValueError(f"windows: length must be a positive number of steps, got {length}")
        for start in range(0, self.seq_len, length):
            yield self.window(start, start + length)


def as_rng(rng, owner: str = "as_rng") -> np.random.Generator:
    """``rng`` as a NumPy Generator: a Generator is used as is (each call draws a new batch);
    an int is a seed (the same int always gives the same batch); ``None`` means the library's
    default generator, which ``tinygrad_rnn.manual_seed`` resets."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None:
        return default_generator()
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise TypeError(f"{owner}: rng must be a numpy.random.Generator, an int seed or None, got "
                    f"{type(rng).__name__}. Fix: rng = np.random.default_rng(0)")


def one_hot(indices: np.ndarray, n_classes: int) -> np.ndarray:
    """(...) ints in [0, n_classes) -> (..., n_classes) float32 with a single 1 per row."""
    return np.eye(n_classes, dtype=np.float32)[indices]


def check_positive_int(value, what: str) -> int:
    """``value`` as an int, or a ValueError saying ``what`` (e.g. "AddingTask: seq_len") must be a positive int."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{what} must be a positive int, got {value!r}. Fix: pass a whole number >= 1")
    return int(value)


class Task:
    """The protocol every task follows (subclasses fill in the attributes and three methods).

    Attributes:
        name:        the registry name ("adding", "copy", ...)
        seq_len:     T, the number of time steps of every batch (``inputs.shape[0]``)
        input_size:  I, features per step
        output_size: O, what the network should output per step (logits, or values for "mse")
        metric:      "mse" | "accuracy" | "loss" (mean cross-entropy in nats) — what to report
        loss:        "mse" | "cross_entropy" — what to train with

    Methods to implement: ``from_seq_len``, ``batch``, ``baseline`` and ``trivial_outputs``.
    ``evaluate``, ``trivial_metric``, ``compute_loss``, ``step_loss`` and ``window_loss`` work for every
    task, through ``Batch.mask``.
    """
    name: str = ""
    seq_len: int
    input_size: int
    output_size: int
    metric: str
    loss: str

    @classmethod
    def from_seq_len(cls, seq_len: int, **options) -> "Task":
        """The task whose batches have exactly ``seq_len`` steps (used by ``make_task``)."""
        raise NotImplementedError

    def batch(self, batch_size: int, rng=None) -> Batch:
        """A fresh batch drawn from ``rng`` (a Generator, an int seed, or None: see ``as_rng``)."""
        raise NotImplementedError

    def baseline(self) -> float:
        """The ``metric`` of the trivial predictor (each task documents which and why), in
        expectation over batches. ``trivial_metric(batch)`` is what it scores on one batch."""
        raise NotImplementedError

    def trivial_outputs(self, batch: Batch) -> np.ndarray:
        """The outputs (T, B, O) of the trivial predictor whose expected metric is ``baseline()``,
        for ``batch`` (each task documents which predictor). It never looks at ``batch.targets``."""
        raise NotImplementedError(f"trivial_outputs: {type(self).__name__} does not define its trivial predictor. "
                                  f"Fix: implement trivial_outputs(batch) returning the (T, B, O) outputs of the "
                                  f"predictor whose expected metric baseline() returns")

    def trivial_metric(self, batch: Batch) -> float:
        """The ``metric`` the trivial predictor scores on ``batch`` (a batch of this task, all
        ``seq_len`` steps): ``evaluate(trivial_outputs(batch), batch)``, the same masked metric a
        model gets. Its expectation over batches is ``baseline()``; on one batch it differs by
        sampling noise, so compare a model with this, measured on the batch the model is scored on."""
        fn = f"{type(self).__name__}.trivial_metric"
        if not isinstance(batch, Batch):
            raise TypeError(f"{fn}: expected a Batch (what task.batch(batch_size, rng) returns), got "
                            f"{type(batch).__name__}. Fix: batch = task.batch(256, rng=0); "
                            f"task.trivial_metric(batch)")
        if batch.seq_len != self.seq_len:
            raise ValueError(f"{fn}: the batch has {batch.seq_len} steps, but this task's batches have "
                             f"seq_len={self.seq_len}. Fix: pass a whole batch drawn by this task's batch() "
                             f"(not a window of one, nor a batch of another task)")
        return self.evaluate(self.trivial_outputs(batch), batch)

    def __repr__(self):
        return f"{type(self).__name__}(seq_len={self.seq_len}, input_size={self.input_size}, " \
               f"output_size={self.output_size}, metric={self.metric!r})"

    # --- scoring, shared by all tasks -------------------------------------------------
    def evaluate(self, outputs, batch: Batch) -> float:
        """The task's ``metric`` (NumPy, no graph) of ``outputs`` (T, B, O) — logits for
        classification, predictions for regression — over the steps where ``batch.mask`` is True."""
        out = np.asarray(outputs.data if isinstance(outputs, Tensor) else outputs, dtype=np.float64)
        _check_outputs("evaluate", out.shape, batch, self.output_size)
        out, targets = out[batch.mask], batch.targets[batch.mask]          # (n, O) and (n,) or (n, O)
        if self.metric == "mse":
            return float(np.mean((out - targets) ** 2))
        if self.metric == "accuracy":
            return float(np.mean(out.argmax(axis=-1) == targets))
        if self.metric == "loss":
            top = out.max(axis=-1, keepdims=True)
            log_probs = out - top - np.log(np.exp(out - top).sum(axis=-1, keepdims=True))
            return float(-np.mean(log_probs[np.arange(len(targets)), targets]))
        raise ValueError(f"evaluate: unknown metric {self.metric!r}")

    def compute_loss(self, outputs: Tensor, batch: Batch) -> Tensor:
        """The training loss (a one-element Tensor): ``self.loss`` averaged over the masked steps.

        ``outputs`` (T, B, O) is the network's output at every step; the bool mask picks the
        (n, O) rows that carry a loss, so only those steps send gradients back.
        """
        _check_outputs("compute_loss", outputs.shape, batch, self.output_size)
        if not batch.mask.any():
            raise ValueError("compute_loss: this batch (or window) has no step with a loss; "
                             "check batch.mask.any() and skip backward() for it")
        if self.loss == "cross_entropy":
            return F.cross_entropy(outputs[batch.mask], batch.targets[batch.mask])
        return F.mse_loss(outputs[batch.mask], batch.targets[batch.mask])

    def step_loss(self, output_t: Tensor, batch: Batch, t: int) -> Tensor:
        """The loss of step ``t`` alone, ``output_t`` (B, O), scaled so that the step losses
        add up over all steps to ``compute_loss(outputs, batch)`` — for loops (or truncated
        BPTT) that unroll one step at a time. Only call it for t in ``batch.loss_steps``."""
        mask_t = batch.mask[t]
        if not mask_t.any():
            raise ValueError(f"step_loss: step {t} carries no loss; the loss steps are batch.loss_steps")
        per_sample = output_t[mask_t]                                      # (n_t, O)
        if self.loss == "cross_entropy":
            total = F.cross_entropy(per_sample, batch.targets[t][mask_t], reduction="sum")
        else:
            total = F.mse_loss(per_sample, batch.targets[t][mask_t], reduction="sum")
        count = int(batch.mask.sum()) * (1 if self.loss == "cross_entropy" else self.output_size)
        return total / float(count)

    def window_loss(self, outputs: Tensor, batch: Batch, start: int, stop: int) -> Tensor:
        """The loss of steps ``[start, stop)`` in one call: ``outputs`` (stop - start, B, O) are those
        steps' outputs. The sum of ``step_loss`` over them (up to rounding), so that windows covering
        the batch add up to ``compute_loss(outputs, batch)``: what ``TBPTT.run(..., window_loss=...)``
        backpropagates for a window. At least one of the steps must carry a loss."""
        mask = batch.mask[start:stop]
        expected = (stop - start, batch.batch_size, self.output_size)
        if tuple(outputs.shape) != expected:
            raise ValueError(f"window_loss: outputs must have shape (stop - start, B, O) = {expected} for steps "
                             f"[{start}, {stop}), got {tuple(outputs.shape)}. Fix: pass the outputs of those steps "
                             f"only, outputs[start:stop] of the whole sequence's")
        if not mask.any():
            raise ValueError(f"window_loss: steps [{start}, {stop}) carry no loss; the loss steps are "
                             f"batch.loss_steps")
        targets = batch.targets[start:stop]
        steps = np.flatnonzero(mask.any(axis=1))
        first, last = int(steps[0]), int(steps[-1]) + 1
        if (first, last) != (0, len(mask)):                               # only the steps with a loss
            outputs, mask, targets = outputs[first:last], mask[first:last], targets[first:last]
        if mask.all():                                                     # every entry: a reshape, no gather
            rows, targets = outputs.reshape(-1, self.output_size), targets.reshape((-1,) + targets.shape[2:])
        else:
            rows, targets = outputs[mask], targets[mask]                   # (n, O) and (n,) or (n, O)
        if self.loss == "cross_entropy":
            total = F.cross_entropy(rows, targets, reduction="sum")
        else:
            total = F.mse_loss(rows, targets, reduction="sum")
        count = int(batch.mask.sum()) * (1 if self.loss == "cross_entropy" else self.output_size)
        return total / float(count)


def _check_outputs(fn: str, shape, batch: Batch, output_size: int):
    expected = (batch.seq_len, batch.batch_size, output_size)
    if tuple(shape) != expected:
        raise ValueError(f"{fn}: outputs must have shape (T, B, O) = {expected}, got {tuple(shape)}. Fix: run the "
                         f"model over every step of batch.inputs (T, B, I) and read out output_size={output_size} "
                         f"values per step (a Linear(hidden, {output_size}) on each h_t)")


def entropy(probabilities) -> float:
    """-sum p ln p in nats (terms with p = 0 contribute 0)."""
    return -math.fsum(float(p) * math.log(p) for p in np.ravel(probabilities) if p > 0)
