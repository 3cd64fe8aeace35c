"""The tour's results: one ``Section`` per part, then ``summary.json`` and ``summary.md`` from one dict.

Each measured item has a key, the value (full precision in the JSON), ``shown`` (the text
summary.md prints, made from the value by the item's format), what was measured, the lecture's
claim it bears on, and the tutorial chapter and heading that explain it. summary.md is rendered
from the same dict that is written as summary.json, so the two cannot disagree.
"""
import json
import math
import os
import pathlib
import re

import tinygrad_rnn

TUTORIALS = pathlib.Path(tinygrad_rnn.__file__).resolve().parents[1] / "tutorials"
FIRST_TO_OPEN = "summary.md"


def shown(value, fmt: str) -> str:
    """How summary.md prints ``value``: numbers by ``fmt`` (e.g. ".4g"), bools as yes/no, None as "—"."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            return str(value)                     # inf, -inf, nan
        return format(value, fmt) if fmt else str(value)
    return str(value)


def json_number(value):
    """JSON has no inf/nan: those become the strings "inf", "-inf", "nan"."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


class Section:
    """The items one part of the tour measured, and the files it wrote."""

    def __init__(self, key: str, title: str, lecture: str, chapter: str, settings: dict):
        self.key, self.title, self.lecture, self.chapter = key, title, lecture, chapter
        self.settings = settings
        self.items, self.files, self.seconds = [], [], None

    def add(self, key: str, value, what: str, claim: str, chapter: str, heading: str, fmt: str = ".4g",
            headline: bool = False, varies: bool = False):
        """Record one number (or text) the tour measured. ``chapter``: a file in tutorials/, ``heading``:
        the section of it that explains the number. ``varies``: a timing or memory figure that changes
        from run to run. ``headline``: also printed on stdout as the tour runs."""
        if isinstance(value, float) and value == 0:
            value = 0.0                           # no "-0"
        self.items.append({"key": f"{self.key}.{key}", "value": value, "shown": shown(value, fmt),
                           "what": what, "claim": claim,
                           "chapter": {"path": f"tutorials/{chapter}", "heading": heading},
                           "varies": varies, "headline": headline})
        return value

    def file(self, name):
        if name is not None:
            self.files.append(name)

    def as_dict(self, number: int) -> dict:
        return {"number": number, "key": self.key, "title": self.title, "lecture": self.lecture,
                "chapter": f"tutorials/{self.chapter}", "seconds": round(self.seconds or 0.0, 2),
                "settings": {k: json_number(v) for k, v in self.settings.items()}, "files": self.files,
                "items": [{**item, "value": json_number(item["value"])} for item in self.items]}


def build(sections, *, quick: bool, seconds: float, output) -> dict:
    """The summary dict: everything summary.json holds and summary.md shows."""
    files = [*output.files,
             {"name": FIRST_TO_OPEN, "section": "summary", "what": "every number, the lecture's claim it bears "
                                                                   "on, and the chapter that explains it"},
             {"name": "summary.json", "section": "summary", "what": "the same numbers, for programs"}]
    return {"tool": "tinygrad-rnn tour", "version": tinygrad_rnn.__version__, "mode": "quick" if quick else "full",
            "seed": 0, "seconds": round(seconds, 1), "first_to_open": FIRST_TO_OPEN,
            "graph_format": output.graph_format, "plots": output.plots, "notes": list(output.notes),
            "files": files, "sections": [s.as_dict(k) for k, s in enumerate(sections, 1)]}


def anchor(heading: str) -> str:
    """GitHub's anchor for a Markdown heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def chapter_link(chapter: dict, folder: pathlib.Path) -> str:
    """``[07-lstm.md § heading](relative/path#anchor)`` when the tutorials are beside the package (a
    clone), else the repository path in code font."""
    name = pathlib.PurePosixPath(chapter["path"]).name
    text = f"{name} § {chapter['heading']}"
    target = TUTORIALS / name
    if not target.exists():
        return f"`{chapter['path']}` § {chapter['heading']}"
    try:
        relative = os.path.relpath(target, folder.resolve())
    except ValueError:                              # another drive (Windows)
        relative = str(target)
    return f"[{text}]({pathlib.Path(relative).as_posix()}#{anchor(chapter['heading'])})"


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_markdown(summary: dict, folder: pathlib.Path) -> str:
    """summary.md: per section, the items grouped by the claim they bear on, one table per claim, with
    the chapter that explains it. Each row's value is the item's ``shown`` text."""
    mode = "`tinygrad-rnn tour --quick`" if summary["mode"] == "quick" else "`tinygrad-rnn tour`"
    lines = ["# The tour: the lecture's claims, measured", "",
             f"Made by {mode} (tinygrad_rnn {summary['version']}, seed {summary['seed']}) in "
             f"{summary['seconds']} s. Every number below was measured in that run; summary.json holds the "
             "same numbers under the same keys. Figures marked *varies* are timings or memory peaks, which "
             "change from machine to machine; the others come out the same on every run.", ""]
    for note in summary["notes"]:
        lines += [f"> {note}", ""]
    pictures = [f for f in summary["files"] if f["section"] != "summary"]
    if pictures:
        lines += ["Pictures in this folder:", ""]
        lines += [f"- `{f['name']}`: {f['what']}" for f in pictures]
        lines.append("")
    for section in summary["sections"]:
        lines += [f"## {section['number']}. {section['title']}", "",
                  f"In the lecture: {section['lecture']}. This part took {section['seconds']} s.", ""]
        if section["settings"]:
            lines += ["Settings: " + ", ".join(f"`{k}` = {v}" for k, v in section["settings"].items()) + ".", ""]
        if section["files"]:
            lines += ["Files: " + ", ".join(f"`{name}`" for name in section["files"]) + ".", ""]
        groups = {}                               # (claim, chapter, heading) -> items, in order of appearance
        for item in section["items"]:
            chapter = item["chapter"]
            groups.setdefault((item["claim"], chapter["path"], chapter["heading"]), []).append(item)
        for (claim, path, heading), items in groups.items():
            lines += [f"**Claim:** {claim}. Explained in {chapter_link({'path': path, 'heading': heading}, folder)}.",
                      "", "| value | what was measured | key |", "|---|---|---|"]
            for item in items:
                value = item["shown"] + (" *(varies)*" if item["varies"] else "")
                lines.append(f"| {_cell(value)} | {_cell(item['what'])} | `{item['key']}` |")
            lines.append("")
    return "\n".join(lines)


def write(summary: dict, output) -> None:
    """summary.json and summary.md, both from ``summary``."""
    output.write_text("summary.json", json.dumps(summary, indent=2, allow_nan=False) + "\n", "summary",
                      "the same numbers, for programs")
    output.write_text(FIRST_TO_OPEN, render_markdown(summary, output.folder), "summary",
                      "every number, the lecture's claim it bears on, and the chapter that explains it")
