"""Sequence tasks that need memory: data generators returning NumPy arrays, time-major.

    from tinygrad_rnn.tasks import make_task
    task = make_task("adding", seq_len=100)
    inputs, targets, mask = task.batch(32, rng=np.random.default_rng(0))

The tasks, each in its own module with its trivial baseline derived in the docstring:

| name          | class             | what must be remembered                           | metric   | baseline         |
|---------------|-------------------|---------------------------------------------------|----------|------------------|
| ``adding``    | ``AddingTask``    | two marked values, to output their sum at the end | mse      | 1/6              |
| ``copy``      | ``CopyTask``      | 10 symbols, to write them back after a delay      | loss     | 10 ln 8 / (T+20) |
| ``agreement`` | ``AgreementTask`` | the subject's number, to choose "is" or "are"     | accuracy | 0.5              |
| ``text``      | ``TextTask``      | the text so far, to predict the next character    | loss     | unigram entropy  |

``TextStream`` (``tasks/stream.py``) reads one long text in order instead: B parallel tracks, window
after window, for truncated BPTT with the state carried (``train.stream_update``; ``train --stream``).

The design: one batch = three arrays (a ``Batch`` named tuple)
----------------------------------------------------------------
- ``inputs``  (T, B, I) float32 — time-major, as PyTorch's RNN default; step t is ``inputs[t]``.
- ``targets`` — also time-major, one target per step, whether or not that step is scored:
  (T, B) int64 class indices for the classification tasks, with ``IGNORE_INDEX`` = -1
  where there is no loss; (T, B, O) float32 for regression (the adding task), 0.0 there.
- ``mask``    (T, B) bool — True exactly at the (step, sample) pairs that carry the loss and
  the metric. (For classification, ``mask == (targets != -1)``.)

Keeping everything per step makes every task look the same to a training loop: run the
network over all T steps, get outputs (T, B, O), keep the rows the mask picks::

    out = model(Tensor(batch.inputs))                    # (T, B, O)
    loss = task.compute_loss(out, batch)                 # F.cross_entropy / F.mse_loss on out[mask]
    task.evaluate(out, batch)                            # the metric, a float, same steps

The adding and agreement tasks score only the last step, the copy and text tasks every step;
the loop does not need to know.

Truncated BPTT cuts the time axis into windows, and the arrays cut with it:
``batch.window(start, stop)`` (or ``batch.windows(k)``) slices all three, and the window's
mask says which of its steps carry loss (``window.mask.any()`` is False for a window with
none: carry the state on, call no backward). ``batch.loss_steps`` lists the scored steps, and
``task.step_loss(y_t, batch, t)`` is the loss of one step, scaled so the step losses add up
to ``compute_loss`` over the whole batch — together they fit ``TBPTT.run`` in
``tinygrad_rnn/train/truncation.py``::

    tbptt.run(model, batch.inputs, lambda y_t, t: task.step_loss(y_t, batch, t),
              loss_steps=batch.loss_steps)

or, a window's steps at once (what ``train`` does: the model over the window, one loss call),
``task.window_loss(outputs, batch, start, stop)``, the sum of those steps' ``step_loss``::

    tbptt.run(model, batch.inputs, window_loss=lambda outputs, start, stop: task.window_loss(outputs, batch,
              start, stop), loss_steps=batch.loss_steps)

Every task has
--------------
``name``, ``seq_len`` (T), ``input_size`` (I), ``output_size`` (O), ``metric``
("mse" | "accuracy" | "loss" = mean cross-entropy in nats), ``loss`` ("mse" | "cross_entropy"),
``batch(batch_size, rng=None) -> Batch``, ``baseline() -> float`` (the trivial predictor's
expected metric), ``trivial_outputs(batch)`` (that predictor's outputs (T, B, O)),
``trivial_metric(batch) -> float`` (what it scores on that batch, through ``evaluate``: compare
a model with this on the batch the model is scored on) and ``from_seq_len(seq_len, **options)``.
``rng`` is a ``np.random.Generator`` (each call draws a new batch), an int seed (that seed's
batch, every time), or None (the library's default generator, which ``tinygrad_rnn.manual_seed``
resets).

``make_task(name, seq_len, **options)`` builds a task from the registry ``TASKS`` so that
``inputs.shape[0] == seq_len`` for every task (for copy this is the paper's T + 20).
"""
import inspect

from .adding import AddingTask
from .agreement import AgreementTask
from .base import IGNORE_INDEX, Batch, Task, as_rng, one_hot
from .copying import CopyTask
from .stream import TextStream
from .text import TextTask, default_text

TASKS: dict[str, type[Task]] = {
    "adding": AddingTask,
    "copy": CopyTask,
    "agreement": AgreementTask,
    "text": TextTask,
}


def make_task(name: str, seq_len: int, **options) -> Task:
    """The task ``name`` with batches of ``seq_len`` steps; ``options`` go to its ``from_seq_len``:

    - ``adding``:    none
    - ``copy``:      ``n_symbols=8, copy_length=10`` (delay T = seq_len - 2 * copy_length)
    - ``agreement``: ``min_distractor=None, attractors=True`` (distractor length seq_len - 2,
      or drawn from min_distractor .. seq_len - 2)
    - ``text``:      ``text=None`` (a str or a path; None = the bundled default text)
    """
    if name not in TASKS:
        raise ValueError(f"make_task: unknown task {name!r}; valid names: {', '.join(TASKS)}")
    allowed = [p for p in inspect.signature(TASKS[name].from_seq_len).parameters if p != "seq_len"]
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise TypeError(f"make_task: task {name!r} has no option(s) {unknown}; its options: "
                        f"{', '.join(allowed) or 'none'}")
    return TASKS[name].from_seq_len(seq_len, **options)


__all__ = ["TASKS", "make_task", "Task", "Batch", "IGNORE_INDEX", "as_rng", "one_hot",
           "AddingTask", "CopyTask", "AgreementTask", "TextTask", "TextStream", "default_text"]
