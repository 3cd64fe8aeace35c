"""Printing the grades: ``format_report`` (one exercise, check by check, with messages and hints),
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


def format_report(report: Report, verbose: bool = False) -> str:
    """The report of one exercise: each check with PASS/FAIL/TODO/ERROR, the messages, hints; with
    ``verbose``, the full tracebacks and what the learner's code printed."""
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
        lines.extend(f"     hint: {hint}" for hint in ex.hints)
        if not verbose:
            printed = " and what your code printed" if report.output else ""
            lines.append(f"     (run with --verbose for full tracebacks{printed})")
    else:
        lines.append(f"  -> passed ({report.counts})")
    return "\n".join(lines)


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
