"""The tour's results: one section per lecture experiment, then ``summary.json``, ``summary.md`` and
``index.html`` from one dict.

Each section holds the experiment's measured items (key, value at full precision, ``shown``: the
text summary.md prints, what was measured) and its claims with their verdicts (``lecture.claims``:
the sentence, holds or not, the lecture section, the chapter and heading, each condition with the
values it used, the margin). The top-level ``claims`` list has every claim of every section.
summary.md and index.html are rendered from the same dict that is written as summary.json, so
they cannot disagree. index.html (``viz.page``) puts each section's claims and numbers beside its
pictures, with each drawing's PNG copy and explorer.
"""
import dataclasses
import json
import math
import pathlib

import tinygrad_rnn
from ...lecture.result import shown
from ...viz.page import Claim, Code, Link, Page, Picture, Section, Strong, page_html
from .chapters import CHAPTERS_DIR, chapter_href

def _checkout_tutorials():
    """The repository's ``tutorials/`` when the package runs from a checkout (an editable install, or
    the source tree on sys.path), else None: an installed package's parent folder is site-packages,
    which has no tutorials (or, by chance, someone else's)."""
    root = pathlib.Path(tinygrad_rnn.__file__).resolve().parents[1]
    if (root / "pyproject.toml").is_file() and (root / "tutorials" / "README.md").is_file():
        return root / "tutorials"
    return None


TUTORIALS = _checkout_tutorials()
FIRST_TO_OPEN = "index.html"
MARKDOWN = "summary.md"


def json_value(value):
    """JSON has no inf/nan: those become the strings "inf", "-inf", "nan"."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_value(v) for v in value]
    return value


def settings_of(config) -> dict:
    """An experiment's Config as plain JSON values (nested settings flattened as ``name.key``)."""
    flat = {}
    for key, value in dataclasses.asdict(config).items():
        if isinstance(value, dict):
            flat.update({f"{key}.{k}": v for k, v in value.items()})
        else:
            flat[key] = value
    return {k: json_value(list(v) if isinstance(v, tuple) else v) for k, v in flat.items()}


def section(result, number: int, seconds: float, files) -> dict:
    """One experiment's part of the summary: its settings, files, measured items and claims."""
    return {"number": number, "key": result.name, "title": result.title, "lecture": result.lecture,
            "chapter": f"tutorials/{result.chapter}", "seconds": round(seconds, 2),
            "settings": settings_of(result.config), "files": [f for f in files if f is not None],
            "items": [{"key": f"{result.name}.{item.key}", "value": json_value(item.value), "shown": item.shown,
                       "what": item.what, "varies": item.varies, "headline": item.headline}
                      for item in result.items],
            "claims": [_verdict(v, result.name) for v in result.verdicts]}


def _verdict(verdict: dict, name: str) -> dict:
    return json_value({**verdict, "section": name,
                       "values": {f"{name}.{k}": v for k, v in verdict["values"].items()}})


def build(sections, *, quick: bool, seed: int, seconds: float, output, chapters_base: str | None = None) -> dict:
    """The summary dict: everything summary.json holds and summary.md shows. ``claims`` lists every
    section's claims with their verdicts, in order. ``chapters_base``: a built course site's folder, relative
    to the tour's (the claims link into it), or None (they link to the tour's own rendered chapters)."""
    files = [*output.files,
             {"name": FIRST_TO_OPEN, "section": "summary", "what": "open in a browser: every claim with its verdict "
                                                                   "beside the pictures, and every number measured"},
             {"name": MARKDOWN, "section": "summary", "what": "every claim with its verdict on this run, "
                                                              "and every number measured, as text"},
             {"name": "summary.json", "section": "summary", "what": "the same, for programs"}]
    claims = [claim for s in sections for claim in s["claims"]]
    return {"tool": "tinygrad-rnn tour", "version": tinygrad_rnn.__version__, "mode": "quick" if quick else "full",
            "seed": seed, "seconds": round(seconds, 1), "first_to_open": FIRST_TO_OPEN,
            "graph_format": output.graph_format, "plots": output.plots, "notes": list(output.notes),
            "claims_hold": sum(c["holds"] for c in claims), "claims_total": len(claims),
            "claims": claims, "files": files, "sections": sections, "chapters_base": chapters_base}


def chapter_target(chapter: dict, folder: pathlib.Path, tutorials=None, base: str = CHAPTERS_DIR):
    """``("07-lstm.md § heading", "chapters/07-lstm.html#anchor")`` when the tutorials are beside the package
    (a checkout), else ``(name, None)`` (an installed package has no tutorials to link to). The link goes to
    the chapter rendered as HTML, at the heading's anchor: by default the copy the tour writes into its
    folder (``chapters.write_chapters``); ``base``: another folder or URL holding the rendered chapters,
    e.g. a built course site. ``tutorials``: the folder to look in (default: the checkout's, ``TUTORIALS``)."""
    name = pathlib.PurePosixPath(chapter["path"]).name
    tutorials = TUTORIALS if tutorials is None else tutorials
    target = tutorials / name if tutorials is not None else None
    if target is None or not target.exists():
        return name, None
    return f"{name} § {chapter['heading']}", chapter_href(name, chapter["heading"], base)


def _base(summary: dict) -> str:
    """Where the claims' chapter links point: a built course site (``summary["chapters_base"]``, relative to
    the tour's folder) when the tour found one, else the tour's own rendered chapters."""
    return summary.get("chapters_base") or CHAPTERS_DIR


def chapter_link(chapter: dict, folder: pathlib.Path, tutorials=None, base: str = CHAPTERS_DIR) -> str:
    """``[07-lstm.md § heading](relative/path#anchor)`` when the tutorials are beside the package (a
    checkout), else the chapter and heading by name (``chapter_target``)."""
    text, href = chapter_target(chapter, folder, tutorials, base)
    if href is None:
        return f"the tutorials' chapter `{text}`, section “{chapter['heading']}” (tutorials/{text} in the repository)"
    return f"[{text}]({href})"


TITLE = "The tour: the lecture's claims, measured"
ABOUT_CLAIMS = ("Each claim is a sentence and a test over numbers measured in this run, with a margin: how far "
                "the number could move before the claim failed (a ratio such as 2.5 means a factor of 2.5).")
ABOUT_DIGITS = ("Figures marked (varies) are timings, which change from machine to machine; the last digits of "
                "the others can differ between CPUs, the verdicts do not.")


def _command(summary: dict) -> str:
    return "tinygrad-rnn tour --quick" if summary["mode"] == "quick" else "tinygrad-rnn tour"


def _companion(f: dict) -> bool:
    return "copy_of" in f or "explorer_of" in f


def _companions(summary: dict, name: str) -> list:
    """``[("PNG copy", file), ("explorer", file)]``: the files made from the picture ``name``."""
    return [("PNG copy" if "copy_of" in f else "explorer", f) for f in summary["files"]
            if name in (f.get("copy_of"), f.get("explorer_of"))]


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _measured(test: dict) -> str:
    """``: measured 0.1497, bound 0.1083`` (what follows a condition's test)."""
    line = f": measured {shown(test['value'], '.4g')}"
    if " == " not in test["test"]:                  # an equality's bound is the value it names
        line += f", bound {shown(test['bound'], '.4g')}"
    return line + ("" if test["holds"] else " — fails")


def _condition(test: dict) -> str:
    """``- `rnn.mse > 0.7 × baseline`: measured 0.1497, bound 0.1083`` (one line of a claim)."""
    return f"`{test['test']}`" + _measured(test)


def _margin(margin) -> str:
    if margin is None:
        return ""
    return ", exact" if margin == "inf" or margin == math.inf else f", margin {shown(margin, '.3g')}"


def render_markdown(summary: dict, folder: pathlib.Path) -> str:
    """summary.md: the claims first, each with its verdict, the values it used and its margin; then,
    per section, every number measured."""
    lines = [f"# {TITLE}", "",
             f"Made by `{_command(summary)}` (tinygrad_rnn {summary['version']}, seed {summary['seed']}) in "
             f"{summary['seconds']} s. **{summary['claims_hold']} of {summary['claims_total']} claims hold on "
             f"this run.** {ABOUT_CLAIMS} summary.json holds the same under the same keys, and {FIRST_TO_OPEN} "
             f"shows it beside the pictures. {ABOUT_DIGITS.replace('(varies)', '*varies*')}", ""]
    for note in summary["notes"]:
        lines += [f"> {note}", ""]
    pictures = [f for f in summary["files"] if f["section"] not in ("summary", "chapters") and not _companion(f)]
    if pictures:
        lines += ["Pictures in this folder:", ""]
        for f in pictures:
            also = [f"{kind} `{c['name']}`" for kind, c in _companions(summary, f["name"])]
            lines.append(f"- `{f['name']}`" + (f" ({', '.join(also)})" if also else "") + f": {f['what']}")
        lines.append("")
    for section in summary["sections"]:
        lines += [f"## {section['number']}. {section['title']}", "",
                  f"In the lecture: {section['lecture']}. This part took {section['seconds']} s.", ""]
        for claim in section["claims"]:
            verdict = "holds" if claim["holds"] else "**does not hold**"
            lines += [f"- **Claim** ({verdict}{_margin(claim['margin'])}): {claim['claim']}. "
                      f"Explained in {chapter_link(claim['chapter'], folder, base=_base(summary))}."]
            lines += [f"  - {_condition(t)}" for t in claim["conditions"]]
        lines.append("")
        if section["settings"]:
            lines += ["Settings: " + ", ".join(f"`{k}` = {v}" for k, v in section["settings"].items()) + ".", ""]
        if section["files"]:
            lines += ["Files: " + ", ".join(f"`{name}`" for name in section["files"]) + ".", ""]
        lines += ["| value | what was measured | key |", "|---|---|---|"]
        for item in section["items"]:
            value = item["shown"] + (" *(varies)*" if item["varies"] else "")
            lines.append(f"| {_cell(value)} | {_cell(item['what'])} | `{item['key']}` |")
        lines.append("")
    return "\n".join(lines)


def render_page(summary: dict, folder: pathlib.Path) -> Page:
    """index.html's content (a ``viz.page.Page``): per section, its claims with their verdicts and its
    measured values beside its pictures; each drawing with its PNG copy and, if it has one, its explorer."""
    paragraphs = [["Made by ", Code(_command(summary)), f" (tinygrad_rnn {summary['version']}, seed "
                   f"{summary['seed']}) in {summary['seconds']} s. ",
                   Strong(f"{summary['claims_hold']} of {summary['claims_total']} claims hold on this run."),
                   f" {ABOUT_CLAIMS}"],
                  [ABOUT_DIGITS + " The same as text: ", Link(MARKDOWN, MARKDOWN), "; for programs: ",
                   Link("summary.json", "summary.json"), "."]]
    sections = []
    for s in summary["sections"]:
        claims = []
        for claim in s["claims"]:
            text, href = chapter_target(claim["chapter"], folder, base=_base(summary))
            claims.append(Claim(claim["claim"] + ".", claim["holds"], note=_margin(claim["margin"]),
                                conditions=[[Code(c["test"]), _measured(c)] for c in claim["conditions"]],
                                see=Link(text, href) if href else f"the tutorials' chapter {text}, section "
                                                                  f"“{claim['chapter']['heading']}”"))
        held = sum(c["holds"] for c in s["claims"])
        paragraphs_s = [f"In the lecture: {s['lecture']}. {held} of {len(s['claims'])} claims hold. "
                        f"This part took {s['seconds']} s."]
        if s["settings"]:
            settings = ["Settings: "]
            for k, v in s["settings"].items():
                settings += [", " if len(settings) > 1 else "", Code(k), f" = {v}"]
            paragraphs_s.append(settings + ["."])
        table = [[item["shown"] + (" (varies)" if item["varies"] else ""), item["what"], Code(item["key"])]
                 for item in s["items"]]
        pictures = []
        for name in s["files"]:
            about = next((f for f in summary["files"] if f["name"] == name), {"what": name})
            links, explorer = [], None
            for kind, c in _companions(summary, name):
                if kind == "explorer":
                    explorer = c["name"]
                else:
                    links.append(Link(f"{c['name']} (PNG copy, for slides)", c["name"]))
            pictures.append(Picture(name, about["what"], links=links, explorer=explorer,
                                    explorer_text="Explore it here: hover a node, press play to watch the "
                                                  "backward pass", wide=bool(links) or explorer is not None))
        sections.append(Section(f"{s['number']}. {s['title']}", anchor=s["key"], paragraphs=paragraphs_s,
                                claims=claims, table_header=("value", "what was measured", "key"), table=table,
                                pictures=pictures))
    return Page(TITLE, paragraphs=paragraphs, notes=list(summary["notes"]), sections=sections)


def write(summary: dict, output) -> None:
    """summary.json, summary.md and index.html, all from ``summary``."""
    output.write_text("summary.json", json.dumps(summary, indent=2, allow_nan=False) + "\n", "summary",
                      "the same, for programs")
    output.write_text(MARKDOWN, render_markdown(summary, output.folder), "summary",
                      "every claim with its verdict on this run, and every number measured, as text")
    output.write_text(FIRST_TO_OPEN, page_html(render_page(summary, output.folder)), "summary",
                      "open in a browser: every claim with its verdict beside the pictures, and every number "
                      "measured")
