"""``python3 benchmarks/run.py`` runs end to end (tiny sizes through the same code path) and writes
the JSON it promises; the benchmark's variants compute the same training step. No timing is
asserted: the numbers are the benchmark's business."""
import json
import pathlib
import subprocess
import sys

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
import numpy_reference  # noqa: E402
from suite import measure, targets, training  # noqa: E402

TORCH = measure.torch_module()
VARIANTS = ["engine_cells", "engine_layer", "numpy"] + (["torch_cells", "torch_fused"] if TORCH else [])
HEADLINES = ["cell loop / NumPy", "cell loop / torch cell loop", "cell loop / torch cell loop, worst LSTM H<=128",
             "nn.LSTM / NumPy", "nn.LSTM / torch fused", "per-op overhead / minimal-autograd floor"]
TARGETS = ["SequenceModel LSTM step / NumPy (H=4 T=3 B=2), adding problem, MSE at the last step",
           "SequenceModel LSTM step / NumPy (H=4 T=3 B=2), cross-entropy at every step",
           "TBPTT.run as train calls it / NumPy (H=4 T=3 B=2), adding problem, MSE at the last step",
           "TBPTT.run as train calls it / NumPy (H=4 T=3 B=2), cross-entropy at every step",
           "LSTMCell loop, every op a node / NumPy (H=4 T=3 B=2)", "nn.LSTM / NumPy (H=4 T=3 B=2)",
           "per-op overhead / minimal-autograd floor (20 ops)"]


def run(*args):
    return subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py"), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def test_smoke_run_writes_the_promised_json(tmp_path):
    path = tmp_path / "results.json"
    done = run("--smoke", "--json", str(path))
    assert done.returncode == 0, done.stderr
    assert "Headline targets" in done.stdout and f"wrote {path}" in done.stdout
    results = json.loads(path.read_text())
    assert {"schema", "created", "command", "plan", "environment", "runs"} <= set(results)
    (only_run,) = results["runs"]
    assert only_run["threads"] == "1"
    assert any(pool["user_api"] == "blas" and pool["num_threads"] == 1
               for pool in only_run["thread_report"]["threadpools"])
    rows = only_run["training"]
    assert [(r["cell"], r["H"], r["T"], r["B"]) for r in rows] == [(c, 4, 3, 2) for c in ("rnn", "lstm", "gru")]
    for row in rows:
        assert sorted(row["median_ms"]) == sorted(VARIANTS)
        assert all(ms > 0 for ms in row["median_ms"].values())
        expected_ratios = {f"{a}/{b}" for a, b in training.RATIOS if a in VARIANTS and b in VARIANTS}
        assert set(row["ratios"]) == expected_ratios
        assert row["ratios"]["engine_cells/numpy"] == pytest.approx(
            row["median_ms"]["engine_cells"] / row["median_ms"]["numpy"])
        assert row["losses_agree"], row["first_loss"]
        assert all(loss == pytest.approx(np.log(training.VOCAB), rel=0.25) for loss in row["first_loss"].values())
    overhead = only_run["overhead"]
    assert set(overhead["us_per_op"]) == {"engine", "mini", "numpy"} and overhead["gradients_agree"]
    assert [r["n_ops"] for r in only_run["scaling"]["rows"]] == [10, 100]
    memory = only_run["memory"]
    assert [r["T"] for r in memory["rows"]] == [20, 40]
    # full BPTT keeps the whole graph: twice the length, more memory than TBPTT(k=10) needs
    assert memory["rows"][1]["peak_mib"]["full"] > memory["rows"][1]["peak_mib"]["tbptt_k10"]
    truncation = only_run["truncation"]
    assert truncation["T"] == 12 and [r["window"] for r in truncation["rows"]] == [1, 3, 12]
    by_window = {r["window"]: r for r in truncation["rows"]}
    assert [by_window[k]["updates"] for k in (1, 3, 12)] == [12, 4, 1]
    # the same work per sequence, within one node per window; per update, it grows with the window
    assert all(abs(r["backward_nodes"] - by_window[12]["backward_nodes"]) <= r["updates"] for r in by_window.values())
    assert by_window[1]["update_nodes"] < by_window[3]["update_nodes"] < by_window[12]["update_nodes"]
    assert by_window[12]["ratio"] == by_window[12]["ratio_per_update"] == 1
    for r in truncation["rows"]:
        assert r["ratio"] == pytest.approx(r["seconds"] / by_window[12]["seconds"])
        assert r["seconds_per_update"] == pytest.approx(r["seconds"] / r["updates"])
    assert "Truncated BPTT, one pass over T=12" in done.stdout
    assert [h["name"] for h in only_run["headline"]] == HEADLINES
    for t in only_run["headline"]:
        assert t["met"] is None if t["value"] is None else t["met"] == (t["value"] <= t["target"])
    sequence = only_run["targets"]["sequence_model"]
    assert [r["loss"] for r in sequence] == ["last_mse", "cross_entropy"]
    for row in sequence:
        assert sorted(row["median_ms"]) == sorted([*targets.sequence_model_variants(), "tbptt", "tbptt_steps", "numpy"])
        assert row["losses_agree"], row["first_loss"]
        for key, (lowest, highest) in row["spreads"].items():    # a ratio of medians lies within the rounds'
            assert lowest - 1e-12 <= row["ratios"][key] <= highest + 1e-12
    assert only_run["targets"]["lstm"]["losses_agree"] and only_run["targets"]["overhead"]["gradients_agree"]
    assert [t["name"] for t in only_run["targets"]["headline"]] == TARGETS
    for t in only_run["targets"]["headline"]:
        assert t["met"] == (t["value"] <= t["target"])
        assert t["spread"][0] - 1e-12 <= t["value"] <= t["spread"][1] + 1e-12
    # whole tinygrad-rnn train processes against the NumPy script, each command run once
    assert [(r["run"], r["iters"]) for r in only_run["train"]] == [("adding", 2), ("stream", 2)]
    for row in only_run["train"]:
        assert row["commands"]["engine"].startswith("python3 -m tinygrad_rnn train --task ")
        assert row["commands"]["numpy"].split(" ", 2)[2] == row["commands"]["engine"].split(" train ", 1)[1]
        assert row["ratio"] == pytest.approx(row["median_s"]["engine"] / row["median_s"]["numpy"])
    rows = only_run["targets"]["headline"] + [{"met": r["ratio"] <= r["target"]} for r in only_run["train"]]
    table = done.stdout.split("Targets (ratios")[1]                  # printed last, one line per target
    assert [line.split(" <= ")[1].split()[1:] for line in table.splitlines()[2:2 + len(rows)]] == \
        [["met"] if t["met"] else ["NOT", "met"] for t in rows]
    assert "tinygrad-rnn train --task text --stream --tbptt 50 --iters 2 / NumPy script" in table


def test_help_names_every_section():
    done = run("--help")
    assert done.returncode == 0
    text = " ".join(done.stdout.split())
    assert all(name in text for name in ("training", "overhead", "scaling", "memory", "truncation", "targets",
                                         "train"))
    assert "--only targets" in text


def test_unknown_only_filter_is_a_usage_error(tmp_path):
    done = run("--only", "lstm,H=oops", "--json", str(tmp_path / "never.json"))
    assert done.returncode == 2
    assert "unknown filter 'H=oops'" in done.stderr and "H=128" in done.stderr
    assert not (tmp_path / "never.json").exists()


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_every_variant_takes_the_same_step(cell):
    """From the same weights, in float64: the same first loss, and after one SGD step the same
    second loss, in every variant (so the weights were copied and updated alike)."""
    config = training.Config(cell, 5, 4, 3)
    data, weights = training.make_data(config, np.float64), training.initial_weights(config, np.float64)
    losses = {}
    for variant in training.available_variants(TORCH):
        step = training.build_step(variant, config, weights, data, np.float64, TORCH)
        losses[variant] = [float(loss if isinstance(loss, float) else loss.item()) for loss in (step(), step())]
    for variant, (first, second) in losses.items():
        assert first == pytest.approx(losses["numpy"][0], rel=1e-10), variant
        assert second == pytest.approx(losses["numpy"][1], rel=1e-10), variant
    assert losses["numpy"][1] < losses["numpy"][0]        # the step was a descent step, not a no-op


@pytest.mark.parametrize("loss", list(targets.LOSSES))
def test_sequence_model_takes_the_numpy_step(loss):
    """The targets section's SequenceModel step (each variant) and numpy_reference's, from the same
    weights in float64: the same loss before and after one SGD step."""
    xs, labels, weights = targets.make_problem(loss, H=5, T=4, B=3, dtype=np.float64)
    params = {name: value.copy() for name, value in weights.items()}
    expected = [numpy_reference.train_step("lstm", params, xs, labels, training.LR, loss) for _ in range(2)]
    for variant, options in targets.sequence_model_variants().items():
        step = targets.sequence_model_step(options, loss, weights, xs, labels)
        assert [step().item() for _ in range(2)] == pytest.approx(expected, rel=1e-10), variant
    assert expected[1] < expected[0]                    # the step was a descent step, not a no-op
