"""One training step of a character-level recurrent model, five ways, from the same weights.

The task: vocabulary V = 65, one-hot inputs x_t (B, V), a cell of H units, a Linear read-out
to V classes and softmax cross-entropy at every step; the loss is the mean over all T*B
predictions. One step = forward over T steps + backward + SGD update, in float32 by default.

Variants (the columns of the table):

- ``engine_cells``  (a) this engine's cell loop: ``nn.LSTMCell`` (etc.) + ``nn.Linear`` +
  ``F.cross_entropy`` at each step — the path a learner draws;
- ``engine_layer``  (b) this engine's sequence layer ``nn.LSTM`` (etc.) on the (T, B, V) input, then
  one ``Linear`` + ``cross_entropy`` over all T*B rows;
- ``numpy``         (c) the hand-written NumPy model with manual BPTT (``numpy_reference.py``);
- ``torch_cells``   (d) PyTorch's cell loop, the very code of (a) run with torch's modules;
- ``torch_fused``   (e) PyTorch's ``nn.LSTM`` (etc.), the very code of (b) run with torch.

(a)/(d) and (b)/(e) share one step function each: the engine and torch have the same names and
signatures, so only the ``Backend`` (which library's nn/F/optim) differs.
"""
import dataclasses
import functools

import numpy as np

import numpy_reference
import tinygrad_rnn as tg

from . import measure

VOCAB = 65
LR = 0.05

#: variant key -> column label
VARIANTS = {"engine_cells": "(a) cells", "engine_layer": "(b) layer", "numpy": "(c) numpy",
            "torch_cells": "(d) torch cells", "torch_fused": "(e) torch fused"}
#: the ratios reported for every configuration, as (numerator, denominator)
RATIOS = [("engine_cells", "numpy"), ("engine_layer", "numpy"), ("engine_cells", "torch_cells"),
          ("engine_layer", "torch_fused"), ("torch_cells", "numpy"), ("torch_fused", "numpy")]
CELL_CLASSES = {"rnn": "RNNCell", "lstm": "LSTMCell", "gru": "GRUCell"}
LAYER_CLASSES = {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}


@dataclasses.dataclass(frozen=True)
class Config:
    """One point of the grid: cell kind, hidden size H, sequence length T, batch size B."""
    cell: str
    H: int
    T: int
    B: int

    @property
    def label(self) -> str:
        return f"{self.cell} H={self.H} T={self.T} B={self.B}"


def grid(cells, Hs, Ts, Bs) -> list:
    return [Config(c, H, T, B) for c in cells for H in Hs for T in Ts for B in Bs]


def ratio_key(numerator: str, denominator: str) -> str:
    return f"{numerator}/{denominator}"


# --- data and weights -----------------------------------------------------------------------------

def make_data(config: Config, dtype=np.float32, seed: int = 0) -> tuple:
    """Random characters: inputs one-hot (T, B, V) of ``dtype``, targets (T, B) int64 (the next character)."""
    ids = np.random.default_rng(seed).integers(0, VOCAB, (config.T + 1, config.B))
    return np.eye(VOCAB, dtype=dtype)[ids[:-1]], ids[1:].copy()


def initial_weights(config: Config, dtype=np.float32, seed: int = 0) -> dict:
    """The shared starting weights, drawn by the engine's own initialisation (PyTorch's), under
    numpy_reference's names: ``cell.weight_ih`` ... ``readout.bias``."""
    rng = np.random.default_rng(seed)
    cell = getattr(tg.nn, CELL_CLASSES[config.cell])(VOCAB, config.H, dtype=dtype, generator=rng)
    readout = tg.nn.Linear(config.H, VOCAB, dtype=dtype, generator=rng)
    return {f"{prefix}.{name}": value for prefix, module in (("cell", cell), ("readout", readout))
            for name, value in module.state_dict().items()}


# --- the two libraries behind one interface ---------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Backend:
    """What differs between the engine and torch: the modules ``nn``, ``F``, ``optim``, how an
    ndarray becomes a tensor, and the library's name for a NumPy float dtype."""
    name: str
    nn: object
    F: object
    optim: object
    tensor: object
    dtype: object


def engine_backend() -> Backend:
    return Backend("engine", tg.nn, tg.functional, tg.optim, tg.tensor, lambda dtype: dtype)


def torch_backend(torch) -> Backend:
    dtypes = {np.dtype(np.float32): torch.float32, np.dtype(np.float64): torch.float64}
    return Backend("torch", torch.nn, torch.nn.functional, torch.optim, torch.from_numpy,
                   lambda dtype: dtypes[np.dtype(dtype)])


def build_modules(backend: Backend, config: Config, weights: dict, dtype, layer: bool) -> tuple:
    """(recurrent module, read-out) of ``backend`` holding ``weights``: a cell, or with ``layer`` the
    one-layer sequence module (whose parameters are the cell's names + ``_l0``, as in PyTorch)."""
    class_name = (LAYER_CLASSES if layer else CELL_CLASSES)[config.cell]
    core = getattr(backend.nn, class_name)(VOCAB, config.H, dtype=backend.dtype(dtype))
    readout = backend.nn.Linear(config.H, VOCAB, dtype=backend.dtype(dtype))
    suffix = "_l0" if layer else ""
    for prefix, module, rename in (("cell.", core, lambda name: name + suffix), ("readout.", readout, str)):
        module.load_state_dict({rename(name[len(prefix):]): backend.tensor(value.copy())
                                for name, value in weights.items() if name.startswith(prefix)})
    return core, readout


# --- the step closures ------------------------------------------------------------------------------

def cell_loop_step(backend: Backend, cell, readout, optimizer, xs: np.ndarray, targets: np.ndarray):
    """(a) and (d): unroll the cell in Python, a read-out and a cross-entropy at every step."""
    inputs = [backend.tensor(x) for x in xs]
    labels = [backend.tensor(y) for y in targets]
    F = backend.F

    def step():
        optimizer.zero_grad()
        state, total = None, None
        for x, y in zip(inputs, labels):
            state = cell(x, state)
            h = state[0] if isinstance(state, tuple) else state     # the LSTM's state is (h, c)
            loss_t = F.cross_entropy(readout(h), y)                  # mean over the batch
            total = loss_t if total is None else total + loss_t
        loss = total / len(inputs)
        loss.backward()
        optimizer.step()
        return loss
    return step


def layer_step(backend: Backend, layer, readout, optimizer, xs: np.ndarray, targets: np.ndarray):
    """(b) and (e): the sequence layer over (T, B, V), then one read-out and cross-entropy over T*B rows."""
    T, B, _ = xs.shape
    inputs, labels = backend.tensor(xs), backend.tensor(targets.reshape(T * B))
    F = backend.F

    def step():
        optimizer.zero_grad()
        output, _ = layer(inputs)                                    # (T, B, H)
        loss = F.cross_entropy(readout(output.reshape(T * B, output.shape[-1])), labels)
        loss.backward()
        optimizer.step()
        return loss
    return step


def numpy_step(config: Config, weights: dict, xs: np.ndarray, targets: np.ndarray):
    """(c): numpy_reference.train_step on a private copy of the weights."""
    params = {name: value.copy() for name, value in weights.items()}
    return functools.partial(numpy_reference.train_step, config.cell, params, xs, targets, LR)


def build_step(variant: str, config: Config, weights: dict, data: tuple, dtype=np.float32, torch=None):
    """The zero-argument ``step()`` of ``variant`` (one of VARIANTS): one training step from
    ``weights`` on ``data`` = (xs, targets), returning the loss before the update."""
    if variant == "numpy":
        return numpy_step(config, weights, *data)
    backend = torch_backend(torch) if variant.startswith("torch") else engine_backend()
    layer = variant.endswith(("layer", "fused"))
    core, readout = build_modules(backend, config, weights, dtype, layer)
    optimizer = backend.optim.SGD([*core.parameters(), *readout.parameters()], lr=LR)
    return (layer_step if layer else cell_loop_step)(backend, core, readout, optimizer, *data)


def available_variants(torch) -> list:
    return [v for v in VARIANTS if torch is not None or not v.startswith("torch")]


# --- measuring one configuration ----------------------------------------------------------------------

def run_config(config: Config, repeats: int, min_sample_seconds: float, torch=None, dtype=np.float32) -> dict:
    """Time every available variant on ``config``, interleaved; medians (and minima, and every
    sample) in ms, and the ratios of the medians.

    The first (warm-up) call of each variant starts from the same weights, so the losses it
    returns must agree: ``losses_agree`` is a check that the variants compute the same thing.
    """
    data, weights = make_data(config, dtype), initial_weights(config, dtype)
    steps = {v: build_step(v, config, weights, data, dtype, torch) for v in available_variants(torch)}
    first_loss, numbers, samples = measure.time_steps(steps, repeats, min_sample_seconds)
    median = measure.medians(samples)
    return {**dataclasses.asdict(config),
            "median_ms": {v: seconds * 1e3 for v, seconds in median.items()},
            "min_ms": {v: min(values) * 1e3 for v, values in samples.items()},
            "samples_ms": {v: [seconds * 1e3 for seconds in values] for v, values in samples.items()},
            "calls_per_sample": numbers,
            "ratios": {ratio_key(a, b): median[a] / median[b] for a, b in RATIOS if a in median and b in median},
            "first_loss": first_loss,
            "losses_agree": measure.losses_agree(first_loss, "numpy")}
