"""Grades as data, for programs: ``report_record`` (one graded file as a JSON-ready dict),
``results_json``, ``results_junit`` and ``results_gradescope`` (several, as the text ``check --format
json|junit|gradescope`` writes).

Every check of the exercise gets an entry, whatever happened to the file: its status is the
check's outcome (``pass``, ``fail``, ``not started``, ``error``), or ``error`` with the load error
when the file does not load, or ``not run`` when there is no file. Times are in seconds (``None``
where there is none: a check whose process died, a file that was never run).
"""
import json
import re
import xml.etree.ElementTree as ET

from .checking import BROKEN, ERROR, FAIL, MISSING, NOT_STARTED, PASS, Report

NOT_RUN = "not run"                  # a check of a file that is missing

#: characters XML 1.0 can't hold (a learner's message may carry them): replaced by "?"
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _version() -> str:
    from .. import __version__
    return __version__


def check_records(report: Report) -> list:
    """One dict per check of the exercise: name, description, status, message, where, seconds."""
    if report.status in (MISSING, BROKEN):
        status = NOT_RUN if report.status == MISSING else ERROR
        message = (f"no file at {report.path}" if report.status == MISSING
                   else "the file does not load: " + report.load_error)
        return [{"name": check.__name__, "description": _description(check), "status": status, "message": message,
                 "where": "", "seconds": None} for check in report.exercise.checks]
    return [{"name": r.check.__name__, "description": r.description, "status": r.outcome, "message": r.message,
             "where": r.where, "seconds": _rounded(r.seconds)} for r in report.results]


def _description(check) -> str:
    return (check.__doc__ or check.__name__).strip().splitlines()[0]


def _rounded(seconds):
    return None if seconds is None else round(float(seconds), 4)


def report_record(report: Report) -> dict:
    """One graded file: the exercise, the file, its status, checks passed / total, time, every check."""
    ex = report.exercise
    return {"exercise": ex.name, "short_name": ex.short_name, "title": ex.title, "chapter": ex.chapter,
            "file": str(report.path), "status": report.status, "passed": report.passed_count,
            "total": report.total, "seconds": _rounded(report.seconds), "load_error": report.load_error,
            "checks": check_records(report)}


def results_json(reports: list, tool: str = "tinygrad-rnn check", **fields) -> str:
    """The reports as one JSON document: ``{"tool", "version", ..., "exercises": [...]}``."""
    document = {"tool": tool, "version": _version(), **fields, "exercises": [report_record(r) for r in reports]}
    return json.dumps(document, indent=2) + "\n"


def _xml_text(text) -> str:
    return _NOT_XML.sub("?", str(text))


def results_junit(reports: list, prefix: str = "") -> str:
    """The reports as JUnit XML (what CI systems and autograders read): a ``testsuite`` per exercise,
    a ``testcase`` per check; a failed check is a ``failure``, an error an ``error``, a check not
    started or not run ``skipped``. ``prefix`` goes in front of each suite's name (e.g. a student's)."""
    root = ET.Element("testsuites", name=_xml_text(prefix.rstrip(".") or "tinygrad-rnn check"))
    for report in reports:
        checks = check_records(report)
        counts = {status: sum(c["status"] == status for c in checks) for status in (FAIL, ERROR)}
        skipped = sum(c["status"] in (NOT_STARTED, NOT_RUN) for c in checks)
        suite = ET.SubElement(root, "testsuite", name=_xml_text(prefix + report.exercise.name),
                              tests=str(len(checks)), failures=str(counts[FAIL]), errors=str(counts[ERROR]),
                              skipped=str(skipped), time=f"{report.seconds or 0.0:.4f}",
                              file=_xml_text(report.path))
        for c in checks:
            case = ET.SubElement(suite, "testcase", classname=_xml_text(prefix + report.exercise.name),
                                 name=c["name"], time=f"{c['seconds'] or 0.0:.4f}")
            if c["status"] == PASS:
                continue
            tag = {FAIL: "failure", ERROR: "error"}.get(c["status"], "skipped")
            detail = c["message"] + (f"\nat {c['where']}" if c["where"] else "")
            element = ET.SubElement(case, tag, message=_xml_text(c["message"].splitlines()[0] if c["message"]
                                                                   else c["status"]))
            element.text = _xml_text(detail)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def results_gradescope(reports: list, notes=()) -> str:
    """The reports as Gradescope's autograder ``results.json``: a test per check (``name``, ``number``,
    ``score`` 1 or 0, ``max_score`` 1, ``status``, ``output``: the check's message and where), the
    total ``score``, the ``execution_time`` and an ``output`` with the summary and ``notes`` (e.g. a file
    graded under another name). A check of a missing file, or of a file that does not load, scores 0
    with the reason as its output."""
    tests, seconds = [], 0.0
    for report in reports:
        seconds += report.seconds or 0.0
        for number, c in enumerate(check_records(report), 1):
            passed = c["status"] == PASS
            output = "" if passed else f"{c['status']}: {c['message']}" + (f"\nat {c['where']}" if c["where"] else "")
            tests.append({"name": f"{report.exercise.short_name} {report.exercise.title}: {c['description']}",
                          "number": f"{report.exercise.number}.{number}", "score": 1.0 if passed else 0.0,
                          "max_score": 1.0, "status": "passed" if passed else "failed",
                          "output": output, "visibility": "visible"})
    score = sum(t["score"] for t in tests)
    summary = (f"tinygrad-rnn check {_version()}: {sum(r.passed for r in reports)} of {len(reports)} exercises "
               f"pass, {score:g} of {len(tests)} checks")
    document = {"score": score, "execution_time": round(seconds, 2),
                "output": "\n".join([summary, *(f"Note: {note}" for note in notes)]), "visibility": "visible",
                "tests": tests}
    return json.dumps(document, indent=2) + "\n"
