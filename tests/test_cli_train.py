"""``tinygrad-rnn train``: options, JSON output, checkpoint and log files, clean interruption."""
import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest

import tinygrad_rnn as tg
from tinygrad_rnn.cli import main
from tinygrad_rnn.tasks import AddingTask, TextTask
from tinygrad_rnn.train import SequenceModel, TrainConfig, train
from tinygrad_rnn.train.checkpoint import load_checkpoint

HELD_OUT_SEED = 0 + 1_000_003          # train's held-out batch: rng = seed + 1_000_003, eval_batch 256


def adding_held_out_trivial_mse(seq_len):
    """MSE of always predicting 1 on train's held-out adding batch (seed 0), computed here."""
    sums = AddingTask(seq_len).batch(256, rng=HELD_OUT_SEED).targets[-1, :, 0].astype(np.float64)
    return float(np.mean((sums - 1.0) ** 2))


def run_json(capsys, *argv):
    assert main(["train", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_json_has_the_documented_keys(capsys):
    out = run_json(capsys, "--iters", "3", "--seq-len", "8", "--batch", "4", "--log-every", "2")
    for key in ("task", "metric", "value", "baseline", "baseline_expected", "iters", "seconds", "forget_bias"):
        assert key in out
    assert out["task"] == "adding" and out["metric"] == "mse" and out["iters"] == 3
    assert out["baseline"] == pytest.approx(adding_held_out_trivial_mse(8), rel=1e-12)
    assert out["baseline_expected"] == pytest.approx(1 / 6)
    assert out["forget_bias"] is None


def test_the_final_line_shows_the_measured_and_the_expected_baseline(capsys):
    assert main(["train", "--iters", "2", "--seq-len", "50", "--hidden", "4", "--batch", "4"]) == 0
    line = capsys.readouterr().out.strip().splitlines()[-1]
    measured = adding_held_out_trivial_mse(50)
    assert f"(trivial predictor on the same batch {measured:.4g}; its expectation 1/6 = 0.1667)" in line, line
    assert f"{measured:.4g}" == "0.1898"                       # the number the README quotes
    assert line.startswith("done: 2 iterations in ") and "Held-out MSE " in line


@pytest.mark.parametrize("task,metric", [("copy", "loss"), ("agreement", "accuracy"), ("text", "loss")])
@pytest.mark.parametrize("cell", ["rnn", "gru"])
def test_every_task_and_cell_runs(capsys, task, metric, cell):
    seq_len = "24" if task == "copy" else "12"
    out = run_json(capsys, "--task", task, "--cell", cell, "--iters", "2", "--seq-len", seq_len, "--batch", "4",
                   "--tbptt", "5", "--clip", "1", "--optim", "sgd", "--lr", "0.1", "--init", "orthogonal")
    assert out["metric"] == metric and np.isfinite(out["value"])


def test_text_file_option(tmp_path, capsys):
    path = tmp_path / "tiny.txt"
    path.write_text("abcabcabcabcabcabcabcabcabcabc abc abc abc\n" * 5)
    out = run_json(capsys, "--task", "text", "--text", str(path), "--iters", "2", "--seq-len", "10",
                   "--batch", "2")
    # the expected baseline is the unigram entropy of this text
    text = path.read_text()
    vocab = sorted(set(text))
    counts = np.array([text.count(ch) for ch in vocab], float)
    p = counts / counts.sum()
    assert out["baseline_expected"] == pytest.approx(float(-(p * np.log(p)).sum()))
    # the measured one: the unigram predictor's cross-entropy on the held-out characters
    targets = TextTask(text, 10).batch(256, rng=HELD_OUT_SEED).targets.ravel()
    assert out["baseline"] == pytest.approx(float(-np.mean(np.log(p[targets]))), rel=1e-12)


def test_out_dir_has_checkpoint_config_and_metrics(tmp_path, capsys):
    out_dir = tmp_path / "run"
    run_json(capsys, "--iters", "4", "--seq-len", "6", "--batch", "2", "--log-every", "2", "--out", str(out_dir))
    lines = [json.loads(x) for x in (out_dir / "metrics.jsonl").read_text().splitlines()]
    assert [r["iter"] for r in lines] == [2, 4]
    assert {"loss", "grad_norm", "clip_fraction", "eval"} <= set(lines[0])
    config = json.loads((out_dir / "config.json").read_text())
    assert config["iters"] == 4
    model = SequenceModel("lstm", 2, 32, 1)
    model.load_state_dict(tg.load(out_dir / "model.npz"))     # loads into a fresh model of that shape
    checkpoint = load_checkpoint(out_dir)                     # and the checkpoint holds the same model
    assert checkpoint.iteration == 4 and checkpoint.config["iters"] == 4
    for name, p in model.named_parameters():
        assert np.array_equal(checkpoint.model_state[name], p.data), name


def test_clipping_is_counted(capsys):
    out = run_json(capsys, "--iters", "3", "--seq-len", "10", "--batch", "4", "--clip", "1e-6", "--log-every", "3")
    assert out["clip_fraction"] == 1.0          # every gradient is longer than 1e-6


def test_stop_request_saves_and_reports(tmp_path):
    calls = []

    def stop_after_two():
        calls.append(1)
        return len(calls) > 2
    result = train(TrainConfig(iters=50, seq_len=6, batch=2, log_every=100, out=str(tmp_path)),
                   should_stop=stop_after_two)
    assert result.interrupted and result.iters == 2
    assert (tmp_path / "model.npz").exists()
    assert json.loads((tmp_path / "metrics.jsonl").read_text().splitlines()[-1])["iter"] == 2


def test_keyboard_interrupt_after_an_iteration_also_saves(tmp_path):
    def interrupt(i, loss):                                  # on_iter runs once iteration i is complete
        if i == 3:
            raise KeyboardInterrupt
    result = train(TrainConfig(iters=50, seq_len=6, batch=2, log_every=100, out=str(tmp_path)), on_iter=interrupt)
    assert result.interrupted and result.stopped is None and (tmp_path / "model.npz").exists()
    assert result.checkpoint_iteration == 3 and load_checkpoint(tmp_path).iteration == 3


def test_a_new_run_in_the_same_folder_starts_a_new_log(tmp_path):
    train(TrainConfig(iters=4, seq_len=6, batch=2, hidden=4, log_every=2, out=str(tmp_path)))
    train(TrainConfig(iters=2, seq_len=6, batch=2, hidden=4, log_every=2, out=str(tmp_path)))
    assert [json.loads(x)["iter"] for x in (tmp_path / "metrics.jsonl").read_text().splitlines()] == [2]
    assert load_checkpoint(tmp_path).iteration == 2


@pytest.mark.parametrize("argv,match", [(["--lr", "-1"], "lr"), (["--tbptt", "5", "--k1", "3"], "either"),
                                        (["--k2", "4"], "k1"), (["--clip", "0"], "clip")])
def test_bad_options_exit_with_a_message(capsys, argv, match):
    with pytest.raises(SystemExit, match=match):
        main(["train", "--iters", "1", *argv])


def test_missing_text_file_is_a_clear_error(tmp_path, capsys):
    for stream in ([], ["--stream"]):
        with pytest.raises(SystemExit):
            main(["train", "--task", "text", *stream, "--text", str(tmp_path / "nope.txt"), "--iters", "1"])
        err = capsys.readouterr().err
        assert "--text: no such file" in err and "nope.txt" in err and "Fix: check the path" in err, err
        assert "Task" not in err and "as a string" not in err, err      # no class names, no library-only advice
    with pytest.raises(SystemExit):
        main(["train", "--task", "text", "--text", str(tmp_path), "--iters", "1"])
    assert "is a folder, not a file" in capsys.readouterr().err


def test_text_for_another_task_is_refused_not_ignored(tmp_path, capsys):
    (tmp_path / "t.txt").write_text("some text " * 20)
    with pytest.raises(SystemExit):
        main(["train", "--task", "adding", "--text", str(tmp_path / "t.txt"), "--iters", "1"])
    err = capsys.readouterr().err
    assert "read by task 'text' only" in err and "Fix: --task text --text FILE" in err, err
    with pytest.raises(ValueError, match="read by task 'text' only"):
        TrainConfig(task="copy", text="some text").check()


def test_ctrl_c_stops_cleanly_after_saving(tmp_path, interrupt_training):
    """A real SIGINT to `tinygrad-rnn train`: it finishes the iteration, saves, reports, exits 130."""
    out_dir = tmp_path / "run"
    returncode, stdout, stderr = interrupt_training(["--iters", "100000", "--seq-len", "10", "--batch", "4",
                                                     "--log-every", "5", "--json"], out_dir)
    assert returncode == 130, stderr
    assert "Traceback" not in stderr and "interrupted" in stderr
    summary = json.loads(stdout)
    assert summary["interrupted"] is True and 5 <= summary["iters"] < 100000
    logged = [json.loads(x)["iter"] for x in (out_dir / "metrics.jsonl").read_text().splitlines()]
    assert logged[-1] == summary["iters"]
    assert (out_dir / "model.npz").exists() and load_checkpoint(out_dir).iteration == summary["iters"]
    leftovers = [name for folder in (out_dir, out_dir / "checkpoint") for name in os.listdir(folder)
                 if name.endswith(".tmp")]
    assert not leftovers                                     # no temporary file of an atomic write is left


# --- --forget-bias ------------------------------------------------------------------------------
def test_forget_bias_flag_runs_as_a_command():
    command = [sys.executable, "-m", "tinygrad_rnn", "train", "--cell", "lstm", "--forget-bias", "1", "--iters", "2",
               "--seq-len", "5", "--json"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["forget_bias"] == 1.0 and summary["cell"] == "lstm" and math.isfinite(summary["value"])


def test_forget_bias_is_where_the_model_starts(tmp_path, capsys):
    # one SGD step of lr 1e-12 leaves the initial biases as they were (to float32 precision)
    run_json(capsys, "--forget-bias", "1.5", "--hidden", "3", "--iters", "1", "--seq-len", "5", "--batch", "2",
             "--optim", "sgd", "--lr", "1e-12", "--out", str(tmp_path))
    saved = tg.load(tmp_path / "model.npz")
    np.testing.assert_allclose(saved["cell.bias_ih"][3:6], 1.5, atol=1e-6)
    np.testing.assert_allclose(saved["cell.bias_hh"][3:6], 0.0, atol=1e-6)
    assert json.loads((tmp_path / "config.json").read_text())["forget_bias"] == 1.5


@pytest.mark.parametrize("cell", ["rnn", "gru"])
def test_forget_bias_with_another_cell_is_one_line_and_exit_2(cell, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["train", "--cell", cell, "--forget-bias", "1", "--iters", "1"])
    assert stop.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "--forget-bias" in lines[0] and f"cell '{cell}'" in lines[0], lines
    assert "--cell lstm" in lines[0]


@pytest.mark.parametrize("value", ["nan", "inf", "one"])
def test_forget_bias_must_be_a_finite_number(value, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["train", "--forget-bias", value, "--iters", "1"])
    assert stop.value.code == 2
    error = capsys.readouterr().err
    assert "argument --forget-bias: must be a finite number" in error and repr(value) in error, error


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_every_op_trains_the_same_model_as_the_one_node_step(capsys, cell):
    """--every-op builds each step from core ops instead of one node: the same maths, so the same
    run to float32 rounding (a few ulps per step, over 10 Adam steps: far below 1e-4)."""
    args = ("--cell", cell, "--iters", "10", "--seq-len", "12", "--hidden", "8")
    fused = run_json(capsys, *args)
    assert main(["train", *args, "--every-op", "--json"]) == 0
    out, err = capsys.readouterr()
    every_op = json.loads(out)
    assert "every op a node" in err                        # the configuration line says so
    assert every_op["value"] == pytest.approx(fused["value"], rel=1e-4)
    assert every_op["train_loss"] == pytest.approx(fused["train_loss"], rel=1e-4)
    assert not tg.train.build_model(TrainConfig(cell=cell, fused=False)).cell.fused
    assert tg.train.build_model(TrainConfig(cell=cell)).cell.fused


def test_a_stream_without_tbptt_says_plainly_what_it_does():
    """Not just "full BPTT" (issue 26): each --seq-len stretch is a sequence of its own, the state not carried."""
    from tinygrad_rnn.cli.train import config_line
    from tinygrad_rnn.train import TrainConfig
    line = config_line(TrainConfig(task="text", stream=True, seq_len=40))
    assert "full BPTT within each 40-step stretch" in line and "the state is not carried to the next" in line
    assert "--tbptt K carries it" in line
    carried = config_line(TrainConfig(task="text", stream=True, tbptt=40))
    assert "TBPTT(40)" in carried and "not carried" not in carried
    assert config_line(TrainConfig()).count("full BPTT,") == 1 and "stretch" not in config_line(TrainConfig())
