r"""Pascanu, Mikolov & Bengio (2013)'s temporal-order experiment, rebuilt with the engine from the
authors' own scripts (github.com/pascanur/trainingRNNs: ``RNN.py``, ``tempOrder.py``; read, not copied).

    net = TemporalOrderRNN("smart_tanh", hidden=50, rng=np.random.default_rng(0))
    run = train_temporal_order(RunConfig(init="smart_tanh", method="sgd_cr", length=20, seed=0))
    run.solved, run.iteration, run.log        # the scripts' success test, and their log's columns

The task (``tempOrder.py``). Six one-hot input symbols: A, B (classes 0, 1) and four distractors
c, d, e, f (2..5). Every step shows a random distractor, except one step p0 in [0.1 L, 0.2 L) and
one step p1 in [0.5 L, 0.6 L) (integer parts), which show A or B. After the last step the net names
the order, one of AA, BA, AB, BB (class v0 + 2 v1, a softmax over 4): the first symbol must be kept
for at least 0.3 L steps. (The script's docstring says p0 is in [1, L/10]; its code draws
[0.1 L, 0.2 L), and the code is what ran.) Chance is 3/4 errors.

The net (``RNN.py``): h_t = f(W_hh h_(t-1) + W_ih u_t + b_h), y = softmax(W_hy h_L + b_y), h_0 = 0,
f the logistic sigmoid or tanh. (The scripts multiply row vectors, h_(t-1) W; this module uses
PyTorch's layout, ``weight_hh`` = that W transposed: the same net.) Three initialisations:

- ``sigmoid``:    every weight ~ N(0, 0.01²), f = sigmoid;
- ``basic_tanh``: every weight ~ N(0, 0.1²), f = tanh;
- ``smart_tanh``: N(0, 0.01²), then W_hh kept sparse (15 nonzero weights out of each unit) and
  rescaled to spectral radius 0.95; f = tanh. Biases start at 0.

Training: plain SGD (no momentum), learning rate 0.01, 20 sequences per update; the loss is the
cross-entropy at the last step. Three methods:

- ``sgd``:    the gradient as is;
- ``sgd_c``:  clipping by rescaling: g <- g * 1.0 / ||g|| when ||g|| > 1.0, plus the scripts'
  **NaN/Inf safeguard**: when ||g|| is NaN, Inf, negative or above 1e10, the step is replaced by
  W_hh <- W_hh - lr * 0.02 W_hh and nothing else moves (the scripts do this only with clipping on);
- ``sgd_cr``: as ``sgd_c``, with alpha * dΩ/dW_hh added to W_hh's gradient before clipping
  (alpha = 2, the scripts' default).

Ω, the regulariser (``omega``). With d_k = ∂C/∂h_k, the gradient that reaches step k, one step
further back it becomes d_k ∂h_k/∂h_(k-1) = (d_k ⊙ f'(a_k)) W_hh. Ω asks that this step neither
shrink nor grow the gradient's norm:

    Ω = Σ_k mean_b ( ||(d_k ⊙ f'_k) W_hh||² / ||d_k||² - 1 )²  /  Σ_k (fraction of b with ||d_k||² >= 1e-20)

— the scripts' form: a ratio of *squared* norms (the paper writes the ratio of norms), samples
whose ||d_k||² is below 1e-20 count as ratio 1, and (as in the scripts, which take dΩ/dW_hh with
d_k and h_k as free symbols and substitute them afterwards) d_k and h_k are held constant: only the
W_hh written in the formula is differentiated. So Ω is built here as a second, small graph over
W_hh from the first backward pass's d_k (``retain_grad`` on every h_k), and ``Ω.backward()``
differentiates that ratio of gradient norms again, into W_hh.grad.

Success (``RNN.py``): every ``check_every`` updates, draw a fresh validation set and count the
sequences whose arg-max class is wrong; the run has solved the task when that count is 0 (the
scripts stop at an error below 0.0001 %, over 10,000 sequences). Logged as the scripts log: train
cost, validation error, the mean gradient norm, ρ(W_hh), Ω and the fraction of steps Ω used.
"""
import dataclasses
import math
import time

import numpy as np

from ..core import Tensor, no_grad
from ..nn import functional as F

INITS = ("sigmoid", "basic_tanh", "smart_tanh")
METHODS = ("sgd", "sgd_c", "sgd_cr")
METHOD_NAMES = {"sgd": "SGD", "sgd_c": "SGD + clipping", "sgd_cr": "SGD + clipping + Ω"}
N_SYMBOLS, N_CLASSES = 6, 4
DTYPE = np.float64        # not the scripts' float32: see RunConfig
#: the scripts' constants: Ω's floor on ||d_k||², the safeguard's test and its shrink factor
OMEGA_BOUND, SAFEGUARD_NORM, SAFEGUARD_SHRINK = 1e-20, 1e10, 0.02


def temporal_order_batch(length: int, batch: int, rng: np.random.Generator):
    """One batch: inputs (L, B, 6) float64 one-hot, targets (B,) int64 in 0..3 (v0 + 2 v1)."""
    if length < 10:
        raise ValueError(f"temporal_order_batch: length must be >= 10 (0.1 L must be a whole step), got {length}")
    tenth = int(length * 0.1)
    p0 = rng.integers(0, tenth, size=batch) + tenth
    p1 = rng.integers(0, tenth, size=batch) + int(length * 0.5)
    v0, v1 = rng.integers(0, 2, size=batch), rng.integers(0, 2, size=batch)
    symbols = rng.integers(2, N_SYMBOLS, size=(length, batch))
    samples = np.arange(batch)
    symbols[p0, samples], symbols[p1, samples] = v0, v1
    inputs = np.eye(N_SYMBOLS, dtype=DTYPE)[symbols]
    return inputs, (v0 + 2 * v1).astype(np.int64)


class TemporalOrderRNN:
    """The scripts' net as engine tensors: ``weight_ih`` (H, 6), ``weight_hh`` (H, H), ``bias_h`` (H,),
    ``weight_hy`` (4, H), ``bias_y`` (4,), float64, initialised by ``init`` (see the module docstring)."""

    def __init__(self, init: str, hidden: int = 50, rng: np.random.Generator | None = None):
        if init not in INITS:
            raise ValueError(f"TemporalOrderRNN: init must be one of {', '.join(INITS)}, got {init!r}")
        rng = np.random.default_rng(0) if rng is None else rng
        scale = 0.1 if init == "basic_tanh" else 0.01
        W_uh = rng.normal(0.0, scale, size=(N_SYMBOLS, hidden))          # the scripts' row-vector layout
        W_hh = rng.normal(0.0, scale, size=(hidden, hidden))
        if init == "smart_tanh":
            for unit in range(hidden):                  # keep 15 outgoing weights of each unit
                W_hh[unit, rng.permutation(hidden)[15:]] = 0.0
            W_hh *= 0.95 / np.max(np.abs(np.linalg.eigvals(W_hh)))
        W_hy = rng.normal(0.0, scale, size=(hidden, N_CLASSES))
        self.init, self.hidden = init, hidden
        self.activation = "sigmoid" if init == "sigmoid" else "tanh"
        self.weight_ih = Tensor(W_uh.T.astype(DTYPE), requires_grad=True, name="W_ih")
        self.weight_hh = Tensor(W_hh.T.astype(DTYPE), requires_grad=True, name="W_hh")
        self.bias_h = Tensor(np.zeros(hidden, DTYPE), requires_grad=True, name="b_h")
        self.weight_hy = Tensor(W_hy.T.astype(DTYPE), requires_grad=True, name="W_hy")
        self.bias_y = Tensor(np.zeros(N_CLASSES, DTYPE), requires_grad=True, name="b_y")

    def parameters(self):
        return [self.weight_ih, self.weight_hh, self.bias_h, self.weight_hy, self.bias_y]

    def forward(self, inputs: np.ndarray, keep_states: bool = False):
        """Logits (B, 4) after the last of ``inputs`` (L, B, 6); with ``keep_states``, also [h_1 ... h_L]
        with ``retain_grad`` set (their .grad after backward is d_k = ∂C/∂h_k)."""
        L, B, _ = inputs.shape
        x = Tensor(inputs.reshape(L * B, N_SYMBOLS), dtype=DTYPE) @ self.weight_ih.T + self.bias_h      # (L*B, H): one matmul
        x = x.reshape(L, B, self.hidden)
        h, states = None, []
        for t in range(L):
            a = x[t] if h is None else x[t] + h @ self.weight_hh.T
            h = a.sigmoid() if self.activation == "sigmoid" else a.tanh()
            if keep_states:
                h.retain_grad()
                states.append(h)
        logits = h @ self.weight_hy.T + self.bias_y
        return (logits, states) if keep_states else logits

    def errors(self, inputs: np.ndarray, targets: np.ndarray) -> int:
        """How many sequences the net classifies wrongly (no graph)."""
        with no_grad():
            logits = self.forward(inputs)
        return int(np.sum(np.argmax(logits.data, axis=1) != targets))

    def spectral_radius(self) -> float:
        return float(np.max(np.abs(np.linalg.eigvals(self.weight_hh.data.astype(np.float64)))))


def omega(net: TemporalOrderRNN, states) -> tuple:
    """The regulariser Ω over W_hh (a tensor with a graph to ``net.weight_hh``), from the states h_k
    of the last backward pass and their gradients d_k (held constant; see the module docstring).
    Returns (Ω, fraction of (step, sample) pairs with ||d_k||² >= 1e-20)."""
    d = np.stack([h.grad for h in states]).astype(DTYPE)                 # (L, B, H) = ∂C/∂h_k
    h = np.stack([s.data for s in states])
    slope = h * (1 - h) if net.activation == "sigmoid" else 1 - h * h         # f'(a_k) from h_k
    L, B, H = d.shape
    back = Tensor((d * slope).reshape(L * B, H)) @ net.weight_hh             # one step further back
    grown = (back * back).sum(dim=1).reshape(L, B)                            # ||(d_k ⊙ f'_k) W_hh||²
    norm2 = np.sum(d.astype(np.float64) ** 2, axis=2)                         # ||d_k||², (L, B)
    used = norm2 >= OMEGA_BOUND
    ratio = grown * Tensor(np.where(used, 1.0 / np.where(used, norm2, 1.0), 0.0).astype(DTYPE))
    ratio = ratio + Tensor(np.where(used, 0.0, 1.0).astype(DTYPE))       # unused pairs: ratio 1
    penalty = ((ratio - 1.0) ** 2).mean(dim=1).sum()
    fraction = used.mean(axis=1)                                              # (L,)
    count = float(fraction.sum())
    return penalty * (1.0 / count if count > 0 else 0.0), float(fraction.mean())


@dataclasses.dataclass
class RunConfig:
    """One training run. The scripts' values where they have one: hidden 50, batch 20, lr 0.01,
    alpha 2, clipping at 1; ``length`` fixed (the scripts can also draw it per batch);
    ``max_updates``, ``check_every`` and ``valid_size`` scaled down (scripts: 5e6, 20 and 10,000).
    Float64, not the scripts' float32 (``DTYPE``): the comparison is of methods, not of rounding."""
    init: str = "smart_tanh"
    method: str = "sgd_cr"
    length: int = 20
    seed: int = 0
    hidden: int = 50
    batch: int = 20
    lr: float = 0.01
    alpha: float = 2.0
    cutoff: float = 1.0
    max_updates: int = 1000
    check_every: int = 50
    valid_size: int = 1000


@dataclasses.dataclass
class Run:
    config: RunConfig
    solved: bool
    iteration: int | None        # the update at which the validation error was first 0
    updates: int                 # updates made
    safeguard_steps: int         # updates the NaN/Inf safeguard replaced
    non_finite: bool             # the loss or a weight became NaN/Inf (possible without the safeguard)
    seconds: float               # wall-clock
    cpu_seconds: float           # this process's CPU time (what a shared machine's load changes least)
    log: list                    # one dict per check: iteration, train_cost, valid_error, grad_norm, rho, omega, ...


def train_temporal_order(config: RunConfig, on_check=None) -> Run:
    """Train one net as the scripts do (see the module docstring); stop once solved."""
    if config.init not in INITS or config.method not in METHODS:
        raise ValueError(f"train_temporal_order: init must be one of {', '.join(INITS)} and method one of "
                         f"{', '.join(METHODS)}, got {config.init!r}, {config.method!r}")
    start, cpu = time.perf_counter(), time.process_time()
    rng = np.random.default_rng(config.seed)
    net = TemporalOrderRNN(config.init, config.hidden, rng)
    params = net.parameters()
    valid_rng = np.random.default_rng([config.seed, 1])
    log, pending = [], {"cost": [], "norm": [], "omega": [], "used": []}
    solved_at, safeguard_steps, non_finite, n = None, 0, False, 0
    for n in range(1, config.max_updates + 1):
        inputs, targets = temporal_order_batch(config.length, config.batch, rng)
        for p in params:
            p.grad = None
        keep = config.method == "sgd_cr" or n % config.check_every == 0      # Ω needs the states' gradients
        out = net.forward(inputs, keep_states=keep)
        logits, states = out if keep else (out, [])
        cost = F.cross_entropy(logits, targets)
        cost.backward()
        weight_hh_grad = net.weight_hh.grad.copy()
        if keep:                                           # sgd_cr at every update; the others log it at each check
            penalty, used = omega(net, states)
            pending["omega"].append(float(penalty.data))
            pending["used"].append(used)
        del states
        if config.method == "sgd_cr":
            net.weight_hh.grad = None
            penalty.backward()                             # dΩ/dW_hh, into weight_hh.grad
            weight_hh_grad = weight_hh_grad + config.alpha * net.weight_hh.grad
        grads = [weight_hh_grad if p is net.weight_hh else p.grad for p in params]
        norm, action = sgd_update(net, grads, config)
        safeguard_steps += action == "safeguard"
        pending["cost"].append(float(cost.data))
        pending["norm"].append(norm)
        if not all(np.isfinite(p.data).all() for p in params) or not math.isfinite(float(cost.data)):
            non_finite = True
        if n % config.check_every == 0 or non_finite:
            valid_inputs, valid_targets = temporal_order_batch(config.length, config.valid_size, valid_rng)
            wrong = config.valid_size if non_finite else net.errors(valid_inputs, valid_targets)
            record = {"iteration": n, "train_cost": _mean(pending["cost"]), "valid_error": wrong / config.valid_size,
                      "grad_norm": _mean(pending["norm"]), "rho": net.spectral_radius() if not non_finite else math.nan,
                      "omega": _mean(pending["omega"]), "omega_used": _mean(pending["used"]),
                      "safeguard_steps": safeguard_steps}
            log.append(record)
            pending = {key: [] for key in pending}
            if on_check:
                on_check(record)
            if wrong == 0 and not non_finite:
                solved_at = n
                break
            if non_finite:
                break
    return Run(config, solved_at is not None, solved_at, n, safeguard_steps, non_finite,
               time.perf_counter() - start, time.process_time() - cpu, log)


def sgd_update(net: TemporalOrderRNN, grads, config: RunConfig) -> tuple:
    """One update of ``net.parameters()`` with ``grads`` (arrays, in that order) as ``config.method`` does
    it; returns (||g||, what was done: "plain", "clipped" or "safeguard"). With clipping on (``sgd_c``,
    ``sgd_cr``), a norm that is NaN, Inf or above 1e10 triggers the scripts' safeguard: W_hh <- W_hh -
    lr * 0.02 W_hh, every other parameter left as it is."""
    params = net.parameters()
    norm = math.sqrt(sum(float(np.sum(np.square(g, dtype=np.float64))) for g in grads))
    action = "plain"
    if config.method != "sgd":
        if not math.isfinite(norm) or norm > SAFEGUARD_NORM:
            action = "safeguard"
            grads = [SAFEGUARD_SHRINK * net.weight_hh.data if p is net.weight_hh else np.zeros_like(p.data)
                     for p in params]
        elif norm > config.cutoff:
            action = "clipped"
            grads = [g * (config.cutoff / norm) for g in grads]
    for p, g in zip(params, grads):
        p.data -= (config.lr * g).astype(p.data.dtype)
    return norm, action


def safeguard_demo(seed: int = 0) -> dict:
    """The safeguard at work: a smart_tanh net whose read-out is scaled by 1e12 has a gradient norm far
    above 1e10 (finite). One update of each method from the same net and batch: plain SGD takes the
    huge step; with clipping on, the safeguard shrinks W_hh by 1 - lr * 0.02 and moves nothing else."""
    out = {}
    for method in ("sgd", "sgd_c"):
        config = RunConfig(init="smart_tanh", method=method, seed=seed)
        net = TemporalOrderRNN("smart_tanh", config.hidden, np.random.default_rng(seed))
        net.weight_hy.data *= 1e12
        before = [p.data.copy() for p in net.parameters()]
        inputs, targets = temporal_order_batch(config.length, config.batch, np.random.default_rng(seed))
        F.cross_entropy(net.forward(inputs), targets).backward()
        norm, action = sgd_update(net, [p.grad for p in net.parameters()], config)
        after = [p.data for p in net.parameters()]
        out[method] = {"norm": norm, "action": action,
                       "weight_hh_ratio": float(np.median(after[1][before[1] != 0] / before[1][before[1] != 0])),
                       "others_moved": float(max(np.max(np.abs(a - b)) for i, (a, b) in enumerate(zip(after, before))
                                                 if i != 1)),
                       "largest_step": float(max(np.max(np.abs(a - b)) for a, b in zip(after, before)))}
    return out


def _mean(values) -> float:
    values = [v for v in values if math.isfinite(v)]
    return float(np.mean(values)) if values else math.nan
