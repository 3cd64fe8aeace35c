"""The tutorial chapters (tutorials/NN-*.md) run, print what they say, and open as notebooks.

For each chapter, in order, every ```python block is run in one shared namespace (one BLAS
thread, matplotlib's Agg backend, the tutorials folder as working directory), by the same
runner that ``tutorials/make_figures.py`` uses to draw the figures. Then:

- what each block prints equals the ```text block recorded under it (lines marked
  "(varies", i.e. timings, are compared with their numbers masked), and a block that
  prints nothing has no such block;
- every number the prose cites in `code font` (e.g. `0.1667`) appears in what the code
  right before or right after that paragraph printed — so text and code cannot drift;
- the figures the chapter embeds are exactly the ``fig_<name>`` objects its code makes,
  and their files exist;
- the chapter runs in under a minute.

And each chapter converts to a notebook with jupytext, with one code cell per python block.
"""
import importlib.util
import json
import pathlib
import re

import pytest

pytest.importorskip("matplotlib", reason="the tutorials draw figures with matplotlib (the 'plots' extra)")

TUTORIALS = pathlib.Path(__file__).resolve().parent.parent / "tutorials"
_spec = importlib.util.spec_from_file_location("tutorial_make_figures", TUTORIALS / "make_figures.py")
make_figures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_figures)

CHAPTERS = make_figures.chapters()
TIME_LIMIT_SECONDS = 60

# A cited number: digits with an optional sign, decimal point, exponent, %, ×, or a tuple of them.
_CITED = re.compile(r"[-−+]?[(\[]?[-−+]?\d[\d\s.,()\[\]eE+\-−×x%]*")
_MATH = re.compile(r"\$\$.*?\$\$|\$[^$\n]+\$", re.S)
_SPAN = re.compile(r"`([^`\n]+)`")


def cited_numbers(markdown: str) -> list:
    """The `code font` spans of a prose block that are numbers (math and fenced blocks excluded)."""
    prose = _MATH.sub(" ", markdown)
    return [span for span in _SPAN.findall(prose) if _CITED.fullmatch(span.strip()) and re.search(r"\d", span)]


def printed_contains(printed: str, number: str) -> bool:
    """``number`` occurs in ``printed`` as a whole number (not as part of a longer one)."""
    number = number.strip().replace("−", "-")
    pattern = r"(?<![\d.])" + re.escape(number) + r"(?![\d])"
    return re.search(pattern, printed) is not None


def test_the_chapters_are_numbered_1_to_8():
    assert [p.name[:2] for p in CHAPTERS] == [f"{i:02d}" for i in range(1, 9)], CHAPTERS


def test_cited_number_detection():
    assert cited_numbers("rho is `0.9`, `(8, 6)`, `1e-5`, `9x` and `h.detach()`; $`2`$ is math") == [
        "0.9", "(8, 6)", "1e-5", "9x"]
    assert printed_contains("ratio 0.1667\n", "0.1667")
    assert not printed_contains("ratio 0.16672\n", "0.1667")
    assert not printed_contains("ratio 10.1667\n", "0.1667")


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_chapter_runs_and_says_what_it_prints(path):
    import matplotlib.pyplot as plt

    try:
        run = make_figures.run_chapter(path)
    finally:
        plt.close("all")
    assert run.seconds < TIME_LIMIT_SECONDS, f"{path.name} took {run.seconds:.1f} s"

    # what each block prints is recorded right under it
    recorded = make_figures.recorded_outputs(run.blocks)
    assert recorded, f"{path.name} has no python blocks"
    for number, (rec, printed) in enumerate(zip(recorded, run.printed), start=1):
        if rec is None:
            assert not printed.strip(), (f"{path.name}, python block {number} prints but has no ```text block "
                                         f"under it; run `python tutorials/make_figures.py --update-outputs`."
                                         f"\nIt printed:\n{printed}")
        else:
            assert make_figures.outputs_match(rec, printed), (
                f"{path.name}, python block {number}: the recorded output is stale.\n--- recorded ---\n{rec}"
                f"\n--- printed now ---\n{printed}")

    # every number cited in prose is printed by the code next to it
    outputs_by_block, index = {}, 0
    for position, block in enumerate(run.blocks):
        if block.kind == "python":
            outputs_by_block[position] = run.printed[index]
            index += 1
    python_positions = sorted(outputs_by_block)
    missing = []
    for position, block in enumerate(run.blocks):
        if block.kind != "markdown" or block.text.lstrip().startswith("```"):
            continue
        before = [p for p in python_positions if p < position]
        after = [p for p in python_positions if p > position]
        nearby = "".join(outputs_by_block[p] for p in before[-1:] + after[:1])
        for number in cited_numbers(block.text):
            if not printed_contains(nearby, number):
                missing.append((number, block.text.strip()[:80]))
    assert not missing, f"{path.name}: numbers cited in the prose but not printed next to it: {missing}"

    # the embedded figures are exactly those the code makes, and they exist
    text = path.read_text(encoding="utf-8")
    embedded = set(re.findall(r"\]\(figures/([^)\s]+)\)", text))
    produced = set(make_figures.figure_files(path, run.namespace).values())
    assert embedded == produced, f"{path.name}: embedded {sorted(embedded)}, made {sorted(produced)}"
    for name in embedded:
        assert (TUTORIALS / "figures" / name).is_file(), (f"figures/{name} is missing: run "
                                                          f"`python tutorials/make_figures.py {path.name[:2]}`")


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_chapter_opens_as_a_notebook(path):
    jupytext = pytest.importorskip("jupytext")
    text = path.read_text(encoding="utf-8")
    notebook = jupytext.reads(text, fmt="md")
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    blocks = [b for b in make_figures.parse_chapter(text) if b.kind == "python"]
    assert code_cells, f"{path.name}: the notebook has no code cells"
    assert [c.source.strip() for c in code_cells] == [b.text.strip() for b in blocks]
    assert notebook.metadata["kernelspec"]["language"] == "python"
    as_ipynb = json.loads(jupytext.writes(notebook, fmt="ipynb"))
    assert sum(cell["cell_type"] == "code" for cell in as_ipynb["cells"]) == len(blocks)


def test_readme_lists_every_chapter_and_exercise():
    readme = (TUTORIALS / "README.md").read_text(encoding="utf-8")
    for path in CHAPTERS:
        assert f"]({path.name})" in readme, f"tutorials/README.md does not link {path.name}"
    for exercise in sorted((TUTORIALS / "exercises").glob("ex[0-9]*.py")):
        number = exercise.name.split("_")[0]
        assert number in readme, f"tutorials/README.md does not list {exercise.name}"
    for number in set(re.findall(r"tinygrad-rnn check (ex\d+)", readme)):
        assert list((TUTORIALS / "exercises").glob(f"{number}_*.py")), f"README names {number}, which is missing"


def test_no_stale_figures():
    embedded = set()
    for path in CHAPTERS:
        embedded |= set(re.findall(r"\]\(figures/([^)\s]+)\)", path.read_text(encoding="utf-8")))
    on_disk = {p.name for p in (TUTORIALS / "figures").iterdir()}
    assert on_disk == embedded, f"in figures/ but not embedded: {sorted(on_disk - embedded)}"


def test_each_chapter_links_its_exercises():
    registry = pytest.importorskip("tinygrad_rnn.exercises.registry")
    for exercise in registry.EXERCISES:
        chapter = next(p for p in CHAPTERS if int(p.name[:2]) == exercise.chapter)
        text = chapter.read_text(encoding="utf-8")
        assert f"(exercises/{exercise.filename})" in text, f"{chapter.name} does not link {exercise.filename}"
        assert f"tinygrad-rnn check {exercise.short_name}" in text, f"{chapter.name}: no check command for it"
        assert (TUTORIALS / "exercises" / exercise.filename).is_file()


def test_update_outputs_records_what_blocks_print(tmp_path):
    chapter = tmp_path / "01-try.md"
    chapter.write_text("# Try\n\n```python\nprint(6 * 7)\n```\n\nText.\n\n```python\nx = 1\n```\n\n"
                       "```python\nprint('a (varies)', 0.5)\n```\n\n```text\nold\n```\n\nEnd.\n", encoding="utf-8")
    run = make_figures.run_chapter(chapter)
    assert make_figures.update_outputs(run)
    text = chapter.read_text(encoding="utf-8")
    assert "```python\nprint(6 * 7)\n```\n\n```text\n42\n```\n\nText." in text
    assert "```python\nx = 1\n```\n\n```python" in text
    assert "```text\na (varies) 0.5\n```\n\nEnd." in text and "old" not in text
    run = make_figures.run_chapter(chapter)
    assert all(make_figures.outputs_match(r, p) for r, p in zip(make_figures.recorded_outputs(run.blocks),
                                                                run.printed) if r is not None)
    assert make_figures.outputs_match("a (varies) 0.25", "a (varies) 0.5")
    assert make_figures.outputs_match("3.0 MB (varies a little)", "3.1 MB (varies a little)")
    assert not make_figures.outputs_match("a 0.25", "a 0.5")
    assert not make_figures.update_outputs(run)
