"""The lecture's claims (``tinygrad_rnn.lecture``): the claim machinery, and every claim of every
experiment holding for seeds 0-4 in the configurations the tour runs (its default and ``--quick``).

The seed sweep trains every experiment five times (several minutes), so it is marked ``seeds``
and runs as its own step of ``.ci/run`` (``python3 -m pytest -m seeds``), under two OpenBLAS
kernels; the README's test command runs the rest. Nothing here compares a measured number with
digits recorded from an earlier run: the claims' own conditions, stated with margins, are the test.
"""
import math

import pytest

from tinygrad_rnn import lecture
from tinygrad_rnn.lecture.claims import Claim, above, at_least, at_most, below, close, equal, is_true, same
from tinygrad_rnn.lecture.result import Result

SEEDS = range(5)


# --- the machinery ------------------------------------------------------------------------------------
def test_conditions_compare_with_numbers_and_with_other_values():
    values = {"mse": 0.004, "baseline": 0.19, "n": 100, "ok": True, "regime": "explode", "a": 2.0, "b": 2.0}
    assert below("mse", 0.1, "baseline").check(values)["holds"]                    # 0.004 < 0.019
    assert not below("mse", 0.01, "baseline").check(values)["holds"]               # 0.004 < 0.0019 is false
    assert above("baseline", 0.1).check(values)["holds"]
    assert at_most("n", 100).check(values)["holds"] and not below("n", 100).check(values)["holds"]
    assert at_least("n", 100).check(values)["holds"]
    assert is_true("ok").check(values)["holds"] and equal("regime", "explode").check(values)["holds"]
    assert same("a", "b").check(values)["holds"] and not same("a", "mse").check(values)["holds"]
    assert close("a", 2.0 + 1e-10, 1e-9).check(values)["holds"]
    assert not close("a", 2.1, 1e-9).check(values)["holds"]


def test_margins_say_how_far_a_value_is_from_failing():
    values = {"x": 2.0, "y": 8.0, "neg": -1.0}
    assert below("x", 4.0).check(values)["margin"] == pytest.approx(2.0)           # x could double
    assert above("y", 2.0).check(values)["margin"] == pytest.approx(4.0)           # y could be quartered
    assert below("x", 1.0).check(values)["margin"] == pytest.approx(0.5)           # fails: below 1
    assert below("neg", 0.5).check(values)["margin"] == pytest.approx(1.5)         # a difference, not a ratio
    assert close("x", 2.5, 1.0).check(values)["margin"] == pytest.approx(2.0)      # tolerance / deviation
    assert close("x", 2.0, 1e-9).check(values)["margin"] == math.inf
    assert equal("x", 2.0).check(values)["margin"] is None


def test_a_claim_holds_only_when_every_condition_does_and_reports_the_values_it_used():
    claim = Claim("x is small and y is large", lecture="§1", chapter=("01-autograd.md", "h"),
                  conditions=[below("x", 4.0), above("y", 1.0, "x")])
    verdict = claim.check({"x": 2.0, "y": 8.0, "z": 1.0})
    assert verdict["holds"] and verdict["values"] == {"x": 2.0, "y": 8.0}
    assert verdict["margin"] == pytest.approx(2.0)                                  # the smaller of 2 and 4
    assert verdict["chapter"] == {"path": "tutorials/01-autograd.md", "heading": "h"}
    failing = claim.check({"x": 5.0, "y": 8.0})
    assert not failing["holds"] and [c["holds"] for c in failing["conditions"]] == [False, True]
    assert lecture.verdict_line(failing).startswith("DOES NOT HOLD: x is small")


def test_a_claim_must_name_measured_values():
    r = Result("demo", "Demo", lecture="§1", chapter="01-autograd.md", config=None)
    r.add("x", 1.0, "x")
    with pytest.raises(KeyError, match="no measured value named 'typo'"):
        r.claim("x is below typo", ("01-autograd.md", "h"), below("x", 1.0, "typo"))
    with pytest.raises(ValueError, match="already has a value named 'x'"):
        r.add("x", 2.0, "x again")
    with pytest.raises(ValueError, match="at least one condition"):
        Claim("nothing", lecture="§1", chapter=("01-autograd.md", "h"), conditions=[])


def test_every_experiment_has_a_config_with_a_seed_and_a_quick_version():
    for experiment in lecture.EXPERIMENTS:
        config = experiment.Config(seed=3)
        assert config.seed == 3 and config.quick().seed == 3, experiment.__name__
        assert experiment.TITLE and experiment.LECTURE.startswith("§") and experiment.CHAPTER.endswith(".md")


# --- the claims, over seeds ----------------------------------------------------------------------------
@pytest.mark.seeds
@pytest.mark.parametrize("quick", [False, True], ids=["full", "quick"])       # tour, and tour --quick
@pytest.mark.parametrize("experiment", lecture.EXPERIMENTS, ids=[e.__name__.rsplit(".", 1)[1]
                                                                for e in lecture.EXPERIMENTS])
def test_every_claim_holds_for_seeds_0_to_4(experiment, quick):
    failures, smallest = [], {}
    for seed in SEEDS:
        config = experiment.Config(seed=seed)
        result = experiment.run(config.quick() if quick else config)
        assert result.claims, experiment.__name__
        for verdict in result.verdicts:
            if not verdict["holds"]:
                failures.append((seed, verdict["claim"], [c for c in verdict["conditions"] if not c["holds"]]))
            if verdict["margin"] is not None:
                key = verdict["claim"][:60]
                smallest[key] = min(smallest.get(key, math.inf), verdict["margin"])
    print(f"\n{experiment.__name__}{' (quick)' if quick else ''}: smallest margin per claim over seeds {list(SEEDS)}:")
    for claim, margin in smallest.items():
        print(f"  {margin:.3g}  {claim}")
    assert not failures, failures


# --- the measurements the claims rest on ---------------------------------------------------------------
def test_forget_gates_reads_sigma_of_the_bias_when_the_gate_weights_are_zero():
    import numpy as np
    from tinygrad_rnn import nn
    from tinygrad_rnn.lecture.lstm import forget_gates
    from tinygrad_rnn.train import SequenceModel

    model = SequenceModel("lstm", 2, 4, 1, dtype=np.float64, generator=np.random.default_rng(0))
    nn.init.forget_gate_bias_(model.cell, 1.0)
    for weight in (model.cell.weight_ih, model.cell.weight_hh):
        weight.data[4:8] = 0.0                                   # rows [H:2H]: the forget gate's
    inputs = np.random.default_rng(1).standard_normal((5, 3, 2))
    assert forget_gates(model, inputs) == pytest.approx(np.full(4, 1 / (1 + math.exp(-1.0))), abs=1e-12)


def test_the_cliff_and_vanishing_configs_are_what_train_runs():
    from tinygrad_rnn.lecture import clipping
    config = clipping.Config(seed=3)
    cliff = config.train_config("cliff", None)
    assert (cliff.seed, cliff.init, cliff.init_scale, cliff.optim, cliff.clip) == (3, "orthogonal", 0.9, "sgd", None)
    vanishing = config.train_config("vanishing", config.vanishing_clip)
    assert (vanishing.init, vanishing.clip, vanishing.seq_len) == ("default", 10.0, 50)


# --- the cliff: the gradient split by where it is -------------------------------------------------------------
@pytest.mark.parametrize("scale", [0.7, 1.8])
def test_gradient_split_measures_the_growth_back_through_time_of_a_linear_rnn(scale):
    """h_t = h_(t-1) W_hh^T + ... with W_hh = s·Q (Q orthogonal): going back one step multiplies
    ∂L/∂h_t by W_hh, which scales every row's norm by exactly s. So ‖∂L/∂h_k‖ = s^(T-k) ‖∂L/∂h_T‖,
    and the largest ratio over k < T is s^T for s > 1 and s for s < 1."""
    import numpy as np
    from tinygrad_rnn.lecture.clipping import gradient_split
    from tinygrad_rnn.tasks import make_task
    from tinygrad_rnn.train import SequenceModel

    T = 12
    task = make_task("adding", seq_len=T)
    model = SequenceModel("rnn", 2, 5, 1, nonlinearity="linear", init_scheme="orthogonal", init_scale=scale,
                          dtype=np.float64, generator=np.random.default_rng(0))
    batch = task.batch(4, rng=3)
    split = gradient_split(model, task, batch)
    assert split["time_gain"] == pytest.approx(scale ** T if scale > 1 else scale, rel=1e-9)
    # the parts are the parameters' gradients, as the model's own forward pass and the task's loss give them
    model.zero_grad()
    task.compute_loss(model(batch.inputs)[0], batch).backward()
    grads = {name: np.linalg.norm(p.grad) for name, p in model.named_parameters()}
    assert split["hh"] == pytest.approx(grads["cell.weight_hh"], rel=1e-9)
    assert split["readout"] == pytest.approx(math.hypot(grads["readout.weight"], grads["readout.bias"]), rel=1e-9)
    assert split["total"] == pytest.approx(math.sqrt(sum(g * g for g in grads.values())), rel=1e-9)


@pytest.fixture(scope="module")
def cliff():
    from tinygrad_rnn.lecture import clipping
    config = clipping.Config(seed=0)
    r = Result("clipping", "the cliff", lecture=clipping.LECTURE, chapter=clipping.CHAPTER, config=config)
    clipping._cliff(r, config, None)
    return r


def test_the_cliff_splits_the_very_gradient_train_logged(cliff):
    # measured again at the weights and on the batch of each iteration, the total is what train logged
    assert cliff.values["cliff.unclipped.replay_error"] < 1e-5
    assert cliff.values["cliff.clipped.replay_error"] < 1e-5
    s = cliff.series["cliff.unclipped"]
    assert len(s["hh_grad_norm"]) == len(s["readout_grad_norm"]) == len(s["grad_norm"]) == len(s["iteration"])
    for total, hh, readout in zip(s["grad_norm"], s["hh_grad_norm"], s["readout_grad_norm"]):
        assert hh <= total * (1 + 1e-6) and readout <= total * (1 + 1e-6)       # parts of one vector


def test_the_cliff_claims_the_explosion_of_w_hhs_gradient_and_blames_the_overflow_on_the_read_out(cliff):
    """The gradient norm of all parameters at the end of the unclipped run is the read-out's divergence,
    so no claim about explosion through time may rest on it: the explosion claim uses ‖∂L/∂W_hh‖, and
    the claim about the end uses W_hh's gradient (0) and the read-out's growth per iteration."""
    by_text = {claim.text: claim for claim in cliff.claims}
    explosion = next(c for text, c in by_text.items() if "explodes" in text)
    assert {c.key for c in explosion.conditions} == {"cliff.unclipped.max_hh_grad_norm"}
    assert not any("cliff.unclipped.max_grad_norm" in (c.key, c.of) for claim in cliff.claims
                   for c in claim.conditions)
    end = next(c for text, c in by_text.items() if "read-out's own divergence" in text)
    assert {"cliff.unclipped.last_hh_grad_norm", "cliff.unclipped.readout_growth"} <= {c.key for c in end.conditions}
    # |1 - lr·2(H + 1)| for lr 0.3 and H = 32
    assert cliff.values["cliff.readout_growth_predicted"] == pytest.approx(0.3 * 66 - 1)
    assert all(v["holds"] for v in cliff.verdicts), [v for v in cliff.verdicts if not v["holds"]]


# --- a verdict line is one statement ------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["the 'good' row (20-50 words) does not hold here: the shortest window wins",
                                  "the 'meh' row's reason holds, and sooner", "the 'bad' row holds for full BPTT"])
def test_a_claim_text_carries_no_verdict_of_its_own(text):
    """verdict_line puts "holds: " or "DOES NOT HOLD: " in front of the text, so a text saying "does not hold"
    would read "holds: ... does not hold ..."."""
    with pytest.raises(ValueError, match="verdict"):
        Claim(text, lecture="§4", chapter=("06-truncated-bptt.md", "h"), conditions=[below("x", 1.0)])
    # held-out, threshold, and the like are no verdicts
    Claim("held-out bits per character stay below the threshold", lecture="§4", chapter=("06-truncated-bptt.md", "h"),
          conditions=[below("x", 1.0)])
