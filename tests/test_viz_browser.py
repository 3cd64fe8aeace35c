"""The explorer page in a real browser: Debian's Chromium, headless, driven by Selenium (issue 15, item 3).

One browser for the module. Without chromium and chromedriver the tests are skipped, saying what to
install, except in CI (the environment variable CI set), where they fail: CI installs both (.ci/run).
"""
import os
import re
import shutil

import numpy as np
import pytest

from tinygrad_rnn.analysis import all_gradients, unroll
from tinygrad_rnn.core.backward import topological_order
from tinygrad_rnn.viz import dot_available, draw_graph, to_html
from helpers import headless_chromium
from test_viz_explorer import named_chain

@pytest.fixture(scope="module")
def browser():
    if not dot_available():
        if os.environ.get("CI"):
            pytest.fail("Graphviz's dot is not installed; CI must run the browser tests (apt-get install -y graphviz)")
        pytest.skip("Graphviz's dot is not installed (apt-get install -y graphviz)")
    with headless_chromium(1500, 1000) as driver:
        yield driver


def _errors(driver) -> list:
    return [entry for entry in driver.get_log("browser") if entry["level"] in ("SEVERE", "WARNING")]


def _lit_names(driver, data) -> set:
    from selenium.webdriver.common.by import By
    lit = [e.get_attribute("data-node") for e in driver.find_elements(By.CSS_SELECTOR, "g.node.tg-lit")]
    return {data["nodes"][n]["name"] for n in lit if data["nodes"][n]["kind"] != "op"}


def _step(driver) -> int:
    return int(driver.find_element("css selector", "body").get_attribute("data-step"))


@pytest.fixture(scope="module")
def chain_page(tmp_path_factory):
    loss, tensors = named_chain()
    grads = all_gradients(loss)
    path = tmp_path_factory.mktemp("explorer") / "chain.html"
    explorer = to_html(draw_graph(loss, grads=grads), path)
    engine = [t.name for t in reversed(topological_order(loss))]        # the order backward() walks
    return path, explorer.data, engine, float(np.linalg.norm(grads[tensors["h_2"]]))


def test_hover_play_and_step(browser, chain_page, tmp_path):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
    path, data, engine, h_2_norm = chain_page
    browser.get(path.as_uri())
    assert _errors(browser) == []

    # hover h_2: its name, shape, step, value statistics, gradient norm and the rule of tanh
    h_2 = next(n for n, rec in data["nodes"].items() if rec["name"] == "h_2")
    ActionChains(browser).move_to_element(browser.find_element(By.CSS_SELECTOR, f'g.node[data-node="{h_2}"]')).perform()
    tip = browser.find_element(By.ID, "tg-tip")
    assert tip.is_displayed()
    text = tip.text
    for part in ("h_2", "shape (3,)", "time step t = 2", "min", "mean", "max", "d tanh(x)/dx = 1 - tanh(x)^2"):
        assert part in text, (part, text)
    shown = float(re.search(r"‖∂L/∂x‖ = ([-+0-9.e]+)", text)[1])
    assert shown == pytest.approx(h_2_norm, rel=5e-3)

    # nothing is lit before the backward pass starts; play runs frames, pause stops them
    assert _lit_names(browser, data) == set()
    browser.find_element(By.ID, "tg-play").click()
    WebDriverWait(browser, 10).until(lambda d: _step(d) >= 2)
    browser.find_element(By.ID, "tg-play").click()             # pause
    k = _step(browser)
    assert _lit_names(browser, data) == set(engine[:k])
    # one frame at a time: after k steps exactly the first k tensors of the engine's order are lit
    for _ in range(3):
        browser.find_element(By.ID, "tg-next").click()
        k = _step(browser)
        assert _lit_names(browser, data) == set(engine[:k])
    current = {e.get_attribute("data-node") for e in browser.find_elements(By.CSS_SELECTOR, "g.node.tg-current")}
    assert current == set(data["frames"][k - 1]["tensors"] + data["frames"][k - 1]["ops"])   # the newest frame
    assert engine[k - 1] in browser.find_element(By.ID, "tg-status").text
    browser.find_element(By.ID, "tg-prev").click()
    assert _lit_names(browser, data) == set(engine[:k - 1])
    assert _errors(browser) == []


def test_cut_strip_recurrent_edge_and_screenshot(browser, tmp_path):
    from PIL import Image
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    net = unroll("rnn", steps=3, hidden_size=3, input_size=2, cut_at=1)
    explorer = to_html(draw_graph(net.loss, grads=all_gradients(net.loss)), tmp_path / "rnn.html")
    data = explorer.data
    browser.get((tmp_path / "rnn.html").as_uri())
    assert _errors(browser) == []
    message = browser.find_element(By.ID, "tg-message")
    (cut,) = data["cuts"]

    # the walk up to just before the cut: no message, the strip shows only the steps reached
    slider = browser.find_element(By.ID, "tg-slider")

    def go(k):
        browser.execute_script("arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input'))",
                               slider, k)
        assert _step(browser) == k

    def bars():
        return sum(1 for b in browser.find_elements(By.CSS_SELECTOR, "#tg-strip rect[data-bar]")
                   if b.get_attribute("visibility") == "visible")
    go(cut["frame"] - 1)
    assert message.text == ""
    reached = [p for p in data["strip"]["points"] if p["frame"] is not None and p["frame"] <= cut["frame"] - 1]
    assert bars() == len(reached)
    go(len(data["frames"]))                                    # the end: the cut is marked, steps 0 and 1 never reached
    assert "stops at h_1.detach()" in message.text
    assert browser.find_elements(By.CSS_SELECTOR, "g.node.tg-cut-hit")
    assert bars() == sum(1 for p in data["strip"]["points"] if p["frame"] is not None) == 2

    # hover the recurrent edge into step 3: sigma_1 of its Jacobian and the product so far
    r = next(r for r in data["recurrent"] if r["step"] == 3)
    edge = browser.find_element(By.CSS_SELECTOR, f'g.edge[data-tail="{r["edge"][0]}"][data-head="{r["edge"][1]}"]'
                                                  f' path.tg-hit')
    ActionChains(browser).move_to_element(edge).perform()
    text = browser.find_element(By.ID, "tg-tip").text
    assert "σ₁" in text and "h_2 → h_3" in text, text
    shown = float(re.search(r"σ₁ of the step Jacobian \S+ = ([-+0-9.e]+)", text)[1])
    assert shown == pytest.approx(r["sigma"], rel=5e-3)

    shot = tmp_path / "explorer.png"
    assert browser.save_screenshot(str(shot))
    image = Image.open(shot)
    assert image.format == "PNG" and image.width >= 1000 and image.height >= 600
    colours = image.convert("RGB").getcolors(maxcolors=1 << 20)
    assert len(colours) > 100                                  # not blank: text, nodes, the strip's bars
    assert _errors(browser) == []
    keep = os.environ.get("TINYGRAD_KEEP_SCREENSHOT")          # to look at it: TINYGRAD_KEEP_SCREENSHOT=/tmp/x.png
    if keep:
        shutil.copy(shot, keep)


# --- where people look: 1280 and 1920 px (issue 24) --------------------------------------------------------
@pytest.mark.parametrize("width", [1280, 1920])
def test_cells_explorer_toolbar_stays_one_line_while_playing_and_names_no_undrawn_op(browser, tmp_path, width):
    from selenium.webdriver.common.by import By
    net = unroll("lstm", steps=6, hidden_size=3, input_size=2, fused=False)
    drawing = draw_graph(net.loss, detail="cells", grads=all_gradients(net.loss), size="slide",
                         title="LSTM, T = 6, L = sum(h_6): the double line is the additive cell path")
    path = tmp_path / "cells.html"
    to_html(drawing, path)
    browser.set_window_size(width, 1000)
    try:
        browser.get(path.as_uri())
        bar = browser.find_element(By.ID, "tg-bar")
        heights, statuses = set(), []
        for _ in range(len(drawing.explorer_data["frames"])):
            browser.find_element(By.ID, "tg-next").click()
            heights.add(round(bar.rect["height"]))
            statuses.append(browser.find_element(By.ID, "tg-status").get_attribute("title"))
        assert len(heights) == 1 and max(heights) < 60, f"the toolbar's height changed while playing: {heights}"
        ops = {"mul", "add", "tanh", "sigmoid", "chunk", "linear", "matmul"}
        assert not [s for s in statuses if any(f"{op}'s backward" in s for op in ops)], statuses
        strip = browser.find_element(By.ID, "tg-strip").rect
        box = browser.find_element(By.ID, "tg-strip-box").rect
        assert strip["x"] + strip["width"] <= box["x"] + box["width"] + 1       # the strip is not cut off
        # the current node is outlined in no colour of the gradient scale (red reads as "exploding")
        current = browser.find_element(By.CSS_SELECTOR, "g.node.tg-current path, g.node.tg-current polygon")
        colour = current.value_of_css_property("stroke")
        assert colour not in ("rgb(215, 25, 28)", "rgb(215, 26, 28)", "rgb(232, 89, 12)", "rgb(224, 138, 0)")
        assert _errors(browser) == []
    finally:
        browser.set_window_size(1500, 1000)


@pytest.mark.parametrize("width", [1280, 1920])
def test_a_page_shows_wide_drawings_at_full_size(browser, tmp_path, width):
    from selenium.webdriver.common.by import By

    from tinygrad_rnn.viz import render
    from tinygrad_rnn.viz.page import Page, Picture, Section, page_html
    net = unroll("rnn", steps=8, hidden_size=3, input_size=2)
    drawing = draw_graph(net.loss, detail="cells", grads=all_gradients(net.loss), size="slide")
    render(drawing, tmp_path / "g.svg")
    page = Page("t", sections=[Section("1. s", anchor="s", paragraphs=["text " * 50],
                                       pictures=[Picture("g.svg", "a drawing", wide=True)])])
    (tmp_path / "index.html").write_text(page_html(page), encoding="utf-8")
    browser.set_window_size(width, 1000)
    try:
        browser.get((tmp_path / "index.html").as_uri())
        img = browser.find_element(By.CSS_SELECTOR, ".wide img")
        natural, shown = browser.execute_script("return [arguments[0].naturalWidth, arguments[0].clientWidth]", img)
        assert natural >= 1900 and shown == natural            # 1:1: the text as big as drawn (>= 14 px here)
        page_width = browser.execute_script("return document.documentElement.clientWidth")
        box = browser.find_element(By.CSS_SELECTOR, ".wide .scroll").rect
        assert box["width"] <= page_width                       # the drawing scrolls in its box, not the page
    finally:
        browser.set_window_size(1500, 1000)
