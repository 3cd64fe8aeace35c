"""The tutorial chapters as HTML pages, so that "Explained in 07-lstm.md § heading" opens the section,
rendered, instead of raw Markdown at the top of the file.

    html = render_chapter(tutorials / "07-lstm.md", tutorials=tutorials, folder=out / CHAPTERS_DIR)
    href = chapter_href("07-lstm.md", "The cell path")      # "chapters/07-lstm.html#the-cell-path"

The tour writes every chapter of the checkout's ``tutorials/`` into ``<out>/chapters/NN-name.html``
(``write_chapters``). Each heading gets the id GitHub gives it (``anchor``), computed from the heading's
Markdown source line, which is what a claim names as its heading. Links between chapters point at
their HTML copies; images and other files (figures, exercises) point back into the checkout. Markdown
is parsed with markdown-it-py (CommonMark and tables); math stays as its LaTeX source.

``chapter_href(name, heading, base)``: where a link to a chapter's section points. ``base`` is the
folder (relative to the page that links) or URL holding the rendered chapters: ``CHAPTERS_DIR`` for the
tour's own copies, or a built course site's address (``https://.../course``) once there is one.
"""
import html
import os
import pathlib
import re

CHAPTERS_DIR = "chapters"
_CHAPTER = re.compile(r"^\d\d-[\w-]+\.md$")
_JUPYTEXT_HEADER = re.compile(r"\A\s*<!--\s*---\s*\njupyter:.*?-->\s*", re.S)
_STYLE = """body { font-family: system-ui, sans-serif; line-height: 1.55; max-width: 52rem; margin: 2rem auto;
  padding: 0 1rem; color: #1b1b1b; font-size: 17px; }
pre { background: #f5f5f5; padding: 0.8rem; overflow-x: auto; font-size: 14px; line-height: 1.4; }
code { font-family: ui-monospace, monospace; }
table { border-collapse: collapse; margin: 1rem 0; } td, th { border: 1px solid #ccc; padding: 0.3rem 0.6rem;
  vertical-align: top; }
img { max-width: 100%; } h1, h2, h3 { line-height: 1.25; } :target { background: #fff6bf; }
nav { font-size: 15px; margin-bottom: 1.5rem; }"""


def anchor(heading: str) -> str:
    """GitHub's anchor for a Markdown heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def chapter_href(name: str, heading: str, base: str = CHAPTERS_DIR) -> str:
    """``base/NN-name.html#anchor``: the rendered chapter ``name`` (``07-lstm.md``), at its section ``heading``."""
    page = pathlib.PurePosixPath(name).with_suffix(".html").name
    return f"{base.rstrip('/')}/{page}#{anchor(heading)}"


def chapters(tutorials: pathlib.Path) -> list:
    """The chapter files of ``tutorials`` (``NN-name.md``), in order."""
    return sorted(p for p in tutorials.iterdir() if _CHAPTER.match(p.name))


def _markdown():
    try:
        from markdown_it import MarkdownIt
    except ImportError:
        raise ImportError("the tour renders the tutorial chapters with markdown-it-py: "
                          "python3 -m pip install markdown-it-py") from None
    return MarkdownIt("commonmark").enable("table")


def render_chapter(path: pathlib.Path, *, tutorials: pathlib.Path, folder: pathlib.Path) -> str:
    """The chapter at ``path`` as a standalone HTML page that will be written into ``folder``: headings with
    GitHub's ids, links to other chapters to their HTML copies, every other relative link into ``tutorials``."""
    md = _markdown()
    source = _JUPYTEXT_HEADER.sub("", path.read_text(encoding="utf-8"), count=1)   # notebook metadata, not prose
    lines = source.splitlines()
    tokens = md.parse(source)
    seen = {}
    title = path.name
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and token.map:
            heading = lines[token.map[0]].lstrip("#").strip()
            key = anchor(heading)
            count = seen.get(key, 0)
            seen[key] = count + 1
            token.attrSet("id", key if count == 0 else f"{key}-{count}")
            if token.tag == "h1" and title == path.name:
                title = heading
        if token.type == "inline" and token.children:
            for child in token.children:
                for attribute in ("href", "src"):
                    target = child.attrGet(attribute)
                    if target is not None:
                        child.attrSet(attribute, _retarget(str(target), tutorials, folder))
    body = md.renderer.render(tokens, md.options, {})
    back = "".join(f' · <a href="{p.with_suffix(".html").name}">{p.name[:2]}</a>' for p in chapters(tutorials))
    return (f"<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{html.escape(title)}</title>\n<style>\n{_STYLE}\n</style>\n</head>\n<body>\n"
            f"<nav><a href=\"../index.html\">the tour</a> · chapters{back} · source: "
            f"<code>tutorials/{html.escape(path.name)}</code></nav>\n{body}</body>\n</html>\n")


def _retarget(target: str, tutorials: pathlib.Path, folder: pathlib.Path) -> str:
    """A link of a chapter, for its HTML copy in ``folder``: another chapter's ``.md`` becomes its ``.html``
    (same folder); any other relative path points into ``tutorials``; URLs and ``#anchors`` stay."""
    if not target or re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I) or target.startswith(("#", "/")):
        return target
    path, _, fragment = target.partition("#")
    tail = f"#{fragment}" if fragment else ""
    name = pathlib.PurePosixPath(path).name
    if _CHAPTER.match(name) and "/" not in path:
        return pathlib.PurePosixPath(name).with_suffix(".html").name + tail
    try:
        relative = os.path.relpath(tutorials / path, folder.resolve())
    except ValueError:                               # another drive (Windows)
        relative = str(tutorials / path)
    return pathlib.Path(relative).as_posix() + tail


def write_chapters(output, tutorials: pathlib.Path) -> list:
    """Render every chapter of ``tutorials`` into ``<output.folder>/chapters/``; returns their names there."""
    folder = output.folder / CHAPTERS_DIR
    folder.mkdir(exist_ok=True)
    names = []
    for path in chapters(tutorials):
        name = f"{CHAPTERS_DIR}/{path.with_suffix('.html').name}"
        output.write_text(name, render_chapter(path, tutorials=tutorials, folder=folder), "chapters",
                          f"tutorials/{path.name}, rendered, with an anchor at every heading")
        names.append(name)
    return names
