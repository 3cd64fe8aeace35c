"""Part 3: gradient clipping — the lecture's (80, 60) example, then a tanh RNN whose W_hh starts in the
exploding regime, trained with plain SGD without clipping (it blows up) and with clipping by norm."""
import math

import numpy as np

from ... import nn, tensor
from ...analysis import spectral_radius
from ...analysis.curves import Panel, curves_figure
from ...tasks import make_task
from ...train import SequenceModel, TrainConfig, train
from .drawings import draw_unrolled
from .summary import Section

TITLE = "Gradient clipping on an exploding run"
RUN = dict(task="adding", cell="rnn", seq_len=30, hidden=32, batch=32, optim="sgd", lr=0.1, iters=150,
           init="normal", init_scale=1.5 / math.sqrt(32), log_every=1, eval_batch=128, seed=0)
CLIP = 1.0
CH = "05-gradient-clipping.md"


def _clip_example(section) -> None:
    for name, grad in [("small", [8.0, 6.0]), ("large", [80.0, 60.0])]:
        claim_norm = ("clipping by norm rescales g to norm c when ‖g‖ > c, keeping its direction: (80, 60) becomes "
                      "(8, 6) at c = 10" if name == "large" else
                      "a gradient within the threshold passes unchanged: (8, 6) at c = 10 (PyTorch's rule divides "
                      "by ‖g‖ + 1e-6, so exactly at the threshold it is scaled by 0.9999999)")
        g = tensor(np.array(grad), requires_grad=True)
        g.grad = np.array(grad)
        before = nn.utils.clip_grad_norm_([g], max_norm=10.0).item()
        section.add(f"example_{name}.norm", before, f"‖({grad[0]:g}, {grad[1]:g})‖, the norm clip_grad_norm_ "
                    "returns", claim_norm, CH, "Clipping by norm", fmt=".6g")
        for i in (0, 1):
            section.add(f"example_{name}.clipped_{i}", float(g.grad[i]), f"entry {i} after clip_grad_norm_(max_norm="
                        f"10) of ({grad[0]:g}, {grad[1]:g})", claim_norm, CH, "Clipping by norm", fmt=".8g",
                        headline=name == "large")
    g.grad = np.array([80.0, 60.0])
    nn.utils.clip_grad_value_([g], clip_value=10.0)
    claim_value = "clipping by value caps each entry on its own, which can turn the direction"
    for i in (0, 1):
        section.add(f"example_value.clipped_{i}", float(g.grad[i]), f"entry {i} after clip_grad_value_(10) of "
                    "(80, 60)", claim_value, CH, "Clipping by value", fmt=".6g")
    section.add("example_value.angle_before", math.degrees(math.atan2(60.0, 80.0)), "direction of (80, 60), degrees",
                claim_value, CH, "Clipping by value", fmt=".4g")
    section.add("example_value.angle_after", math.degrees(math.atan2(g.grad[1], g.grad[0])),
                "direction after clip_grad_value_(10), degrees", claim_value, CH, "Clipping by value", fmt=".4g")


def _training_run(ctx, clip):
    """``train`` with a log record every iteration. A loss or gradient that overflows ends the run
    (``train`` stops there; ``should_stop`` makes sure of it). Returns (result, records, losses, blew_up)."""
    records, losses = [], []
    name = "no clipping" if clip is None else f"clip_grad_norm_ at {clip:g}"

    def on_log(record):
        records.append(record)
        if record["iter"] % 50 == 0:
            ctx.note(f"{name}: iteration {record['iter']}/{RUN['iters']}, gradient norm {record['grad_norm']:.3g}")

    with np.errstate(all="ignore"):                  # the unclipped run overflows on purpose
        result = train(TrainConfig(**RUN, clip=clip), on_log=on_log, on_iter=lambda i, loss: losses.append(loss),
                       should_stop=lambda: bool(losses) and not math.isfinite(losses[-1]))
    blew_up = getattr(result, "stopped", None) is not None or not all(math.isfinite(x) for x in losses)
    if blew_up:
        ctx.note(f"{name}: the gradient overflowed after {result.iters} iterations; the run stopped")
    return result, records, losses, blew_up


def run(ctx) -> Section:
    settings = {k: RUN[k] for k in ("task", "cell", "seq_len", "hidden", "batch", "optim", "lr", "iters", "seed")}
    section = Section("clipping", TITLE, "§3 gradient clipping", CH,
                      {**settings, "init": "W_hh entries N(0, 1.5^2/H)", "clip_norm": CLIP})
    _clip_example(section)

    # the model train() builds first from its seed: the same W_hh the runs start from
    task = make_task(RUN["task"], RUN["seq_len"])
    start = SequenceModel(RUN["cell"], task.input_size, RUN["hidden"], task.output_size, init_scheme=RUN["init"],
                          init_scale=RUN["init_scale"], generator=np.random.default_rng(RUN["seed"]))
    claim_explode = "learning can push W_hh's eigenvalues above 1, and the gradients explode"
    claim_clip = "clipping stops the explosion"
    claim_cost = "clipping does nothing for vanishing gradients"
    section.add("initial_radius", spectral_radius(start.cell.weight_hh), "spectral radius of W_hh at the start",
                claim_explode, CH, "An exploding run", headline=True)

    runs = {}
    for key, clip in [("unclipped", None), ("clipped", CLIP)]:
        runs[key] = result, records, losses, blew_up = _training_run(ctx, clip)
        norms = np.array([r["grad_norm"] for r in records], dtype=np.float64)
        finite = norms[np.isfinite(norms)]
        label = "without clipping" if clip is None else f"clipped by norm at {clip:g}"
        section.add(f"{key}.blew_up", blew_up, f"the loss or gradient overflowed (inf/nan), {label}",
                    claim_explode if clip is None else claim_clip, CH, "An exploding run", headline=True)
        section.add(f"{key}.iterations", result.iters, f"iterations completed, {label} (of {RUN['iters']})",
                    claim_explode if clip is None else claim_clip, CH, "An exploding run", headline=True)
        section.add(f"{key}.max_grad_norm", float(finite.max()) if finite.size else math.inf,
                    f"largest finite gradient norm before clipping, {label}",
                    claim_explode if clip is None else claim_clip, CH, "An exploding run", fmt=".3g", headline=True)
        with np.errstate(all="ignore"):
            radius = spectral_radius(result.model.cell.weight_hh) \
                if np.isfinite(result.model.cell.weight_hh.data).all() else math.inf
        section.add(f"{key}.final_radius", radius, f"spectral radius of W_hh at the end, {label}",
                    claim_explode if clip is None else claim_clip, CH, "An exploding run", fmt=".3g")
    result, records, _, _ = runs["clipped"]
    clipped = np.array([r["clip_fraction"] for r in records])
    section.add("clipped.clip_fraction", float(clipped.mean()), "share of iterations on which clipping fired",
                "clipping discards the gradient's size whenever it fires", CH, "What clipping costs", fmt=".3f")
    section.add("clipped.test_mse", result.value, "held-out MSE of the clipped run", claim_cost, CH,
                "2. It does nothing for vanishing gradients", headline=True)
    section.add("baseline_mse", result.baseline, "MSE of always predicting 1, the trivial predictor", claim_cost, CH,
                "2. It does nothing for vanishing gradients")

    def figure():
        panels = [Panel("gradient norm before clipping", {}, xlabel="iteration", ylabel="‖g‖ (log)", logy=True,
                        reference=(CLIP, f"threshold {CLIP:g}")),
                  Panel("training loss", {}, xlabel="iteration", ylabel="MSE (log)", logy=True,
                        reference=(result.baseline, "predict 1"))]
        for key, (_, recs, losses, _) in runs.items():
            label = "no clipping" if key == "unclipped" else f"clip by norm at {CLIP:g}"
            panels[0].series[label] = ([r["iter"] for r in recs], [r["grad_norm"] for r in recs])
            panels[1].series[label] = (np.arange(1, len(losses) + 1), losses)
        return curves_figure(panels, title=f"tanh RNN on the adding problem (T = {RUN['seq_len']}), "
                                           "W_hh starting in the exploding regime, SGD")
    section.file(ctx.out.figure("clipping.png", figure, section.key,
                                "gradient norm and loss per iteration, with and without clipping"))
    section.file(draw_unrolled(ctx.out, "rnn_exploding", section.key,
                               "a linear RNN with W_hh = 1.8·Q: every step back multiplies the gradient by 1.8",
                               cell="rnn", steps=8, detail="cells", nonlinearity="linear", init="orthogonal",
                               scale=1.8, title="linear RNN, W_hh = 1.8·Q, T = 8: the gradient grows 1.8x per "
                                                "step back"))
    return section
