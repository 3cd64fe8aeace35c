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
now; ``--update-outputs`` rewrites those blocks after a deliberate change. A printed line
containing ``(varies`` (a timing, say) is compared with its numbers masked.
"""
import argparse
import contextlib
import dataclasses
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


@dataclasses.dataclass
class Block:
    """A piece of a chapter: ``kind`` is "markdown", "python" or "output" (the ```text block
    right after a python block); ``text`` is its content; ``start``/``end`` index the file text."""
    kind: str
    text: str
    start: int
    end: int


def chapters(selected=None) -> list:
    """The chapter files in order (``selected``: prefixes such as "03")."""
    paths = sorted(HERE.glob(CHAPTER_GLOB))
    if selected:
        paths = [p for p in paths if any(p.name.startswith(s) for s in selected)]
    return paths


def parse_chapter(text: str) -> list:
    """Split a chapter into markdown, python and output blocks, in order."""
    blocks, pos, previous_python = [], 0, False
    for match in _FENCE.finditer(text):
        between = text[pos:match.start()]
        if between.strip():
            blocks.append(Block("markdown", between, pos, match.start()))
            previous_python = False
        language, body = match.group(1), match.group(2)
        if language == "python":
            blocks.append(Block("python", body, match.start(), match.end()))
            previous_python = True
        elif language == "text" and previous_python:
            blocks.append(Block("output", body, match.start(), match.end()))
            previous_python = False
        else:
            blocks.append(Block("markdown", match.group(0), match.start(), match.end()))
            previous_python = False
        pos = match.end()
    if text[pos:].strip():
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
    blocks = parse_chapter(path.read_text(encoding="utf-8"))
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
_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?")


def _normal_lines(text: str) -> list:
    lines = [line.rstrip() for line in text.strip("\n").splitlines()]
    return [_NUMBER.sub("#", line) if "(varies" in line else line for line in lines]


def outputs_match(recorded: str, printed: str) -> bool:
    """True when the recorded output equals what was printed (lines with "(varies": numbers masked)."""
    return _normal_lines(recorded) == _normal_lines(printed)


def recorded_outputs(blocks) -> list:
    """For each python block, the text of the ```text block right after it, or None."""
    result = []
    for i, block in enumerate(blocks):
        if block.kind == "python":
            following = blocks[i + 1] if i + 1 < len(blocks) else None
            result.append(following.text if following is not None and following.kind == "output" else None)
    return result


def update_outputs(run: ChapterRun) -> bool:
    """Rewrite the ```text block under every python block with what it printed; True if the file changed.
    A recorded output that still matches is kept as it is (so recorded timings do not churn)."""
    text = run.path.read_text(encoding="utf-8")
    pieces, pos = [], 0
    python_blocks = [i for i, b in enumerate(run.blocks) if b.kind == "python"]
    for i, printed in zip(python_blocks, run.printed):
        block = run.blocks[i]
        following = run.blocks[i + 1] if i + 1 < len(run.blocks) else None
        has_output = following is not None and following.kind == "output"
        if has_output and outputs_match(following.text, printed):
            continue
        pieces.append(text[pos:block.end])
        pos = following.end if has_output else block.end      # drop the old output block
        if printed.strip():
            pieces.append("\n```text\n" + printed.rstrip("\n") + "\n```\n")
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
        stale = [i + 1 for i, (rec, out) in enumerate(zip(recorded_outputs(run.blocks), run.printed))
                 if not outputs_match(rec or "", out)]
        note = " (outputs rewritten)" if changed else (f"; outputs differ in blocks {stale}" if stale else "")
        print(f"{path.name}: {run.seconds:.1f} s, {len(written)} figure(s){note}")
        for target in written:
            print(f"    {target.relative_to(HERE)}")
        plt.close("all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
