"""Sphinx configuration of the course site; docs/site/build.py runs Sphinx with it (see that file).

The chapters arrive already executed (build.py runs them and checks their outputs), so MyST-NB only
renders them. MathJax comes from a PyPI package (sphinx-mathjax-offline) and is copied into the site:
the pages load nothing from outside it.
"""
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import tinygrad_rnn  # noqa: E402

project = "tinygrad_rnn"
author = "the tinygrad_rnn authors"
copyright = "the tinygrad_rnn authors, MIT licence"
release = version = tinygrad_rnn.__version__

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",      # MathJax 3 shipped in the wheel, copied into _static/mathjax
    "site_ext",                    # section ids = GitHub's anchors; chapters' `code` cross-linked to the API
]

# the chapters: already executed by build.py
nb_execution_mode = "off"
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 4
myst_heading_slug_func = "site_ext.anchor"     # the tour's (GitHub's) anchors
suppress_warnings = ["myst.header"]

# the API reference
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_default_options = {"members": True, "show-inheritance": False}

html_theme = "pydata_sphinx_theme"
html_title = f"tinygrad_rnn {version}: the course"
html_static_path = ["_static"]
html_css_files = ["site.css"]
html_favicon = "_static/favicon.svg"
html_context = {"default_mode": "light"}
html_show_sourcelink = False
html_copy_source = False
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": [],
}
