"""The README's examples run as written, the commands and names it shows exist, and its two
commands are the ones CI runs."""
import importlib
import pathlib
import re
import shlex

import pytest

from tinygrad_rnn.cli import build_parser

ROOT = pathlib.Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
TOUR_COMMAND = 'python3 -m pip install -e ".[plots]" && python3 -m tinygrad_rnn tour'
TEST_COMMAND = 'python3 -m pip install -e ".[dev,plots,torch]" && python3 -m pytest'


def sh_lines():
    return [line for block in re.findall(r"```sh\n(.*?)```", README, flags=re.S) for line in block.splitlines()]


def test_python_blocks_run():
    blocks = re.findall(r"```python\n(.*?)```", README, flags=re.S)
    assert blocks
    namespace = {}
    for block in blocks:
        exec(compile(block, "README.md", "exec"), namespace)
    # the first look backpropagates into W_hh
    assert namespace["W_hh"].grad.shape == (4, 4)


def test_every_tinygrad_rnn_command_shown_parses():
    parser = build_parser()
    lines = [shlex.split(line.split("  #")[0]) for line in sh_lines() if line.startswith("tinygrad-rnn ")]
    assert len(lines) >= 8
    for words in lines:
        parser.parse_args(words[1:])           # exits (fails the test) on an unknown option or value


def test_the_two_commands_come_first_and_ci_runs_the_test_command():
    lines = sh_lines()
    assert lines[:2] == [TOUR_COMMAND, TEST_COMMAND]
    assert README.index(TOUR_COMMAND) < README.index("## Tutorials")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert TEST_COMMAND in [line.replace(" install -q ", " install ") for line in ci.splitlines()]
    parser = build_parser()
    args = parser.parse_args(["tour"])
    assert (args.command, str(args.out), args.quick) == ("tour", "tour-output", False)
    assert "tour-output/" in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()


def test_what_to_install_first_comes_before_the_two_commands():
    """Graphviz and Chromium (Chrome on macOS) with its driver, for Debian/Ubuntu and macOS, before the
    commands that need them (issue 26, item 4)."""
    before = README.split("## The two commands", 1)[1].split(TOUR_COMMAND, 1)[0]
    assert "apt-get install -y graphviz chromium chromium-driver" in before
    assert "brew install graphviz" in before and "brew install --cask google-chrome chromedriver" in before


def test_images_and_paths_it_mentions_exist():
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", README)
    assert images
    for image in images:
        assert (ROOT / image).is_file(), image
    paths = set(re.findall(r"(?<![\w/.])((?:tinygrad_rnn|tutorials|benchmarks|docs|tests)/[\w./-]*[\w/])", README))
    assert "benchmarks/run.py" in paths and "tutorials/README.md" in paths
    for path in paths - {"benchmarks/results.json"}:                # results.json is written by a run
        assert (ROOT / path).exists(), path


def test_the_benchmark_results_have_a_marked_place():
    benchmarks = README.split("## Benchmarks", 1)[1].split("\n## ", 1)[0]
    assert "python3 benchmarks/run.py" in benchmarks and "--quick" in benchmarks
    assert benchmarks.count("<!-- bench-results -->") == 1


def test_the_architecture_follows_the_data_flow():
    section = README.split("## Architecture", 1)[1].split("\n## ", 1)[0]
    steps = [row.split("|")[1].strip() for row in section.splitlines() if row.startswith("| ") and "---" not in row][1:]
    assert steps == ["Tensor", "ops", "backward", "nn", "truncation and training", "analysis and drawing",
                     "the lecture's experiments", "paper cards", "command line"]
    for folder in re.findall(r"`(tinygrad_rnn/[\w/.]+)`", section):
        assert (ROOT / folder).exists(), folder


def test_imports_flow_one_way():
    """A layer imports only from the layers before it: the core knows nothing of nn, analysis nothing of
    the lecture's experiments, and nothing but the CLI imports the CLI."""
    package = ROOT / "tinygrad_rnn"
    later = {"core": ("nn", "train", "tasks", "analysis", "viz", "lecture", "papers", "cli"),
             "analysis": ("lecture", "papers", "cli"), "viz": ("lecture", "papers", "cli"),
             "lecture": ("papers", "cli", "viz"), "train": ("analysis", "viz", "lecture", "papers", "cli"),
             "nn": ("train", "analysis", "viz", "lecture", "papers", "cli"),
             "papers": ("cli",)}
    for layer, forbidden in later.items():
        for path in (package / layer).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            for other in forbidden:
                assert not re.search(rf"^\s*from \.\.+{other}\b|^\s*import tinygrad_rnn\.{other}\b|"
                                     rf"^\s*from tinygrad_rnn\.{other}\b", text, re.M), (path, other)


def pytorch_table():
    """[(concept, [names here], [names in PyTorch])] from the README's PyTorch table."""
    section = README.split("## PyTorch names", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0] not in ("concept", "---"):
            rows.append((cells[0], re.findall(r"`(tg\.[\w.]+)`", cells[1]), re.findall(r"`(torch\.[\w.]+)`", cells[2])))
    return rows


def resolve(name: str, package: str, alias: str):
    """The object a dotted name like ``tg.nn.init.orthogonal_`` means (``alias`` = ``package``)."""
    parts = name.split(".")
    assert parts[0] == alias, f"{name}: expected a name starting with {alias}."
    obj, path = importlib.import_module(package), package
    for part in parts[1:]:
        path += "." + part
        try:
            obj = getattr(obj, part)
        except AttributeError:
            obj = importlib.import_module(path)          # a submodule not imported by its package
    return obj


def test_every_name_in_the_pytorch_table_exists_here():
    rows = pytorch_table()
    concepts = [concept for concept, _, _ in rows]
    for wanted in ("backpropagate", "the gradient", "cut the graph", "no graph recording", "one recurrent step",
                   "a whole sequence", "orthogonal initialisation", "clipping", "optimizers", "save and load",
                   "gradients without `.grad`", "check a backward", "find the first nan/inf", "losses"):
        assert wanted in concepts, wanted
    for concept, here, _ in rows:
        assert here, concept
        for name in here:
            resolve(name, "tinygrad_rnn", "tg")


def test_every_pytorch_name_in_the_table_exists_in_pytorch():
    pytest.importorskip("torch")
    for concept, _, theirs in pytorch_table():
        assert theirs, concept
        for name in theirs:
            resolve(name, "torch", "torch")


def test_the_layers_above_the_engine_are_attributes_of_the_package():
    import subprocess
    import sys
    code = ("import tinygrad_rnn as tg; assert callable(tg.viz.draw_graph) and callable(tg.analysis.spectral_radius); "
            "assert tg.lecture.EXPERIMENTS and tg.train.train and tg.tasks.make_task; "
            "import sys; assert 'tinygrad_rnn.lecture' in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
    lazy = subprocess.run([sys.executable, "-c", "import sys, tinygrad_rnn; print('tinygrad_rnn.lecture' in sys.modules)"],
                          capture_output=True, text=True, timeout=120, check=True)
    assert lazy.stdout.strip() == "False"                      # imported on first use only
