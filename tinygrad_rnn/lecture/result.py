"""What one lecture experiment returns: its measured values, what each one is, and its claims.

    result = Result("clipping", "Gradient clipping", lecture="§3 gradient clipping",
                    chapter="05-gradient-clipping.md", config=config)
    result.add("clipped.mse", 0.16, "held-out MSE of the clipped run", headline=True)
    result.claim("clipping keeps the run alive", ("05-gradient-clipping.md", "An exploding run"),
                 is_true("clipped.finished"))
    result.verdicts               # each claim checked against result.values

``values`` holds plain numbers, bools and strings (what the claims and summary.json use);
``series`` holds arrays for figures (per-iteration curves and the like), which the tour plots
and summary.json leaves out.
"""
import dataclasses
import math

from .claims import Claim, check_all


@dataclasses.dataclass
class Item:
    """One measured value and how to show it."""
    key: str
    value: object
    what: str
    fmt: str = ".4g"
    varies: bool = False        # a timing or memory figure: differs from machine to machine
    headline: bool = False      # the tour prints it as it runs

    @property
    def shown(self) -> str:
        return shown(self.value, self.fmt)


def shown(value, fmt: str = ".4g") -> str:
    """How a value is printed: numbers by ``fmt``, bools as yes/no, None as "—"."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, (int, float)):
        return format(value, fmt) if fmt else str(value)
    return str(value)


class Result:
    """The measured values and claims of one experiment (see the module docstring)."""

    def __init__(self, name: str, title: str, *, lecture: str, chapter: str, config):
        self.name, self.title, self.lecture, self.chapter = name, title, lecture, chapter
        self.config = config
        self.items: list = []
        self.values: dict = {}
        self.series: dict = {}
        self.claims: list = []

    def add(self, key: str, value, what: str, fmt: str = ".4g", varies: bool = False, headline: bool = False):
        """Record one measured value under ``key``; returns the value."""
        if isinstance(value, float) and value == 0:
            value = 0.0                    # no "-0"
        if key in self.values:
            raise ValueError(f"Result.add: {self.name} already has a value named {key!r}")
        self.values[key] = value
        self.items.append(Item(key, value, what, fmt, varies, headline))
        return value

    def claim(self, text: str, chapter: tuple, *conditions) -> Claim:
        """Add a claim about this experiment's values; ``chapter`` = (file, heading)."""
        claim = Claim(text, lecture=self.lecture, chapter=chapter, conditions=conditions)
        for condition in claim.conditions:     # a claim names only values that were measured
            condition.check(self.values)
        self.claims.append(claim)
        return claim

    @property
    def verdicts(self) -> list:
        return check_all(self.claims, self.values)

    def item(self, key: str) -> Item:
        return next(item for item in self.items if item.key == key)

    def __repr__(self):
        held = sum(v["holds"] for v in self.verdicts)
        return f"Result({self.name!r}: {len(self.values)} values, {held}/{len(self.claims)} claims hold)"
