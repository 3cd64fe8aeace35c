"""Mistakes on the command line end in one line on stderr and exit code 2, never a traceback.

Every command gets bad arguments (an unknown choice, a negative number, a malformed matrix), and
where it reads or writes files, a missing input file and an output folder that can't be written:
``/proc/forbidden`` (nothing can be made there, even as root) or a path below a regular file.
Each case runs ``python -m tinygrad_rnn`` in a subprocess with tiny sizes; they run two at a time.
"""
import concurrent.futures
import json
import math
import os
import signal
import subprocess
import sys

import pytest

from tinygrad_rnn.cli import main
from tinygrad_rnn.cli.args import Failed, one_line

TINY_TRAIN = ["--iters", "1", "--seq-len", "4", "--hidden", "2", "--batch", "2"]

# (id, argv, fragments of the line); "{tmp}" is a scratch folder holding the files "afile" and "notes.py"
# and the folder "folder.dot"
CASES = [
    ("unknown command", ["bogus"], ["invalid choice", "'bogus'"]),
    ("--blas-threads 0", ["--blas-threads", "0", "eig", "1"], ["--blas-threads", "'0'", ">= 1"]),
    # tour
    ("tour unknown option", ["tour", "--bogus"], ["unrecognized arguments", "--bogus"]),
    ("tour out in /proc", ["tour", "--quick", "--out", "/proc/forbidden"], ["/proc/forbidden"]),
    ("tour out below a file", ["tour", "--quick", "--out", "{tmp}/afile/sub"], ["afile"]),
    # train
    ("train unknown cell", ["train", "--cell", "cnn"], ["--cell", "'cnn'", "lstm"]),
    ("train hidden 0", ["train", "--hidden", "0"], ["hidden", "0"]),
    ("train negative lr", ["train", "--lr", "-1"], ["lr", "-1"]),
    ("train missing text file", ["train", "--task", "text", "--text", "{tmp}/missing.txt"], ["missing.txt"]),
    ("train k2 < k1", ["train", *TINY_TRAIN, "--k1", "3", "--k2", "2"], ["k2", "k1"]),
    ("train task too short", ["train", "--task", "copy", "--seq-len", "5", "--iters", "1"], ["seq_len", "21"]),
    ("train out in /proc", ["train", *TINY_TRAIN, "--out", "/proc/forbidden"], ["/proc/forbidden"]),
    ("train out is a file", ["train", *TINY_TRAIN, "--out", "{tmp}/afile"], ["afile", "not a folder"]),
    ("train tbptt 0", ["train", *TINY_TRAIN, "--tbptt", "0"], ["--tbptt", "'0'", "full BPTT"]),
    ("train k1 0 with k2", ["train", *TINY_TRAIN, "--k1", "0", "--k2", "5"], ["--k1", "'0'", "Fix"]),
    ("train k2 0", ["train", *TINY_TRAIN, "--k1", "2", "--k2", "0"], ["--k2", "'0'", "--k1"]),
    ("train lr nan", ["train", *TINY_TRAIN, "--lr", "nan"], ["--lr", "nan", "Fix"]),
    ("train negative seed", ["train", *TINY_TRAIN, "--seed", "-1"], ["--seed", "'-1'", ">= 0"]),
    ("train out holds another run", ["train", *TINY_TRAIN, "--out", "{tmp}/oldrun"],
     ["--out", "oldrun", "another run", "cell 'gru' there, 'lstm' here", "another --out"]),
    ("train hidden too large for memory", ["train", "--hidden", "1000000"],
     ["--hidden 1000000", "memory", "Fix: a smaller --hidden, e.g. --hidden"]),
    # eig
    ("eig ragged rows", ["eig", "1 2; 3"], ["different lengths", "[2, 1]"]),
    ("eig not a number", ["eig", "1 x; 2 3"], ["'x'", "not a number", '"1 1; 1 1"']),
    ("eig not square", ["eig", "1 2 3"], ["1 x 3", "square"]),
    ("eig nan", ["eig", "nan 1; 1 1"], ["nan", "finite"]),
    ("eig empty", ["eig", ";"], ["empty"]),
    ("eig negative tol", ["eig", "1 1; 1 1", "--tol", "-1"], ["--tol", "'-1'", ">= 0"]),
    ("eig unknown nonlinearity", ["eig", "1 1; 1 1", "--nonlinearity", "gelu"], ["--nonlinearity", "'gelu'", "tanh"]),
    ("eig no matrix", ["eig"], ["required", "matrix"]),
    # graph
    ("graph zero steps", ["graph", "--steps", "0"], ["--steps", "'0'", ">= 1"]),
    ("graph a million steps", ["graph", "--steps", "1000000"], ["--steps 1000000", "--steps 5000 or fewer"]),
    ("graph cut after the end", ["graph", "--steps", "3", "--cut-at", "3"], ["cut_at", "got 3"]),
    ("graph unknown format", ["graph", "--out", "{tmp}/g.jpg"], ["g.jpg", ".svg"]),
    ("graph out in /proc", ["graph", "--out", "/proc/forbidden/g.svg"], ["/proc/forbidden", "does not exist"]),
    ("graph out below a file", ["graph", "--out", "{tmp}/afile/g.svg"], ["afile", "not a folder"]),
    ("graph out is a folder", ["graph", "--out", "{tmp}/folder.dot"], ["folder.dot", "is a folder"]),
    # gradflow
    ("gradflow negative steps", ["gradflow", "--steps", "-3"], ["--steps", "'-3'"]),
    ("gradflow a million steps", ["gradflow", "--steps", "1000000"], ["--steps 1000000", "--steps 20000 or fewer"]),
    ("gradflow infinite scale", ["gradflow", "--scale", "inf"], ["--scale", "'inf'", "finite"]),
    ("gradflow activation of a GRU", ["gradflow", "--cell", "gru", "--nonlinearity", "linear", "--steps", "2"],
     ["GRU", "rnn cell only"]),
    ("gradflow negative radius", ["gradflow", "--init", "spectral", "--scale", "-1", "--steps", "2"], ["rho", "-1"]),
    ("gradflow plot below a file", ["gradflow", "--steps", "2", "--plot", "{tmp}/afile/p.png"],
     ["afile", "not a folder"]),
    # figures
    ("figures out in /proc", ["figures", "--out", "/proc/forbidden"], ["/proc/forbidden"]),
    ("figures out is a file", ["figures", "--out", "{tmp}/afile"], ["afile", "not a folder"]),
    ("figures extra argument", ["figures", "docs"], ["unrecognized arguments", "docs"]),
    # check
    ("check unknown exercise", ["check", "ex99"], ["'ex99'", "ex14_cell_state_path"]),
    ("check missing file", ["check", "3", "--file", "{tmp}/missing.py"], ["missing.py", "no such file"]),
    ("check file is a folder", ["check", "3", "--file", "{tmp}"], ["is a folder"]),
    ("check file with an unknown name", ["check", "--file", "{tmp}/notes.py"], ["can't tell which exercise"]),
]


def _run(argv, cwd, timeout=60):
    env = dict(os.environ, PYTHONWARNINGS="ignore", MPLBACKEND="Agg")
    return subprocess.run([sys.executable, "-m", "tinygrad_rnn", *argv], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """Every case's (returncode, stdout, stderr), two subprocesses at a time."""
    tmp = tmp_path_factory.mktemp("cli_errors")
    (tmp / "afile").write_text("a regular file, not a folder")
    (tmp / "notes.py").write_text("")
    (tmp / "folder.dot").mkdir()
    (tmp / "oldrun").mkdir()                     # an earlier run's folder: its config.json, another cell
    (tmp / "oldrun" / "config.json").write_text('{"cell": "gru", "hidden": 2, "seq_len": 4, "batch": 2}')
    argvs = {name: [a.replace("{tmp}", str(tmp)) for a in argv] for name, argv, _ in CASES}
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        futures = {name: pool.submit(_run, argv, tmp) for name, argv in argvs.items()}
        return {name: future.result() for name, future in futures.items()}


@pytest.mark.parametrize("name, argv, fragments", CASES, ids=[c[0] for c in CASES])
def test_one_line_on_stderr_and_exit_code_2(results, name, argv, fragments):
    proc = results[name]
    assert "Traceback" not in proc.stderr + proc.stdout, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got {len(lines)}:\n{proc.stderr}"
    command = argv[0] if argv[0] in ("tour", "train", "eig", "graph", "gradflow", "figures", "check") else None
    prefix = f"tinygrad-rnn {command}: error: " if command else "tinygrad-rnn: error: "
    assert lines[0].startswith(prefix), lines[0]
    missing = [f for f in fragments if f not in lines[0]]
    assert not missing, f"{missing} not in: {lines[0]}"
    assert proc.returncode == 2, (proc.returncode, proc.stderr)


def test_every_command_has_cases():
    commands = {argv[0] for _, argv, _ in CASES}
    assert {"tour", "train", "eig", "graph", "gradflow", "figures", "check"} <= commands


@pytest.mark.parametrize("argv", [["graph", "--steps", "8", "--detail", "ops"], ["check", "--list"]],
                         ids=["graph", "check --list"])
def test_a_closed_pipe_ends_quietly(argv, tmp_path):
    """Like `tinygrad-rnn graph | head -1`: the reader is gone before the output is written."""
    proc = subprocess.Popen([sys.executable, "-m", "tinygrad_rnn", *argv], cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    proc.stdout.close()
    stderr = proc.stderr.read()
    proc.wait(timeout=60)
    assert stderr == "" and proc.returncode == 0, (proc.returncode, stderr)


def test_ctrl_c_is_one_line_and_exit_code_130(tmp_path):
    env = dict(os.environ, PYTHONUNBUFFERED="1", MPLBACKEND="Agg")
    proc = subprocess.Popen([sys.executable, "-m", "tinygrad_rnn", "figures", "--out", str(tmp_path)], cwd=tmp_path,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = proc.stdout.readline()                   # "wrote ...": the command is running
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert first.startswith("wrote"), first
    assert "Traceback" not in stderr
    assert stderr.strip() == "tinygrad-rnn figures: interrupted" and proc.returncode == 130, stderr


# --- in-process: what main() does with each kind of exception -------------------------------------

def test_in_process_an_error_is_reported_once_and_raised_as_exit_code_2(capsys):
    with pytest.raises(SystemExit) as info:
        main(["eig", "1 2; 3"])
    assert isinstance(info.value, Failed) and info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(info.value) == err.strip()


def test_an_unexpected_exception_keeps_its_traceback(monkeypatch):
    """A bug is not a user mistake: it is not turned into a one-line message."""
    from tinygrad_rnn.cli import eig

    def broken(args):
        raise RuntimeError("an internal bug")
    monkeypatch.setattr(eig, "run", broken)
    with pytest.raises(RuntimeError, match="an internal bug"):
        main(["eig", "1"])


def test_an_os_error_is_put_in_words(monkeypatch, capsys, tmp_path):
    from tinygrad_rnn.cli import eig

    def unwritable(args):
        raise PermissionError(13, "Permission denied", str(tmp_path / "x"))
    monkeypatch.setattr(eig, "run", unwritable)
    with pytest.raises(SystemExit):
        main(["eig", "1"])
    assert capsys.readouterr().err == f"tinygrad-rnn eig: error: no permission to use '{tmp_path / 'x'}'\n"


def test_one_line_folds_a_list_into_the_line():
    assert one_line("nothing was loaded, because:\n  missing: 'a'\n  unexpected: 'b'") == \
        "nothing was loaded, because: missing: 'a'; unexpected: 'b'"



def test_a_million_graph_steps_are_refused_before_anything_is_unrolled(monkeypatch, capsys):
    from tinygrad_rnn.cli import graph
    monkeypatch.setattr(graph, "unroll", lambda *a, **k: pytest.fail("unrolled before the check"))
    with pytest.raises(Failed):
        main(["graph", "--steps", "100000"])
    assert "--steps 100000" in capsys.readouterr().err


def test_a_memory_error_is_one_line_naming_what_to_make_smaller(monkeypatch, capsys):
    from tinygrad_rnn.cli import train

    def too_big(args):
        raise MemoryError("Unable to allocate 14.6 TiB for an array with shape (4000000, 1000000)")
    monkeypatch.setattr(train, "run", too_big)
    with pytest.raises(Failed):
        main(["train"])
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("tinygrad-rnn train: error: out of memory")
    assert "--hidden" in err and "Traceback" not in err


def test_sigterm_is_one_line_and_exit_code_143(tmp_path):
    env = dict(os.environ, PYTHONUNBUFFERED="1", MPLBACKEND="Agg")
    proc = subprocess.Popen([sys.executable, "-m", "tinygrad_rnn", "figures", "--out", str(tmp_path)], cwd=tmp_path,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = proc.stdout.readline()                   # "wrote ...": the command is running
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=60)
    assert first.startswith("wrote"), first
    assert stderr.strip() == "tinygrad-rnn figures: terminated" and proc.returncode == 143, (proc.returncode, stderr)
    assert not list(tmp_path.glob(".*.tmp"))         # the write under way removed its temporary file


# --- --json: strict JSON, non-finite numbers as strings ----------------------------------------------
def _strict_json(text):
    def refuse(constant):
        raise ValueError(f"{constant} is not JSON")
    return json.loads(text, parse_constant=refuse)


def test_eig_json_writes_an_infinite_radius_as_a_string(capsys):
    assert main(["eig", "1e308 1e308; 1e308 1e308", "--json"]) == 0
    out = _strict_json(capsys.readouterr().out)
    assert out["spectral_radius"] == "inf" and float(out["spectral_radius"]) == math.inf


def test_gradflow_json_and_a_note_when_the_norms_overflow(capsys):
    assert main(["gradflow", "--init", "orthogonal", "--scale", "1e100", "--nonlinearity", "linear", "--steps", "5",
                 "--json"]) == 0
    captured = capsys.readouterr()
    out = _strict_json(captured.out)
    assert out["jacobian_norms"][:3] == pytest.approx([1e100, 1e200, 1e300], rel=1e-9)
    assert all(isinstance(x, str) and not math.isfinite(float(x)) for x in out["jacobian_norms"][3:])
    assert "from d = 4 on" in captured.err and "--scale" in captured.err and "SVD" not in captured.err


def test_train_json_of_a_run_that_diverged_at_once_and_the_fix_named(capsys):
    assert main(["train", *TINY_TRAIN, "--init-scale", "1e300", "--json"]) == 1
    captured = capsys.readouterr()
    out = _strict_json(captured.out)
    assert out["value"] == "nan" and out["stopped"].startswith("non-finite")
    error = [line for line in captured.err.splitlines() if "error" in line]
    assert len(error) == 1 and "--init-scale" in error[0] and "--lr" not in error[0], error


# --- train --out never replaces another run ----------------------------------------------------------
def _files(folder):
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
            and p.name != ".lock"}


def test_train_out_refuses_a_folder_holding_a_run_and_says_which(tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", *TINY_TRAIN, "--out", str(run)]) == 0
    before = _files(run)
    assert {"config.json", "metrics.jsonl", "model.npz"} <= {str(p) for p in before}
    with pytest.raises(Failed) as other:
        main(["train", *TINY_TRAIN, "--cell", "rnn", "--out", str(run)])
    assert "another run" in str(other.value) and "cell 'lstm' there, 'rnn' here" in str(other.value)
    with pytest.raises(Failed) as same:
        main(["train", *TINY_TRAIN, "--iters", "3", "--out", str(run)])
    assert "with these settings" in str(same.value) and f"--resume {run} --iters 3" in str(same.value)
    assert _files(run) == before                     # nothing was replaced
    capsys.readouterr()
    assert main(["train", "--resume", str(run), "--iters", "2"]) == 0        # continuing it is fine


def test_resuming_a_checkpoint_with_nan_weights_says_it_is_damaged(tmp_path):
    import numpy as np
    import tinygrad_rnn as tg
    from tinygrad_rnn.train.checkpoint import load_checkpoint
    run = tmp_path / "run"
    assert main(["train", *TINY_TRAIN, "--out", str(run)]) == 0
    checkpoint = load_checkpoint(run)
    model_file = run / "checkpoint" / json.loads((run / "checkpoint" / "checkpoint.json").read_text())["model"]
    state = tg.load(model_file)
    state["cell.weight_hh"][0, 0] = np.nan
    tg.save(state, model_file)
    with pytest.raises(Failed) as info:
        main(["train", "--resume", str(run), "--iters", "3"])
    message = str(info.value)
    assert "damaged" in message and "cell.weight_hh" in message and f"iteration {checkpoint.iteration}" in message
    assert "a smaller --lr" not in message and "Fix: start the run again" in message


# --- temporary files of a killed save -----------------------------------------------------------------
KILLED_WRITE = """
import os, signal, sys
from tinygrad_rnn.serialization import atomic_write
def write(f):
    f.write(b"half a file")
    f.flush()
    os.kill(os.getpid(), signal.SIGKILL)       # as the OOM killer or a power loss would
atomic_write(os.path.join(sys.argv[1], sys.argv[2]), write)
"""


def test_a_save_killed_mid_write_leaves_no_temporary_file_for_the_next_run(tmp_path, capsys):
    run = tmp_path / "run"
    (run / "checkpoint").mkdir(parents=True)
    for folder, name in ((run, "model.npz"), (run / "checkpoint", "checkpoint.json")):
        proc = subprocess.run([sys.executable, "-c", KILLED_WRITE, str(folder), name], capture_output=True)
        assert proc.returncode == -signal.SIGKILL
    left = sorted(p.name for p in run.rglob(".*.tmp"))
    assert len(left) == 2, left                                       # killed: it could not clean up
    from tinygrad_rnn.serialization import _writer_tag
    alive = run / f".metrics.jsonl.{_writer_tag()[:8]}{os.getppid():08x}{'ab' * 6}.tmp"
    alive.write_bytes(b"a live process is writing this")               # a writer that still runs: kept
    assert main(["train", *TINY_TRAIN, "--out", str(run)]) == 0         # the next run on the folder
    assert [p.name for p in run.rglob(".*.tmp")] == [alive.name]
