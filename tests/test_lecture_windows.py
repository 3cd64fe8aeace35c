"""The window experiment (``lecture.windows``) on a small budget: its table has a row per window, the
counts follow from the budget, memory grows with the window, the gradient fades inside a window,
and every claim names measured values. (The claims themselves are checked on the full budget by the
chapter and the tour; a budget this small trains too little for them.)"""
import numpy as np
import pytest

from tinygrad_rnn import lecture
from tinygrad_rnn.cli import build_parser
from tinygrad_rnn.lecture import windows


@pytest.fixture(scope="module")
def small():
    config = windows.Config(budget=40_000, windows=(5, 25), full=50, hidden=16, batch=8, grad_windows=1)
    return config, windows.run(config)


def test_a_row_per_window_and_full_bptt_with_the_updates_the_budget_allows(small):
    config, r = small
    rows = r.series["rows"]
    assert [(row["window"], row["carry"]) for row in rows] == [(5, True), (25, True), (50, False)]
    for row in rows:
        assert row["updates"] == config.budget // (config.batch * row["window"])
        assert len(row["grad"]) == row["window"] and np.all(np.isfinite(row["grad"]))
        assert row["bpc"] > 0 and row["us_per_char"] > 0
    assert r.values["chars_per_word"] == pytest.approx(len(r.config.text or windows.TextStream().text)
                                                       / len((r.config.text or windows.TextStream().text).split()))


def test_memory_grows_with_the_window_and_the_gradient_fades_inside_it(small):
    _, r = small
    v = r.values
    assert v["full.peak_mb"] > 4 * v["k_5.peak_mb"]            # 10 times the steps
    assert v["k_25.grad_far_over_near"] < 0.1 and v["full.grad_far_over_near"] < v["k_25.grad_far_over_near"]


def test_every_claim_is_checked_against_measured_values(small):
    _, r = small
    assert r.claims and all(set(v) >= {"claim", "holds", "conditions"} for v in r.verdicts)


def test_the_tour_runs_the_window_table_only_when_asked():
    parser = build_parser()
    assert parser.parse_args(["tour", "--window-table"]).window_table is True
    assert parser.parse_args(["tour"]).window_table is False
    assert windows not in lecture.EXPERIMENTS and windows in lecture.EXTRA_EXPERIMENTS


@pytest.mark.seeds
def test_every_window_claim_holds_for_seeds_0_to_2():
    """The tour's and the chapter's configuration (about a minute a seed), so marked ``seeds``."""
    failures = []
    for seed in range(3):
        result = windows.run(windows.Config(seed=seed))
        failures += [(seed, v["claim"]) for v in result.verdicts if not v["holds"]]
    assert not failures, failures
