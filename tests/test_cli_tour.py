"""``tinygrad-rnn tour --quick``: every file it promises exists and is valid, summary.md says what
summary.json says, every claim comes with its verdict (and holds), and the numbers bear out the
lecture (checked against values derived by hand or from math here, never copied from a run).
The claims over seeds 0-4 are checked in ``test_lecture_claims.py``."""
import contextlib
import decimal
import html
import html.parser
import io
import json
import math
import os
import pathlib
import re
import signal
import subprocess
import sys
import time
import urllib.parse
import xml.etree.ElementTree as ET

import pytest

from tinygrad_rnn.analysis import have_matplotlib
from tinygrad_rnn.cli import main
from tinygrad_rnn.viz import dot_available
from tinygrad_rnn.viz.render import INSTALL_HINT
from helpers import headless_chromium

REPO = pathlib.Path(__file__).resolve().parents[1]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def run_tour(out: pathlib.Path):
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main(["tour", "--quick", "--out", str(out)])
    return code, stdout.getvalue(), stderr.getvalue()


@pytest.fixture(scope="module")
def tour(tmp_path_factory):
    """One quick tour, run as a learner on Windows would see it: in a subprocess whose stdout and
    stderr are cp1252 (Windows' Python when output is redirected), which has no λ, σ or ‖."""
    out = tmp_path_factory.mktemp("tour") / "tour-output"          # a folder the tour has to make
    proc = subprocess.run([sys.executable, "-m", "tinygrad_rnn", "tour", "--quick", "--out", str(out)],
                          capture_output=True, timeout=900, env={**os.environ, "PYTHONIOENCODING": "cp1252"})
    code, stdout, stderr = proc.returncode, proc.stdout.decode("cp1252"), proc.stderr.decode("cp1252")
    assert code == 0, stderr
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    return {"out": out, "code": code, "stdout": stdout, "stderr": stderr, "summary": summary,
            "md": (out / "summary.md").read_text(encoding="utf-8"),
            "items": {item["key"]: item for section in summary["sections"] for item in section["items"]}}


def files_in(folder: pathlib.Path) -> list:
    """Every file under ``folder``, as sorted relative POSIX paths (the rendered chapters are in chapters/)."""
    return sorted((pathlib.Path(root) / name).relative_to(folder).as_posix()
                  for root, _, names in os.walk(folder) for name in names)


def value(tour, key):
    return tour["items"][key]["value"]


# --- the files --------------------------------------------------------------------------------------------
def test_the_tour_succeeds_and_writes_exactly_the_files_it_promises(tour):
    assert tour["code"] == 0
    promised = [f["name"] for f in tour["summary"]["files"]]
    assert len(promised) == len(set(promised))
    assert {"summary.md", "summary.json"} <= set(promised)
    assert files_in(tour["out"]) == sorted(promised)                 # nothing missing, no temporary files left
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


def test_every_plot_fills_a_1920x1080_slide(tour):
    """The plots (PNGs that are no copy of a drawing) are 1920x1080: a slide, shown 1:1, where their text is
    at least 14 px (tests/test_analysis_gradflow.py checks the text sizes of the figure functions)."""
    if not have_matplotlib():
        pytest.skip("no plots without matplotlib")
    out = tour["out"]
    plots = [name for name in images_on_the_page(out) if name.endswith(".png")]
    assert {"clipping.png", "adding.png", "forget_bias.png"} <= set(plots)
    for name in plots:
        data = (out / name).read_bytes()
        size = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
        assert size == (1920, 1080), (name, size)


def test_no_measured_value_writes_a_matrix_power_as_a_transpose(tour):
    for key, item in tour["items"].items():
        assert not re.search(r"\^T\b", item["what"]), (key, item["what"])      # W_hh^T reads as the transpose


def test_plots_are_png(tour):
    plots = [f["name"] for f in tour["summary"]["files"] if f["name"].endswith(".png")]
    assert tour["summary"]["plots"] == have_matplotlib()
    if have_matplotlib():
        assert {"eigenvalues.png", "gradient_flow.png", "clipping.png", "truncation.png", "adding.png"} <= set(plots)
    for name in plots:
        assert (tour["out"] / name).read_bytes()[:8] == PNG_SIGNATURE, name


# --- index.html: the summary beside the pictures -----------------------------------------------------------
class _References(html.parser.HTMLParser):
    """Every src/href in a page, and the tags they sit on."""

    def __init__(self):
        super().__init__()
        self.found = []                                              # (tag, attribute, value)

    def handle_starttag(self, tag, attrs):
        self.found += [(tag, name, urllib.parse.unquote(value)) for name, value in attrs
                       if name in ("src", "href") and value]


def page_references(path: pathlib.Path) -> list:
    parser = _References()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.found


def svg_aspect(path: pathlib.Path) -> float:
    root = ET.parse(path).getroot()
    return float(root.get("width").removesuffix("pt")) / float(root.get("height").removesuffix("pt"))


def png_aspect(path: pathlib.Path) -> float:
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE and data[12:16] == b"IHDR", path.name
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    return width / height


def images_on_the_page(out: pathlib.Path) -> set:
    """The SVGs and the plots (PNGs that are no copy of an SVG): what index.html shows as images."""
    names = set(os.listdir(out))
    return {name for name in names if name.endswith(".svg")
            or name.endswith(".png") and name.replace(".png", ".svg") not in names}


def test_index_html_shows_every_picture_and_points_only_at_files_that_exist(tour):
    out = tour["out"]
    page = out / "index.html"
    assert page.is_file() and tour["summary"]["first_to_open"] == "index.html"
    references = page_references(page)
    targets = {value.split("#", 1)[0] for _, _, value in references if not value.startswith("#")}
    pictures = {name for name in os.listdir(out) if name.endswith((".svg", ".png", ".dot", ".html"))} - {"index.html"}
    assert pictures and pictures <= targets, f"index.html does not show {sorted(pictures - targets)}"
    for target in targets:                                           # nothing from the network, nothing missing
        assert not re.match(r"[a-z]+:|//", target), target
        assert (out / target).resolve().is_file(), target
    shown = {value for tag, _, value in references if tag == "img"}
    assert images_on_the_page(out) <= shown                          # as images, not only as links
    text = page.read_text(encoding="utf-8")
    assert "<script" not in text and "@import" not in text and "url(" not in text
    for claim in tour["summary"]["claims"]:                          # each claim, with its verdict
        assert html.escape(claim["claim"], quote=True) in text, claim["claim"]
    assert text.count('class="claim holds"') == tour["summary"]["claims_hold"] == len(tour["summary"]["claims"])


def test_every_svg_has_a_png_copy_of_the_same_drawing(tour):
    out = tour["out"]
    svgs = sorted(name for name in os.listdir(out) if name.endswith(".svg"))
    if not dot_available():
        pytest.skip("no SVG without Graphviz's dot (the fallback is tested below)")
    assert len(svgs) >= 4
    for name in svgs:
        png = out / name.replace(".svg", ".png")
        assert png.is_file(), f"{name} has no PNG copy"
        assert png_aspect(png) == pytest.approx(svg_aspect(out / name), rel=0.03), name   # one layout, two formats
        entry = next(f for f in tour["summary"]["files"] if f["name"] == png.name)
        assert entry["copy_of"] == name


def test_the_unrolled_rnn_and_lstm_have_an_explorer_on_the_page(tour):
    if not dot_available():
        pytest.skip("the explorer inlines the SVG, which needs Graphviz's dot")
    out = tour["out"]
    frames = {value for tag, _, value in page_references(out / "index.html") if tag == "iframe"}
    for stem in ("rnn_unrolled", "lstm_unrolled"):
        explorer = out / f"{stem}.html"
        assert explorer.is_file(), explorer.name
        text = explorer.read_text(encoding="utf-8")
        assert "<svg" in text and "<script" in text
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", text), f"{explorer.name} loads from the network"
        assert explorer.name in frames


def test_index_html_in_chromium_shows_every_image_without_errors(tour, tmp_path):
    """The page in real headless Chromium: no console errors, every image decoded, a screenshot."""
    with headless_chromium() as driver:
        driver.get((tour["out"] / "index.html").resolve().as_uri())
        deadline = time.monotonic() + 30
        while driver.execute_script("return document.readyState") != "complete":
            assert time.monotonic() < deadline, "index.html did not finish loading"
            time.sleep(0.1)
        images = driver.execute_script("return [...document.images].map(i => [i.getAttribute('src'), "
                                       "i.complete && i.naturalWidth > 0])")
        errors = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
        driver.save_screenshot(str(tmp_path / "index.png"))
    assert not errors, errors
    assert {src for src, _ in images} == images_on_the_page(tour["out"])
    assert all(ok for _, ok in images), [src for src, ok in images if not ok]
    assert (tmp_path / "index.png").read_bytes()[:8] == PNG_SIGNATURE


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
        settings = dict(re.findall(r"`([\w.]+)` = (.+?)(?=, `|\.$)", line))
        assert settings == {k: str(v) for k, v in section["settings"].items()}


def test_every_claim_has_a_verdict_a_chapter_that_exists_and_holds(tour):
    summary = tour["summary"]
    claims = summary["claims"]
    assert claims == [c for section in summary["sections"] for c in section["claims"]]
    assert len(claims) >= 15 and summary["claims_total"] == len(claims)
    for claim in claims:
        assert set(claim) >= {"claim", "holds", "lecture", "chapter", "values", "conditions", "margin"}, claim
        assert claim["claim"] and claim["lecture"].startswith("§"), claim
        chapter = REPO / claim["chapter"]["path"]
        assert chapter.is_file(), claim
        headings = [line.lstrip("#").strip() for line in chapter.read_text(encoding="utf-8").splitlines()
                    if line.startswith("#")]
        assert claim["chapter"]["heading"] in headings, (claim["claim"], claim["chapter"])
        assert claim["values"] and set(claim["values"]) <= set(tour["items"]), claim["claim"]
        for key, used in claim["values"].items():
            assert used == tour["items"][key]["value"], key
        assert claim["holds"] == all(c["holds"] for c in claim["conditions"])
        assert claim["holds"], f"a claim of the tour does not hold: {claim['claim']}: {claim['conditions']}"
        assert claim["claim"] in tour["md"], claim["claim"]
        # one statement: the verdict in front of it is the only "holds" ("holds: the row does not hold" is two)
        assert not re.search(r"\b(holds?|does not hold)\b", claim["claim"], re.I), claim["claim"]
    assert summary["claims_hold"] == len(claims)
    assert tour["md"].count("**Claim** (holds") == len(claims)
    # the links in summary.md and index.html open the chapter rendered, at the claim's section
    md_links = re.findall(r"Explained in \[[^\]]+\]\(([^)]+)\)", tour["md"])
    page_links = [value for tag, _, value in page_references(tour["out"] / "index.html")
                  if tag == "a" and ".md" not in value and value.split("#")[0].endswith(".html")
                  and value.startswith("chapters/")]
    assert len(md_links) == len(claims) and len(page_links) == len(claims)
    for claim, link in zip(claims, md_links):
        assert link in page_links, link
        page, _, fragment = link.partition("#")
        assert page.endswith(".html") and fragment, link                # a page, at a section
        rendered = (tour["out"] / page).read_text(encoding="utf-8")
        assert rendered.startswith("<!doctype html>") and "jupytext" not in rendered, page   # HTML, no header
        heading = re.search(rf'<(h[1-6]) id="{re.escape(fragment)}">(.*?)</\1>', rendered, re.S)
        assert heading, f"{page} has no heading with id {fragment!r}"
        shown_text = html.unescape(re.sub(r"<[^>]+>", "", heading.group(2))).strip()
        assert shown_text == re.sub(r"[`*$]", "", claim["chapter"]["heading"]).strip(), (shown_text, claim["chapter"])


def test_a_claim_that_fails_is_shown_as_failing(tmp_path):
    from tinygrad_rnn.cli.tour import summary
    from tinygrad_rnn.lecture.claims import below
    from tinygrad_rnn.lecture.result import Result
    from tinygrad_rnn.viz.page import page_html

    r = Result("demo", "Demo", lecture="§0", chapter="01-autograd.md", config=None)
    r.add("x", 2.0, "a number")
    r.claim("x is below 1", ("01-autograd.md", "Autograd"), below("x", 1.0))
    verdict = r.verdicts[0]
    assert verdict["holds"] is False and verdict["margin"] == pytest.approx(0.5)
    section = {"number": 1, "key": "demo", "title": "Demo", "lecture": "§0", "chapter": "tutorials/01-autograd.md",
               "seconds": 0.0, "settings": {}, "files": [], "items": [],
               "claims": [summary._verdict(verdict, "demo")]}
    text = summary.render_markdown({"mode": "quick", "version": "0", "seed": 0, "seconds": 0, "notes": [],
                                    "files": [], "claims_hold": 0, "claims_total": 1, "sections": [section]},
                                   tmp_path)
    assert "**Claim** (**does not hold**" in text and "x is below 1" in text and "— fails" in text
    section["claims"][0]["claim"] = "x is below 1 & <1"                         # the page escapes it
    page = page_html(summary.render_page({"mode": "quick", "version": "0", "seed": 0, "seconds": 0, "notes": [],
                                          "files": [], "claims_hold": 0, "claims_total": 1,
                                          "sections": [section]}, tmp_path))
    assert '<li class="claim fails"><span class="verdict">does not hold</span>' in page
    assert "x is below 1 &amp; &lt;1." in page and "<1" not in page and "— fails" in page


# --- what it prints ---------------------------------------------------------------------------------------
def test_it_ends_by_naming_the_folder_and_the_file_to_open_first(tour):
    lines = tour["stdout"].rstrip().splitlines()
    folder = str(tour["out"])
    assert any(folder in line for line in lines[-3:])
    opening = next(line for line in lines[-3:] if line.startswith("Open "))
    assert str(tour["out"] / "index.html") in opening and "first" in opening and "summary.md" in opening
    listing = tour["stdout"].split(f"files in {folder}/:", 1)[1]
    for f in tour["summary"]["files"]:                  # the rendered chapters as one line: their folder
        assert (f["name"] if f["section"] != "chapters" else "chapters/") in listing


def test_a_terminal_without_the_lecture_symbols_gets_them_spelled_in_ascii(tour):
    # cp1252 has no ρ, ‖ or ∂: the headlines spell them ("ρ(W_hh) at the start" -> "rho(W_hh) at the start")
    assert "rho(W_hh) at the start" in tour["stdout"] and "||dL/dh_(T-" in tour["stdout"]
    assert "ρ" in (tour["out"] / "summary.md").read_text(encoding="utf-8")        # files stay UTF-8


def test_progress_goes_to_stderr_part_by_part(tour):
    err = tour["stderr"]
    n = len(tour["summary"]["sections"])
    assert n == 5
    positions = [err.index(f"[{k}/{n}] ") for k in range(1, n + 1)]
    assert positions == sorted(positions)
    assert err.count("done in") == n and "s so far" in err
    assert "[1/5]" not in tour["stdout"]


# --- the numbers, against the math ------------------------------------------------------------------------
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
    assert value(tour, "eigenvalues.orthogonal.jacobian_T") == pytest.approx(1, abs=1e-9)
    # circular law: iid entries of variance v put the eigenvalues in a disc of radius sqrt(H v);
    # U(-1/√H, 1/√H) has v = 1/(3H), so ρ ≈ 1/√3 ≈ 0.58; N(0, 1.5²/H) gives ρ ≈ 1.5
    assert 0.4 < value(tour, "eigenvalues.default.radius") < 0.8
    assert value(tour, "eigenvalues.default.regime") == "vanish"
    assert 1.2 < value(tour, "eigenvalues.normal_1_5.radius") < 1.9
    assert value(tour, "eigenvalues.normal_1_5.regime") == "explode"
    # Gelfand: ||W^T||^(1/T) -> ρ
    for key in ("default", "normal", "normal_1_5", "orthogonal"):
        rho = value(tour, f"eigenvalues.{key}.radius")
        assert value(tour, f"eigenvalues.{key}.per_step") == pytest.approx(rho, rel=0.15)


def test_the_forget_bias_sets_the_cell_paths_decay(tour):
    # at initialisation f_t = σ(b_f + small terms): the cell path keeps about σ(b_f) per step
    def sigmoid(x):
        return 1 / (1 + math.exp(-x))
    assert value(tour, "gradient_flow.lstm_bf0.per_step") == pytest.approx(sigmoid(0), rel=0.25)
    assert value(tour, "gradient_flow.lstm_bf1.per_step") == pytest.approx(sigmoid(1), rel=0.25)


def test_the_clipping_example_follows_pytorchs_rule(tour):
    # PyTorch: g * max_norm / (||g|| + 1e-6) when that factor is < 1
    assert value(tour, "clipping.example_large.norm") == pytest.approx(100)
    assert value(tour, "clipping.example_large.clipped_0") == pytest.approx(80 * 10 / (100 + 1e-6), rel=1e-12)
    assert value(tour, "clipping.example_large.clipped_1") == pytest.approx(60 * 10 / (100 + 1e-6), rel=1e-12)
    assert value(tour, "clipping.example_small.clipped_0") == pytest.approx(7.9999992, rel=1e-12)
    assert value(tour, "clipping.example_small.clipped_1") == pytest.approx(5.9999994, rel=1e-12)
    assert value(tour, "clipping.example_value.clipped_0") == value(tour, "clipping.example_value.clipped_1") == 10
    assert value(tour, "clipping.example_value.angle_before") == pytest.approx(math.degrees(math.atan(0.75)))
    assert value(tour, "clipping.example_value.angle_after") == pytest.approx(45)


def test_the_cliff_run_starts_below_1_and_only_the_unclipped_run_dies(tour):
    iters = tour["summary"]["sections"][2]["settings"]["cliff.iters"]
    assert value(tour, "clipping.cliff.initial_radius") == pytest.approx(0.9, abs=1e-6)   # 0.9 × Q, float32
    assert value(tour, "clipping.cliff.unclipped.iterations") < iters
    assert value(tour, "clipping.cliff.clipped.iterations") == iters
    assert 0 < value(tour, "clipping.cliff.clipped.clip_fraction") <= 1


def test_the_measured_baseline_is_predicting_1_on_the_held_out_batch(tour):
    from tinygrad_rnn.tasks import make_task
    settings = tour["summary"]["sections"][4]["settings"]
    task = make_task("adding", settings["common.seq_len"])
    held_out = task.batch(256, rng=settings["seed"] + 1_000_003)                  # train()'s held-out batch
    target = held_out.targets[-1][held_out.mask[-1]]                              # the sum, at the last step
    assert value(tour, "adding.baseline") == pytest.approx(float(((target - 1.0) ** 2).mean()), rel=1e-5)
    assert value(tour, "adding.baseline_expected") == pytest.approx(1 / 6)
    assert value(tour, "adding.rnn_over_lstm") == pytest.approx(value(tour, "adding.rnn.mse")
                                                                / value(tour, "adding.lstm.mse"))


def test_truncation_gives_one_update_per_window(tour):
    settings = tour["summary"]["sections"][3]["settings"]
    T, windows = settings["cost.steps"], settings["cost.windows"]
    assert windows[-1] >= T                                          # the last one is full BPTT
    for k in windows:
        assert value(tour, f"truncation.window_{k}.updates") == math.ceil(T / k)   # one backward per window


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
    from tinygrad_rnn import lecture
    monkeypatch.setattr(lecture, "EXPERIMENTS", lecture.EXPERIMENTS[:3])    # 3 graphs, and faster
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))                           # no `dot` anywhere on PATH
    monkeypatch.setattr("tinygrad_rnn.cli.tour.output.have_matplotlib", lambda: False)
    out = tmp_path / "out"
    code, stdout, _ = run_tour(out)
    assert code == 0
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["graph_format"] == "dot" and summary["plots"] is False
    names = files_in(out)
    assert names == sorted(f["name"] for f in summary["files"])
    graphs = [name for name in names if name.endswith(".dot")]
    assert len(graphs) >= 3 and not any(name.endswith((".svg", ".png")) for name in names)
    for name in graphs:
        assert (out / name).read_text(encoding="utf-8").lstrip().startswith("digraph"), name
    linked = {value for _, _, value in page_references(out / "index.html")}
    assert set(graphs) <= linked, "index.html does not link the DOT files"
    assert INSTALL_HINT in stdout and "matplotlib" in stdout
    assert INSTALL_HINT in (out / "summary.md").read_text(encoding="utf-8")


@pytest.mark.skipif(not pathlib.Path("/proc/self/stat").exists(), reason="reads worker pids from /proc (Linux)")
def test_ctrl_c_ends_the_tour_with_130_and_leaves_no_worker_behind(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "tinygrad_rnn", "tour", "--quick", "--jobs", "2",
                             "--out", str(tmp_path / "out")], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline = time.monotonic() + 60
        while not (children := _children(proc.pid)):                 # the two workers start at once
            assert proc.poll() is None and time.monotonic() < deadline, "the tour started no worker"
            time.sleep(0.1)
        time.sleep(2)                                                # both busy with an experiment
        proc.send_signal(signal.SIGINT)                              # Ctrl-C
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130 and "interrupted" in stderr
    time.sleep(1)
    assert not [pid for pid in children if pathlib.Path(f"/proc/{pid}").exists()], "a worker kept running"


def _children(pid: int) -> list:
    """The pids whose parent is ``pid`` (Linux /proc)."""
    found = []
    for entry in pathlib.Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().split(") ", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                pass
    return found


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")    # the drop itself, expected
def test_a_ctrl_c_dropped_inside_a_weakref_callback_still_ends_the_tour():
    """Python drops a KeyboardInterrupt raised inside a weakref callback (it prints "Exception ignored");
    the tour's handler also notes the signal, so the next check between parts raises it."""
    import weakref

    from tinygrad_rnn.cli.tour.workers import _CtrlC

    class Thing:
        pass

    ctrl_c, thing = _CtrlC(), Thing()
    ref = weakref.ref(thing, lambda _: ctrl_c.handler(signal.SIGINT, None))   # Ctrl-C lands in the callback
    del thing                                                               # ... which swallows the raise
    assert ref() is None and ctrl_c.came
    with pytest.raises(KeyboardInterrupt):
        ctrl_c.check()


def test_with_a_built_course_site_the_claims_link_to_its_sections(tour, tmp_path):
    """`tour --site DIR` (or a site in <out>/site): summary.md and index.html link each claim to the site's page
    at the claim's section. With the site .ci/run builds (TINYGRAD_RNN_SITE), every such anchor exists there;
    without it, a stand-in site of the same layout (<chapter>.html at its root, anchors.json)."""
    from tinygrad_rnn.cli.tour import course_site, summary as tour_summary
    from tinygrad_rnn.cli.args import CommandError
    built = os.environ.get("TINYGRAD_RNN_SITE")
    site = pathlib.Path(built) if built else tmp_path / "site"
    if not built:
        site.mkdir()
        (site / "anchors.json").write_text("{}", encoding="utf-8")
    assert course_site(tmp_path / "no-site-here", None) is None
    assert course_site(site.parent, None) == (site if site.name == "site" else None)
    with pytest.raises(CommandError, match="docs/site/build.py"):
        course_site(tmp_path, tmp_path / "missing")
    base = pathlib.Path(os.path.relpath(site, tour["out"])).as_posix()
    linked = dict(tour["summary"], chapters_base=base)
    md_links = re.findall(r"Explained in \[[^\]]+\]\(([^)]+)\)", tour_summary.render_markdown(linked, tour["out"]))
    assert len(md_links) == tour["summary"]["claims_total"]
    anchors = json.loads((site / "anchors.json").read_text(encoding="utf-8"))
    for link in md_links:
        page, _, fragment = link.partition("#")
        assert page.startswith(base + "/") and page.endswith(".html") and fragment, link
        if built:                                     # the real site: the section is there
            assert fragment in anchors[page[len(base) + 1:]], link
