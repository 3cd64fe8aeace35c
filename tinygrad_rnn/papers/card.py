r"""A paper card: one published result, the setup it came from, the same experiment run here, and a verdict.

    card = Card("pascanu2013", "Clipping and Ω on the temporal-order problem", paper=PAPER,
                where="§4.1, Fig. 7", config=config)
    card.published("success rate of SGD+C+Ω ...", "100% up to length 200", source="paper, Fig. 7",
                   verified=False)                       # not re-read here: shown as unverified
    card.setup("published", "hidden units", "50 (RNN.py)")
    card.setup("here", "hidden units", "50")
    card.deviation("lengths 15 and 30 instead of 50-200: 1000 updates, not 5 million, fit in 5 minutes")
    card.add("cr.successes", 7, "...")                   # measured values, as a lecture Result
    card.claim("the regulariser helps ...", heading, above("cr.successes", 2, "sgd.successes"))
    card.undecided_if("no run solved the task at this scale", at_most("all.successes", 0))
    card.verdict          # {"verdict": "reproduces" | "partially" | "does not", "why": [...], ...}

A card *is* a lecture ``Result`` (``lecture/result.py``): its measured values, the arrays behind
its figures, and claims checked by predicates with a margin (``lecture/claims.py``). What it adds:

- the paper, the place in it (section, table or figure), and its published number(s), each marked
  ``verified`` (read in the primary source: the paper or the authors' own code) or not — an
  unverified number is shown as such, never as a fact;
- the setup as published and as run here, side by side, and the deviations (what was scaled down
  and why);
- **undecided conditions**: predicates over the measured values that, when they hold, say the
  scaled-down run cannot decide the published claim (e.g. no run solved the task at all), each
  with its reason;
- the **verdict**, decided by the checks alone: *reproduces* when every claim holds and no
  undecided condition does; *does not* when no claim holds and none is undecided; *partially*
  otherwise, with the reasons (claims that fail, undecided conditions that hold) listed.
"""
from ..lecture.claims import Claim
from ..lecture.result import Result

CHAPTER = "10-papers.md"
VERDICTS = ("reproduces", "partially", "does not")


class Card(Result):
    """A paper card (see the module docstring). ``paper``: the citation; ``where``: the section, table
    or figure; ``sources``: the documents read (URLs of the paper and of the authors' code)."""

    def __init__(self, name: str, title: str, *, paper: str, where: str, sources, config, heading: str):
        super().__init__(name, title, lecture=f"{paper}, {where}", chapter=CHAPTER, config=config)
        self.paper, self.where, self.sources, self.heading = paper, where, list(sources), heading
        self.published_numbers: list = []
        self.setups: dict = {"published": [], "here": []}
        self.deviations: list = []
        self.undecided: list = []            # (reason, Claim)
        self.seconds: float | None = None

    def published(self, what: str, value: str, *, source: str, verified: bool):
        """A number the paper (or its authors' code) reports. ``verified``: read here in the primary source."""
        self.published_numbers.append({"what": what, "value": value, "source": source, "verified": bool(verified)})

    def setup(self, side: str, what: str, value: str):
        """One line of the setup table: ``side`` "published" or "here"."""
        if side not in self.setups:
            raise ValueError(f"Card.setup: side must be 'published' or 'here', got {side!r}")
        self.setups[side].append((what, value))

    def deviation(self, text: str):
        """How the run here differs from the published setup, and why."""
        self.deviations.append(text)

    def claim(self, text: str, *conditions) -> Claim:
        """A published finding, as a predicate over the values measured here (in chapter 10, under this
        card's heading)."""
        return super().claim(text, (CHAPTER, self.heading), *conditions)

    def undecided_if(self, reason: str, *conditions) -> Claim:
        """When every one of ``conditions`` holds, this scaled-down run cannot decide the claims, for ``reason``."""
        check = Claim(reason, lecture=self.lecture, chapter=(CHAPTER, self.heading), conditions=conditions)
        for condition in check.conditions:
            condition.check(self.values)
        self.undecided.append(check)
        return check

    @property
    def verdict(self) -> dict:
        """The card's verdict from its checks: {"verdict", "why": [reasons], "claims": [verdicts],
        "undecided": [the undecided checks that hold], "margin": the smallest claim margin}."""
        claims = self.verdicts
        if not claims:
            raise ValueError(f"Card {self.name}: a card needs at least one claim")
        undecided = [check.check(self.values) for check in self.undecided]
        undecided = [u for u in undecided if u["holds"]]
        held = [c for c in claims if c["holds"]]
        if len(held) == len(claims) and not undecided:
            word = "reproduces"
        elif not held and not undecided:
            word = "does not"
        else:
            word = "partially"
        why = [f"does not hold here: {c['claim']}" for c in claims if not c["holds"]]
        why += [f"cannot decide at this scale: {u['claim']}" for u in undecided]
        margins = [c["margin"] for c in claims if c["margin"] is not None]
        return {"verdict": word, "why": why, "claims": claims, "undecided": undecided,
                "margin": min(margins) if margins else None}

    def summary(self) -> dict:
        """Everything about the card, JSON-ready (``series`` left out: the figures show them)."""
        verdict = self.verdict
        return {"name": self.name, "title": self.title, "paper": self.paper, "where": self.where,
                "sources": self.sources, "published": self.published_numbers, "setup": self.setups,
                "deviations": self.deviations, "config": _plain(self.config),
                "values": {item.key: {"value": item.value, "what": item.what, "shown": item.shown,
                                      "varies": item.varies} for item in self.items},
                "verdict": verdict["verdict"], "why": verdict["why"], "claims": verdict["claims"],
                "undecided": verdict["undecided"], "margin": verdict["margin"], "seconds": self.seconds}


def _plain(config):
    import dataclasses
    if dataclasses.is_dataclass(config):
        return {k: _plain(v) for k, v in dataclasses.asdict(config).items()}
    if isinstance(config, (list, tuple)):
        return [_plain(v) for v in config]
    if isinstance(config, dict):
        return {str(k): _plain(v) for k, v in config.items()}
    return config
