"""A card as files: ``card.md`` (Markdown), ``card.json`` and its figures (PNG, with matplotlib).

    files = write(card, folder, figures=module.figures)    # [(path, what), ...]
    text = markdown(card)

Every file is written atomically (``serialization.atomic_write``). The Markdown says, in order: the
verdict and why; the paper and the place in it; the published numbers, each marked verified (read
in the primary source for this card) or not; the setup as published and as run here; the
deviations; each claim with its check and margin; the undecided conditions; the measured values.
"""
import json
import math
import pathlib

from ..lecture.claims import verdict_line
from ..serialization import atomic_write


def markdown(card, level: int = 2) -> str:
    h = "#" * level
    v = card.verdict
    lines = [f"{h} {card.title}", "", f"**Verdict: {v['verdict']}**" + (f" (run time {card.seconds:.0f} s)"
                                                                       if card.seconds is not None else ""), ""]
    for reason in v["why"]:
        lines.append(f"- {reason}")
    lines += ["", f"**Paper:** {card.paper}. **Where:** {card.where}.", "", "**Sources:**", ""]
    lines += [f"- {source}" for source in card.sources]
    lines += ["", f"{h}# Published", "", "| what | value | source | verified here |", "|---|---|---|---|"]
    for p in card.published_numbers:
        lines.append(f"| {p['what']} | {p['value']} | {p['source']} | "
                     f"{'yes' if p['verified'] else 'no: from memory of the paper, not stated as fact'} |")
    lines += ["", f"{h}# Setup: published and here", "", "| | published | here |", "|---|---|---|"]
    published, here = dict(card.setups["published"]), dict(card.setups["here"])
    for key in list(published) + [k for k in here if k not in published]:
        lines.append(f"| {key} | {published.get(key, '—')} | {here.get(key, '—')} |")
    if card.deviations:
        lines += ["", "Deviations:", ""] + [f"- {d}" for d in card.deviations]
    lines += ["", f"{h}# Claims, checked", ""]
    for claim in v["claims"]:
        tests = "; ".join(f"{c['test']} ({_num(c['value'])} vs {_num(c['bound'])})" for c in claim["conditions"])
        lines.append(f"- {verdict_line(claim)} — {tests}")
    if card.undecided:
        lines += ["", "Can this run decide?", ""]
        for check in card.undecided:
            result = check.check(card.values)
            lines.append(f"- {'NO' if result['holds'] else 'yes'}: {check.text}")
    lines += ["", f"{h}# Measured", "", "| value | what |", "|---|---|"]
    for item in card.items:
        lines.append(f"| {item.shown}{' (varies)' if item.varies else ''} | {item.what} |")
    return "\n".join(lines) + "\n"


def _num(value):
    if isinstance(value, float):
        return format(value, ".4g") if math.isfinite(value) else str(value)
    return str(value)


def write(card, folder, figures=None, plt=None) -> list:
    """Write the card's files into ``folder`` (which must exist); returns [(path, what), ...]."""
    folder = pathlib.Path(folder)
    files = []
    if figures is not None and plt is not None:
        files += figures(card, folder, plt)
    md = folder / f"{card.name}.md"
    text = markdown(card)
    if files:
        text += "\nFigures:\n\n" + "".join(f"![{what}]({path.name})\n\n" for path, what in files)
    atomic_write(md, lambda f: f.write(text.encode("utf-8")), who="papers.write")
    data = json.dumps(card.summary(), indent=1, default=_json_default, allow_nan=True)
    path = folder / f"{card.name}.json"
    atomic_write(path, lambda f: f.write(data.encode("utf-8")), who="papers.write")
    return [(md, "the card: verdict, sources, published and measured numbers"),
            (path, "the card as JSON")] + files


def _json_default(value):
    import numpy as np
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, tuple):
        return list(value)
    raise TypeError(f"not JSON: {type(value).__name__}")
