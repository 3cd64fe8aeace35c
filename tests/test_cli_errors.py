"""Mistakes on the command line end in one line on stderr and exit code 2, never a traceback.

Every command gets bad arguments (an unknown choice, a negative number, a malformed matrix), and
where it reads or writes files, a missing input file and an output folder that can't be written:
``/proc/forbidden`` (nothing can be made there, even as root) or a path below a regular file.
Each case runs ``python -m tinygrad_rnn`` in a subprocess with tiny sizes; they run two at a time.
"""
import concurrent.futures
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
    ("graph cut after the end", ["graph", "--steps", "3", "--cut-at", "3"], ["cut_at", "got 3"]),
    ("graph unknown format", ["graph", "--out", "{tmp}/g.jpg"], ["g.jpg", ".svg"]),
    ("graph out in /proc", ["graph", "--out", "/proc/forbidden/g.svg"], ["/proc/forbidden", "does not exist"]),
    ("graph out below a file", ["graph", "--out", "{tmp}/afile/g.svg"], ["afile", "not a folder"]),
    ("graph out is a folder", ["graph", "--out", "{tmp}/folder.dot"], ["folder.dot", "is a folder"]),
    # gradflow
    ("gradflow negative steps", ["gradflow", "--steps", "-3"], ["--steps", "'-3'"]),
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
