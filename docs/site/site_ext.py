"""Two small Sphinx hooks of the course site (docs/site/conf.py loads this file as an extension).

- Every section of a page gets, as an ``id``, GitHub's anchor of its heading
  (the tour's ``anchor``; a repeated heading gets ``-1``, ``-2``, ... as on GitHub), so
  ``07-lstm.html#<anchor>`` lands where ``07-lstm.md#<anchor>`` does on a code host.
- A docstring that is not valid reStructuredText (most are written as plain text with ``code``) is shown
  as it is written, preformatted, rather than half-parsed with errors.
- In the chapters, a name in ``code font`` that the API reference documents (``draw_graph``,
  ``tg.viz.to_html(...)``, ``clip_grad_norm_``, ``Tensor.backward``) links to its entry there. A bare
  name that several entries share is left alone.
"""
import io
import re

import docutils.core
import docutils.utils
from docutils import nodes

try:                                    # GitHub's anchor of a heading, as the tour links chapters: the section's id
    from tinygrad_rnn.cli.tour.chapters import anchor   # noqa: E402
except ImportError:                     # before the tour rendered chapters, it lived in summary.py
    from tinygrad_rnn.cli.tour.summary import anchor    # noqa: E402

_NAME = re.compile(r"[A-Za-z_][\w.]*")
CHAPTER = re.compile(r"\d\d-")


def add_github_anchors(app, doctree):
    seen = {}
    for section in doctree.findall(nodes.section):
        title = section.next_node(nodes.title)
        if title is None:
            continue
        slug = anchor(title.astext())
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        slug = slug if n == 0 else f"{slug}-{n}"
        if slug and slug not in section["ids"]:
            section["ids"].append(slug)
            doctree.ids.setdefault(slug, section)


def api_target(objects: dict, text: str):
    """The documented object a ``code`` span names, or None: ``tg.`` means ``tinygrad_rnn.``; a dotted or
    bare name matches the one entry whose full name ends with it."""
    match = _NAME.match(text.strip())
    if not match:
        return None
    name = match.group(0).rstrip(".")
    if name.startswith("tg."):
        name = "tinygrad_rnn." + name[3:]
    if name in objects:
        return name
    if len(name) < 4:
        return None
    found = [full for full in objects if full.endswith("." + name)]
    return found[0] if len(found) == 1 else None


def link_code_to_api(app, doctree, docname):
    if not CHAPTER.match(docname):
        return
    objects = app.env.get_domain("py").objects
    for literal in list(doctree.findall(nodes.literal)):
        if isinstance(literal.parent, (nodes.reference, nodes.literal_block)):
            continue
        full = api_target(objects, literal.astext())
        if full is None:
            continue
        entry = objects[full]
        uri = app.builder.get_relative_uri(docname, entry.docname) + "#" + entry.node_id
        reference = nodes.reference("", "", internal=True, refuri=uri, reftitle=full)
        literal.replace_self(reference)
        reference.append(literal)


def is_clean_rst(text: str) -> bool:
    """True when docutils reads ``text`` with no warning or error."""
    stream = io.StringIO()
    try:
        docutils.core.publish_doctree(text, settings_overrides={"report_level": 2, "halt_level": 5,
                                                                "warning_stream": stream})
    except docutils.utils.SystemMessage:
        return False
    return not stream.getvalue()


def preformat_plain_docstrings(app, what, name, obj, options, lines):
    if lines and not is_clean_rst("\n".join(lines)):
        lines[:] = ["::", ""] + ["    " + line for line in lines] + [""]


def setup(app):
    app.connect("autodoc-process-docstring", preformat_plain_docstrings)
    app.connect("doctree-read", add_github_anchors)
    app.connect("doctree-resolved", link_code_to_api)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
