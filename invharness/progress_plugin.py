"""A pytest plugin for `invharness verify`: one live line on stderr, checks done and verdicts so far."""

from __future__ import annotations

import json
import os
import sys

import pytest

from invharness.suites.report import VERDICT_KEY

__all__: list[str] = []

_state = {"total": 0, "done": 0}
_verdicts: dict[str, int] = {}


def _tty() -> bool:
    # verify relays our stderr through a pipe (to redact it) and says whether its own is a terminal
    return os.environ.get("INVHARNESS_TTY", "1" if sys.stderr.isatty() else "0") == "1"


def pytest_collection_finish(session: pytest.Session) -> None:
    _state["total"] = len(session.items)
    sys.stderr.write(f"{_state['total']} checks collected\n")


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    for key, value in report.user_properties:
        if key != VERDICT_KEY or not (report.when == "call" or (report.when == "setup" and not report.passed)):
            continue
        record = json.loads(value)
        if record["phase"] == "step":
            continue  # the fail of a step's clause, recorded beside the check it blocked
        _verdicts[record["verdict"]] = _verdicts.get(record["verdict"], 0) + 1
        _state["done"] += 1
        counts = "  ".join(f"{v} {n}" for v, n in sorted(_verdicts.items()))
        line = f"{_state['done']}/{_state['total']} checks  {counts}"
        if _tty():
            sys.stderr.write(f"\r{line}   ")
        elif _state["done"] % 25 == 0 or _state["done"] == _state["total"]:
            sys.stderr.write(line + "\n")  # a log, not a terminal: a line now and then
        sys.stderr.flush()
