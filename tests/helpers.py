"""Helpers shared by several test files (import them as ``from helpers import ...``; pytest puts
this folder on sys.path)."""
import json


def without_seconds(records):
    """Training log records without their ``seconds`` (the only field that differs between runs)."""
    return [{k: v for k, v in r.items() if k != "seconds"} for r in records]


def metrics_of(out):
    """The records of ``out/metrics.jsonl``, without their ``seconds``."""
    return without_seconds(json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines())
