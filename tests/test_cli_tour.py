"""``tinygrad-rnn tour --quick``: every file it promises exists and is valid, summary.md says what
summary.json says, and the numbers bear out the lecture's claims (checked against values derived
by hand or from math here, never copied from a run)."""
import contextlib
import decimal
import io
import json
import math
import os
import pathlib
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from tinygrad_rnn.analysis import have_matplotlib
from tinygrad_rnn.cli import main
from tinygrad_rnn.viz import dot_available
from tinygrad_rnn.viz.render import INSTALL_HINT

REPO = pathlib.Path(__file__).resolve().parents[1]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def run_tour(out: pathlib.Path):
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main(["tour", "--quick", "--out", str(out)])
    return code, stdout.getvalue(), stderr.getvalue()


@pytest.fixture(scope="module")
def tour(tmp_path_factory):
    out = tmp_path_factory.mktemp("tour") / "tour-output"          # a folder the tour has to make
    code, stdout, stderr = run_tour(out)
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    return {"out": out, "code": code, "stdout": stdout, "stderr": stderr, "summary": summary,
            "md": (out / "summary.md").read_text(encoding="utf-8"),
            "items": {item["key"]: item for section in summary["sections"] for item in section["items"]}}


def value(tour, key):
    return tour["items"][key]["value"]


# --- the files --------------------------------------------------------------------------------------------
def test_the_tour_succeeds_and_writes_exactly_the_files_it_promises(tour):
    assert tour["code"] == 0
    promised = [f["name"] for f in tour["summary"]["files"]]
    assert len(promised) == len(set(promised))
    assert {"summary.md", "summary.json"} <= set(promised)
    assert sorted(os.listdir(tour["out"])) == sorted(promised)       # nothing missing, no temporary files left
    for name in promised:
        assert (tour["out"] / name).stat().st_size > 0, name
    for section in tour["summary"]["sections"]:                      # each part's files are promised too
        assert set(section["files"]) <= set(promised)
        assert section["files"], f"part {section['key']} wrote no picture"


def test_graphs_are_svg_that_parses(tour):
    graphs = [f["name"] for f in tour["summary"]["files"] if f["name"].endswith((".svg", ".dot"))]
    assert len(graphs) >= 4
    if dot_available():
        assert tour["summary"]["graph_format"] == "svg"
        for name in graphs:
            assert name.endswith(".svg")
            root = ET.parse(tour["out"] / name).getroot()
            assert root.tag.rsplit("}", 1)[-1] == "svg", name
            assert any(el.tag.endswith("g") for el in root.iter()), f"{name} draws nothing"
    else:                                                            # the fallback, tested on its own below
        assert all(name.endswith(".dot") for name in graphs)


def test_plots_are_png(tour):
    plots = [f["name"] for f in tour["summary"]["files"] if f["name"].endswith(".png")]
    assert tour["summary"]["plots"] == have_matplotlib()
    if have_matplotlib():
        assert {"eigenvalues.png", "gradient_flow.png", "clipping.png", "truncation.png", "adding.png"} <= set(plots)
    for name in plots:
        assert (tour["out"] / name).read_bytes()[:8] == PNG_SIGNATURE, name


# --- summary.md against summary.json ---------------------------------------------------------------------
def md_rows(md: str) -> dict:
    """``key -> value text`` from summary.md's tables (``| value | what | `key` |``)."""
    rows = {}
    for line in md.splitlines():
        match = re.fullmatch(r"\| (.+?) \| .* \| `([\w.]+)` \|", line)
        if match:
            assert match.group(2) not in rows, f"{match.group(2)} appears twice"
            rows[match.group(2)] = match.group(1).removesuffix(" *(varies)*")
    return rows


def test_every_number_in_summary_md_is_the_one_in_summary_json(tour):
    rows = md_rows(tour["md"])
    assert set(rows) == set(tour["items"])                           # every item, and nothing else
    for key, item in tour["items"].items():
        assert rows[key] == item["shown"], key
        v = item["value"]
        if isinstance(v, bool):
            assert item["shown"] == ("yes" if v else "no")
        elif v is None:
            assert item["shown"] == "—"
        elif isinstance(v, (int, float)):                            # rounded correctly in its last digit
            last_place = 10.0 ** decimal.Decimal(item["shown"]).as_tuple().exponent
            assert abs(float(item["shown"]) - v) <= 0.5 * last_place * (1 + 1e-9), (key, item["shown"], v)
        else:
            assert item["shown"] == str(v)


def test_settings_and_times_in_summary_md_match_summary_json(tour):
    md, summary = tour["md"], tour["summary"]
    assert f"in {summary['seconds']} s." in md
    for section in summary["sections"]:
        block = md.split(f"## {section['number']}. {section['title']}\n", 1)[1].split("\n## ", 1)[0]
        assert f"took {section['seconds']} s." in block
        line = block.split("Settings: ", 1)[1].split("\n")[0]
        settings = dict(re.findall(r"`(\w+)` = (.+?)(?=, `|\.$)", line))
        assert settings == {k: str(v) for k, v in section["settings"].items()}


def test_each_item_names_a_claim_and_a_chapter_that_exists(tour):
    for key, item in tour["items"].items():
        assert item["claim"] and item["what"], key
        chapter = REPO / item["chapter"]["path"]
        assert chapter.is_file(), key
        headings = [line.lstrip("#").strip() for line in chapter.read_text(encoding="utf-8").splitlines()
                    if line.startswith("#")]
        assert item["chapter"]["heading"] in headings, (key, item["chapter"])
    # the links in summary.md lead to those chapters from wherever the folder is
    links = re.findall(r"\]\(([^)#]+\.md)#[\w-]+\)", tour["md"])
    assert links
    for link in set(links):
        assert (tour["out"] / link).resolve().is_file(), link


# --- what it prints ---------------------------------------------------------------------------------------
def test_it_ends_by_naming_the_folder_and_the_file_to_open_first(tour):
    lines = tour["stdout"].rstrip().splitlines()
    folder = str(tour["out"])
    assert any(folder in line for line in lines[-3:])
    opening = next(line for line in lines[-3:] if line.startswith("Open "))
    assert str(tour["out"] / "summary.md") in opening and "first" in opening
    listing = tour["stdout"].split(f"files in {folder}/:", 1)[1]
    for f in tour["summary"]["files"]:
        assert f["name"] in listing


def test_progress_goes_to_stderr_part_by_part(tour):
    err = tour["stderr"]
    n = len(tour["summary"]["sections"])
    assert n == 5
    positions = [err.index(f"[{k}/{n}] ") for k in range(1, n + 1)]
    assert positions == sorted(positions)
    assert err.count("done in") == n and "s so far" in err
    assert "[1/5]" not in tour["stdout"]


# --- the claims, in the numbers ---------------------------------------------------------------------------
def test_eigenvalues_of_the_lecture_matrices(tour):
    # [[1, 1], [1, 1]]: det(A - λI) = (1 - λ)² - 1 = λ(λ - 2); Q = [[s, -s], [-s, -s]], s = 1/√2: λ² = 1
    assert (value(tour, "eigenvalues.lecture_A.lambda_1"), value(tour, "eigenvalues.lecture_A.lambda_2")) == (2, 0)
    assert value(tour, "eigenvalues.lecture_A.regime") == "explode"
    assert value(tour, "eigenvalues.lecture_Q.lambda_1") == pytest.approx(1, abs=1e-12)
    assert value(tour, "eigenvalues.lecture_Q.lambda_2") == pytest.approx(-1, abs=1e-12)
    assert value(tour, "eigenvalues.lecture_Q.regime") == "stable"


def test_each_initialisation_lands_where_the_math_says(tour):
    # orthogonal: every |λ| = 1 and ||Q^T||_2 = 1 exactly
    assert value(tour, "eigenvalues.orthogonal.radius") == pytest.approx(1, abs=1e-9)
    assert value(tour, "eigenvalues.orthogonal.regime") == "stable"
    assert value(tour, "eigenvalues.orthogonal.jacobian_T") == pytest.approx(1, abs=1e-9)
    # circular law: iid entries of variance v put the eigenvalues in a disc of radius sqrt(H v);
    # U(-1/√H, 1/√H) has v = 1/(3H), so ρ ≈ 1/√3 ≈ 0.58; N(0, 1.5²/H) gives ρ ≈ 1.5
    assert 0.4 < value(tour, "eigenvalues.default.radius") < 0.8
    assert value(tour, "eigenvalues.default.regime") == "vanish"
    assert value(tour, "eigenvalues.default.jacobian_T") < 1e-3
    assert 1.2 < value(tour, "eigenvalues.normal_1_5.radius") < 1.9
    assert value(tour, "eigenvalues.normal_1_5.regime") == "explode"
    assert value(tour, "eigenvalues.normal_1_5.jacobian_T") > 1e3
    # Gelfand: ||W^T||^(1/T) -> ρ
    for key in ("default", "normal", "normal_1_5", "orthogonal"):
        rho = value(tour, f"eigenvalues.{key}.radius")
        assert value(tour, f"eigenvalues.{key}.per_step") == pytest.approx(rho, rel=0.1)


def test_tanh_vanishes_even_with_orthogonal_weights_and_so_does_an_untrained_lstm(tour):
    T = tour["summary"]["sections"][1]["settings"]["T"]
    for key in ("rnn_default", "rnn_orthogonal", "lstm_default"):
        assert value(tour, f"gradient_flow.{key}.d{T}") < 0.1 * value(tour, f"gradient_flow.{key}.d1"), key
        assert value(tour, f"gradient_flow.{key}.per_step") < 1
    assert value(tour, "gradient_flow.rnn_orthogonal.radius") == pytest.approx(1, abs=1e-9)
    # orthogonal W_hh loses less per step than the default one: only tanh' <= 1 is left to shrink it
    assert value(tour, "gradient_flow.rnn_orthogonal.per_step") > value(tour, "gradient_flow.rnn_default.per_step")
    assert value(tour, f"gradient_flow.rnn_default.d{T}") < 1e-3 * value(tour, "gradient_flow.rnn_default.d1")


def test_the_clipping_example_follows_pytorchs_rule(tour):
    # PyTorch: g * max_norm / (||g|| + 1e-6) when that factor is < 1
    assert value(tour, "clipping.example_large.norm") == pytest.approx(100)
    assert value(tour, "clipping.example_large.clipped_0") == pytest.approx(80 * 10 / (100 + 1e-6), rel=1e-12)
    assert value(tour, "clipping.example_large.clipped_1") == pytest.approx(60 * 10 / (100 + 1e-6), rel=1e-12)
    assert value(tour, "clipping.example_small.clipped_0") == pytest.approx(8 * 10 / (10 + 1e-6), rel=1e-12)
    assert value(tour, "clipping.example_value.clipped_0") == value(tour, "clipping.example_value.clipped_1") == 10
    assert value(tour, "clipping.example_value.angle_before") == pytest.approx(math.degrees(math.atan(0.75)))
    assert value(tour, "clipping.example_value.angle_after") == pytest.approx(45)


def test_clipping_stops_the_explosion_but_does_not_teach_the_task(tour):
    iters = tour["summary"]["sections"][2]["settings"]["iters"]
    assert value(tour, "clipping.initial_radius") > 1                # it starts in the exploding regime
    assert value(tour, "clipping.unclipped.blew_up") is True
    assert value(tour, "clipping.unclipped.iterations") < iters
    assert value(tour, "clipping.clipped.blew_up") is False
    assert value(tour, "clipping.clipped.iterations") == iters
    assert math.isfinite(value(tour, "clipping.clipped.final_radius"))
    assert 0 < value(tour, "clipping.clipped.clip_fraction") <= 1
    # adding problem: predicting 1 always scores Var(U1 + U2) = 2/12 = 1/6; the clipped RNN does no better
    assert value(tour, "clipping.baseline_mse") == pytest.approx(1 / 6)
    assert value(tour, "clipping.clipped.test_mse") > 0.1


def test_truncation_costs_less_memory_and_cannot_learn_past_its_window(tour):
    settings = tour["summary"]["sections"][3]["settings"]
    T, windows = settings["cost_T"], [int(k) for k in settings["windows"].split(", ")]
    assert windows[-1] >= T                                          # the last one is full BPTT
    full_peak = value(tour, f"truncation.window_{windows[-1]}.peak_mb")
    for k in windows:
        assert value(tour, f"truncation.window_{k}.updates") == math.ceil(T / k)   # one backward per window
        if k < T:
            assert value(tour, f"truncation.window_{k}.peak_mb") < full_peak
    assert value(tour, "truncation.memory_full_over_smallest") > 1
    window = settings["learn_window"]
    lengths = [int(L) for L in settings["distractor_lengths"].split(", ")]
    assert any(L + 2 > window for L in lengths) and any(L + 2 <= window for L in lengths)
    assert value(tour, "truncation.agreement_chance") == 0.5
    for L in lengths:
        assert value(tour, f"truncation.agreement_L{L}.full") > 0.95
        if L + 2 > window:                                           # subject and verb in different windows
            assert value(tour, f"truncation.agreement_L{L}.window") < 0.65
        else:
            assert value(tour, f"truncation.agreement_L{L}.window") > 0.95


def test_the_lstm_learns_the_adding_problem_and_the_rnn_does_not(tour):
    rnn, lstm = value(tour, "adding.rnn.mse"), value(tour, "adding.lstm.mse")
    assert value(tour, "adding.baseline_mse") == pytest.approx(1 / 6)
    assert lstm < rnn
    assert lstm < 0.05 < 0.1 < rnn
    assert value(tour, "adding.rnn_over_lstm") == pytest.approx(rnn / lstm)


# --- when things are missing or wrong ---------------------------------------------------------------------
def test_an_unwritable_out_is_one_line_and_exit_code_2(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    proc = subprocess.run([sys.executable, "-m", "tinygrad_rnn", "tour", "--quick", "--out", str(blocker / "out")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "error" in lines[0] and str(blocker) in lines[0]
    assert proc.stdout == ""


def test_without_dot_and_matplotlib_it_writes_dot_files_and_says_how_to_install(tmp_path, monkeypatch):
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))                           # no `dot` anywhere on PATH
    monkeypatch.setattr("tinygrad_rnn.cli.tour.output.have_matplotlib", lambda: False)
    out = tmp_path / "out"
    code, stdout, _ = run_tour(out)
    assert code == 0
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["graph_format"] == "dot" and summary["plots"] is False
    names = sorted(os.listdir(out))
    assert names == sorted(f["name"] for f in summary["files"])
    graphs = [name for name in names if name.endswith(".dot")]
    assert len(graphs) >= 4 and not any(name.endswith((".svg", ".png")) for name in names)
    for name in graphs:
        assert (out / name).read_text(encoding="utf-8").lstrip().startswith("digraph"), name
    assert INSTALL_HINT in stdout and "matplotlib" in stdout
    assert INSTALL_HINT in (out / "summary.md").read_text(encoding="utf-8")
