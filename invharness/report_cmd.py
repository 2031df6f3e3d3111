"""`invharness report DIR`: render DIR/report.html and DIR/junit.xml again from DIR/results.json
(after an upgrade of the harness, or from a results.json copied off a CI machine), of a verify run or
of a fuzz run.

A verify run's results.json is checked against contracts/reports/results.schema.json first; it is not changed.

Exit codes:
  0  the reports were written
  2  DIR holds no results.json, or one this harness cannot read
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from invharness.fuzz_report import is_fuzz_results
from invharness.fuzz_report import render_reports as render_reports_of_fuzz
from invharness.suites.report import outcome_line, render_reports, results_problems

__all__ = ["EPILOG", "add_arguments", "run"]

EPILOG = """examples:
  invharness report invharness-report     re-render the reports of the last `invharness verify`
  invharness report ci-artifacts/run-17   the reports of a run downloaded from CI
  invharness report invharness-fuzz       the reports of the last `invharness fuzz`
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("directory", type=Path, metavar="DIR", help="a --report-dir holding results.json")


def run(args: argparse.Namespace) -> int:
    path = args.directory / "results.json"
    try:
        results = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return _usage(f"there is no {path}: give the --report-dir of a run (invharness verify and fuzz write one)")
    except (OSError, ValueError) as exc:
        return _usage(f"cannot read {path}: {exc}")
    if is_fuzz_results(results):
        return _fuzz(args.directory, path, results)
    problems = results_problems(results)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        return _usage(f"{path} is not a results.json this harness writes: {problems[0]}{more}")
    render_reports(args.directory, results)
    print(outcome_line(results["summary"]))
    print(f"wrote {args.directory / 'report.html'} and {args.directory / 'junit.xml'} from {path}")
    return 0


def _fuzz(directory: Path, path: Path, results: dict[str, Any]) -> int:
    try:
        render_reports_of_fuzz(directory, results)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        return _usage(f"{path} is not a fuzz results.json this harness writes: {exc!r}")
    print(f"fuzz run {results['run'].get('run_id')}: {len(results['findings'])} failure(s)")
    print(f"wrote {directory / 'report.html'} and {directory / 'junit.xml'} from {path}")
    return 0


def _usage(message: str) -> int:
    print(f"invharness report: {message}", file=sys.stderr)
    return 2
