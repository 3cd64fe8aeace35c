r"""The prose of the README and the tutorials has no invisible typos.

Two kinds, both invisible in an editor and both wrong on GitHub:

- Control characters (Unicode category Cc, other than the newline). The usual one is a TAB
  where a LaTeX command was meant: ``"$\delta_t^\top$"`` typed into an ordinary (not raw)
  Python string, or through a tool that reads backslash escapes, becomes ``\delta_t^`` +
  TAB + ``op``; ``\beta``, ``\frac``, ``\varepsilon``, ``\alpha`` and ``\rho`` lose their
  first two characters the same way. A TAB is refused inside fenced code too: the code and
  the recorded outputs here are indented with spaces, and a TAB renders differently from
  viewer to viewer. A CR is a Windows line ending.
- Unbalanced math: per paragraph of prose (outside fenced code, inline code spans and HTML
  comments), the ``$$`` display delimiters and the single ``$`` inline ones must each come
  in pairs; an escaped ``\$`` is a literal dollar and does not count. One missing ``$``
  makes GitHub render the rest of the paragraph as math, or print the dollars raw.

Each failure names the file, the line and the offending text, and says how to fix it.
"""
import pathlib
import re
import unicodedata

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "tutorials").glob("*.md")),
             ROOT / "tutorials" / "exercises" / "README.md"]

_NAMES = {"\t": "TAB", "\r": "CR", "\x07": "BELL", "\x08": "BACKSPACE", "\x0b": "VERTICAL TAB",
          "\x0c": "FORM FEED", "\x00": "NUL", "\x1b": "ESC"}
# the escape each control character comes from, in a Python string: "\top" -> TAB + "op"
_ESCAPE_LETTERS = {"\a": "a", "\b": "b", "\t": "t", "\v": "v", "\f": "f", "\r": "r"}

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`).+?(?<!`)\1(?!`)", re.S)


def _name_of(char: str) -> str:
    return _NAMES.get(char, f"U+{ord(char):04X}")


def control_characters(text: str) -> list:
    """One message per control character in ``text`` (newlines excepted): where it is, its line
    with each control character shown as ``<NAME>``, and the fix."""
    problems = []
    for number, line in enumerate(text.split("\n"), start=1):
        shown = "".join(f"<{_name_of(c)}>" if unicodedata.category(c) == "Cc" else c for c in line)
        for column, char in enumerate(line):
            if unicodedata.category(char) != "Cc":
                continue
            name = f"a {_name_of(char)}" if char in _NAMES else f"the control character {_name_of(char)}"
            letters = re.match(r"[A-Za-z]*", line[column + 1:]).group()
            if char == "\r" and column == len(line) - 1:
                fix = "it is a Windows line ending (CRLF): save the file with LF line endings"
            elif char in _ESCAPE_LETTERS and letters:
                command = "\\" + _ESCAPE_LETTERS[char] + letters
                fix = (f"a backslash escape probably ate `{command}`, leaving {name} + {letters!r}: write "
                       f"`{command}` back, and if a Python string wrote it, make that string raw (r\"...\")")
            elif char == "\t":
                fix = "replace the TAB with spaces"
            else:
                fix = "delete it"
            problems.append(f"line {number}, column {column + 1}: {name} in  {shown}  -- {fix}")
    return problems


def _blank(match) -> str:
    """What replaces code and comments: spaces, keeping the newlines (so line numbers stay)."""
    return re.sub(r"[^\n]", " ", match.group(0))


def _prose(text: str) -> str:
    """``text`` with fenced code blocks, HTML comments and inline code spans blanked out and
    escaped dollars removed, line for line."""
    lines, fence = [], None
    for line in text.split("\n"):
        opening = _FENCE.match(line)
        if fence is None and opening:
            fence = opening.group(1)
            lines.append("")
        elif fence is not None:
            closing = opening and opening.group(1)[0] == fence[0] and len(opening.group(1)) >= len(fence)
            if closing and not line.strip().lstrip(fence[0]):
                fence = None
            lines.append("")
        else:
            lines.append(line)
    prose = _COMMENT.sub(_blank, "\n".join(lines))
    paragraphs = re.split(r"(\n[ \t]*\n)", prose)
    prose = "".join(_CODE_SPAN.sub(_blank, paragraph) for paragraph in paragraphs)
    return prose.replace("\\$", "  ")


def unbalanced_math(text: str) -> list:
    """One message per paragraph of prose whose ``$$`` or ``$`` math delimiters do not pair up."""
    lines = _prose(text).split("\n")
    problems, start = [], 0
    for end in range(len(lines) + 1):
        if end < len(lines) and lines[end].strip():
            continue
        paragraph = lines[start:end]
        for delimiter, pattern in (("$$", r"\$\$"), ("$", r"(?<!\$)\$(?!\$)")):
            where = [number for number, line in enumerate(paragraph, start=start + 1)
                     for _ in re.finditer(pattern, line)]
            if len(where) % 2:
                shown = text.split("\n")[where[-1] - 1]
                problems.append(
                    f"line {start + 1}: this paragraph has {len(where)} `{delimiter}` math delimiters, an odd "
                    f"number, so GitHub renders part of it wrongly; the unpaired one is probably the last, on "
                    f"line {where[-1]}: {shown!r}. Close the math with `{delimiter}`, or write a literal "
                    f"dollar as `\\$`")
        start = end + 1
    return problems


def _name(path: pathlib.Path) -> str:
    return str(path.relative_to(ROOT))


def test_the_documents_exist():
    assert len(DOCUMENTS) >= 11 and all(path.is_file() for path in DOCUMENTS), DOCUMENTS


@pytest.mark.parametrize("path", DOCUMENTS, ids=_name)
def test_no_control_characters(path):
    problems = control_characters(path.read_text(encoding="utf-8"))
    assert not problems, f"{_name(path)}:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("path", DOCUMENTS, ids=_name)
def test_math_delimiters_pair_up(path):
    problems = unbalanced_math(path.read_text(encoding="utf-8"))
    assert not problems, f"{_name(path)}:\n  " + "\n  ".join(problems)


# --- the detectors themselves -----------------------------------------------------------------
def test_a_tab_that_ate_a_backslash_is_caught():
    typed = "The gradient is\n$\\sum_t \\delta_t^\top h_{t-1}$ with\n"        # "\top" without r"": TAB + "op"
    (problem,) = control_characters(typed)
    assert problem.startswith("line 2, column 18: a TAB in  $\\sum_t \\delta_t^<TAB>op h_{t-1}$ with  -- ")
    assert "`\\top`" in problem and "raw" in problem
    assert control_characters(r"$\sum_t \delta_t^\top h_{t-1}$") == []


def test_other_control_characters_are_caught():
    assert "`\\beta`" in control_characters("$\beta$")[0]                     # BACKSPACE + "eta"
    assert "`\\frac`" in control_characters("$\frac{1}{2}$")[0]                # FORM FEED + "rac"
    assert "Windows line ending" in control_characters("one\r\ntwo\n")[0]
    assert "replace the TAB with spaces" in control_characters("```text\na\t1\n```\n")[0]
    assert "a NUL in  a<NUL>b  -- delete it" in control_characters("a\x00b")[0]
    assert "U+0085" in control_characters("a\x85b")[0]
    assert control_characters("plain — text, “quotes”, λ and\nnew lines\n") == []


def test_balanced_math_passes():
    for text in [
        "The sum $\\sum_t \\delta_t$ and $h_t$ are inline.\n",
        "Math may span\nlines: $a +\nb$ in one paragraph.\n",
        "Display:\n\n$$\n\\frac{\\partial L}{\\partial h}\n$$\n\nand $$x$$ inline.\n",
        "It costs \\$5, or \\$6 with $x$ in it.\n",
        "Code: `$HOME` and ``a $ b`` are not math; GitHub's $`\\alpha`$ is.\n",
        "```sh\necho $PATH\n```\n\nProse.\n",
        "~~~\n$\n~~~\n",
        "<!-- a $ in a comment -->\nProse.\n",
    ]:
        assert unbalanced_math(text) == [], text


def test_unbalanced_math_is_caught():
    (problem,) = unbalanced_math("First paragraph $a$.\n\nThe sum $\\sum_t \\delta_t and\n$h_t$ is.\n")
    assert problem.startswith("line 3: this paragraph has 3 `$` math delimiters")
    assert "line 4: '$h_t$ is.'" in problem and "`\\$`" in problem
    assert len(unbalanced_math("$a\n\nb$\n")) == 2                              # a paragraph ends the math
    (problem,) = unbalanced_math("Display:\n$$\nx\n")
    assert "1 `$$` math delimiters" in problem
    assert unbalanced_math("It costs $5.\n")                                    # a literal dollar needs \$
    assert unbalanced_math("`code` then $x\n")
