"""The engine's four headline targets, measured together in one run: four ratios against their
yardsticks, each from its own interleaved timing.

1. A training step of ``train.SequenceModel("lstm", ...)`` (forward, loss, backward, SGD) against
   the same step written by hand in NumPy (``numpy_reference``), same sizes, weights and loss, for
   two losses:

   - ``last_mse``: the adding problem (``make_task("adding")``, I = 2, O = 1), the MSE between the
     output at the last step and the target sum (B, 1); the gradient enters at step T only;
   - ``cross_entropy``: the text-like task of ``training`` (V = 65 one-hot inputs and classes),
     cross-entropy at every step.

   When ``SequenceModel`` takes the keyword ``fused``, both ``fused=True`` (one node per step, the
   default, the one the target is on) and ``fused=False`` (every op a node) are timed; otherwise
   the model is timed as it is (``default``). Beside them, the routes ``train`` and a learner's
   loop take, from the same weights with the same SGD step:

   - ``tbptt``: ``TBPTT(T).run(model, inputs, window_loss=..., loss_steps=...)`` with the task's
     ``window_loss``, exactly as ``train`` calls it for a batch task (full BPTT, its default): the
     window run the layer's way and its loss in one call;
   - ``tbptt_steps``: the same with ``step_loss=`` (the task's ``step_loss``): ``model.step`` once
     per step and a loss node per step, as a learner's own loop (chapter 6, exercise 12) does.
2. and 3. The ``LSTMCell`` loop (every op a node) and ``nn.LSTM``, each against NumPy:
   ``training.run_config`` on one LSTM configuration, without torch.
4. The per-op overhead against the minimal autograd: ``overhead.per_op``.

The tables and the verdicts (met / not met) are in ``report``.
"""
import functools
import inspect

import numpy as np

import numpy_reference
import tinygrad_rnn as tg
from tinygrad_rnn.tasks import Batch, Task, make_task
from tinygrad_rnn.train import TBPTT, SequenceModel

from . import measure, overhead, training

LOSSES = {"last_mse": "adding problem, MSE at the last step", "cross_entropy": "cross-entropy at every step"}


def sequence_model_variants() -> dict:
    """Variant name -> ``SequenceModel`` keywords: ``fused=True`` and ``fused=False`` when the class
    takes ``fused`` (the default first), else its one path as it is."""
    if "fused" in inspect.signature(SequenceModel).parameters:
        return {"fused": {"fused": True}, "every_op": {"fused": False}}
    return {"default": {}}


class Characters(Task):
    """The cross-entropy problem as a task: V classes, a loss at every step (for ``Task.window_loss`` and
    ``Task.step_loss``, which ``train`` calls)."""
    name, metric, loss = "characters", "loss", "cross_entropy"

    def __init__(self, T: int, V: int = training.VOCAB):
        self.seq_len, self.input_size, self.output_size = T, V, V


def task_and_batch(loss: str, xs: np.ndarray, targets: np.ndarray) -> tuple:
    """(task, Batch) of ``make_problem``'s data, as ``train`` hands them to ``TBPTT.run``."""
    T, B, _ = xs.shape
    if loss == "last_mse":
        full = np.zeros((T, B, 1), xs.dtype)
        full[-1] = targets
        mask = np.zeros((T, B), bool)
        mask[-1] = True
        return make_task("adding", seq_len=T), Batch(xs, full, mask)
    return Characters(T, xs.shape[-1]), Batch(xs, targets, np.ones((T, B), bool))


def tbptt_step(route: str, loss: str, weights: dict, xs: np.ndarray, targets: np.ndarray):
    """``TBPTT(T).run`` over the batch, as ``train`` calls it (``route`` "window_loss") or one step at a time
    (``route`` "step_loss"), an SGD step after the window's backward."""
    (_, I), (O, H) = weights["cell.weight_ih"].shape, weights["readout.weight"].shape
    T = xs.shape[0]
    model = SequenceModel("lstm", I, H, O, dtype=xs.dtype)
    model.load_state_dict(weights)
    optimizer = tg.optim.SGD(model.parameters(), lr=training.LR)
    task, batch = task_and_batch(loss, xs, targets)
    if route == "window_loss":
        losses = {"window_loss": lambda outputs, start, stop: task.window_loss(outputs, batch, start, stop)}
    else:
        losses = {"step_loss": lambda y, t: task.step_loss(y, batch, t)}

    def step():
        total = 0.0
        for _, value in TBPTT(T).run(model, batch.inputs, loss_steps=batch.loss_steps, **losses):
            total += value.item()
            optimizer.step()
            optimizer.zero_grad()
        return total
    return step


def make_problem(loss: str, H: int, T: int, B: int, dtype=np.float32, seed: int = 0) -> tuple:
    """(inputs (T, B, I), targets, initial weights under numpy_reference's names) for ``loss``:
    the adding problem's (B, 1) sums, or the next characters (T, B) of ``training.make_data``."""
    if loss == "last_mse":
        batch = make_task("adding", seq_len=T).batch(B, rng=seed)
        xs, targets, sizes = batch.inputs.astype(dtype), batch.targets[-1].astype(dtype), (2, 1)
    else:
        xs, targets = training.make_data(training.Config("lstm", H, T, B), dtype, seed)
        sizes = (training.VOCAB, training.VOCAB)
    model = SequenceModel("lstm", sizes[0], H, sizes[1], dtype=dtype, generator=np.random.default_rng(seed))
    return xs, targets, dict(model.state_dict())


def sequence_model_step(options: dict, loss: str, weights: dict, xs: np.ndarray, targets: np.ndarray):
    """The engine's ``step()``: a ``SequenceModel(**options)`` holding ``weights``, trained by SGD."""
    (_, I), (O, H) = weights["cell.weight_ih"].shape, weights["readout.weight"].shape
    T, B, _ = xs.shape
    model = SequenceModel("lstm", I, H, O, dtype=xs.dtype, **options)
    model.load_state_dict(weights)
    optimizer = tg.optim.SGD(model.parameters(), lr=training.LR)
    inputs = tg.tensor(xs)
    labels = tg.tensor(targets if loss == "last_mse" else targets.reshape(T * B))

    def step():
        optimizer.zero_grad()
        outputs, _ = model(inputs)                                   # (T, B, O)
        if loss == "last_mse":
            value = tg.functional.mse_loss(outputs[-1], labels)
        else:
            value = tg.functional.cross_entropy(outputs.reshape(T * B, O), labels)
        value.backward()
        optimizer.step()
        return value
    return step


def run_sequence_model(loss: str, H: int, T: int, B: int, repeats: int, min_sample_seconds: float,
                       dtype=np.float32) -> dict:
    """Time every ``SequenceModel`` variant and NumPy on ``loss``, interleaved, from the same weights."""
    xs, targets, weights = make_problem(loss, H, T, B, dtype)
    steps = {name: sequence_model_step(options, loss, weights, xs, targets)
             for name, options in sequence_model_variants().items()}
    steps["tbptt"] = tbptt_step("window_loss", loss, weights, xs, targets)
    steps["tbptt_steps"] = tbptt_step("step_loss", loss, weights, xs, targets)
    params = {name: value.copy() for name, value in weights.items()}
    steps["numpy"] = functools.partial(numpy_reference.train_step, "lstm", params, xs, targets, training.LR, loss)
    first_loss, numbers, samples = measure.time_steps(steps, repeats, min_sample_seconds)
    median = measure.medians(samples)
    engine = [name for name in steps if name != "numpy"]
    return {"loss": loss, "H": H, "T": T, "B": B,
            "median_ms": {name: seconds * 1e3 for name, seconds in median.items()},
            "samples_ms": {name: [seconds * 1e3 for seconds in values] for name, values in samples.items()},
            "calls_per_sample": numbers,
            "ratios": {f"{name}/numpy": median[name] / median["numpy"] for name in engine},
            "spreads": {f"{name}/numpy": measure.ratio_spread(samples, name, "numpy") for name in engine},
            "first_loss": first_loss, "losses_agree": measure.losses_agree(first_loss, "numpy")}


def run(sequence_sizes: tuple, layer_sizes: tuple, repeats: int, min_sample_seconds: float, chain_ops: int,
        overhead_repeats: int) -> dict:
    """All four targets' measurements: ``sequence_sizes`` and ``layer_sizes`` are (H, T, B)."""
    return {"sequence_model": [run_sequence_model(loss, *sequence_sizes, repeats, min_sample_seconds)
                               for loss in LOSSES],
            "lstm": training.run_config(training.Config("lstm", *layer_sizes), repeats, min_sample_seconds),
            "overhead": overhead.per_op(chain_ops, overhead_repeats)}
