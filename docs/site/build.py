"""Build the course site: the chapters executed, their figures and explorers, and the API reference.

    python3 -m pip install -e ".[docs,torch]"  # once: Sphinx, MyST-NB, the PyData theme, a local MathJax
    python3 docs/site/build.py --out site      # then open site/index.html (chapter 9 also runs PyTorch)

What it does, in order:

1. **Runs every chapter** (``tutorials/NN-*.md``) as a notebook in a ``python3`` Jupyter kernel (nbclient),
   with the tutorials folder as working directory, one BLAS thread and matplotlib's Agg backend, then
   saves the figures the chapter leaves in ``fig_<name>`` variables exactly as
   ``tutorials/make_figures.py`` does, and writes the explorer page (``tinygrad_rnn.viz.to_html``) of
   every graph drawing. So every output, figure and explorer on the site is what the engine made in this
   build (or in an earlier build of the very same sources: see the cache below). Chapters run two at a
   time (``--jobs``). Chapter 6 draws no graph of its own; the site adds one drawing there, marked as
   the site's (``SUPPLEMENTS``), so that its cut can be played too.
2. **Compares what each python block printed with the ```text block recorded under it**, by the rule of
   ``tests/test_tutorials.py`` (``make_figures.output_differences``, imported from there, not copied). A
   stale recorded output fails the build, saying which block and how it differs.
3. **Runs Sphinx** (MyST-NB renders the executed notebooks, autodoc the API reference) with warnings as
   errors, into ``--out``.
4. **Checks every internal link and anchor** of the built pages (``check_site``): every relative
   ``href``/``src`` names a file of the site and, with a ``#fragment``, an ``id`` on that page; no page
   loads anything from outside the site. It writes ``anchors.json``: ``{page: [ids]}``.

The cache: a chapter's executed notebook, figures and explorers are kept under ``--cache`` (default
``.site-cache/`` in the checkout), keyed by a hash of the chapter (and its supplement), every file of the package, ``make_figures.py``,
``EXECUTION`` (how chapters are run) and the versions of Python, NumPy and matplotlib; the prose around
the cached outputs is always rebuilt from the chapter. MyST-NB's own cache
(jupyter-cache) keys on the notebook's code alone, so it would not notice a change to the engine; this
one does. ``--no-cache`` runs every chapter.

Links into the site: a chapter's section is ``<chapter file stem>.html#<anchor>``, where ``anchor`` is
GitHub's anchor of the heading (``section_href``), so the same fragment works on the Markdown file
(``07-lstm.md#…``) and on the site (``07-lstm.html#…``).
"""
import argparse
import hashlib
import html.parser
import importlib.util
import json
import os
import pathlib
import platform
import re
import shutil
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
TUTORIALS = ROOT / "tutorials"
PACKAGE = ROOT / "tinygrad_rnn"
API = ["tensor", "nn", "optim", "train", "analysis", "viz", "lecture", "exercises"]

if str(ROOT) not in sys.path:                    # this checkout's package, whatever is installed
    sys.path.insert(0, str(ROOT))
try:                                    # GitHub's anchor of a heading, as the tour links chapters: the section's id
    from tinygrad_rnn.cli.tour.chapters import anchor   # noqa: E402
except ImportError:                     # before the tour rendered chapters, it lived in summary.py
    from tinygrad_rnn.cli.tour.summary import anchor    # noqa: E402

_spec = importlib.util.spec_from_file_location("tutorial_make_figures", TUTORIALS / "make_figures.py")
make_figures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_figures)


class BuildError(Exception):
    """The site could not be built; the message says why and what to do."""


# --- the URL scheme -----------------------------------------------------------------------------
def section_href(chapter: str, heading: str) -> str:
    """``07-lstm.html#the-cell-path``: where ``heading`` of the chapter file ``chapter`` (``07-lstm.md``,
    or a path to it) is on the site, relative to the site's folder."""
    return f"{pathlib.PurePath(chapter).stem}.html#{anchor(heading)}"


# --- 1. running the chapters --------------------------------------------------------------------
_FRONT_MATTER = re.compile(r"\A\s*<!--\s*-{3}.*?-{3}\s*-->\s*", re.S)
_CHAPTER_LINK = re.compile(r"\]\((\d\d-[\w-]+)\.md(#[^)\s]*)?\)")
_SVG_FIGURE = re.compile(r"^!\[[^\]]*\]\(figures/([^)\s]+)\.svg\)[ \t]*$", re.M)

EXPLORER = ('\n\n<details class="explorer">\n<summary>Play this graph\'s backward pass: the interactive '
            'explorer</summary>\n<iframe class="explorer-frame" src="explorers/{name}.html" loading="lazy" '
            'title="Explorer of {name}"></iframe>\n</details>\n')

SAVE_CELL = """\
import importlib.util as _util, pathlib as _pathlib
import tinygrad_rnn as _tg
_spec = _util.spec_from_file_location("_site_make_figures", {make_figures!r})
_mf = _util.module_from_spec(_spec); _spec.loader.exec_module(_mf)
_mf.FIGURES = _pathlib.Path({figures!r})
_saved = _mf.save_figures(_mf.ChapterRun(_pathlib.Path({chapter!r}), [], [], dict(globals()), 0.0))
for _name, _file in _mf.figure_files({chapter!r}, dict(globals())).items():
    if _file.endswith(".svg"):
        _tg.viz.to_html(globals()[_name], _pathlib.Path({explorers!r}) / (_file[:-4] + ".html"))
"""


#: What the site adds to a chapter that draws no graph of its own, so that it too has a drawing whose
#: backward pass plays: ``{chapter: (python block it follows, markdown, code)}``. The code runs in the
#: chapter's kernel after that block; it uses names that start with ``_`` (and its ``fig_``), so the
#: blocks after it run as they do without it, and it prints nothing.
SUPPLEMENTS = {
    "06-truncated-bptt.md": (1, """\
*On this site only* — the truncated run drawn, one node per state, its backward pass ready to play
under it: from $L$ back to $h_8$, and there it stops. The state entering step 8 is the
`detach()`-ed copy of $h_7$ (grey): a leaf, with no edge for the gradient to follow.""", """\
from tinygrad_rnn.viz import draw_graph

_h = None
for _t in range(T):
    with tg.time_step(_t + 1):
        if _t == T - k:
            _h = _h.detach()                                    # the cut
        _h = cell(tg.tensor(xs[_t]), _h)
        _h.name = f"h_{_t + 1}"
_loss = _h.sum()
_loss.name = "L"
fig_truncated = draw_graph(_loss, grads=analysis.all_gradients(_loss), detail="cells",
                           title=f"The last {k} of {T} steps: the state entering step {T - k + 1} is detached")
fig_truncated"""),
}


def link_chapters(markdown: str) -> str:
    """``[...](02-rnn-bptt.md#x)`` -> ``[...](02-rnn-bptt.ipynb#x)``: on the site a chapter is its executed
    notebook, which MyST resolves to the chapter's page."""
    return _CHAPTER_LINK.sub(lambda m: f"]({m.group(1)}.ipynb{m.group(2) or ''})", markdown)


def chapter_notebook(path: pathlib.Path):
    """The chapter as a notebook: its markdown as markdown cells (the jupytext header dropped, an
    explorer after every graph figure), each python block a code cell whose metadata keeps the
    ```text block recorded under it (``recorded``, ``tolerance``), which is not shown (the cell's real
    output is)."""
    import nbformat

    blocks = make_figures.parse_chapter(path.read_text(encoding="utf-8"))
    cells = []
    for i, block in enumerate(blocks):
        if block.kind == "markdown":
            text = _FRONT_MATTER.sub("", block.text) if i == 0 else block.text
            text = link_chapters(text)
            text = _SVG_FIGURE.sub(lambda m: m.group(0) + EXPLORER.format(name=m.group(1)), text)
            after, prose, code = SUPPLEMENTS.get(path.name, (None, None, None))
            if after is not None and after == sum(c.cell_type == "code" for c in cells):
                # after the prose that reads the block's output, before the next heading
                heading = re.search(r"^#", text, re.M)
                split = heading.start() if heading else len(text)
                name = f"{path.name[:2]}-{code.splitlines()[-1].removeprefix('fig_')}"
                cells.append(nbformat.v4.new_markdown_cell(text[:split].strip("\n") + "\n\n" + prose))
                cells.append(nbformat.v4.new_code_cell(code, metadata={"site_only": True, "recorded": None,
                                                                       "tolerance": None}))
                cells.append(nbformat.v4.new_markdown_cell(
                    f"![The graph of the truncated run, drawn by the code above](figures/{name}.svg)"
                    + EXPLORER.format(name=name)))
                text = text[split:]
            if text.strip():
                cells.append(nbformat.v4.new_markdown_cell(text.strip("\n")))
        elif block.kind == "python":
            following = blocks[i + 1] if i + 1 < len(blocks) else None
            recorded = following if following is not None and following.kind == "output" else None
            cell = nbformat.v4.new_code_cell(block.text.rstrip("\n"))
            cell.metadata["recorded"] = None if recorded is None else recorded.text
            cell.metadata["tolerance"] = (None if recorded is None or recorded.tolerance is None
                                          else vars(recorded.tolerance))
            cells.append(cell)
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    notebook.metadata["language_info"] = {"name": "python"}
    return notebook


def execute_chapter(path: pathlib.Path, dest: pathlib.Path):
    """Run chapter ``path`` as a notebook; write its figures to ``dest/figures`` and explorers to
    ``dest/explorers``; return the executed notebook (the saving cell removed)."""
    import nbclient
    import nbformat

    notebook = chapter_notebook(path)
    (dest / "figures").mkdir(parents=True, exist_ok=True)
    (dest / "explorers").mkdir(parents=True, exist_ok=True)
    notebook.cells.append(nbformat.v4.new_code_cell(SAVE_CELL.format(
        make_figures=str(TUTORIALS / "make_figures.py"), figures=str(dest / "figures"), chapter=str(path),
        explorers=str(dest / "explorers"))))
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "MPLBACKEND": "Agg",
           "PYTHONPATH": os.pathsep.join([str(ROOT)] + [p for p in [os.environ.get("PYTHONPATH")] if p])}
    client = nbclient.NotebookClient(notebook, kernel_name="python3", timeout=1200, allow_errors=False,
                                     resources={"metadata": {"path": str(path.parent)}})
    try:
        client.execute(env=env)
    except nbclient.exceptions.CellExecutionError as error:
        raise BuildError(f"{path.name} failed while running as a notebook:\n{error}") from None
    notebook.cells.pop()
    for cell in notebook.cells:
        if cell.cell_type == "code":
            # what the chapter prints and displays; a bare last expression's value (the drawing, whose
            # figure and explorer follow in the text) is not shown, as when the chapter runs as a script
            cell.outputs = [o for o in cell.outputs if o.output_type != "execute_result"]
    return notebook


def printed_by(cell) -> str:
    """What a code cell printed on stdout."""
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream" and o.name == "stdout")


def stale_outputs(name: str, notebook) -> list:
    """One message per python block whose printed output does not say what its recorded ```text block
    says, by ``make_figures.output_differences`` (the rule ``tests/test_tutorials.py`` applies)."""
    problems = []
    code = [c for c in notebook.cells if c.cell_type == "code" and not c.metadata.get("site_only")]
    for number, cell in enumerate(code, start=1):
        recorded, printed = cell.metadata.get("recorded"), printed_by(cell)
        if recorded is None:
            if printed.strip():
                problems.append(f"{name}, python block {number} prints but has no ```text block under it:\n"
                                f"{printed}")
            continue
        spec = cell.metadata.get("tolerance")
        tolerance = make_figures.Tolerance(**spec) if spec else None
        differences = make_figures.output_differences(recorded, printed, tolerance)
        if differences:
            problems.append(f"{name}, python block {number}: the recorded output is stale\n  "
                            + "\n  ".join(differences))
    return problems


#: how chapters are executed (``execute_chapter``, ``SAVE_CELL``): change it when that changes, so that
#: cached outputs are not reused (the markdown around them is always rebuilt from the chapter)
EXECUTION = "nbclient python3 kernel, Agg, 1 BLAS thread, figures by make_figures.save_figures, v1"


def with_outputs(notebook, executed):
    """``notebook`` (fresh from the chapter) with the outputs of ``executed``, whose code cells must be
    the same code; None if they are not."""
    fresh = [c for c in notebook.cells if c.cell_type == "code"]
    ran = [c for c in executed.cells if c.cell_type == "code"]
    if [c.source for c in fresh] != [c.source for c in ran]:
        return None
    for cell, done in zip(fresh, ran):
        cell.outputs = done.outputs
    return notebook


def _cache_key(path: pathlib.Path) -> str:
    import matplotlib
    import numpy

    digest = hashlib.sha256()
    for extra in (platform.python_version(), numpy.__version__, matplotlib.__version__):
        digest.update(extra.encode())
    digest.update(EXECUTION.encode())
    if path.name in SUPPLEMENTS:
        digest.update(repr(SUPPLEMENTS[path.name]).encode())
    files = [path, TUTORIALS / "make_figures.py"]
    files += sorted(p for p in PACKAGE.rglob("*") if p.is_file() and p.suffix in (".py", ".js", ".css", ".txt"))
    for file in files:
        digest.update(str(file.relative_to(ROOT)).encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()[:20]


def run_chapters(source: pathlib.Path, cache: pathlib.Path | None, jobs: int = 2, log=print) -> dict:
    """Execute (or take from ``cache``) every chapter into ``source``, ``jobs`` kernels at a time (the
    slowest chapters of the last build first); return ``{chapter: seconds}`` (0 for a cached one).
    Raises BuildError if a chapter fails or a recorded output is stale."""
    import concurrent.futures
    import nbformat

    paths = make_figures.chapters()
    runs = source / ".runs"
    entries = {p: (cache / f"{p.stem}-{_cache_key(p)}" if cache is not None else runs / p.stem) for p in paths}
    todo = [p for p in paths if not (entries[p] / "notebook.ipynb").is_file()]
    last = {}
    if cache is not None and (cache / "seconds.json").is_file():
        last = json.loads((cache / "seconds.json").read_text(encoding="utf-8"))
    todo.sort(key=lambda p: (-last.get(p.name, 0.0), -p.stat().st_size))   # never timed: longest text first
    times = {p.name: 0.0 for p in paths}

    def execute(path):
        start = time.perf_counter()
        work = entries[path].parent / f".{path.stem}.partial"
        shutil.rmtree(work, ignore_errors=True)
        notebook = execute_chapter(path, work)
        nbformat.write(notebook, work / "notebook.ipynb")
        for old in entries[path].parent.glob(f"{path.stem}-*"):
            shutil.rmtree(old, ignore_errors=True)
        shutil.rmtree(entries[path], ignore_errors=True)
        work.rename(entries[path])
        return time.perf_counter() - start

    if todo:
        for folder in {entries[p].parent for p in todo}:
            folder.mkdir(parents=True, exist_ok=True)
        log(f"running {len(todo)} chapter(s), {jobs} at a time; {len(paths) - len(todo)} from the cache")
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            futures = {pool.submit(execute, p): p for p in todo}
            for future in concurrent.futures.as_completed(futures):
                path = futures[future]
                times[path.name] = future.result()
                log(f"  {path.name}: {times[path.name]:.1f} s")
        if cache is not None:
            (cache / "seconds.json").write_text(json.dumps({**last, **times}, indent=1), encoding="utf-8")
    else:
        log(f"every chapter from the cache ({cache})")

    problems = []
    for path in paths:
        entry = entries[path]
        notebook = with_outputs(chapter_notebook(path), nbformat.read(entry / "notebook.ipynb", as_version=4))
        if notebook is None:
            raise BuildError(f"{entry}: a cached run of other code; delete the folder (or use --no-cache)")
        problems += stale_outputs(path.name, notebook)
        nbformat.write(notebook, source / f"{path.stem}.ipynb")
        for kind in ("figures", "explorers"):
            (source / kind).mkdir(exist_ok=True)
            for file in (entry / kind).iterdir():
                shutil.copy2(file, source / kind / file.name)
    shutil.rmtree(runs, ignore_errors=True)
    if problems:
        raise BuildError("the chapters no longer print what they record:\n\n" + "\n\n".join(problems)
                         + "\n\nIf the change is deliberate, run `python tutorials/make_figures.py "
                           "--update-outputs` (see tests/test_tutorials.py for the rule).")
    return times


# --- 2. the Sphinx source folder ----------------------------------------------------------------
def prepare_source(source: pathlib.Path):
    """Everything but the executed chapters: the front page, the course's READMEs, the exercises
    (downloads), the API pages."""
    shutil.copy2(HERE / "index.md", source / "index.md")
    shutil.copytree(HERE / "api", source / "api", dirs_exist_ok=True)
    chapters = "\n".join(p.stem for p in make_figures.chapters())
    readme = link_chapters((TUTORIALS / "README.md").read_text(encoding="utf-8"))
    readme += f"\n\n```{{toctree}}\n:hidden:\n\n{chapters}\nexercises/README\n```\n"   # the course's pages, in order
    (source / "README.md").write_text(readme, encoding="utf-8")
    (source / "exercises").mkdir(exist_ok=True)
    for file in (TUTORIALS / "exercises").iterdir():
        if file.suffix in (".md", ".py"):
            shutil.copy2(file, source / "exercises" / file.name)


def run_sphinx(source: pathlib.Path, out: pathlib.Path, doctrees: pathlib.Path):
    from sphinx.cmd.build import build_main

    # -E: read every page afresh (autodoc's pages depend on the package's sources, which Sphinx does not track)
    status = build_main(["-b", "html", "-q", "-E", "-W", "--keep-going", "-c", str(HERE), "-d", str(doctrees),
                         str(source), str(out)])
    if status:
        raise BuildError(f"Sphinx failed (exit status {status}); its warnings are above")


# --- 3. checking the built site -----------------------------------------------------------------
class _Links(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.links, self.loads = set(), [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("name"):
            self.ids.add(attrs["name"])
        if tag in ("a", "area") and attrs.get("href") is not None:
            self.links.append(attrs["href"])
        if tag == "link" and attrs.get("href") is not None:
            self.loads.append(attrs["href"])
        for key in ("src", "data"):
            if tag in ("img", "script", "iframe", "source", "embed", "object", "audio", "video") and attrs.get(key):
                self.loads.append(attrs[key])


def _split_url(url: str):
    path, _, fragment = url.partition("#")
    return path.partition("?")[0], fragment


def check_site(out: pathlib.Path) -> dict:
    """Check every page of the built site; return ``{"pages": n, "links": n, "anchors": {page: [ids]}}``.
    Raises BuildError listing every relative link or load that names a missing file or anchor, and every
    load (script, style, image, frame) from outside the site."""
    import urllib.parse

    pages = sorted(p for p in out.rglob("*.html") if not p.relative_to(out).parts[0].startswith((".", "_")))
    parsed = {}
    for page in pages:
        parser = _Links()
        parser.feed(page.read_text(encoding="utf-8"))
        parsed[page] = parser
    problems, count = [], 0
    for page, parser in parsed.items():
        where = page.relative_to(out).as_posix()
        for url, is_load in [(u, False) for u in parser.links] + [(u, True) for u in parser.loads]:
            scheme = urllib.parse.urlsplit(url).scheme
            if scheme or url.startswith("//"):
                if is_load and scheme not in ("data",):
                    problems.append(f"{where}: loads {url} from outside the site")
                continue                                   # a link out (a person clicks it): not checked here
            path, fragment = _split_url(url)
            target = (page.parent / urllib.parse.unquote(path)).resolve() if path else page
            count += 1
            if not target.exists():
                problems.append(f"{where}: {url}: no such file")
                continue
            if target.is_dir():
                target = target / "index.html"
            if fragment and target.suffix == ".html":
                ids = parsed[target].ids if target in parsed else _Links().ids
                if urllib.parse.unquote(fragment) not in ids:
                    problems.append(f"{where}: {url}: no id {fragment!r} on {target.relative_to(out).as_posix()}")
    if problems:
        raise BuildError(f"{len(problems)} broken link(s) or outside load(s):\n  " + "\n  ".join(problems))
    anchors = {p.relative_to(out).as_posix(): sorted(parsed[p].ids) for p in pages}
    return {"pages": len(pages), "links": count, "anchors": anchors}


# --- the command --------------------------------------------------------------------------------
def _favicon(path: pathlib.Path):
    from PIL import Image, ImageDraw                # matplotlib's dependency

    image = Image.new("RGBA", (32, 32), "#1f4e8c")
    ImageDraw.Draw(image).line([(6, 24), (13, 8), (19, 20), (26, 6)], fill="#f2c14e", width=3)
    image.save(path, format="ICO", sizes=[(32, 32)])


def build(out, cache=ROOT / ".site-cache", jobs: int = 2, log=print) -> dict:
    """Build the site into ``out``; return the numbers the command prints. Raises BuildError."""
    out = pathlib.Path(out).resolve()
    start = time.perf_counter()
    scratch = pathlib.Path(cache if cache is not None else out.parent / f".{out.name}-build").resolve()
    source, doctrees = scratch / "source", scratch / "doctrees"
    shutil.rmtree(source, ignore_errors=True)
    source.mkdir(parents=True)
    log("running the chapters:")
    times = run_chapters(source, pathlib.Path(cache).resolve() / "chapters" if cache is not None else None,
                         jobs, log)
    prepare_source(source)
    log("Sphinx:")
    sphinx_start = time.perf_counter()
    run_sphinx(source, out, doctrees)
    sphinx_seconds = time.perf_counter() - sphinx_start
    (out / "explorers").mkdir(exist_ok=True)
    for file in (source / "explorers").iterdir():
        shutil.copy2(file, out / "explorers" / file.name)
    _favicon(out / "favicon.ico")                 # what a browser asks for when an explorer is opened on its own
    report = check_site(out)
    (out / "anchors.json").write_text(json.dumps(report["anchors"], indent=1) + "\n", encoding="utf-8")
    if cache is None:
        shutil.rmtree(scratch, ignore_errors=True)
    report.update(chapters=times, sphinx_seconds=sphinx_seconds, seconds=time.perf_counter() - start)
    return report


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="site", help="the folder to write the site into (default: site)")
    parser.add_argument("--cache", default=str(ROOT / ".site-cache"),
                        help="where executed chapters are kept between builds (default: .site-cache)")
    parser.add_argument("--no-cache", action="store_true", help="run every chapter, keep nothing")
    parser.add_argument("--jobs", type=int, default=2, help="chapters run at once (default: 2)")
    args = parser.parse_args(argv)
    try:
        report = build(args.out, None if args.no_cache else args.cache, args.jobs)
    except BuildError as error:
        print(f"site: error: {error}", file=sys.stderr)
        return 1
    except ImportError as error:
        print(f"site: error: {error}; install the docs extra: python3 -m pip install -e \".[docs]\"",
              file=sys.stderr)
        return 1
    print(f"site: {report['pages']} pages, {report['links']} internal links and anchors checked, "
          f"chapters {sum(report['chapters'].values()):.0f} s, Sphinx {report['sphinx_seconds']:.0f} s, "
          f"{report['seconds']:.0f} s in all -> {pathlib.Path(args.out).resolve() / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
