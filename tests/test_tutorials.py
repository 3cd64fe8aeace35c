"""The tutorial chapters (tutorials/NN-*.md) run, print what they say, and open as notebooks.

For each chapter, in order, every ```python block is run in one shared namespace (one BLAS
thread, matplotlib's Agg backend, the tutorials folder as working directory), by the same
runner that ``tutorials/make_figures.py`` uses to draw the figures. Then:

- what each block prints says what the ```text block recorded under it says: the same
  text, and numbers that agree to the block's tolerance (by default two significant
  digits; integers exactly; lines marked "(varies", i.e. timings, with their numbers
  masked) — ``make_figures.outputs_match``, whose docstring has the rule. A block that
  prints nothing has no such block;
- every number the prose cites in `code font` (e.g. `0.1667`) appears, within the same
  tolerance, in what the code right before or right after that paragraph printed — so text
  and code cannot drift;
- the figures the chapter embeds are exactly the ``fig_<name>`` objects its code makes,
  and their files exist.

How long a chapter takes is not tested (timing belongs in benchmarks/).

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

# Chapters that need a package beyond the 'plots' extra: file name -> (module, why). Without it the
# chapter's run is skipped, with the reason; in the full test install (`.[dev,plots,torch]`) it runs.
NEEDS = {"09-pytorch.md": ("torch", "chapter 9 runs its experiments in PyTorch too, which needs the torch extra: "
                                    "pip install -e '.[torch]'")}

# A cited number: digits with an optional sign, decimal point, exponent, %, ×, or a tuple of them.
_CITED = re.compile(r"[-−+]?[(\[]?[-−+]?\d[\d\s.,()\[\]eE+\-−×x%]*")
_MATH = re.compile(r"\$\$.*?\$\$|\$[^$\n]+\$", re.S)
_SPAN = re.compile(r"`([^`\n]+)`")


def cited_numbers(markdown: str) -> list:
    """The `code font` spans of a prose block that are numbers (math and fenced blocks excluded)."""
    prose = _MATH.sub(" ", markdown)
    return [span for span in _SPAN.findall(prose) if _CITED.fullmatch(span.strip()) and re.search(r"\d", span)]


def printed_contains(printed: str, number: str) -> bool:
    """``number`` occurs in ``printed`` as a whole number (not as part of a longer one); a float
    within the default tolerance and with the same sign, an integer exactly."""
    return make_figures.printed_contains(printed, number)


def test_the_chapters_are_numbered_1_to_10():
    assert [p.name[:2] for p in CHAPTERS] == [f"{i:02d}" for i in range(1, 11)], CHAPTERS
    assert set(NEEDS) <= {p.name for p in CHAPTERS}, NEEDS


def test_the_exercise_registry_names_every_chapter():
    from tinygrad_rnn.exercises import CHAPTERS as registered      # what `check` groups exercises under
    assert sorted(registered) == [int(p.name[:2]) for p in CHAPTERS], registered
    for path in CHAPTERS:                                           # each a short form of its heading
        heading = next(line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("# "))
        words = set(re.findall(r"[a-z]+", registered[int(path.name[:2])].lower())) - {"and", "rnns", "bptt"}
        assert words <= set(re.findall(r"[a-z]+", heading.lower())), (path.name, registered[int(path.name[:2])])


def test_cited_number_detection():
    assert cited_numbers("rho is `0.9`, `(8, 6)`, `1e-5`, `9x` and `h.detach()`; $`2`$ is math") == [
        "0.9", "(8, 6)", "1e-5", "9x"]
    assert printed_contains("ratio 0.1667\n", "0.1667")
    assert not printed_contains("ratio 10.1667\n", "0.1667")           # a whole number, not part of one
    assert not printed_contains("ratio 0.16671\n", "1667")
    assert printed_contains("ratio 0.16672\n", "0.1667")               # the same number to the tolerance ...
    assert printed_contains("ratio 0.1701\n", "0.1667")
    assert not printed_contains("ratio 0.1833\n", "0.1667")            # ... but not 10% off
    assert not printed_contains("slope -0.1667\n", "0.1667")           # nor with the other sign
    assert printed_contains("d y / d v = -0.000\n", "−0.000") and printed_contains("d y = 0.000\n", "-0.000")
    assert printed_contains("died at iteration 72\n", "72") and not printed_contains("died at iteration 71\n", "72")
    assert printed_contains("shape (8, 6)\n", "(8, 6)") and not printed_contains("shape (8, 7)\n", "(8, 6)")
    assert not printed_contains("shape (8, 6, 2)\n", "(8, 6)")
    assert printed_contains("memory 9x of window 20\n", "9x") and not printed_contains("memory 9 MB\n", "9x")
    assert printed_contains("clipped [7.9999992 5.9999994], norm\n", "[7.9999992 5.9999994]")
    assert printed_contains("error 6.0e-13 at eps\n", "6.0e-13") and not printed_contains("error 6.0e-12\n", "6.0e-13")


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_chapter_runs_and_says_what_it_prints(path):
    import matplotlib.pyplot as plt

    if path.name in NEEDS:
        module, reason = NEEDS[path.name]
        pytest.importorskip(module, reason=reason)
    try:
        run = make_figures.run_chapter(path)
    finally:
        plt.close("all")

    # what each block prints is recorded right under it
    recorded = make_figures.recorded_output_blocks(run.blocks)
    assert recorded, f"{path.name} has no python blocks"
    for number, (rec, printed) in enumerate(zip(recorded, run.printed), start=1):
        if rec is None:
            assert not printed.strip(), (f"{path.name}, python block {number} prints but has no ```text block "
                                         f"under it; run `python tutorials/make_figures.py --update-outputs`."
                                         f"\nIt printed:\n{printed}")
        else:
            differences = make_figures.output_differences(rec.text, printed, rec.tolerance)
            assert not differences, (
                f"{path.name}, python block {number}: the recorded output is stale\n  "
                + "\n  ".join(differences) + f"\n--- recorded ---\n{rec.text}\n--- printed now ---\n{printed}"
                "\nIf the change is deliberate, run `python tutorials/make_figures.py --update-outputs`; if these "
                "numbers legitimately move more between machines, declare a tolerance on the line before the "
                "```text block, e.g. `<!-- output: rel=0.2 -->` (see tutorials/make_figures.py).")

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


def test_outputs_match_compares_the_text_exactly_and_the_numbers_to_a_tolerance():
    match = make_figures.outputs_match
    assert match("clip by norm at 1: test MSE 0.156", "clip by norm at 1: test MSE 0.158")     # 1.3% apart
    assert not match("clip by norm at 1: test MSE 0.156", "clip by norm at 1: test MSE 0.172")  # 10% apart
    assert match("lstm: held-out MSE 0.0039", "lstm: held-out MSE 0.0038")                      # 2.6%
    assert not match("clipping helps: barely better", "clipping helps: worse")
    assert not match("normal: True", "normal: False")
    assert not match("the bound holds at d = 40", "the bound does not hold at d = 40")
    assert not match("died at iteration 72", "died at iteration 66")          # integers: exactly
    assert not match("shape (8, 6)", "shape (8, 7)")
    assert not match("d y / d v = -0.5", "d y / d v = 0.5")                   # a changed sign fails ...
    assert match("d y / d v = -0.000", "d y / d v = 0.000")                   # ... but zero has none
    assert match("d y / d v = -0.000", "d y / d v = +0.001")                  # one unit of rounding near zero
    assert not match("d y / d v = -0.000", "d y / d v = +0.002")
    assert match("||term|| = 1.6e-03", "||term|| = 1.7e-03")                   # the last digit of two
    assert not match("||term|| = 1.6e-03", "||term|| = 1.8e-03")
    assert not match("||term|| = 0.00e+00", "||term|| = 1.2e-09")             # an exact zero
    assert not match("eps = 1e-05", "eps = 1e-06")
    assert not match("largest norm inf", "largest norm 1e+300") and match("nan, inf", "nan, inf")
    assert not match("a 0.5\nb 0.5", "a 0.5")                                 # a line more or less
    assert not match("a 0.5 0.5", "a 0.5")                                    # a number more or less
    assert match("via q: [0.7864 0.42  ]", "via q: [0.7865 0.4201]")          # NumPy's padding is layout
    assert match("[ 1.1     2.5937 17.4494]", "[1.1    2.5937 17.4493]")
    assert not match("h_10 = 0.5", "h_11 = 0.5")                              # a name's digits are text
    assert match("a (varies) 0.25", "a (varies) 0.5")                        # timings: numbers masked
    assert not match("a (varies) 0.25", "b (varies) 0.25")


def test_a_block_can_declare_its_own_tolerance():
    relaxed = make_figures.parse_tolerance("rel=0.2")
    assert relaxed == make_figures.Tolerance(rel=0.2)
    assert make_figures.outputs_match("test MSE 0.156", "test MSE 0.172", relaxed)
    assert not make_figures.outputs_match("died at iteration 72", "died at iteration 66", relaxed)
    counts = make_figures.parse_tolerance("rel=0.1 ints=rel")
    assert make_figures.outputs_match("died at iteration 72", "died at iteration 66", counts)
    assert not make_figures.outputs_match("died at iteration 72", "died at iteration 50", counts)
    exact = make_figures.parse_tolerance("exact")
    assert not make_figures.outputs_match("0.156", "0.1560", exact)
    assert make_figures.outputs_match("0.156", "0.156", exact)
    assert make_figures.outputs_match("a (varies) 0.25", "a (varies) 0.5", exact)
    for bad in ["", "rel=", "rel=-1", "rel=big", "ints=maybe", "exactly", "exact rel=0.1"]:
        with pytest.raises(ValueError):
            make_figures.parse_tolerance(bad)

    text = ("```python\nprint(1)\n```\n\n<!-- output: rel=0.2 ints=rel -->\n```text\n1\n```\n\n"
            "```python\nprint(2)\n```\n\n```text\n2\n```\n")
    outputs = [b for b in make_figures.parse_chapter(text) if b.kind == "output"]
    assert [b.tolerance for b in outputs] == [make_figures.Tolerance(rel=0.2, ints_rel=True), None]
    assert [b.kind for b in make_figures.parse_chapter(text)] == ["python", "output", "python", "output"]
    misplaced = "Prose.\n\n<!-- output: rel=0.2 -->\n\n```python\nprint(1)\n```\n"
    with pytest.raises(ValueError, match="line 3: .* must be the line right before"):
        make_figures.parse_chapter(misplaced)
    with pytest.raises(ValueError, match="line 5: .*rel=lots"):
        make_figures.parse_chapter(text.replace("rel=0.2 ints=rel", "rel=lots"))


def test_update_outputs_keeps_matching_blocks_and_the_declarations(tmp_path):
    chapter = tmp_path / "01-try.md"
    original = ("# Try\n\n```python\nprint('test MSE', 0.158)\n```\n\n```text\ntest MSE 0.156\n```\n\n"
                "```python\nprint('died at iteration', 66)\n```\n\n<!-- output: rel=0.2 -->\n"
                "```text\ndied at iteration 72\n```\n\n"
                "```python\nprint('test MSE', 0.172)\n```\n\n<!-- output: rel=0.2 -->\n```text\ntest MSE 0.156\n```\n\n"
                "```python\nprint('clipping is', 'worse')\n```\n\n```text\nclipping is barely better\n```\n\nEnd.\n")
    chapter.write_text(original, encoding="utf-8")
    run = make_figures.run_chapter(chapter)
    assert make_figures.update_outputs(run)
    assert chapter.read_text(encoding="utf-8") == (
        original.replace("died at iteration 72", "died at iteration 66")
        .replace("clipping is barely better", "clipping is worse"))
    run = make_figures.run_chapter(chapter)
    assert not make_figures.update_outputs(run)
    assert [b.tolerance for b in make_figures.recorded_output_blocks(run.blocks)] == [
        None, make_figures.Tolerance(rel=0.2), make_figures.Tolerance(rel=0.2), None]

    chapter.write_text("```python\nx = 1\n```\n\n<!-- output: rel=0.2 -->\n```text\nold\n```\n\nEnd.\n",
                       encoding="utf-8")
    assert make_figures.update_outputs(make_figures.run_chapter(chapter))     # prints nothing now: both go
    assert chapter.read_text(encoding="utf-8") == "```python\nx = 1\n```\n\nEnd.\n"
