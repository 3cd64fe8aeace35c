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
