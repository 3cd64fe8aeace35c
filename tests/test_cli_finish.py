"""The command line's loose ends (issue 17, item 5): global options before or after the command and
in every help page, train's configuration line and its clipping statistics, and a missing optional
dependency that exits 2 naming the extra to install."""
import pytest

from tinygrad_rnn.cli import COMMANDS, GLOBAL_OPTIONS, build_parser, main


@pytest.mark.parametrize("argv, threads", [(["eig", "1"], 1), (["--blas-threads", "3", "eig", "1"], 3),
                                           (["eig", "1", "--blas-threads", "3"], 3),
                                           (["--blas-threads", "2", "eig", "1", "--blas-threads", "4"], 4)])
def test_global_options_go_before_or_after_the_command(argv, threads):
    args = build_parser().parse_args(argv)
    assert args.command == "eig" and args.blas_threads == threads


def test_a_global_option_after_the_command_is_checked_too(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["eig", "1", "--blas-threads", "0"])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert "--blas-threads" in err and "'0'" in err and "tinygrad-rnn eig --help" in err


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_every_help_page_lists_the_global_options(capsys, command):
    with pytest.raises(SystemExit):
        main([command, "--help"] if command else ["--help"])
    out = capsys.readouterr().out
    for flags, _ in GLOBAL_OPTIONS:
        assert flags[0] in out, command
    assert "global options" in out


def test_the_blas_threads_given_after_the_command_are_used(monkeypatch, capsys):
    seen = {}

    class Limits:
        def __init__(self, limits, user_api):
            seen["limits"] = limits

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False
    monkeypatch.setattr("tinygrad_rnn.cli.threadpool_limits", Limits)
    assert main(["eig", "1 0; 0 1", "--blas-threads", "2"]) == 0
    assert seen["limits"] == 2


TRAIN = ["train", "--iters", "2", "--seq-len", "5", "--batch", "2", "--hidden", "4", "--log-every", "1"]


def test_train_prints_its_configuration_first_and_no_clipping_statistics_without_clipping(capsys):
    assert main(TRAIN + ["--cell", "rnn"]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert err[0] == ("tinygrad-rnn train: rnn tanh (hidden 4) on adding, seq-len 5, batch 2, 2 iterations, adam "
                      "lr 0.01, full BPTT, no clipping, init default, seed 0")
    log = [line for line in err if line.startswith("iter")]
    assert len(log) == 2 and not any("clipped" in line for line in log)


def test_train_shows_clipping_statistics_when_clipping_was_asked_for(capsys):
    assert main(TRAIN + ["--clip", "1e-6", "--tbptt", "2", "--json"]) == 0
    captured = capsys.readouterr()
    err = captured.err.strip().splitlines()
    assert "TBPTT(2), clip norm 1e-06" in err[0]
    log = [line for line in err if line.startswith("iter")]
    assert log and all("clipped 100%" in line for line in log)
    assert captured.out.startswith("{")                 # --json: stdout is still the JSON object only


def test_gradflow_plot_without_matplotlib_exits_2_naming_the_extra(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr("tinygrad_rnn.cli.gradflow.have_matplotlib", lambda: False)
    with pytest.raises(SystemExit) as stop:
        main(["gradflow", "--steps", "3", "--plot", str(tmp_path / "flow.png")])
    assert stop.value.code == 2
    captured = capsys.readouterr()
    assert 'pip install "tinygrad-rnn[plots]"' in captured.err and "matplotlib" in captured.err
    assert captured.out == "" and not (tmp_path / "flow.png").exists()      # stopped before any work


def test_figures_without_matplotlib_exits_2_naming_the_extra(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr("tinygrad_rnn.cli.figures.have_matplotlib", lambda: False)
    with pytest.raises(SystemExit) as stop:
        main(["figures", "--out", str(tmp_path / "images")])
    assert stop.value.code == 2
    assert 'pip install "tinygrad-rnn[plots]"' in capsys.readouterr().err
    assert not (tmp_path / "images").exists()
