"""``train`` under real conditions (issue 16): settings that make no sense are refused, SIGTERM saves
and exits 143, one run per folder (``DIR/.lock``), and a long sequence is trained and scored in
memory that does not grow with T."""
import math
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from tinygrad_rnn.cli import main
from tinygrad_rnn.tasks import make_task
from tinygrad_rnn.train import TrainConfig, train
from tinygrad_rnn.train import loop
from tinygrad_rnn.train.checkpoint import LOCK_FILE, RunFolderBusy, load_checkpoint, lock_run_folder
from tinygrad_rnn.train.loop import HeldOut, build_model, evaluate

from helpers import metrics_of, without_seconds

TINY = ["--seq-len", "10", "--batch", "4", "--hidden", "4", "--log-every", "5"]


def _start(argv, out_dir):
    return subprocess.Popen([sys.executable, "-m", "tinygrad_rnn", "train", *argv, "--out", str(out_dir)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for_log_lines(proc, out_dir, lines=1, timeout=60):
    """Until ``out_dir``/metrics.jsonl has ``lines`` lines: training is under way."""
    log = out_dir / "metrics.jsonl"
    deadline = time.monotonic() + timeout
    while not (log.exists() and log.read_text().count("\n") >= lines):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "training did not get that far"
        time.sleep(0.02)


def _finish(proc, sig=None, timeout=120):
    try:
        if sig is not None:
            proc.send_signal(sig)
        stdout, stderr = proc.communicate(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return proc.returncode, stdout, stderr


def _assert_same_checkpoints(a, b):
    assert a.iteration == b.iteration and a.rngs == b.rngs
    assert {**a.config, "out": None} == {**b.config, "out": None}
    assert list(a.model_state) == list(b.model_state)
    for name in a.model_state:
        assert np.array_equal(a.model_state[name], b.model_state[name]), name
    assert a.optimizer_state["param_groups"] == b.optimizer_state["param_groups"]
    for index, entries in a.optimizer_state["state"].items():
        for key, value in entries.items():
            assert np.array_equal(value, b.optimizer_state["state"][index][key]), (index, key)
    assert without_seconds(a.extra["history"]) == without_seconds(b.extra["history"])
    assert a.extra["pending"] == b.extra["pending"]


# --- 1. settings that make no sense ------------------------------------------------------------------
BAD_SETTINGS = [
    (dict(tbptt=0), ["tbptt (--tbptt)", "int >= 1", "got 0", "tbptt=None", "full BPTT"]),
    (dict(k1=0), ["k1 (--k1)", "got 0", "k1=20", "full BPTT"]),
    (dict(k1=0, k2=5), ["k1 (--k1)", "got 0"]),
    (dict(k2=0), ["k2 (--k2)", "got 0", "k2 >= k1"]),
    (dict(k1=-3), ["k1 (--k1)", "got -3"]),
    (dict(tbptt=True), ["tbptt (--tbptt)", "got True (bool)"]),
    (dict(tbptt=2.5), ["tbptt (--tbptt)", "got 2.5 (float)"]),
    (dict(k1=20.0), ["k1 (--k1)", "got 20.0 (float)", "k1=20 (the number, not the float 20.0)"]),
    (dict(lr="0.1"), ["lr (--lr)", "finite number > 0", "'0.1' (str)", "lr=0.1 (the number, not the str '0.1')"]),
    (dict(lr=0.0), ["lr (--lr)", "got 0.0", "lr=0.01"]),
    (dict(lr=float("nan")), ["lr (--lr)", "got nan"]),
    (dict(lr=True), ["lr (--lr)", "got True (bool)"]),
    (dict(hidden=True), ["hidden (--hidden)", "int >= 1", "got True (bool)", "hidden=32 (--hidden 32)"]),
    (dict(hidden="32"), ["hidden (--hidden)", "'32' (str)", "hidden=32 (the number"]),
    (dict(seq_len=0), ["seq_len (--seq-len)", "got 0", "--seq-len 50"]),
    (dict(batch=-1), ["batch (--batch)", "got -1"]),
    (dict(iters=0), ["iters (--iters)", "got 0"]),
    (dict(log_every=0), ["log_every (--log-every)", "got 0"]),
    (dict(eval_batch=0), ["eval_batch must be", "got 0", "eval_batch=256"]),
    (dict(clip=float("inf")), ["clip (--clip)", "finite number > 0 or None", "got inf", "clip=None"]),
    (dict(clip_value=0), ["clip_value (--clip-value)", "got 0"]),
    (dict(init_scale=float("nan")), ["init_scale (--init-scale)", "finite number or None", "got nan"]),
    (dict(init_scale="1"), ["init_scale (--init-scale)", "'1' (str)", "init_scale=1.0"]),
    (dict(seed=-1), ["seed (--seed)", "int >= 0", "got -1", "seed=0"]),
    (dict(seed=1.5), ["seed (--seed)", "got 1.5 (float)"]),
    (dict(random_truncation="yes"), ["random_truncation (--random-truncation)", "True or False", "'yes'"]),
    (dict(agreement_min_distractor=-1), ["agreement_min_distractor", "int >= 0 or None", "got -1"]),
]


@pytest.mark.parametrize("settings, fragments", BAD_SETTINGS, ids=[repr(s) for s, _ in BAD_SETTINGS])
def test_check_refuses_each_bad_number_in_one_line_with_a_fix(settings, fragments):
    with pytest.raises(ValueError) as info:
        TrainConfig(**settings).check()
    message = str(info.value)
    assert message.startswith("train: ") and "\n" not in message and "Fix: " in message
    missing = [f for f in fragments if f not in message]
    assert not missing, f"{missing} not in: {message}"


def test_every_problem_is_reported_at_once():
    with pytest.raises(ValueError) as info:
        TrainConfig(hidden=0, lr=-1.0, tbptt=0).check()
    assert all(name in str(info.value) for name in ("hidden (--hidden)", "lr (--lr)", "tbptt (--tbptt)"))


def test_numpy_numbers_are_numbers():
    config = TrainConfig(hidden=np.int64(3), seq_len=np.int32(6), batch=2, iters=2, lr=np.float32(0.01),
                         tbptt=np.int64(3), log_every=1, eval_batch=4)
    assert config.check() is config


def test_a_window_of_0_is_never_taken_for_full_bptt():
    """``truncation()`` reads None as "not given", not 0: even unchecked, 0 can't mean full BPTT."""
    rng = np.random.default_rng(0)
    assert TrainConfig(seq_len=30).truncation(rng).k1 == 30
    assert (TrainConfig(seq_len=30, tbptt=7).truncation(rng).k1, TrainConfig(k1=4, k2=9).truncation(rng).k2) == (7, 9)
    for settings in (dict(tbptt=0), dict(k1=0), dict(k1=0, k2=5)):
        with pytest.raises(ValueError, match=r"TBPTT: k1 must be a positive int .*got 0"):
            TrainConfig(seq_len=30, **settings).truncation(rng)


@pytest.mark.parametrize("argv, fragments", [
    (["--tbptt", "0"], ["argument --tbptt", "got '0'", "leave --tbptt out for full BPTT"]),
    (["--k1", "0"], ["argument --k1", "got '0'", "--k1 20 --k2 40"]),
    (["--k1", "0", "--k2", "5"], ["argument --k1", "got '0'"]),
    (["--k1", "3", "--k2", "0"], ["argument --k2", "got '0'", "K2 >= --k1"]),
    (["--tbptt", "-2"], ["argument --tbptt", "got '-2'"]),
    (["--tbptt", "2.5"], ["argument --tbptt", "got '2.5'"]),
    (["--hidden", "0"], ["argument --hidden", "got '0'", "--hidden 32"]),
    (["--seed", "-1"], ["argument --seed", "got '-1'"]),
    (["--lr", "0"], ["lr (--lr)", "got 0.0", "Fix: "]),
    (["--clip", "nan"], ["clip (--clip)", "got nan"]),
    (["--init-scale", "inf"], ["init_scale (--init-scale)", "got inf"]),
], ids=lambda x: " ".join(x) if isinstance(x, list) and x[0].startswith("--") else None)
def test_the_command_refuses_them_before_training(argv, fragments, capsys):
    with pytest.raises(SystemExit) as info:
        main(["train", "--iters", "1", *argv])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("tinygrad-rnn train: error: "), err
    missing = [f for f in fragments if f not in err]
    assert not missing, f"{missing} not in: {err}"


# --- 2. SIGTERM ------------------------------------------------------------------------------------
def test_importing_the_library_leaves_the_signal_handlers_alone():
    code = ("import signal; before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}; "
            "import tinygrad_rnn, tinygrad_rnn.train, tinygrad_rnn.cli, tinygrad_rnn.cli.train; "
            "assert {s: signal.getsignal(s) for s in before} == before, 'changed'")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_the_command_puts_the_previous_handlers_back(capsys):
    def mine(signum, frame):
        pass
    before = signal.signal(signal.SIGTERM, mine)
    try:
        assert main(["train", "--iters", "2", *TINY]) == 0
        assert signal.getsignal(signal.SIGTERM) is mine
    finally:
        signal.signal(signal.SIGTERM, before)


def test_sigterm_saves_exits_143_and_resume_ends_bit_identical(tmp_path):
    """A real SIGTERM: the iteration is finished, the checkpoint saved, one line says where it is and how
    to go on, exit status 143; ``--resume`` then ends exactly where an uninterrupted run ends."""
    iters = 400
    argv = ["--iters", str(iters), *TINY]
    run = tmp_path / "run"
    proc = _start(argv, run)
    _wait_for_log_lines(proc, run)
    returncode, stdout, stderr = _finish(proc, signal.SIGTERM)
    assert returncode == 143, (returncode, stderr)
    assert "Traceback" not in stderr
    told = [line for line in stderr.splitlines() if "SIGTERM" in line]
    assert len(told) == 1 and stderr.splitlines()[-1] == told[0], stderr
    stopped_at = load_checkpoint(run).iteration
    assert 5 <= stopped_at < iters, "the run ended before the signal came: make it longer"
    assert told[0] == (f"tinygrad-rnn train: stopped by SIGTERM after iteration {stopped_at}; the checkpoint in "
                       f"{run / 'checkpoint'} holds iteration {stopped_at}; continue with: tinygrad-rnn train "
                       f"--resume {run}")
    assert stdout.startswith(f"stopped early: {stopped_at} iterations")
    assert (run / "model.npz").exists() and not [n for n in os.listdir(run / "checkpoint") if n.endswith(".tmp")]

    resumed = subprocess.run([sys.executable, "-m", "tinygrad_rnn", "train", "--resume", str(run)],
                             capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    reference = tmp_path / "reference"
    train(TrainConfig(iters=iters, seq_len=10, batch=4, hidden=4, log_every=5, out=str(reference)))
    _assert_same_checkpoints(load_checkpoint(run), load_checkpoint(reference))
    assert metrics_of(run) == metrics_of(reference)


# --- 3. one run per folder ----------------------------------------------------------------------------
def test_a_second_run_on_the_folder_fails_at_once_and_the_first_goes_on(tmp_path):
    run = tmp_path / "run"
    first = _start(["--iters", "100000", *TINY], run)
    try:
        _wait_for_log_lines(first, run)
        busy = f"another run is writing to '{run}' (pid {first.pid}); wait for it, or use another --out"
        for argv in (["train", "--iters", "3", *TINY, "--out", str(run)], ["train", "--resume", str(run)]):
            started = time.monotonic()
            second = subprocess.run([sys.executable, "-m", "tinygrad_rnn", *argv], capture_output=True, text=True,
                                    timeout=120)
            assert second.returncode == 2, (argv, second.stderr)
            assert second.stderr == f"tinygrad-rnn train: error: {busy}\n", second.stderr
            assert time.monotonic() - started < 60                  # at once, not after waiting for the first
        with pytest.raises(RunFolderBusy, match=r"another run is writing to .*\(pid \d+\)"):
            train(TrainConfig(iters=1, seq_len=10, batch=4, hidden=4, out=str(run)))
        lines = (run / "metrics.jsonl").read_text().count("\n")
        _wait_for_log_lines(first, run, lines + 2)                    # the first run is unharmed: it goes on
        returncode, stdout, stderr = _finish(first, signal.SIGINT)
    finally:
        if first.poll() is None:
            first.kill()
    assert returncode == 130 and "Traceback" not in stderr, stderr
    assert (run / LOCK_FILE).read_text() == ""                        # no pid of a finished run is left
    again = train(TrainConfig(iters=load_checkpoint(run).iteration + 2, seq_len=10, batch=4, hidden=4, log_every=5),
                  resume=run)                                         # the lock was released
    assert again.stopped is None and not again.interrupted


def test_a_killed_run_leaves_no_stale_lock(tmp_path):
    run = tmp_path / "run"
    proc = _start(["--iters", "100000", *TINY], run)
    _wait_for_log_lines(proc, run)
    _finish(proc, signal.SIGKILL)
    assert (run / LOCK_FILE).read_text().strip() == str(proc.pid)    # what it wrote is still there ...
    result = train(TrainConfig(iters=2, seq_len=10, batch=4, hidden=4, out=str(run)))   # ... but nobody holds it
    assert result.iters == 2


def test_the_lock_is_reentrant_in_one_thread_and_released_after(tmp_path):
    with lock_run_folder(tmp_path / "run"):
        assert (tmp_path / "run" / LOCK_FILE).read_text().strip() == str(os.getpid())
        with lock_run_folder(tmp_path / "run"):                       # the CLI's lock, then train's own
            train(TrainConfig(iters=1, seq_len=4, batch=2, hidden=2, eval_batch=2, out=str(tmp_path / "run")))
        probe = subprocess.run([sys.executable, "-m", "tinygrad_rnn", "train", "--iters", "1", "--seq-len", "4",
                                "--out", str(tmp_path / "run")], capture_output=True, text=True, timeout=120)
        assert probe.returncode == 2 and f"(pid {os.getpid()})" in probe.stderr, probe.stderr
    probe = subprocess.run([sys.executable, "-m", "tinygrad_rnn", "train", "--resume", str(tmp_path / "run"),    # the
                            "--iters", "2"], capture_output=True, text=True, timeout=120)    # folder holds a run now
    assert probe.returncode == 0, probe.stderr


# --- 4. long sequences in bounded memory ---------------------------------------------------------------
TASKS = [("adding", 30), ("copy", 33), ("agreement", 25), ("text", 30)]


def _model(task_name, seq_len):
    config = TrainConfig(task=task_name, cell="gru", hidden=5, seq_len=seq_len)
    task = loop.build_task(config)
    return task, build_model(config, task)


@pytest.mark.parametrize("task_name, seq_len", TASKS)
@pytest.mark.parametrize("window", [1, 4, 7, 1000])
def test_evaluating_window_by_window_gives_the_one_piece_metric(task_name, seq_len, window):
    task, model = _model(task_name, seq_len)
    model.double()
    batch = task.batch(19, rng=5)
    whole, windowed = evaluate(model, task, batch), evaluate(model, task, batch, window=window)
    # Not the same bits: a window's input projection is a matmul of another shape, and OpenBLAS picks
    # its kernel, so its summation order, by shape and CPU (SkylakeX's float32 differed in the 9th digit,
    # issue 26). In float64 each of the <= 33 steps adds a few units of 1.1e-16 to the outputs, so the
    # metrics agree far within 1e-12; a state not carried between windows moves them by 1e-3 or more.
    assert windowed == pytest.approx(whole, rel=1e-12, abs=0)


@pytest.mark.parametrize("task_name, seq_len", TASKS)
def test_a_held_out_batch_in_pieces_scores_as_the_whole_batch(task_name, seq_len):
    task, model = _model(task_name, seq_len)
    model.double()              # pieces are matmuls of other shapes: float64, so rel=1e-12 holds on any kernel
    per_sequence = seq_len * task.input_size * 4
    held = HeldOut(task, 23, 99, max_bytes=5 * per_sequence)         # chunks of 5 sequences, short windows
    assert held.in_pieces and held.chunks == [5, 5, 5, 5, 3] and held.window == 5 * seq_len // 23
    whole = held.whole()
    assert whole.inputs.shape[:2] == (seq_len, 23)
    assert np.array_equal(whole.inputs[:, :5], task.batch(5, rng=np.random.default_rng([99, 0])).inputs)
    windows = list(held.windows())
    assert all(w.inputs.shape[0] <= held.window for w in windows)
    for name in ("inputs", "targets", "mask"):                        # the windows tile the whole batch
        assert np.array_equal(np.concatenate([getattr(w, name) for w in windows]), getattr(whole, name))
    assert held.evaluate(model) == pytest.approx(evaluate(model, task, whole), rel=1e-12, abs=0)
    assert held.trivial_metric() == pytest.approx(task.trivial_metric(whole), rel=1e-12, abs=0)
    assert held.evaluate(model) == held.evaluate(model)               # regenerated the same every time


def test_a_small_held_out_batch_is_the_one_it_always_was():
    task = make_task("adding", 50)
    held = HeldOut(task, 256, 1_000_003)
    assert not held.in_pieces
    assert np.array_equal(held.batch.inputs, task.batch(256, rng=1_000_003).inputs)


def test_train_scores_a_long_held_out_batch_in_pieces(monkeypatch):
    """With a small budget, train's value and baseline are those of the whole held-out batch, and the
    same whether or not training is truncated."""
    monkeypatch.setattr(loop, "HELD_OUT_BYTES", 40 * 4 * 2 * 4)        # 4 adding sequences of 40 steps
    settings = dict(task="adding", cell="lstm", hidden=3, seq_len=40, batch=2, iters=2, log_every=1, eval_batch=10)
    truncated, full = train(TrainConfig(tbptt=8, **settings)), train(TrainConfig(**settings))
    task = loop.build_task(TrainConfig(**settings))
    held = HeldOut(task, 10, 1_000_003)
    assert held.in_pieces and held.chunks == [4, 4, 2]
    # train's value is the pieces' (the very same computation, so the same bits) ...
    assert truncated.value == held.evaluate(truncated.model) and full.value == held.evaluate(full.model)
    assert truncated.baseline == full.baseline == pytest.approx(task.trivial_metric(held.whole()), rel=1e-12)
    # ... which is the whole batch's: in float64, as the pieces' matmuls have other shapes (any kernel)
    for model in (truncated.model.double(), full.model.double()):
        assert held.evaluate(model) == pytest.approx(evaluate(model, task, held.whole()), rel=1e-12, abs=0)


PEAK_RSS = textwrap.dedent("""
    import resource, sys
    from tinygrad_rnn.cli import main
    code = main(["train", "--task", "adding", "--cell", "lstm", "--hidden", "16", "--batch", "4", "--iters", "1",
                 "--tbptt", "50", "--seq-len", sys.argv[1]])
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)        # KiB on Linux, bytes on macOS
    sys.exit(code)
""")


@pytest.mark.skipif(sys.platform == "win32", reason="resource.getrusage is POSIX only")
def test_peak_memory_of_train_does_not_grow_with_the_sequence_length():
    """The whole process's peak RSS at T = 20,000 is within 1.3x of that at T = 2,000 (before the held-out
    batch was bounded: 55 MB and 172 MB, 3.1x)."""
    procs = {T: subprocess.Popen([sys.executable, "-c", PEAK_RSS, str(T)], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True) for T in (2000, 20000)}
    peaks = {}
    for T, proc in procs.items():
        stdout, stderr = proc.communicate(timeout=600)
        assert proc.returncode == 0, stderr
        peaks[T] = int(stdout.strip().splitlines()[-1])
    assert peaks[20000] <= 1.3 * peaks[2000], peaks
