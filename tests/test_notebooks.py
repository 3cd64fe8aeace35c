"""The tutorials as Jupyter notebooks: their graph cells show their drawings.

Chapters 1 and 7 are converted with jupytext (as ``test_tutorials.py`` converts every chapter)
and executed with nbclient in a real ``python3`` kernel, with the tutorials folder as working
directory and one BLAS thread. Every cell that calls ``draw_graph`` must then carry an SVG output
(``image/svg+xml``, what ``graphviz.Digraph`` shows); chapter 1 also shows the explorer inline
(``to_html(...)`` as a cell's last expression: HTML, through ``_repr_html_``).

Every chapter is also checked without running it: a block that calls ``draw_graph`` ends with
a bare expression (the drawing), so that it displays when run as a notebook.

nbclient and ipykernel come with the ``dev`` extra, and showing a drawing needs Graphviz's ``dot``.
Without them these tests are skipped, except in CI (the ``CI`` environment variable set), where
they fail.
"""
import ast
import html
import importlib
import importlib.util
import os
import pathlib

import pytest

from tinygrad_rnn.viz import dot_available

TUTORIALS = pathlib.Path(__file__).resolve().parent.parent / "tutorials"
_spec = importlib.util.spec_from_file_location("tutorial_make_figures", TUTORIALS / "make_figures.py")
make_figures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_figures)

EXECUTED = ["01-autograd.md", "07-lstm.md"]


def need(module: str):
    """Import ``module``; skip without it, or fail in CI, where every test must run."""
    try:
        return importlib.import_module(module)
    except ImportError:
        why = f"{module} is needed to run the tutorials as notebooks: pip install -e '.[dev]'"
        if os.environ.get("CI"):
            pytest.fail(why + " (CI is set: this test must run there)")
        pytest.skip(why)


def draws(source: str) -> bool:
    return "draw_graph(" in source


def execute(chapter: str, extra_cells=()):
    """Chapter ``chapter`` run as a notebook (with ``extra_cells`` appended): the executed notebook."""
    jupytext, nbformat, nbclient = need("jupytext"), need("nbformat"), need("nbclient")
    need("ipykernel")
    need("matplotlib")
    if not dot_available():                        # a Digraph shows as SVG through Graphviz's `dot`
        if os.environ.get("CI"):
            pytest.fail("Graphviz's dot is needed to show the drawings (CI installs it: .ci/run)")
        pytest.skip("Graphviz's dot is needed to show the drawings as SVG")
    notebook = jupytext.reads((TUTORIALS / chapter).read_text(encoding="utf-8"), fmt="md")
    notebook.cells += [nbformat.v4.new_code_cell(source) for source in extra_cells]
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
    env.pop("MPLBACKEND", None)                     # Jupyter's own (inline) backend, as a learner has it
    client = nbclient.NotebookClient(notebook, kernel_name="python3", timeout=600,
                                     resources={"metadata": {"path": str(TUTORIALS)}})
    client.execute(env=env)
    return notebook


def shown_outputs(cell) -> list:
    """The rich outputs of a code cell (its last expression's value, and anything it displayed)."""
    return [o for o in cell.outputs if o.output_type in ("execute_result", "display_data")]


@pytest.fixture(scope="module")
def chapter_1():
    return execute("01-autograd.md", ["import tinygrad_rnn as tg\ntg.viz.to_html(fig_graph)"])


@pytest.fixture(scope="module")
def chapter_7():
    return execute("07-lstm.md")


@pytest.mark.parametrize("name", EXECUTED)
def test_graph_cells_show_their_drawing_as_svg(name, request):
    notebook = request.getfixturevalue("chapter_1" if name.startswith("01") else "chapter_7")
    graph_cells = [c for c in notebook.cells if c.cell_type == "code" and draws(c.source)]
    assert graph_cells, f"{name} has no graph cell"
    for cell in graph_cells:
        outputs = shown_outputs(cell)
        assert outputs, f"{name}: this graph cell shows nothing:\n{cell.source}"
        svg = [o.data["image/svg+xml"] for o in outputs if "image/svg+xml" in o.data]
        assert svg, f"{name}: no SVG output, only {[sorted(o.data) for o in outputs]}:\n{cell.source}"
        assert "<svg" in svg[0] and "</svg>" in svg[0]
    # the other cells still print what the chapter records (spot check: a line of chapter 7's first block)
    if name.startswith("07"):
        printed = "".join(o.get("text", "") for c in notebook.cells if c.cell_type == "code" for o in c.outputs
                          if o.output_type == "stream")
        assert "'weight_hh': (32, 8)" in printed


def test_the_explorer_shows_inline_as_html(chapter_1):
    cell = chapter_1.cells[-1]
    shown = [o.data["text/html"] for o in shown_outputs(cell) if "text/html" in o.data]
    assert shown, f"to_html(...) as a cell's last expression showed {[sorted(o.data) for o in shown_outputs(cell)]}"
    page = html.unescape(shown[0])                                    # the page may sit in an iframe's srcdoc
    assert "<svg" in page and "<script" in page


@pytest.mark.parametrize("path", make_figures.chapters(), ids=lambda p: p.stem)
def test_every_graph_block_ends_with_its_drawing(path):
    """A block that calls draw_graph ends with a bare expression, so a notebook shows the drawing.
    (Run as a script by make_figures.py and test_tutorials.py, a bare expression prints nothing.)"""
    blocks = [b for b in make_figures.parse_chapter(path.read_text(encoding="utf-8")) if b.kind == "python"]
    for block in blocks:
        if not draws(block.text):
            continue
        last = ast.parse(block.text).body[-1]
        assert isinstance(last, ast.Expr) and isinstance(last.value, ast.Name), (
            f"{path.name}: this block draws a graph but does not end with it, so a notebook shows nothing; "
            f"end it with the drawing's name (e.g. a line `fig_graph`):\n{block.text}")
        assigned = {t.id for node in ast.walk(ast.parse(block.text)) if isinstance(node, ast.Assign)
                    for t in node.targets if isinstance(t, ast.Name)}
        assert last.value.id in assigned, f"{path.name}: the block ends with {last.value.id}, which it did not draw"
