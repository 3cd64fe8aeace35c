r"""A claim is data: a sentence, where it belongs, and a test over measured values with a margin.

    claim = Claim("the LSTM learns the adding problem",
                  lecture="§5", chapter=("07-lstm.md", "RNN against LSTM on the adding problem"),
                  conditions=[below("lstm.mse", 0.1, "lstm.baseline")])    # mse < 0.1 x baseline
    verdict = claim.check(values)        # values: {"lstm.mse": 0.004, "lstm.baseline": 0.19, ...}
    verdict["holds"], verdict["margin"]  # True, 4.75

Each ``Condition`` compares one measured value with a bound: a number, or another measured
value times a factor. Its **margin** says how far the value is from making the claim fail:

- for ``below``/``above`` of positive quantities, the ratio bound / value (or value / bound):
  2.0 means the value could double (or halve) and the claim would still hold; 1.0 is the edge;
- for quantities that can be zero or negative, the difference to the bound, in the value's units;
- for ``close``, the tolerance divided by the deviation (inf when the value is exact);
- for ``is_true``, ``equal`` and ``same``, no margin (``None``): those are exact facts, such as
  two runs being identical.

A claim holds when every one of its conditions does; its margin is the smallest of theirs
(ratios and differences are not mixed: a claim's conditions use one kind). A verdict is a plain
dict, ready for JSON: the sentence, ``holds``, the lecture section, the chapter (file and
heading), each condition with the values it used, and the margin. A claim that fails is
reported as failing; nothing here hides it.
"""
import dataclasses
import math
import operator
import re

_OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "==": operator.eq,
        "≈": lambda deviation, tolerance: deviation <= tolerance}


@dataclasses.dataclass(frozen=True)
class Condition:
    """``values[key] <op> bound``, where bound is ``times * values[of]`` when ``of`` (a key) is
    given, else the literal ``value`` (a number, a bool or a string)."""
    key: str
    op: str
    value: object = None
    of: str | None = None
    times: float = 1.0

    def __post_init__(self):
        if self.op not in _OPS:
            raise ValueError(f"Condition: op must be one of {', '.join(_OPS)}, got {self.op!r}")

    def bound(self, values: dict):
        if self.op == "≈":
            return self.times                      # the tolerance
        if self.of is None:
            return self.value
        other = _number(values, self.of)
        return other if self.times == 1.0 else self.times * other

    def describe(self) -> str:
        """E.g. ``lstm.mse < 0.1 × baseline`` or ``cliff.unclipped.overflowed == True``."""
        if self.op == "≈":
            return f"|{self.key} - {self.value:g}| <= {self.times:g}"
        if self.of is None:
            right = format(self.value, "g") if isinstance(self.value, float) else repr(self.value)
        else:
            right = self.of if self.times == 1.0 else f"{self.times:g} × {self.of}"
        return f"{self.key} {self.op} {right}"

    def check(self, values: dict) -> dict:
        value, bound = _number(values, self.key), self.bound(values)
        if self.op == "≈":                         # compare the deviation with the tolerance
            deviation = abs(value - self.value)
            return {"test": self.describe(), "value": value, "bound": bound, "holds": bool(deviation <= bound),
                    "margin": math.inf if deviation == 0 else bound / deviation}
        holds = bool(_OPS[self.op](value, bound))
        return {"test": self.describe(), "value": value, "bound": bound, "holds": holds,
                "margin": _margin(self.op, value, bound)}


def _number(values: dict, key: str):
    if key not in values:
        raise KeyError(f"claim: no measured value named {key!r}; measured: {', '.join(sorted(values))}")
    value = values[key]
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value


def _margin(op: str, value, bound):
    """Ratio for positive quantities (>= 1 while the condition holds), else the difference."""
    if op == "==" or isinstance(value, bool) or not isinstance(value, float):
        return None
    if not (math.isfinite(value) and math.isfinite(bound)):
        return math.inf if _OPS[op](value, bound) else 0.0
    if value > 0 and bound > 0:
        return bound / value if op in ("<", "<=") else value / bound
    return bound - value if op in ("<", "<=") else value - bound


def below(key: str, bound: float, of: str | None = None) -> Condition:
    """``values[key] < bound``, or ``< bound × values[of]`` when ``of`` names another value."""
    return Condition(key, "<", bound, of, bound if of else 1.0)


def above(key: str, bound: float, of: str | None = None) -> Condition:
    """``values[key] > bound``, or ``> bound × values[of]``."""
    return Condition(key, ">", bound, of, bound if of else 1.0)


def at_most(key: str, bound: float, of: str | None = None) -> Condition:
    return Condition(key, "<=", bound, of, bound if of else 1.0)


def at_least(key: str, bound: float, of: str | None = None) -> Condition:
    return Condition(key, ">=", bound, of, bound if of else 1.0)


def close(key: str, value: float, tolerance: float) -> Condition:
    """``|values[key] - value| <= tolerance``; the margin is tolerance / deviation (inf when exact)."""
    return Condition(key, "≈", value, None, tolerance)


def equal(key: str, value) -> Condition:
    """``values[key] == value`` exactly, for facts such as an eigenvalue of 2 or a run's length."""
    return Condition(key, "==", value)


def same(key: str, other: str) -> Condition:
    """``values[key] == values[other]`` exactly (two measured values)."""
    return Condition(key, "==", None, other)


def is_true(key: str) -> Condition:
    return Condition(key, "==", True)


# A claim's text is one statement; its verdict ("holds" / "DOES NOT HOLD") is put in front of it, so the text
# must not carry a verdict of its own ("holds: the row does not hold here" reads as two that disagree).
_VERDICT_WORDS = re.compile(r"\b(holds?|does not hold)\b", re.IGNORECASE)


@dataclasses.dataclass(frozen=True)
class Claim:
    """A sentence the engine shows, where it belongs, and the conditions that make it hold."""
    text: str
    lecture: str                       # the lecture's section, e.g. "§3 gradient clipping"
    chapter: tuple                     # (file in tutorials/, heading) that explains it
    conditions: tuple

    def __init__(self, text: str, *, lecture: str, chapter: tuple, conditions):
        object.__setattr__(self, "text", text)
        object.__setattr__(self, "lecture", lecture)
        object.__setattr__(self, "chapter", tuple(chapter))
        object.__setattr__(self, "conditions", tuple(conditions))
        if not self.conditions:
            raise ValueError(f"Claim {text!r}: a claim needs at least one condition over the measured values")
        verdict = _VERDICT_WORDS.search(text)
        if verdict:
            raise ValueError(f"Claim {text!r}: the text says {verdict.group(0)!r}, but whether a claim holds is its "
                             f"verdict's to say (verdict_line writes 'holds: <text>'). Fix: state the measured fact "
                             f"alone, e.g. 'the shortest window learns best, not the lecture's row' instead of "
                             f"'the row does not hold here'")

    def check(self, values: dict) -> dict:
        """The verdict on ``values``: a JSON-ready dict (see the module docstring)."""
        tests = [c.check(values) for c in self.conditions]
        margins = [t["margin"] for t in tests if t["margin"] is not None]
        used = {}
        for c in self.conditions:
            for key in (c.key, c.of):
                if key is not None and key in values:
                    used[key] = values[key]
        return {"claim": self.text, "holds": all(t["holds"] for t in tests), "lecture": self.lecture,
                "chapter": {"path": f"tutorials/{self.chapter[0]}", "heading": self.chapter[1]},
                "values": used, "conditions": tests, "margin": min(margins) if margins else None}


def check_all(claims, values: dict) -> list:
    """The verdict of every claim on ``values``, in order."""
    return [claim.check(values) for claim in claims]


def verdict_line(verdict: dict, margin: bool = True) -> str:
    """One line for a terminal or a chapter: ``holds: <claim> (margin 4.8)``. ``margin=False`` leaves
    the margin out (a chaotic run's margin differs from machine to machine; the verdict does not)."""
    word = "holds" if verdict["holds"] else "DOES NOT HOLD"
    value = verdict["margin"]
    tail = "" if value is None or not margin else f" (margin {value:.3g})" if math.isfinite(value) else " (exact)"
    return f"{word}: {verdict['claim']}{tail}"
