"""A learner's first hour with the chapters (issue 26): each chapter's first cell sets one BLAS thread
itself (the tests pin one, a learner's Jupyter does not), the library never changes thread settings,
the tutorials' README says how long each chapter takes, measured, and chapter 1 recommends the step
its own measurement found best."""
import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TUTORIALS = ROOT / "tutorials"
CHAPTERS = sorted(TUTORIALS.glob("0*.md"))


def python_blocks(path: Path) -> list:
    return re.findall(r"```python\n(.*?)```", path.read_text(encoding="utf-8"), flags=re.S)


def test_each_chapter_sets_one_blas_thread_in_its_first_cell():
    assert len(CHAPTERS) == 9
    for path in CHAPTERS:
        first = python_blocks(path)[0]
        calls = [node for node in ast.walk(ast.parse(first)) if isinstance(node, ast.Call)
                 and getattr(node.func, "id", None) == "threadpool_limits"]
        assert len(calls) == 1, path.name
        keywords = {k.arg: ast.literal_eval(k.value) for k in calls[0].keywords}
        assert keywords == {"limits": 1, "user_api": "blas"}, path.name
        # after NumPy is imported (threadpoolctl limits the libraries loaded by then), with the why
        assert first.index("import numpy") < first.index("threadpool_limits(limits=1"), path.name
        assert "One BLAS thread" in first and "never changes your thread settings" in first, path.name


def test_the_library_never_changes_thread_settings():
    """Only the command line (its --blas-threads) does; the library, used from a notebook, doesn't."""
    for path in (ROOT / "tinygrad_rnn").rglob("*.py"):
        if "cli" in path.relative_to(ROOT / "tinygrad_rnn").parts:
            continue
        code = "\n".join(line.split("#")[0] for line in path.read_text(encoding="utf-8").splitlines())
        code = code.replace('``threadpool_limits(1, "blas")``', "")           # a docstring's advice
        for call in ("threadpool_limits(", "set_num_threads("):
            assert call not in code, (path, call)
        # this process's environment (a child's, like the grader's, is the child's own)
        assert not re.search(r"os\.(environ(\[|\.setdefault|\.update)|putenv)[^\n]*NUM_THREADS", code), path


def test_the_tutorials_readme_gives_each_chapter_a_measured_time():
    readme = (TUTORIALS / "README.md").read_text(encoding="utf-8")
    section = readme.split("## How long each chapter takes", 1)[1].split("\n## ", 1)[0]
    for path in CHAPTERS:
        row = next((line for line in section.splitlines() if f"({path.name})" in line), None)
        assert row is not None, path.name
        assert re.search(r"\d+ s", row), row                                   # a time, in seconds
    assert "nbclient" in section and "threadpoolctl" in section


def test_chapter_1_recommends_the_step_its_measurement_found_best():
    text = (TUTORIALS / "01-autograd.md").read_text(encoding="utf-8")
    best = re.search(r"smallest error [\d.e+-]+ at eps = 1e-0?(\d+)", text)
    takeaway = text.split("## What to take away", 1)[1]
    recommended = re.search(r"Use float64 and a step.*?\\varepsilon \\approx 10\^\{-(\d+)\}", takeaway, flags=re.S)
    assert best and recommended and best.group(1) == recommended.group(1)


def test_chapter_1_states_the_backward_cost_it_measured():
    text = (TUTORIALS / "01-autograd.md").read_text(encoding="utf-8")
    assert "costs about as much as one forward pass" not in text
    assert re.search(r"^forward \d+ ms, backward \d+ ms: backward / forward = [\d.]+ \(varies\)$", text, flags=re.M)
