"""Regenerate every figure the tutorial chapters embed, by running the chapters themselves.

    python tutorials/make_figures.py                   # every chapter
    python tutorials/make_figures.py 03 05             # only chapters 03 and 05
    python tutorials/make_figures.py --update-outputs  # also rewrite the printed output under each code block

How it works
------------
A chapter is a Markdown file ``NN-name.md``. Its ```python blocks are run in order, in one
shared namespace, with one BLAS thread, matplotlib's Agg backend and this folder as the
working directory — exactly what ``tests/test_tutorials.py`` does.

The chapters' code never writes files. It leaves each figure in a variable named
``fig_<name>``: a matplotlib ``Figure`` is saved as ``figures/NN-<name>.png``, a
``graphviz.Digraph`` is rendered to ``figures/NN-<name>.svg`` (this needs Graphviz's
``dot``). So a figure always shows what the chapter's code computes.

Whatever a code block prints is recorded right under it, in a ```text block, so that a
reader on GitHub sees it. The tests check that the recorded text is what the code prints
now; ``--update-outputs`` rewrites those blocks after a deliberate change.

How a recorded output is compared with what the code prints now
---------------------------------------------------------------
NumPy's BLAS (OpenBLAS) picks its kernels by CPU, so the last digits of a float32
computation differ between a learner's laptop and the machine that recorded the output, and
a training run amplifies them. So the comparison (``outputs_match``) is exact about what the
output *says* and tolerant about the digits:

- Each line is split into text and numbers. The text — words, punctuation, how many numbers
  there are and where — must be equal, so a changed conclusion ("better" / "worse",
  "True" / "False") always fails. Whitespace is layout: a run of spaces counts as one, and
  the padding next to a number (NumPy aligns columns by the widest entry) is ignored.
  ``inf`` and ``nan`` are words.
- A number is a run of digits, optionally with a sign, a decimal point and an exponent, that
  is not the tail of a word (the ``10`` of ``h_10`` and the ``1`` of ``k1`` are text). A sign
  that follows a word or a closing bracket is text too (``T-50`` is ``T-`` and ``50``).
- An *integer* (no decimal point, no exponent: shapes, counts, iteration numbers) must be
  equal.
- A *float* (``0.156``, ``1.6e-03``, and ``2.``: NumPy's way of printing 2.0, so a sentence
  ending in ``72.`` reads as a float too) ``a`` matches ``b`` when

      |a - b| <= rel * max(|a|, |b|) + (unit(a) + unit(b)) / 2

  and they do not have opposite signs. ``unit`` is one unit in the last printed digit
  (``0.156``: 0.001; ``1.6e-03``: 0.0001; ``2.``: 1; an exact zero in exponent form,
  ``0.00e+00``: 0). Each printed number is its true value rounded to half a unit, so the
  second term is exactly what rounding alone can add: the rule says "the two true values
  could be within ``rel`` of each other". Near zero, where a relative error means nothing,
  the rounding term is what remains — ``-0.000`` matches ``0.000`` and ``0.001``, not
  ``0.002``. Zero has no sign, so ``-0.000`` against ``0.000`` is no sign change; ``-0.5``
  against ``0.5`` is.
- The default ``rel`` is 5e-2: the numbers must agree to about two significant digits.
  That is the precision the chapters' prose draws conclusions at, it is far above float32
  round-off in a single evaluation (1e-6), and it still leaves room for a few hundred steps
  of training to amplify that round-off; a 10% change (``0.156`` -> ``0.172``) fails.
- A line containing ``(varies`` (a timing, a memory peak) has its numbers masked: only its
  text is compared.

A block whose numbers move more (a chaotic training run) or must not move at all declares
its own rule in an HTML comment on the line right before its ```text fence; GitHub does not
show it and jupytext leaves it as Markdown::

    <!-- output: rel=0.2 -->            floats within 20%
    <!-- output: rel=0.1 ints=rel -->   floats and integers within 10% (an integer has unit 0)
    <!-- output: exact -->              every number digit for digit

``--update-outputs`` keeps that line, and keeps a recorded block that still matches by its
rule byte for byte, so recorded numbers do not churn from machine to machine.

The prose check of the tests (a number the text cites in `code font` is printed by the
code next to it) uses the same number comparison, ``numbers_match``, with the default rule:
see ``printed_contains``.
"""
import argparse
import contextlib
import dataclasses
import decimal
import io
import os
import pathlib
import re
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
FIGURES = HERE / "figures"
CHAPTER_GLOB = "[0-9][0-9]-*.md"

_FENCE = re.compile(r"^```([\w-]*)[ \t]*\n(.*?)^```[ \t]*$\n?", re.S | re.M)


@dataclasses.dataclass(frozen=True)
class Tolerance:
    """How the numbers of an output block are compared (see the module docstring): ``rel`` is the
    relative tolerance of floats, ``ints_rel`` compares integers like floats, ``exact`` compares
    every number digit for digit."""
    rel: float = 5e-2
    ints_rel: bool = False
    exact: bool = False


DEFAULT_TOLERANCE = Tolerance()

# `<!-- output: rel=0.2 ints=rel -->`, alone on the line right before a ```text fence
_DECLARATION = re.compile(r"^<!--[ \t]*output:(.*?)-->[ \t]*$", re.M)


def parse_tolerance(spec: str) -> Tolerance:
    """The rule that ``<!-- output: SPEC -->`` declares: ``exact``, or ``rel=R`` and/or ``ints=exact|rel``."""
    words = spec.split()
    if not words:
        raise ValueError("it declares nothing; write e.g. `rel=0.2`, `rel=0.1 ints=rel` or `exact`")
    if words == ["exact"]:
        return Tolerance(exact=True)
    rel, ints_rel = DEFAULT_TOLERANCE.rel, DEFAULT_TOLERANCE.ints_rel
    for word in words:
        key, _, value = word.partition("=")
        if key == "rel":
            try:
                rel = float(value)
            except ValueError:
                rel = float("nan")
            if not 0 <= rel < float("inf"):
                raise ValueError(f"{word!r}: the relative tolerance must be a number >= 0, e.g. rel=0.2")
        elif key == "ints" and value in ("exact", "rel"):
            ints_rel = value == "rel"
        else:
            raise ValueError(f"{word!r}: a declaration is `exact`, or `rel=R` and/or `ints=exact|rel`")
    return Tolerance(rel=rel, ints_rel=ints_rel)


@dataclasses.dataclass
class Block:
    """A piece of a chapter: ``kind`` is "markdown", "python" or "output" (the ```text block
    right after a python block); ``text`` is its content; ``start``/``end`` index the file text.
    An output block's ``tolerance`` is what its ``<!-- output: ... -->`` line declares (None: the default)."""
    kind: str
    text: str
    start: int
    end: int
    tolerance: Tolerance | None = None


def chapters(selected=None) -> list:
    """The chapter files in order (``selected``: prefixes such as "03")."""
    paths = sorted(HERE.glob(CHAPTER_GLOB))
    if selected:
        paths = [p for p in paths if any(p.name.startswith(s) for s in selected)]
    return paths


def parse_chapter(text: str) -> list:
    """Split a chapter into markdown, python and output blocks, in order.

    A ``<!-- output: ... -->`` line with nothing else between a python block and the ```text block
    under it sets that output block's tolerance. Anywhere else it would be silently ignored, so it
    is an error there, as is a declaration that does not parse."""
    def line_of(offset):
        return text.count("\n", 0, offset) + 1

    def no_declaration_in(start, end):
        for stray in _DECLARATION.finditer(text, start, end):
            raise ValueError(f"line {line_of(stray.start())}: {stray.group(0)!r} must be the line right before "
                             f"the ```text block under a python block, with only blank lines around it")

    blocks, pos, previous_python = [], 0, False
    for match in _FENCE.finditer(text):
        between = text[pos:match.start()]
        language, body = match.group(1), match.group(2)
        declared = _DECLARATION.fullmatch(between.strip())
        tolerance = None
        if declared and previous_python and language == "text":
            try:
                tolerance = parse_tolerance(declared.group(1))
            except ValueError as error:
                raise ValueError(f"line {line_of(pos + between.index(declared.group(0)))}: "
                                 f"{declared.group(0)!r}: {error}") from None
        elif between.strip():
            no_declaration_in(pos, match.start())
            blocks.append(Block("markdown", between, pos, match.start()))
            previous_python = False
        if language == "python":
            blocks.append(Block("python", body, match.start(), match.end()))
            previous_python = True
        elif language == "text" and previous_python:
            blocks.append(Block("output", body, match.start(), match.end(), tolerance))
            previous_python = False
        else:
            blocks.append(Block("markdown", match.group(0), match.start(), match.end()))
            previous_python = False
        pos = match.end()
    if text[pos:].strip():
        no_declaration_in(pos, len(text))
        blocks.append(Block("markdown", text[pos:], pos, len(text)))
    return blocks


@dataclasses.dataclass
class ChapterRun:
    path: pathlib.Path
    blocks: list
    printed: list          # what each python block printed, in order
    namespace: dict
    seconds: float


def run_chapter(path) -> ChapterRun:
    """Run every python block of the chapter at ``path`` in one namespace; return what each printed."""
    import matplotlib
    matplotlib.use("Agg")
    import numpy as np
    from threadpoolctl import threadpool_limits

    path = pathlib.Path(path)
    try:
        blocks = parse_chapter(path.read_text(encoding="utf-8"))
    except ValueError as error:
        raise ValueError(f"{path.name}, {error}") from None
    namespace = {"__name__": f"tutorial_{path.stem.replace('-', '_')}"}
    printed = []
    print_options = np.get_printoptions()
    cwd = os.getcwd()
    start = time.perf_counter()
    try:
        os.chdir(path.parent)
        with threadpool_limits(limits=1, user_api="blas"):
            for number, block in enumerate(b for b in blocks if b.kind == "python"):
                buffer = io.StringIO()
                with contextlib.redirect_stdout(buffer):
                    try:
                        exec(compile(block.text, f"{path.name} [python block {number + 1}]", "exec"), namespace)
                    except Exception as error:
                        raise RuntimeError(f"{path.name}: python block {number + 1} failed: {error!r}\n"
                                           f"--- block ---\n{block.text}") from error
                printed.append(buffer.getvalue())
    finally:
        os.chdir(cwd)
        np.set_printoptions(**print_options)
    return ChapterRun(path, blocks, printed, namespace, time.perf_counter() - start)


# --- recorded outputs -----------------------------------------------------------------------
# A number: digits with an optional decimal point and exponent, not the tail of a word or of
# another number (h_10, k1, 1.2.3); its sign, unless that follows a word or a bracket (T-50).
_NUMBER = re.compile(r"(?:(?<![\w.)\]])[-+])?(?<![\w.])\d+(?:\.\d*)?(?:[eE][-+]?\d+)?")
_SPACES = re.compile(r"\s+")


@dataclasses.dataclass(frozen=True)
class _Number:
    text: str
    value: decimal.Decimal
    is_float: bool             # written with a decimal point or an exponent
    unit: decimal.Decimal      # one unit in its last printed digit; 0 for an integer or an exact zero


def _parse_number(text: str) -> _Number:
    text = text.strip().replace("−", "-")
    mantissa, _, exponent = text.lower().partition("e")
    value = decimal.Decimal(text)
    is_float = "." in mantissa or bool(exponent)
    if not is_float or (exponent and value == 0):     # 0.00e+00 is an exact zero; 0.000 is not
        unit = decimal.Decimal(0)
    else:
        unit = decimal.Decimal(1).scaleb(int(exponent or 0) - len(mantissa.partition(".")[2]))
    return _Number(text, value, is_float, unit)


def number_difference(a: str, b: str, tolerance: Tolerance = DEFAULT_TOLERANCE) -> str | None:
    """Why the printed numbers ``a`` and ``b`` do not match under ``tolerance``, or None if they do.
    This one rule serves both the recorded outputs and the numbers the prose cites."""
    x, y = _parse_number(a), _parse_number(b)
    if tolerance.exact:
        return None if x.text == y.text else f"{x.text} vs {y.text}: this block compares numbers digit for digit"
    if not (x.is_float or y.is_float or tolerance.ints_rel):
        return None if x.value == y.value else (
            f"{x.text} vs {y.text}: integers (counts, shapes, iterations) must be equal; if this one may "
            f"vary, declare `<!-- output: ints=rel -->` on the line before the ```text block")
    if x.value and y.value and (x.value > 0) != (y.value > 0):
        return f"{x.text} vs {y.text}: the sign changed"
    rel = decimal.Decimal(repr(tolerance.rel))
    allowed = rel * max(abs(x.value), abs(y.value)) + (x.unit + y.unit) / 2
    if abs(x.value - y.value) <= allowed:
        return None
    apart = abs(x.value - y.value) / max(abs(x.value), abs(y.value))
    return (f"{x.text} vs {y.text}: {float(apart):.1%} apart, more than rel={tolerance.rel} and the rounding "
            f"of the printed digits allow")


def numbers_match(a: str, b: str, tolerance: Tolerance = DEFAULT_TOLERANCE) -> bool:
    """True when the printed numbers ``a`` and ``b`` agree under ``tolerance`` (the module docstring
    has the rule)."""
    return number_difference(a, b, tolerance) is None


def _split(line: str) -> tuple:
    """``(texts, numbers)`` of a line: ``texts`` has one more entry than ``numbers``, the text
    around and between them, with runs of whitespace made one space and the padding next to a
    number dropped."""
    texts, numbers, pos = [], [], 0
    for match in _NUMBER.finditer(line):
        texts.append(line[pos:match.start()])
        numbers.append(match.group())
        pos = match.end()
    texts.append(line[pos:])
    texts = [_SPACES.sub(" ", t) for t in texts]
    texts = [t.lstrip() if i > 0 else t for i, t in enumerate(texts)]
    texts = [t.rstrip() if i < len(numbers) else t for i, t in enumerate(texts)]
    return texts, numbers


def _lines(text: str) -> list:
    return [line.rstrip() for line in text.strip("\n").splitlines()]


def output_differences(recorded: str, printed: str, tolerance: Tolerance | None = None) -> list:
    """How what was printed differs from the recorded output under ``tolerance`` (default:
    ``DEFAULT_TOLERANCE``), one message per differing line; empty when they match."""
    tolerance = tolerance or DEFAULT_TOLERANCE
    recorded_lines, printed_lines = _lines(recorded), _lines(printed)
    differences = []
    if len(recorded_lines) != len(printed_lines):
        differences.append(f"{len(recorded_lines)} line(s) recorded, {len(printed_lines)} printed")
    for number, (old, new) in enumerate(zip(recorded_lines, printed_lines), start=1):
        (old_texts, old_numbers), (new_texts, new_numbers) = _split(old), _split(new)
        where = f"line {number}:\n    recorded: {old}\n    printed:  {new}\n  "
        if old_texts != new_texts:
            differences.append(where + "the text differs (words, punctuation or how many numbers)")
        elif "(varies" not in old:
            reasons = [number_difference(a, b, tolerance) for a, b in zip(old_numbers, new_numbers)]
            if any(reasons):
                differences.append(where + "\n  ".join(reason for reason in reasons if reason))
    return differences


def outputs_match(recorded: str, printed: str, tolerance: Tolerance | None = None) -> bool:
    """True when ``printed`` says what the ``recorded`` output says: the same text, and numbers that
    agree under ``tolerance`` (default ``DEFAULT_TOLERANCE``; lines with "(varies": numbers masked)."""
    return not output_differences(recorded, printed, tolerance)


def printed_contains(printed: str, cited: str, tolerance: Tolerance = DEFAULT_TOLERANCE) -> bool:
    """True when the number the prose cites (``0.1667``, ``-0.000``, ``9x``, ``(8, 6)``,
    ``[8. 6.]``) occurs in ``printed`` as whole numbers (not as part of a longer one, as the
    ``0.1667`` of ``10.1667`` would be), compared by ``numbers_match``: a float within the
    tolerance and with the same sign, an integer exactly, any text around and between them
    as it is."""
    want_texts, want_numbers = _split(cited.strip().replace("−", "-"))
    if not want_numbers:
        return cited.strip() in printed
    count = len(want_numbers)
    for line in printed.splitlines():
        texts, numbers = _split(line)
        for first in range(len(numbers) - count + 1):
            if (texts[first].endswith(want_texts[0]) and texts[first + count].startswith(want_texts[-1])
                    and texts[first + 1:first + count] == want_texts[1:-1]
                    and all(numbers_match(have, want, tolerance)
                            for have, want in zip(numbers[first:first + count], want_numbers))):
                return True
    return False


def recorded_outputs(blocks) -> list:
    """For each python block, the text of the ```text block right after it, or None."""
    return [None if output is None else output.text for output in recorded_output_blocks(blocks)]


def recorded_output_blocks(blocks) -> list:
    """For each python block, the output Block right after it (its ``text`` and ``tolerance``), or None."""
    result = []
    for i, block in enumerate(blocks):
        if block.kind == "python":
            following = blocks[i + 1] if i + 1 < len(blocks) else None
            result.append(following if following is not None and following.kind == "output" else None)
    return result


def update_outputs(run: ChapterRun) -> bool:
    """Rewrite the ```text block under every python block with what it printed; True if the file changed.
    A recorded output that still matches (within its tolerance) is kept byte for byte, so recorded
    numbers and timings do not churn; a ``<!-- output: ... -->`` line before a rewritten block stays."""
    text = run.path.read_text(encoding="utf-8")
    pieces, pos = [], 0
    python_blocks = [i for i, b in enumerate(run.blocks) if b.kind == "python"]
    for i, printed in zip(python_blocks, run.printed):
        block = run.blocks[i]
        following = run.blocks[i + 1] if i + 1 < len(run.blocks) else None
        has_output = following is not None and following.kind == "output"
        if has_output and outputs_match(following.text, printed, following.tolerance):
            continue
        if not printed.strip():                               # drop the old output block (and its declaration)
            pieces.append(text[pos:block.end])
            pos = following.end if has_output else block.end
        elif has_output:                                      # replace the fenced block, keep what is before it
            pieces.append(text[pos:following.start] + "```text\n" + printed.rstrip("\n") + "\n```\n")
            pos = following.end
        else:
            pieces.append(text[pos:block.end] + "\n```text\n" + printed.rstrip("\n") + "\n```\n")
            pos = block.end
    pieces.append(text[pos:])
    new_text = "".join(pieces)
    if new_text != text:
        run.path.write_text(new_text, encoding="utf-8")
        return True
    return False


# --- figures -----------------------------------------------------------------------------------
def figure_files(path, namespace) -> dict:
    """``{variable name: file name under figures/}`` for every ``fig_<name>`` the chapter left."""
    prefix = pathlib.Path(path).name[:2]
    files = {}
    for name, value in namespace.items():
        if not name.startswith("fig_"):
            continue
        kind = type(value).__module__.split(".")[0]
        if kind == "matplotlib":
            files[name] = f"{prefix}-{name[4:]}.png"
        elif kind == "graphviz":
            files[name] = f"{prefix}-{name[4:]}.svg"
    return files


def save_figures(run: ChapterRun) -> list:
    """Write the chapter's figures into figures/; returns the paths written."""
    FIGURES.mkdir(exist_ok=True)
    written = []
    for name, file_name in figure_files(run.path, run.namespace).items():
        target = FIGURES / file_name
        figure = run.namespace[name]
        if target.suffix == ".png":
            figure.savefig(target, dpi=110, bbox_inches="tight")
        else:
            from tinygrad_rnn.viz import render          # needs Graphviz's `dot`; says how to install it
            render(figure, target)
        written.append(target)
    return written


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("chapters", nargs="*", help="chapter number prefixes, e.g. 03 (default: all)")
    parser.add_argument("--update-outputs", action="store_true",
                        help="rewrite the recorded output under each code block with what it prints now")
    args = parser.parse_args(argv)
    import matplotlib.pyplot as plt
    for path in chapters(args.chapters):
        run = run_chapter(path)
        written = save_figures(run)
        changed = update_outputs(run) if args.update_outputs else False
        stale = [i + 1 for i, (rec, out) in enumerate(zip(recorded_output_blocks(run.blocks), run.printed))
                 if not outputs_match(rec.text if rec else "", out, rec.tolerance if rec else None)]
        note = " (outputs rewritten)" if changed else (f"; outputs differ in blocks {stale}" if stale else "")
        print(f"{path.name}: {run.seconds:.1f} s, {len(written)} figure(s){note}")
        for target in written:
            print(f"    {target.relative_to(HERE)}")
        plt.close("all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
