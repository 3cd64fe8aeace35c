"""A page of pictures with their text beside them: one self-contained HTML file (``page_html``).

A ``Page`` has a title, a few paragraphs and notes, then ``Section``s. Each section puts its
text (paragraphs, ``Claim``s with their verdicts, a table of measured values) in one column and
its ``Picture``s in the other; on a narrow screen the two stack. A picture is an image file
next to the page (SVG, PNG) or, when it cannot be shown (DOT text), a link to the file; it can
list other links (a PNG copy, an explorer) and embed an explorer page in a frame.

The page needs no network: its style is inline, it uses the system's fonts, it has no script,
and it points only at the files it is given (relative paths, e.g. beside it in one folder).
Text is escaped; inline text is a sequence of ``str``, ``Code``, ``Strong`` and ``Link`` parts.

    html = page_html(Page("Results", sections=[Section("1. Gradients", pictures=[Picture("flow.svg", "...")])]))

``page_html`` only makes the text; write it with ``serialization.atomic_write``.
"""
import dataclasses
import html
import urllib.parse

__all__ = ["Page", "Section", "Claim", "Picture", "Link", "Code", "Strong", "page_html"]


@dataclasses.dataclass(frozen=True)
class Code:
    """Inline code: ``W_hh``, ``rnn.mse > 0.7 × baseline``."""
    text: str


@dataclasses.dataclass(frozen=True)
class Strong:
    """Inline text in bold: the one sentence to read first."""
    text: str


@dataclasses.dataclass(frozen=True)
class Link:
    """A link to ``href`` (a path relative to the page, or ``#anchor``); without ``href``, plain text."""
    text: str
    href: str | None = None


@dataclasses.dataclass
class Claim:
    """A sentence and whether it holds; ``note`` follows the verdict (a margin), ``conditions`` are
    the tests behind it (inline text each), ``see`` is where it is explained."""
    text: str
    holds: bool
    note: str = ""
    conditions: list = dataclasses.field(default_factory=list)
    see: object = None


@dataclasses.dataclass
class Picture:
    """``src``: the file. Shown as an image when it is .svg/.png/.jpg/.gif, else linked. ``links``:
    other files of the same picture (a PNG copy, ...). ``explorer``: a page to embed in a frame
    below the picture (and to link), e.g. what ``viz.to_html`` writes."""
    src: str
    caption: str
    links: list = dataclasses.field(default_factory=list)
    explorer: str | None = None
    explorer_text: str = "Explore this graph here"
    #: a wide drawing: shown below the section's text across the page, 1:1 (its text as big as drawn),
    #: scrolling sideways where the page is narrower than it
    wide: bool = False


@dataclasses.dataclass
class Section:
    """A heading (``anchor`` for links to it), paragraphs, claims, a table and pictures.
    ``table``: rows of inline text, under ``table_header``, folded away under ``table_title``."""
    title: str
    anchor: str = ""
    paragraphs: list = dataclasses.field(default_factory=list)
    claims: list = dataclasses.field(default_factory=list)
    table_title: str = "Every value measured"
    table_header: tuple = ()
    table: list = dataclasses.field(default_factory=list)
    pictures: list = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class Page:
    title: str
    paragraphs: list = dataclasses.field(default_factory=list)
    notes: list = dataclasses.field(default_factory=list)
    sections: list = dataclasses.field(default_factory=list)


IMAGES = (".svg", ".png", ".jpg", ".jpeg", ".gif")

STYLE = """
:root { color-scheme: light; --ink: #1d1d1f; --muted: #5b6270; --line: #d9dde5; --holds: #1b6e4a;
        --fails: #b3261e; --paper: #ffffff; --tint: #f5f7fa; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       color: var(--ink); background: var(--paper); }
header, section { padding: 1.2rem 2rem; }
header { background: var(--tint); border-bottom: 1px solid var(--line); }
h1 { font-size: 1.7rem; margin: 0 0 .5rem; }
h2 { font-size: 1.35rem; margin: 0 0 .6rem; }
section { border-bottom: 1px solid var(--line); }
p { margin: .4rem 0 .7rem; max-width: 60rem; }
code { font: .9em/1.4 ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; background: var(--tint);
       padding: 0 .25em; border-radius: 3px; }
a { color: #1f4fa8; }
nav ul { margin: .3rem 0; padding-left: 0; list-style: none; columns: 2 20rem; }
.notes { border-left: 4px solid #c98a00; background: #fff8e6; padding: .4rem .8rem; margin: .6rem 0; }
.part { display: grid; grid-template-columns: minmax(18rem, 2fr) minmax(20rem, 3fr); gap: 1.5rem 2rem;
        align-items: start; }
.part.text-only { grid-template-columns: 1fr; }
.text { min-width: 0; }
.claims { list-style: none; margin: 0 0 .8rem; padding: 0; }
.claim { border-left: 4px solid var(--holds); padding: .3rem .7rem; margin: 0 0 .7rem; background: #f2f8f5; }
.claim.fails { border-left-color: var(--fails); background: #fdf1f0; }
.verdict { font-weight: 700; color: var(--holds); }
.fails .verdict { color: var(--fails); }
.claim ul { margin: .3rem 0 0; padding-left: 1.1rem; font-size: .88rem; color: var(--muted); }
.see { font-size: .88rem; color: var(--muted); }
details { margin: .4rem 0; }
summary { cursor: pointer; color: var(--muted); }
table { border-collapse: collapse; font-size: .85rem; margin-top: .4rem; }
th, td { text-align: left; vertical-align: top; padding: .2rem .5rem; border-bottom: 1px solid var(--line); }
.pictures { display: flex; flex-direction: column; gap: 1.4rem; min-width: 0; }
figure { margin: 0; }
figure img { display: block; max-width: 100%; height: auto; border: 1px solid var(--line); background: #fff; }
figcaption { font-size: .9rem; color: var(--muted); margin-top: .3rem; }
figcaption .files a { margin-right: .6rem; }
.file { display: block; padding: .8rem; border: 1px dashed var(--line); background: var(--tint); }
iframe { display: block; width: 100%; height: min(88vh, 62rem); border: 1px solid var(--line); margin-top: .4rem; }
.wide { margin-top: 1.2rem; display: flex; flex-direction: column; gap: 1.4rem; }
.wide .scroll { overflow-x: auto; border: 1px solid var(--line); }
.wide figure img { max-width: none; width: auto; border: 0; }
@media (max-width: 62rem) { .part { grid-template-columns: 1fr; } }
"""


def _e(text) -> str:
    return html.escape(str(text), quote=True)


def _url(href: str) -> str:
    """``href`` for an attribute: percent-encoded (a space in a file name), then escaped."""
    return _e(urllib.parse.quote(href, safe="/#%:?=&@+,;~"))


def _inline(content) -> str:
    """A ``str``, ``Code``, ``Strong`` or ``Link``, or a sequence of them, as escaped HTML."""
    if isinstance(content, (list, tuple)):
        return "".join(_inline(part) for part in content)
    if isinstance(content, Code):
        return f"<code>{_e(content.text)}</code>"
    if isinstance(content, Strong):
        return f"<strong>{_e(content.text)}</strong>"
    if isinstance(content, Link):
        return f'<a href="{_url(content.href)}">{_e(content.text)}</a>' if content.href else _e(content.text)
    if content is None:
        return ""
    return _e(content)


def _claim(claim: Claim) -> str:
    verdict = "holds" if claim.holds else "does not hold"
    parts = [f'<li class="claim {"holds" if claim.holds else "fails"}">',
             f'<span class="verdict">{verdict}</span>{_e(claim.note)}: {_inline(claim.text)}']
    if claim.see is not None:
        parts.append(f' <span class="see">Explained in {_inline(claim.see)}.</span>')
    if claim.conditions:
        parts.append("<ul>" + "".join(f"<li>{_inline(c)}</li>" for c in claim.conditions) + "</ul>")
    parts.append("</li>")
    return "".join(parts)


def _picture(picture: Picture) -> str:
    src = _url(picture.src)
    if picture.src.lower().endswith(IMAGES):
        shown = f'<a href="{src}"><img src="{src}" alt="{_e(picture.caption)}"></a>'
        if picture.wide:
            shown = f'<div class="scroll">{shown}</div>'
    else:
        shown = f'<a class="file" href="{src}">{_e(picture.src)}</a>'
    links = [Link(picture.src, picture.src), *picture.links]
    if picture.explorer:
        links.append(Link(f"{picture.explorer} (explorer, in its own tab)", picture.explorer))
    files = '<span class="files">' + "".join(_inline(link) for link in links) + "</span>"
    out = [f'<figure>{shown}<figcaption>{_e(picture.caption)}<br>{files}</figcaption>']
    if picture.explorer:
        out.append(f'<details class="explorer"><summary>{_e(picture.explorer_text)}</summary>'
                   f'<iframe src="{_url(picture.explorer)}" title="{_e(picture.caption)}" loading="lazy"></iframe>'
                   "</details>")
    out.append("</figure>")
    return "".join(out)


def _table(section: Section) -> str:
    if not section.table:
        return ""
    head = "".join(f"<th>{_e(h)}</th>" for h in section.table_header)
    rows = "".join("<tr>" + "".join(f"<td>{_inline(cell)}</td>" for cell in row) + "</tr>" for row in section.table)
    return (f"<details><summary>{_e(section.table_title)} ({len(section.table)})</summary>"
            f"<table>{'<thead><tr>' + head + '</tr></thead>' if head else ''}<tbody>{rows}</tbody></table></details>")


def _section(section: Section) -> str:
    anchor = f' id="{_e(section.anchor)}"' if section.anchor else ""
    text = ([f"<h2>{_inline(section.title)}</h2>"] + [f"<p>{_inline(p)}</p>" for p in section.paragraphs]
            + (['<ul class="claims">' + "".join(_claim(c) for c in section.claims) + "</ul>"] if section.claims else [])
            + [_table(section)])
    if not section.pictures:
        return f'<section{anchor}><div class="part text-only"><div>{"".join(text)}</div></div></section>'
    beside = [p for p in section.pictures if not p.wide]
    below = [p for p in section.pictures if p.wide]
    part = (f'<div class="part"><div class="text">{"".join(text)}</div>'
            f'<div class="pictures">{"".join(_picture(p) for p in beside)}</div></div>' if beside else
            f'<div class="part text-only"><div>{"".join(text)}</div></div>')
    wide = f'<div class="wide">{"".join(_picture(p) for p in below)}</div>' if below else ""
    return f'<section{anchor}>{part}{wide}</section>'



def page_html(page: Page) -> str:
    """The whole page as one HTML document (UTF-8 text)."""
    if not isinstance(page, Page):
        raise TypeError(f"page_html: page must be a viz.page.Page, got {type(page).__name__}. "
                        "Fix: page_html(Page(title, sections=[...]))")
    header = [f"<h1>{_e(page.title)}</h1>"] + [f"<p>{_inline(p)}</p>" for p in page.paragraphs]
    header += [f'<div class="notes">{_inline(note)}</div>' for note in page.notes]
    toc = [f'<li><a href="#{_e(s.anchor)}">{_inline(s.title)}</a></li>' for s in page.sections if s.anchor]
    if toc:
        header.append(f"<nav><ul>{''.join(toc)}</ul></nav>")
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{_e(page.title)}</title>\n"
            f"<style>{STYLE}</style>\n</head>\n<body>\n<header>{''.join(header)}</header>\n"
            + "\n".join(_section(s) for s in page.sections) + "\n</body>\n</html>\n")

