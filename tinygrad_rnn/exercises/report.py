"""Printing the grades: ``format_report`` (one exercise, check by check, with messages and hints),
``format_hints`` (the hints revealed so far), ``format_progress`` (one line: how many pass),
``format_overview`` (every exercise by chapter with its status) and ``shown_path``.
"""
from pathlib import Path

from .checking import BROKEN, ERROR, FAIL, FAILED, IN_PROGRESS, MISSING, NOT_STARTED, PASS, Report
from .registry import CHAPTERS, EXERCISES

_MARK = {PASS: "PASS", FAIL: "FAIL", NOT_STARTED: "TODO", ERROR: "ERROR"}


def shown_path(path: Path) -> str:
    """``path`` relative to the current directory when it is below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line for line in text.splitlines())


def _printed(report: Report) -> list:
    """The lines showing what the learner's code printed (for --verbose), or none."""
    if not report.output:
        return []
    return ["  your code printed (stdout and stderr):", _indent(report.output, "    | ")]


def hint_order(exercise, first: int = 1) -> list:
    """The hints' numbers in the order they are shown: from ``first`` (the hint about the first failing
    check) to the last, which holds the fix, then the ones before ``first``."""
    n = len(exercise.hints)
    first = max(1, min(first, n))
    return list(range(first, n + 1)) + list(range(1, first))


def first_failing(report: Report):
    """The name of the first check that fails or errors (else the first not started), or None."""
    for outcomes in ((FAIL, ERROR), (NOT_STARTED,)):
        for r in report.results:
            if r.outcome in outcomes:
                return r.check.__name__
    return None


def format_hints(exercise, shown: int, first: int = 1) -> list:
    """The lines of the first ``shown`` hints of ``exercise`` (at least one), starting with hint number
    ``first`` (see ``hint_order``), and how to see the next."""
    order = hint_order(exercise, first)
    shown = max(1, min(shown, len(order)))
    lines = [f"     hint {i} of {len(order)}: {exercise.hints[i - 1]}" for i in order[:shown]]
    if shown < len(order):
        lines.append(f"     (next hint: tinygrad-rnn check {exercise.short_name} --hint {shown + 1})")
    else:
        lines.append("     (that was the last hint; the checks' messages above say what is still wrong)")
    return lines


def format_report(report: Report, verbose: bool = False, hints: int | None = None) -> str:
    """The report of one exercise: each check with PASS/FAIL/TODO/ERROR, the messages, and a hint;
    with ``verbose``, the full tracebacks and what the learner's code printed.

    A failed exercise shows one hint: the one about its first failing check; ``hints=N`` shows N,
    from that one on (``check exNN --hint N``), since the learner asked for them, unless every check
    passes (then there is nothing to hint at)."""
    ex = report.exercise
    status = report.status
    head = f"{ex.name} — {ex.title} (chapter {ex.chapter}: {ex.chapter_title})"
    lines = [head, f"  file: {shown_path(report.path)}"]
    if status == MISSING:
        lines.append(f"  missing: {report.load_error}. Restore the stub (git checkout {shown_path(report.path)}) "
                     "or pass --file PATH.")
        return "\n".join(lines)
    if status == BROKEN:
        lines.append("  the file could not be loaded:")
        lines.append(_indent(report.load_error, "    "))
        if verbose:
            lines.append(_indent(report.load_traceback.rstrip(), "    "))
            lines.extend(_printed(report))
        elif report.output:
            lines.append("  (run with --verbose to see the traceback and what your code printed)")
        if hints:
            lines.extend(format_hints(ex, hints))
        return "\n".join(lines)
    for r in report.results:
        lines.append(f"  {_MARK[r.outcome]:<5} {r.description}")
        if r.outcome in (FAIL, ERROR):
            lines.append(_indent(r.message, "          "))
            if r.where:
                lines.append(f"          at {r.where}")
        if verbose and r.outcome in (FAIL, ERROR):
            lines.append(_indent(r.traceback.rstrip(), "          | "))
    if verbose:
        lines.extend(_printed(report))
    if status == NOT_STARTED:
        lines.append(f"  -> not started: open {shown_path(report.path)}, read its docstring, and replace the "
                     "`raise NotImplementedError(...)` lines with your code.")
    elif status == IN_PROGRESS:
        lines.append(f"  -> in progress ({report.counts}; the rest are not started yet)")
    elif status == FAILED:
        lines.append(f"  -> failed ({report.counts})")
        if not verbose:
            printed = " and what your code printed" if report.output else ""
            lines.append(f"     (run with --verbose for full tracebacks{printed})")
    else:
        lines.append(f"  -> passed ({report.counts})")
        if hints:
            lines.append("     (every check passes: no hint needed)")
        return "\n".join(lines)
    if hints or status == FAILED:
        lines.extend(format_hints(ex, hints or 1, ex.first_hint(first_failing(report))))
    return "\n".join(lines)


def format_progress(reports: dict, where: str = "") -> str:
    """One line: how many of the exercises pass, and which one to do next. ``reports`` maps exercise
    name -> Report (the learner's own copies)."""
    passed = sum(1 for e in EXERCISES if e.name in reports and reports[e.name].passed)
    line = f"Progress: {passed} of {len(EXERCISES)} exercises pass" + (f" in {where}" if where else "")
    todo = next((e for e in EXERCISES if e.name in reports and not reports[e.name].passed), None)
    line += f"; next: {todo.short_name}" if todo else ""
    return line + " (the table: tinygrad-rnn check)"


def format_overview(reports: dict, titles: bool = False) -> str:
    """Every exercise by chapter with its status; ``reports`` maps exercise name -> Report (or a
    string status). ``titles`` adds each exercise's title and what it teaches (for --list)."""
    lines = []
    for chapter, chapter_title in CHAPTERS.items():
        exercises = [e for e in EXERCISES if e.chapter == chapter]
        if not exercises:
            continue
        lines.append(f"Chapter {chapter}: {chapter_title}")
        for e in exercises:
            report = reports.get(e.name)
            status = report if isinstance(report, str) else report.status if report else "-"
            if titles:
                lines.append(f"  {e.name:<25} {status:<12}  {e.title}")
                lines.append(f"      {e.teaches}")
                continue
            if isinstance(report, Report) and status in (FAILED, IN_PROGRESS):
                status += f" ({report.counts})"
            lines.append(f"  {e.name:<25} {status}")
    return "\n".join(lines)
