"""The course site (docs/site/build.py) as a person uses it, in headless Chromium.

The site is built once per test session: the one .ci/run built, when the environment variable
TINYGRAD_RNN_SITE names its folder, else into a temporary folder (the chapters' executed notebooks are
reused from the checkout's .site-cache/ when nothing they depend on changed). It is served over HTTP on
127.0.0.1, as a course site is. Then:

- every page loads with no console error or warning, and requests nothing from outside the site;
- the math is typeset (MathJax, shipped in the site), every image decodes;
- an embedded explorer plays: one "next" click lights the graph's root, the first node of the engine's
  backward order (the loss: backward starts there);
- chapter 7 is saved as a screenshot at 1280 px (its path is printed; ``-s`` shows it);
- with JavaScript off, a chapter's text and its static figures still read;
- each claim's chapter section (``lecture``'s ``chapter=(file, heading)``) is an anchor of the site.

Without the ``docs`` extra (Sphinx, MyST-NB, the PyData theme, sphinx-mathjax-offline) these tests are
skipped, except in CI (the CI environment variable set), where they fail.
"""
import ast
import functools
import http.server
import importlib
import importlib.util
import json
import os
import pathlib
import threading

import pytest

from helpers import headless_chromium

ROOT = pathlib.Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("site_build", ROOT / "docs" / "site" / "build.py")
site_build = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(site_build)

# MyST-Parser still calls an attribute Sphinx 9 deprecates (its own business; the site is unaffected)
pytestmark = pytest.mark.filterwarnings("ignore:'myst_parser.*' is deprecated")

DOCS_EXTRA = ["sphinx", "myst_nb", "pydata_sphinx_theme", "sphinx-mathjax-offline", "nbclient", "matplotlib"]


def need_docs_extra():
    for module in DOCS_EXTRA:
        try:
            importlib.import_module(module)
        except ImportError:
            why = f"{module} is needed to build the site: python3 -m pip install -e '.[docs]'"
            if os.environ.get("CI"):
                pytest.fail(why + " (CI is set: the site must be built and tested there)")
            pytest.skip(why)


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> pathlib.Path:
    built = os.environ.get("TINYGRAD_RNN_SITE")
    if built:
        folder = pathlib.Path(built)
        assert (folder / "index.html").is_file(), f"TINYGRAD_RNN_SITE={built} holds no built site"
        return folder
    need_docs_extra()
    folder = tmp_path_factory.mktemp("site") / "site"
    try:
        site_build.build(folder, log=lambda line: None)
    except site_build.BuildError as error:
        pytest.fail(f"the site does not build: {error}")
    return folder


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def served(site):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def browser():
    with headless_chromium(1280, 900) as driver:
        yield driver


def pages(site) -> list:
    return sorted(p.relative_to(site).as_posix() for p in site.glob("*.html")) + sorted(
        p.relative_to(site).as_posix() for p in site.glob("*/*.html") if p.parent.name in ("api", "exercises", "explorers"))


def problems_in_console(driver) -> list:
    return [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]


RESOURCES = "return performance.getEntriesByType('resource').map(function (e) { return e.name; });"
BROKEN_IMAGES = """return Array.from(document.images).filter(function (i) {
    return !(i.complete && i.naturalWidth > 0); }).map(function (i) { return i.currentSrc || i.src; });"""


def load(driver, url):
    driver.get(url)
    driver.execute_script("return document.readyState")   # Selenium waits for the load event


def test_every_page_loads_with_no_console_error_and_nothing_from_outside(site, served, browser):
    found = pages(site)
    assert {"index.html", "01-autograd.html", "07-lstm.html", "09-pytorch.html", "api/tensor.html",
            "api/exercises.html", "explorers/07-lstm_cells.html"} <= set(found), found
    problems = []
    for page in found:
        load(browser, served + page)
        for entry in problems_in_console(browser):
            problems.append(f"{page}: console: {entry['message']}")
        for resource in browser.execute_script(RESOURCES):
            if not resource.startswith(served):
                problems.append(f"{page}: requested {resource}, outside the site")
        for image in browser.execute_script(BROKEN_IMAGES):
            problems.append(f"{page}: the image {image} does not decode")
    assert not problems, "\n".join(problems)


def test_math_is_typeset(served, browser):
    from selenium.webdriver.support.ui import WebDriverWait
    load(browser, served + "02-rnn-bptt.html")
    count = "return document.querySelectorAll('.math').length"
    typeset = "return document.querySelectorAll('.math mjx-container').length"
    assert browser.execute_script(count) > 10
    WebDriverWait(browser, 20).until(lambda d: d.execute_script(typeset) >= d.execute_script(count))
    raw = browser.execute_script(
        "return Array.from(document.querySelectorAll('.math')).filter(function (m) {"
        " return !m.querySelector('mjx-container'); }).map(function (m) { return m.textContent; });")
    assert raw == []
    # the glyphs are drawn with MathJax's own fonts, from the site
    fonts = [r for r in browser.execute_script(RESOURCES) if "mathjax" in r]
    assert fonts and all(r.startswith(served) for r in fonts)
    assert problems_in_console(browser) == []


def _lit_tensors(driver, data) -> set:
    from selenium.webdriver.common.by import By
    lit = [e.get_attribute("data-node") for e in driver.find_elements(By.CSS_SELECTOR, "g.node.tg-lit")]
    return {data["nodes"][n]["name"] for n in lit if data["nodes"][n]["kind"] != "op"}


def test_an_embedded_explorer_plays(served, browser):
    """Chapter 2 draws ``draw_graph(L, ...)``: the engine's backward pass starts at L, so one "next"
    lights L and nothing else."""
    from selenium.webdriver.common.by import By
    load(browser, served + "02-rnn-bptt.html")
    explorers = browser.find_elements(By.CSS_SELECTOR, "details.explorer")
    assert len(explorers) == 2                                 # one under each graph the chapter draws
    summary = explorers[0].find_element(By.TAG_NAME, "summary")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", summary)
    summary.click()
    frame = explorers[0].find_element(By.TAG_NAME, "iframe")
    # its play bar just below the page's sticky header, as a reader scrolls to it
    browser.execute_script("window.scrollBy(0, arguments[0].getBoundingClientRect().top - 150)", frame)
    browser.switch_to.frame(frame)
    try:
        data = json.loads(browser.find_element(By.ID, "tg-data").get_attribute("textContent"))
        assert _lit_tensors(browser, data) == set()
        browser.find_element(By.ID, "tg-next").click()
        assert _lit_tensors(browser, data) == {"L"}
        browser.find_element(By.ID, "tg-next").click()
        assert "L" in _lit_tensors(browser, data) and len(_lit_tensors(browser, data)) >= 2
    finally:
        browser.switch_to.default_content()
    assert problems_in_console(browser) == []


def test_chapter_6s_explorer_stops_at_the_cut(served, browser):
    """What the site's note in chapter 6 says: played to the end, the backward pass lights L and h_12 back
    to h_8, and never the detached h_7."""
    from selenium.webdriver.common.by import By
    load(browser, served + "06-truncated-bptt.html")
    explorer = browser.find_element(By.CSS_SELECTOR, "details.explorer")
    summary = explorer.find_element(By.TAG_NAME, "summary")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", summary)
    summary.click()
    frame = explorer.find_element(By.TAG_NAME, "iframe")
    browser.execute_script("window.scrollBy(0, arguments[0].getBoundingClientRect().top - 150)", frame)
    browser.switch_to.frame(frame)
    try:
        data = json.loads(browser.find_element(By.ID, "tg-data").get_attribute("textContent"))
        for _ in range(len(data["frames"]) + 2):                   # past the end: it stays there
            browser.find_element(By.ID, "tg-next").click()
        assert _lit_tensors(browser, data) == {"L", "h_12", "h_11", "h_10", "h_9", "h_8"}
    finally:
        browser.switch_to.default_content()
    assert problems_in_console(browser) == []


@pytest.mark.parametrize("chapter", ["01-autograd", "02-rnn-bptt", "06-truncated-bptt", "07-lstm"])
def test_each_graph_figure_has_its_explorer(site, chapter):
    text = (site / f"{chapter}.html").read_text(encoding="utf-8")
    svgs = [p.stem for p in (site / "_images").glob(f"{chapter[:2]}-*.svg")]
    assert svgs
    for name in svgs:
        assert f'src="explorers/{name}.html"' in text, name
        assert "tg-next" in (site / "explorers" / f"{name}.html").read_text(encoding="utf-8")


def test_chapter_7_at_1280_px(served, tmp_path_factory):
    from PIL import Image
    shots = pathlib.Path(os.environ.get("TINYGRAD_RNN_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    shots.mkdir(parents=True, exist_ok=True)
    with headless_chromium(1280, 1000) as driver:
        load(driver, served + "07-lstm.html")
        driver.execute_script("return document.fonts.ready")
        path = shots / "07-lstm-1280.png"
        driver.save_screenshot(str(path))
        assert problems_in_console(driver) == []
    with Image.open(path) as image:
        assert image.size[0] == 1280
        colours = image.convert("L").getextrema()
        assert colours[1] - colours[0] > 100               # not a blank page
    print(f"\nscreenshot: {path}")


def test_with_javascript_off_the_text_and_figures_still_read(served):
    from selenium.webdriver.common.by import By
    with headless_chromium(1280, 1000, javascript=False) as driver:
        load(driver, served + "07-lstm.html")
        body = driver.find_element(By.TAG_NAME, "article").text
        assert "forget" in body and "LSTM" in body and len(body) > 5000
        images = driver.find_elements(By.CSS_SELECTOR, "article img")
        assert len(images) == 4                                # the chapter's two drawings and two plots
        for image in images:
            size = image.size
            assert size["width"] > 50 and size["height"] > 50, image.get_attribute("src")
        # the math is left as its TeX source, readable
        assert "f_t" in body


def test_each_claims_section_is_an_anchor_of_the_site(site):
    anchors = json.loads((site / "anchors.json").read_text(encoding="utf-8"))
    targets = set()          # every (CHAPTER, heading) the lecture's experiments attach their claims to
    for source in (ROOT / "tinygrad_rnn" / "lecture").glob("*.py"):
        module = importlib.import_module(f"tinygrad_rnn.lecture.{source.stem}")
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Tuple) and len(node.elts) == 2 and isinstance(node.elts[0], ast.Name)
                    and node.elts[0].id == "CHAPTER"):
                second = node.elts[1]
                heading = second.value if isinstance(second, ast.Constant) else getattr(module, second.id)
                targets.add((module.CHAPTER, heading))
    assert len(targets) >= 5, targets
    for file, heading in sorted(targets):
        page, _, fragment = site_build.section_href(file, heading).partition("#")
        assert fragment in anchors.get(page, []), (file, heading, page, fragment)


def test_chapters_cross_link_to_the_api(site):
    text = (site / "01-autograd.html").read_text(encoding="utf-8")
    assert 'href="api/viz.html#tinygrad_rnn.viz.draw_graph"' in text


def test_a_stale_recorded_output_fails_the_build():
    import nbformat
    cell = nbformat.v4.new_code_cell("print('test MSE', x)")
    cell.metadata.update(recorded="test MSE 0.156\n", tolerance=None)
    notebook = nbformat.v4.new_notebook(cells=[cell])
    for printed, stale in [("test MSE 0.158\n", False), ("test MSE 0.172\n", True), ("test MSE worse\n", True)]:
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=printed)]
        assert bool(site_build.stale_outputs("01-x.md", notebook)) == stale, printed
    cell.metadata.update(tolerance={"rel": 0.2, "ints_rel": False, "exact": False})
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="test MSE 0.172\n")]
    assert site_build.stale_outputs("01-x.md", notebook) == []
    cell.metadata.update(recorded=None)
    assert site_build.stale_outputs("01-x.md", notebook)       # prints, but nothing is recorded


def test_the_link_check_finds_a_missing_file_anchor_or_outside_load(tmp_path):
    (tmp_path / "a.html").write_text('<h1 id="top">A</h1><a href="b.html#here">b</a><a href="https://x.org">out</a>',
                                     encoding="utf-8")
    (tmp_path / "b.html").write_text('<p id="here">B</p><a href="a.html#top">a</a>', encoding="utf-8")
    report = site_build.check_site(tmp_path)
    assert report["pages"] == 2 and report["anchors"]["b.html"] == ["here"]
    for broken in ['<a href="b.html#gone">', '<a href="c.html">', '<img src="figures/x.png">',
                   '<script src="https://cdn.example/x.js"></script>']:
        (tmp_path / "a.html").write_text(f'<h1 id="top">A</h1>{broken}', encoding="utf-8")
        with pytest.raises(site_build.BuildError):
            site_build.check_site(tmp_path)
