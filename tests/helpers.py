"""Helpers shared by several test files (import them as ``from helpers import ...``; pytest puts
this folder on sys.path)."""
import contextlib
import json
import os
import shutil

import numpy as np
import pytest

import tinygrad_rnn as tg


def leaf(values, dtype=np.float64, name=None) -> tg.Tensor:
    """A float leaf tensor that requires grad, holding a copy of ``values`` (a number, list or
    array) in ``dtype``. For a shape, pass the values: ``leaf(np.ones((2, 3)))``."""
    if not np.issubdtype(dtype, np.floating):
        raise TypeError(f"leaf: dtype must be a float type (only floats carry gradients), got {dtype!r}. "
                        f"Fix: leave the default np.float64, or pass np.float32")
    return tg.Tensor(np.asarray(values, dtype=dtype), requires_grad=True, name=name)


def without_seconds(records):
    """Training log records without their ``seconds`` (the only field that differs between runs)."""
    return [{k: v for k, v in r.items() if k != "seconds"} for r in records]


def metrics_of(out):
    """The records of ``out/metrics.jsonl``, without their ``seconds``."""
    return without_seconds(json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines())


CHROMIUM_INSTALL = "apt-get install -y chromium chromium-driver, and pip install selenium"


@contextlib.contextmanager
def headless_chromium(width: int = 1600, height: int = 1000, javascript: bool = True):
    """A Selenium driver of Debian's Chromium, headless, with the browser console logged
    (``driver.get_log("browser")``); quit on exit. Without Chromium, its driver or Selenium the test is
    skipped, saying what to install, except in CI (the environment variable CI set), where it fails:
    ``.ci/run`` installs all three."""
    mac_chrome = "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome"     # README: macOS's Chrome
    browser = shutil.which("chromium") or (mac_chrome if os.path.isfile(mac_chrome) else None)
    driver_path = shutil.which("chromedriver")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        webdriver = None
    missing = ("selenium is not installed" if webdriver is None else "chromium is not installed" if not browser
               else "chromedriver is not installed" if not driver_path else "")
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"{missing}; CI must run the browser tests: {CHROMIUM_INSTALL}")
        pytest.skip(f"{missing} ({CHROMIUM_INSTALL})")
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     f"--window-size={width},{height}"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    if not javascript:                                       # a reader with JavaScript switched off
        options.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
