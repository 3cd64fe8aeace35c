r"""Lecture §3: gradient clipping — the worked examples, a run that falls off a cliff, and a run
where clipping has nothing to do.

    result = clipping.run(clipping.Config(seed=1))

1. **The examples.** (80, 60) clipped by norm at 10 becomes (8, 6). (8, 6) has norm exactly 10,
   and PyTorch's rule scales by max_norm / (‖g‖ + 1e-6) whenever that is below 1, so it comes
   out as (8, 6) × 10/(10 + 1e-6) = (7.9999992, 5.9999994): unchanged to within 1e-7, not
   exactly. Clipping by value caps each entry and turns (80, 60) towards the diagonal.
2. **Learning pushes the eigenvalues above 1** (Pascanu et al. 2013's cliff). A tanh RNN on
   the adding problem starts with an orthogonal W_hh scaled to ρ = 0.9 (every |λ| = 0.9 < 1,
   the vanishing side) and is trained with plain SGD at a large learning rate. Within a few
   steps an update carries ρ above 1 and the gradient BPTT sends back through time explodes:
   each iteration's gradient is measured again at the weights it was taken at, on its batch,
   and split by parameter (``gradient_split``), so W_hh's part, ‖∂L/∂W_hh‖, is shown apart
   from the read-out's. Then tanh saturates, W_hh's gradient is exactly 0, and the rest of
   the climb to the overflow is the linear read-out's own gradient-descent divergence
   (×|1 − lr·2(H + 1)| per iteration), which the claims say apart. The same run with the
   gradient clipped by norm at 1 keeps going.
3. **Clipping does nothing for vanishing gradients.** A tanh RNN with PyTorch's default W_hh
   (ρ ≈ 0.6) on the adding problem at T = 50, trained with Adam, with and without clipping at
   the lecture's typical threshold of 10: the gradient norm never reaches the threshold, so
   clipping never fires, the two runs end with bit-identical weights, and neither learns the
   task (both stay near the trivial predictor's error on the same batch).

Which iteration the unclipped run overflows at depends on the seed and on the CPU's float
rounding (the run is chaotic by then), so the claim is the robust fact: it overflows within
``iters`` iterations. The claims hold for every seed tried (0-4) and every OpenBLAS kernel.
"""
import dataclasses
import math

import numpy as np

from .. import nn, tensor
from ..analysis import spectral_radius
from ..train import TrainConfig, build_model, train
from ..train.loop import build_task
from .claims import above, at_most, below, close, equal, is_true
from .result import Result

TITLE = "Gradient clipping: the examples, a run that falls off a cliff, and one with nothing to clip"
LECTURE = "§3 gradient clipping"
CHAPTER = "05-gradient-clipping.md"


@dataclasses.dataclass
class Config:
    seed: int = 0
    # the cliff: rho(W_hh) = 0.9 at the start, SGD with a large step
    cliff: dict = dataclasses.field(default_factory=lambda: dict(
        task="adding", cell="rnn", seq_len=30, hidden=32, batch=32, optim="sgd", lr=0.3, iters=100,
        init="orthogonal", init_scale=0.9, log_every=1, eval_batch=16))
    cliff_clip: float = 1.0
    # the vanishing run: PyTorch's default W_hh, Adam, T = 50
    vanishing: dict = dataclasses.field(default_factory=lambda: dict(
        task="adding", cell="rnn", seq_len=50, hidden=32, batch=32, optim="adam", lr=1e-2, iters=100,
        log_every=10, eval_batch=256))
    vanishing_clip: float = 10.0

    def quick(self) -> "Config":
        return dataclasses.replace(self, vanishing={**self.vanishing, "iters": 40})

    def train_config(self, which: str, clip) -> TrainConfig:
        return TrainConfig(**getattr(self, which), clip=clip, seed=self.seed)


def _examples(r: Result) -> None:
    for name, grad in [("large", [80.0, 60.0]), ("small", [8.0, 6.0])]:
        g = tensor(np.array(grad), requires_grad=True)
        g.grad = np.array(grad)
        r.add(f"example_{name}.norm", nn.utils.clip_grad_norm_([g], max_norm=10.0).item(),
              f"‖({grad[0]:g}, {grad[1]:g})‖, as clip_grad_norm_ returns it", fmt=".6g")
        for i in (0, 1):
            r.add(f"example_{name}.clipped_{i}", float(g.grad[i]),
                  f"entry {i} of ({grad[0]:g}, {grad[1]:g}) after clip_grad_norm_(max_norm=10)", fmt=".8g",
                  headline=True)
        r.add(f"example_{name}.change", float(np.linalg.norm(g.grad - np.array(grad)) / np.linalg.norm(grad)),
              f"relative change of ({grad[0]:g}, {grad[1]:g}) by clipping at 10", fmt=".3g")
    r.add("example_small.pytorch_rule_0", 8.0 * 10.0 / (10.0 + 1e-6), "8 × 10/(10 + 1e-6), PyTorch's rule by hand",
          fmt=".8g")
    g.grad = np.array([80.0, 60.0])
    nn.utils.clip_grad_value_([g], clip_value=10.0)
    for i in (0, 1):
        r.add(f"example_value.clipped_{i}", float(g.grad[i]), f"entry {i} of (80, 60) after clip_grad_value_(10)",
              fmt=".6g")
    r.add("example_value.angle_before", math.degrees(math.atan2(60.0, 80.0)), "direction of (80, 60), degrees")
    r.add("example_value.angle_after", math.degrees(math.atan2(g.grad[1], g.grad[0])),
          "direction after clip_grad_value_(10), degrees")

    norm = (CHAPTER, "Clipping by norm")
    r.claim("clipping by norm at 10 turns (80, 60), norm 100, into (8, 6): the direction is kept, the length "
            "capped", norm,
            equal("example_large.norm", 100.0), close("example_large.clipped_0", 8.0, 1e-6),
            close("example_large.clipped_1", 6.0, 1e-6))
    r.claim("(8, 6) has norm exactly 10; PyTorch's rule divides by ‖g‖ + 1e-6, so it is scaled by "
            "10/(10 + 1e-6): (7.9999992, 5.9999994), unchanged to within 1e-7 but not exactly", norm,
            equal("example_small.norm", 10.0), close("example_small.clipped_0", 8.0 * 10.0 / (10.0 + 1e-6), 1e-12),
            below("example_small.change", 2e-7), above("example_small.change", 1e-8))
    r.claim("clipping by value caps each entry on its own: (80, 60) becomes (10, 10), and the direction turns "
            "from 36.9 to 45 degrees", (CHAPTER, "Clipping by value"),
            equal("example_value.clipped_0", 10.0), equal("example_value.clipped_1", 10.0),
            close("example_value.angle_before", 36.87, 0.005), close("example_value.angle_after", 45.0, 1e-9))


class _TrainingBatches:
    """A task that keeps the batches ``train`` draws for training (from the run's generator; the held-out
    batch is drawn from an int seed and is not kept): ``drawn[i - 1]`` is iteration i's batch."""

    def __init__(self, task):
        self.task, self.drawn = task, []

    def __getattr__(self, name):
        return getattr(self.task, name)

    def batch(self, batch_size, rng=None):
        batch = self.task.batch(batch_size, rng)
        if isinstance(rng, np.random.Generator):
            self.drawn.append(batch)
        return batch


def gradient_split(model, task, batch) -> dict:
    """Where one iteration's gradient is, measured on ``batch`` at ``model``'s weights (full BPTT, the
    loss ``train`` uses: the task's step losses). Returns plain floats:

    - ``total``: ‖g‖ over every parameter (what ``train`` logs as grad_norm and clipping compares);
    - ``hh``: ‖∂L/∂W_hh‖, the recurrent weight's part; ``readout``: ‖∂L/∂(W_out, b_out)‖, the read-out's;
    - ``h_T``: ‖∂L/∂h_T‖, the gradient where it enters the recurrence (the last loss step's state);
    - ``time_gain``: max over k < T of ‖∂L/∂h_k‖ / ‖∂L/∂h_T‖, h_0 included: the most the gradient grew
      on its way back through time. Above 1, it exploded through time; at most 1, it did not."""
    cell = model.cell
    state = tensor(np.zeros((batch.batch_size, cell.hidden_size)), dtype=cell.weight_hh.dtype, requires_grad=True)
    states, loss, last = [state], None, int(batch.loss_steps[-1])
    model.zero_grad()
    for t in range(last + 1):
        y, state = model.step(tensor(batch.inputs[t], dtype=cell.weight_ih.dtype), state)
        state.retain_grad()
        states.append(state)
        if batch.mask[t].any():
            step = task.step_loss(y, batch, t)
            loss = step if loss is None else loss + step
    with np.errstate(all="ignore"):
        loss.backward()
        norm = lambda a: float(np.linalg.norm(np.asarray(a, dtype=np.float64)))      # noqa: E731
        grads = {name: norm(p.grad) for name, p in model.named_parameters()}
        at_states = [norm(s.grad) if s.grad is not None else 0.0 for s in states]
    h_T = at_states[-1]
    return {"total": math.sqrt(sum(v * v for v in grads.values())), "hh": grads["cell.weight_hh"],
            "readout": math.hypot(grads["readout.weight"], grads["readout.bias"]), "h_T": h_T,
            "time_gain": max(at_states[:-1]) / h_T if h_T > 0 else math.nan}


def _cliff(r: Result, config: Config, note) -> None:
    start = build_model(config.train_config("cliff", None))
    r.add("cliff.initial_radius", spectral_radius(start.cell.weight_hh), "ρ(W_hh) at the start (orthogonal × 0.9)",
          fmt=".3g", headline=True)
    if config.cliff["log_every"] != 1:
        raise ValueError(f"clipping.Config: the cliff run measures every iteration, so cliff['log_every'] must be "
                         f"1, got {config.cliff['log_every']}")
    H, lr = config.cliff["hidden"], config.cliff["lr"]
    # A linear read-out y = W_out h + b of a state saturated at ±1 (the same for every sequence) is a least-
    # squares problem with Hessian 2 x x^T, x = (h, 1), ‖x‖² = H + 1: gradient descent multiplies its error
    # and its gradient by |1 - lr · 2(H + 1)| per step, a divergence once that is above 1.
    growth = abs(1 - lr * 2 * (H + 1))
    r.add("cliff.readout_growth_predicted", growth, f"|1 − lr·2(H + 1)| for lr {lr:g}, H = {H}: how fast gradient "
          "descent on a linear read-out of a saturated state (±1) diverges, per iteration", fmt=".3g")
    runs = {}
    for key, clip in (("unclipped", None), ("clipped", config.cliff_clip)):
        label = "without clipping" if clip is None else f"clipped by norm at {clip:g}"
        if note:
            note(f"the cliff, {label}: SGD, lr {lr:g}, up to {config.cliff['iters']} iterations")
        train_config = config.train_config("cliff", clip)
        task = _TrainingBatches(build_task(train_config))
        weights = [_weights(start)]                  # before iteration 1, then after each iteration

        def observe(model):
            weights.append(_weights(model))
            return {"radius": spectral_radius(model.cell.weight_hh)}
        with np.errstate(all="ignore"):              # the unclipped run overflows on purpose
            result = train(train_config, observe=observe, task=task)
        runs[key] = result
        # each iteration's gradient again, at the weights it was taken at, on its batch, split by where it is
        model = build_model(train_config)
        splits = []
        for i in range(len(result.history)):
            model.load_state_dict(weights[i])
            splits.append(gradient_split(model, task, task.drawn[i]))
        norms = np.array([rec["grad_norm"] for rec in result.history], dtype=np.float64)
        radii = np.array([r_["radius"] for r_ in result.history if "radius" in r_], dtype=np.float64)
        hh = np.array([s["hh"] for s in splits])
        readout = np.array([s["readout"] for s in splits])
        gains = np.array([s["time_gain"] for s in splits])
        finite = norms[np.isfinite(norms)]
        overflowed = result.stopped is not None
        r.add(f"cliff.{key}.overflowed", overflowed, f"the gradient or loss overflowed, {label}", headline=True)
        r.add(f"cliff.{key}.iterations", result.iters, f"iterations completed, {label} "
              f"(of {config.cliff['iters']})", headline=True)
        r.add(f"cliff.{key}.replay_error", float(np.max(np.abs(np.array([s["total"] for s in splits]) - norms)
                                                       / norms)),
              f"largest relative difference between the gradient norm measured again, split by parameter, and "
              f"the one train logged, {label}", fmt=".2g")
        r.add(f"cliff.{key}.first_grad_norm", float(norms[0]), f"gradient norm at iteration 1, {label}", fmt=".3g")
        r.add(f"cliff.{key}.first_hh_grad_norm", float(hh[0]), f"‖∂L/∂W_hh‖ at iteration 1, {label}", fmt=".3g")
        peak = int(np.argmax(hh))
        r.add(f"cliff.{key}.max_hh_grad_norm", float(hh[peak]), f"largest ‖∂L/∂W_hh‖, the recurrent weight's "
              f"gradient, {label}", fmt=".3g", headline=key == "unclipped")
        r.add(f"cliff.{key}.max_hh_iteration", peak + 1, f"the iteration it was reached at, {label}")
        r.add(f"cliff.{key}.max_time_gain", float(np.nanmax(gains)), f"largest factor the gradient grew by on its "
              f"way back through time, max over iterations and k of ‖∂L/∂h_k‖ / ‖∂L/∂h_T‖, {label}", fmt=".3g")
        r.add(f"cliff.{key}.max_grad_norm", float(finite.max()), f"largest finite gradient norm, all parameters "
              f"together, {label}", fmt=".3g")
        r.add(f"cliff.{key}.max_radius", float(radii.max()), f"largest ρ(W_hh) after an update, {label}",
              fmt=".3g")
        above1 = np.flatnonzero(radii > 1)
        r.add(f"cliff.{key}.first_above_1", int(above1[0]) + 1 if above1.size else None,
              f"first iteration after which ρ(W_hh) > 1, {label}")
        r.add(f"cliff.{key}.finite_loss", all(math.isfinite(rec["loss"]) for rec in result.history)
              and not overflowed, f"every iteration's loss was finite, {label}")
        r.series[f"cliff.{key}"] = {"iteration": [rec["iter"] for rec in result.history],
                                    "grad_norm": norms.tolist(), "radius": radii.tolist(),
                                    "hh_grad_norm": hh.tolist(), "readout_grad_norm": readout.tolist(),
                                    "time_gain": gains.tolist(),
                                    "loss": [rec["loss"] for rec in result.history],
                                    "overflow_at": result.iters + 1 if overflowed else None}
    s = r.series["cliff.unclipped"]
    hh, readout, norms = (np.array(s[k]) for k in ("hh_grad_norm", "readout_grad_norm", "grad_norm"))
    r.add("cliff.unclipped.last_grad_norm", float(norms[-1]), "gradient norm at the last iteration before the "
          "overflow, without clipping", fmt=".3g", headline=True)
    r.add("cliff.unclipped.last_hh_grad_norm", float(hh[-1]), "‖∂L/∂W_hh‖ at that iteration", fmt=".3g",
          headline=True)
    r.add("cliff.unclipped.last_readout_share", float(readout[-1] / norms[-1]), "the read-out's share of that "
          "gradient norm, ‖∂L/∂(W_out, b_out)‖ / ‖g‖", fmt=".4f")
    frozen = (hh[1:] == 0) & (hh[:-1] == 0)           # consecutive iterations in which W_hh got no gradient
    ratios = readout[1:][frozen] / readout[:-1][frozen]
    r.add("cliff.unclipped.frozen_iterations", int(np.sum(hh == 0)), "iterations in which W_hh got no gradient at "
          "all (tanh saturated at every step: 1 − h_t² = 0), without clipping")
    r.add("cliff.unclipped.readout_growth", float(np.median(ratios)) if ratios.size else math.nan,
          "median factor by which the read-out's gradient grew per iteration while W_hh got none", fmt=".3g",
          headline=True)
    r.add("cliff.clipped.clip_fraction", float(np.mean([rec["clip_fraction"] for rec in runs["clipped"].history])),
          "share of iterations on which clipping fired", fmt=".2f")

    where = (CHAPTER, "A run that falls off a cliff")
    r.claim("learning can push W_hh's eigenvalues above 1: from ρ = 0.9, SGD steps carry ρ past 1", where,
            at_most("cliff.initial_radius", 1.0), above("cliff.unclipped.max_radius", 1.0))
    r.claim("as ρ grows past 1 the gradient that BPTT sends back through time explodes: the recurrent weight's "
            "gradient ‖∂L/∂W_hh‖, a sum over every step back, rises to more than 1000 times its value at the first "
            "iteration", where,
            above("cliff.unclipped.max_hh_grad_norm", 1000, "cliff.unclipped.first_hh_grad_norm"))
    r.claim(f"the last climb to the overflow is the read-out's own divergence, not the gradient through time: "
            f"before the overflow W_hh gets no gradient at all (tanh saturated at every step), and the read-out's "
            f"gradient grows about {growth:.3g} times per iteration, the rate |1 − lr·2(H + 1)| of gradient descent "
            f"at lr {lr:g} on a linear read-out of saturated states; the unclipped run overflows within "
            f"{config.cliff['iters']} iterations", where,
            is_true("cliff.unclipped.overflowed"), equal("cliff.unclipped.last_hh_grad_norm", 0.0),
            close("cliff.unclipped.readout_growth", growth, 0.15 * growth))
    r.claim(f"the same run clipped by norm at {config.cliff_clip:g} keeps going: every one of its "
            f"{config.cliff['iters']} iterations has a finite loss", where,
            is_true("cliff.clipped.finite_loss"), equal("cliff.clipped.iterations", config.cliff["iters"]))


def _weights(model) -> dict:
    return {name: value.copy() for name, value in model.state_dict().items()}


def _vanishing(r: Result, config: Config, note) -> None:
    runs = {}
    threshold = config.vanishing_clip
    for key, clip in (("unclipped", None), ("clipped", threshold)):
        label = "without clipping" if clip is None else f"clipped by norm at {clip:g}"
        if note:
            note(f"a vanishing run (default W_hh, T = {config.vanishing['seq_len']}), {label}")
        runs[key] = result = train(config.train_config("vanishing", clip))
        r.add(f"vanishing.{key}.mse", result.value, f"held-out MSE, {label}", headline=True)
        r.add(f"vanishing.{key}.max_grad_norm", max(rec["grad_norm_max"] for rec in result.history),
              f"largest gradient norm of the run, {label}", fmt=".3g")
    start = build_model(config.train_config("vanishing", None))
    r.add("vanishing.initial_radius", spectral_radius(start.cell.weight_hh), "ρ(W_hh) at the start (PyTorch's "
          "default)", fmt=".3g")
    r.add("vanishing.baseline", runs["clipped"].baseline, "MSE of always predicting 1, on the same held-out batch",
          headline=True)
    r.add("vanishing.baseline_expected", runs["clipped"].baseline_expected, "its expectation, 1/6")
    r.add("vanishing.clip_fraction", max(rec["clip_fraction"] for rec in runs["clipped"].history),
          "largest share of iterations on which clipping fired, over the log records", fmt=".2f")
    a, b = (dict(runs[k].model.named_parameters()) for k in ("unclipped", "clipped"))
    r.add("vanishing.identical", all(np.array_equal(a[name].data, b[name].data) for name in a),
          "the two runs end with bit-identical weights")
    where = (CHAPTER, "2. It does nothing for vanishing gradients")
    r.claim(f"in a vanishing run (ρ < 1, T = {config.vanishing['seq_len']}) the gradient never reaches the "
            f"lecture's typical threshold of {threshold:g}, so clipping never fires and the clipped run is "
            "bit-identical to the unclipped one", where,
            below("vanishing.initial_radius", 1.0), below("vanishing.unclipped.max_grad_norm", threshold),
            equal("vanishing.clip_fraction", 0.0), is_true("vanishing.identical"))
    r.claim("and neither learns the task: both end within 30% of the trivial predictor's error on the same "
            "batch", where,
            above("vanishing.unclipped.mse", 0.7, "vanishing.baseline"),
            above("vanishing.clipped.mse", 0.7, "vanishing.baseline"))


def run(config: Config = Config(), note=None) -> Result:
    r = Result("clipping", TITLE, lecture=LECTURE, chapter=CHAPTER, config=config)
    _examples(r)
    _cliff(r, config, note)
    _vanishing(r, config, note)
    return r
