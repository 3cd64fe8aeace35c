"""``tinygrad-rnn train``: options, JSON output, checkpoint and log files, clean interruption."""
import json
import os

import numpy as np
import pytest

import tinygrad_rnn as tg
from tinygrad_rnn.cli import main
from tinygrad_rnn.train import SequenceModel, TrainConfig, train
from tinygrad_rnn.train.checkpoint import load_checkpoint


def run_json(capsys, *argv):
    assert main(["train", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_json_has_the_documented_keys(capsys):
    out = run_json(capsys, "--iters", "3", "--seq-len", "8", "--batch", "4", "--log-every", "2")
    for key in ("task", "metric", "value", "baseline", "iters", "seconds"):
        assert key in out
    assert out["task"] == "adding" and out["metric"] == "mse" and out["iters"] == 3
    assert out["baseline"] == pytest.approx(1 / 6)


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
    # the baseline is the unigram entropy of this text: 4 symbols, a b c equally likely
    counts = np.array([path.read_text().count(ch) for ch in sorted(set(path.read_text()))], float)
    p = counts / counts.sum()
    assert out["baseline"] == pytest.approx(float(-(p * np.log(p)).sum()))


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


def test_missing_text_file_is_a_clear_error(tmp_path):
    with pytest.raises(SystemExit, match="error"):
        main(["train", "--task", "text", "--text", str(tmp_path / "nope.txt"), "--iters", "1"])


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
