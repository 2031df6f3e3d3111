"""A pytest plugin for `invharness verify`: one live line on stderr, checks done and verdicts so far."""

from __future__ import annotations

import json
import sys

import pytest

from invharness.suites.report import VERDICT_KEY

_state = {"total": 0, "done": 0}
_verdicts: dict[str, int] = {}


def pytest_collection_finish(session: pytest.Session) -> None:
    _state["total"] = len(session.items)
    sys.stderr.write(f"{_state['total']} checks collected\n")


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    for key, value in report.user_properties:
        if key != VERDICT_KEY or not (report.when == "call" or (report.when == "setup" and not report.passed)):
            continue
        verdict = json.loads(value)["verdict"]
        _verdicts[verdict] = _verdicts.get(verdict, 0) + 1
        _state["done"] += 1
        counts = "  ".join(f"{v} {n}" for v, n in sorted(_verdicts.items()))
        line = f"{_state['done']}/{_state['total']} checks  {counts}"
        if sys.stderr.isatty():
            sys.stderr.write(f"\r{line}   ")
        elif _state["done"] % 25 == 0 or _state["done"] == _state["total"]:
            sys.stderr.write(line + "\n")  # a log, not a terminal: a line now and then
        sys.stderr.flush()
