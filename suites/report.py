"""Reports of a run: results.json (one record per check, with the run's header; documented by
contracts/reports/results.schema.json), junit.xml, and report.html (suites/report_html.py).

A clause's verdict is the worst of its checks' (fail, error, blocked, skipped, deviation,
unsupported, pass); a clause no check ran for is "untested". The outcome of the run is one of

- CONFORMS: every MUST clause passes, is a declared deviation, or needs a feature declared off;
- DOES NOT CONFORM: a MUST clause fails (or, strict, a SHOULD clause);
- INCOMPLETE: no MUST clause fails, but some MUST clause was not judged (error, blocked, skipped,
  untested -- not selected, or not run because the run stopped early).

Every report says the same outcome. Evidence is redacted before it gets here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.metadata
import json
import platform
import time
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import jsonschema

from invharness import contracts
from invharness.suites.client import redact
from invharness.suites.report_html import render

__all__ = [
    "CONFORMS",
    "DOES_NOT_CONFORM",
    "INCOMPLETE",
    "JOURNAL",
    "JUDGED",
    "RESULTS_SCHEMA",
    "SEVERITY_ORDER",
    "VERDICT_KEY",
    "clause_matrix",
    "outcome_line",
    "profile_digest",
    "python_version",
    "render_reports",
    "results_problems",
    "summarize",
    "write_reports",
]

VERDICT_KEY = "invharness_verdict"
JOURNAL = "records.ndjson"  # beside the reports: one verdict record a line, as checks finish
SEVERITY_ORDER = ("fail", "error", "blocked", "skipped", "deviation", "unsupported", "pass")
JUDGED = frozenset({"pass", "deviation", "unsupported"})  # with "fail": a clause these verdicts have is judged
CONFORMS, DOES_NOT_CONFORM, INCOMPLETE = "CONFORMS", "DOES NOT CONFORM", "INCOMPLETE"
# results.json is documented by this schema (the harness's own output, beside the API's payload schemas)
RESULTS_SCHEMA = contracts.CONTRACTS_DIR / "reports" / "results.schema.json"


def _worst(verdicts: list[str]) -> str:
    return min(verdicts, key=SEVERITY_ORDER.index) if verdicts else "untested"


def checks(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One record per check: its worst phase (a passing call and a failing teardown is a failure)."""
    by_test: dict[str, dict[str, Any]] = {}
    for record in records:
        known = by_test.get(record["test"])
        if known is None or SEVERITY_ORDER.index(record["verdict"]) < SEVERITY_ORDER.index(known["verdict"]):
            by_test[record["test"]] = record
    return list(by_test.values())


def clause_matrix(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every clause of the catalogue with its checks and its verdict."""
    per_check = checks(records)
    rows = []
    for clause in contracts.clauses():
        cited = [r for r in per_check if clause.id in r["clauses"]]
        declared = next((r["declared"][clause.profile] for r in cited if clause.profile in r.get("declared", {})), None)
        rows.append(
            {
                "id": clause.id,
                "group": clause.group,
                "severity": clause.severity,
                "statement": clause.statement,
                "profile": clause.profile,
                # the target's answer to the clause's open question: the statement as it is judged
                "declared": declared,
                "verdict": _worst([r["verdict"] for r in cited]),
                "checks": [{"test": r["test"], "verdict": r["verdict"], "message": r["message"]} for r in cited],
            }
        )
    return rows


def summarize(
    matrix: list[dict[str, Any]],
    strict: bool = False,
    groups: list[str] | None = None,
    stopped: str | None = None,
    selected: list[str] | None = None,
    selection: str | None = None,
) -> dict[str, Any]:
    """The outcome of a run: counts of clause verdicts, the failing clauses, and every MUST clause
    not judged with why. ``groups``: the groups selected (None: all); ``selected``: the clauses the
    run was limited to (``verify --clause`` / ``--last-failed``; None: no such limit), ``selection``
    the options that said so; ``stopped``: why the run ended early, if it did."""
    counts: dict[str, int] = {}
    for row in matrix:
        counts[row["verdict"]] = counts.get(row["verdict"], 0) + 1
    failed_must = [r["id"] for r in matrix if r["verdict"] == "fail" and r["severity"] == "MUST"]
    failed_should = [r["id"] for r in matrix if r["verdict"] == "fail" and r["severity"] == "SHOULD"]
    unjudged = [
        {"id": r["id"], "verdict": r["verdict"], "why": why(r, groups, stopped, selected, selection)}
        for r in matrix
        if r["severity"] == "MUST" and r["verdict"] not in JUDGED | {"fail"}
    ]
    if failed_must or (strict and failed_should):
        outcome = DOES_NOT_CONFORM
    elif unjudged:
        outcome = INCOMPLETE
    else:
        outcome = CONFORMS
    return {
        "outcome": outcome,
        "conforms": outcome == CONFORMS,
        "strict": strict,
        "stopped": stopped,
        "clauses": counts,
        "failed_must": failed_must,
        "failed_should": failed_should,
        "warnings": [] if strict else failed_should,
        "unjudged_must": unjudged,
        "errors": [r["id"] for r in matrix if r["verdict"] == "error"],
    }


def why(
    row: dict[str, Any],
    groups: list[str] | None = None,
    stopped: str | None = None,
    selected: list[str] | None = None,
    selection: str | None = None,
) -> str:
    """Why a clause of ``row``'s verdict (error, blocked, skipped, untested) was not judged."""
    if row["verdict"] == "untested":
        if (groups and row["group"] not in groups) or (selected is not None and row["id"] not in selected):
            return f"not selected ({selection or ' '.join(f'--group {g}' for g in groups or [])})"
        return f"not run: {stopped}" if stopped else "no check of this run cites it"
    message = next((c["message"] for c in row["checks"] if c["verdict"] == row["verdict"]), "")
    return f"{row['verdict']}: {message}"[:400]


def outcome_line(summary: dict[str, Any]) -> str:
    """One sentence with the outcome, the same in every report."""
    if summary["outcome"] == DOES_NOT_CONFORM:
        failing = len(summary["failed_must"]) + (len(summary["failed_should"]) if summary["strict"] else 0)
        kind = "MUST or SHOULD" if summary["strict"] else "MUST"
        return f"{DOES_NOT_CONFORM}: {failing} {kind} clause(s) fail"
    if summary["outcome"] == INCOMPLETE:
        return f"{INCOMPLETE}: no MUST clause fails, but {len(summary['unjudged_must'])} MUST clause(s) were not judged"
    warnings = f" ({len(summary['warnings'])} SHOULD clause(s) fail: warnings)" if summary["warnings"] else ""
    return f"{CONFORMS}: every MUST clause is judged and holds{warnings}"


def profile_digest(path: str | Path | None, secrets: list[str]) -> str | None:
    """``sha256:<hex>`` of the profile file with its secrets redacted: it names the profile a run
    judged by, yet cannot confirm a guess of a secret; None when the run had no profile file."""
    if path is None:
        return None
    text = redact(Path(path).read_text(encoding="utf-8"), secrets)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def results_problems(results: Any) -> list[str]:
    """Why ``results`` is not a results.json of contracts/reports/results.schema.json (empty: it is)."""
    schema = json.loads(RESULTS_SCHEMA.read_text(encoding="utf-8"))
    checker = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    return [f"{e.json_path}: {e.message[:200]}" for e in checker.iter_errors(results)]


def python_version() -> str:
    return f"{platform.python_implementation()} {platform.python_version()}"


def _harness_version() -> str:
    try:
        return importlib.metadata.version("invharness")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def write_reports(directory: Path, records: list[dict[str, Any]], run: dict[str, Any]) -> dict[str, Any]:
    """Write results.json, junit.xml and report.html into ``directory``; answer the results.

    ``run`` holds run_id and started, and optionally target, profile, profile_digest, strict,
    groups, selected and selection (the clauses a run was limited to), stopped and replay details."""
    directory.mkdir(parents=True, exist_ok=True)
    matrix = clause_matrix(records)
    groups, stopped = run.get("groups") or None, run.get("stopped")
    selected, selection = run.get("selected"), run.get("selection")
    summary = summarize(matrix, bool(run.get("strict")), groups, stopped, selected, selection)
    for row in matrix:
        if row["verdict"] not in JUDGED | {"fail"}:
            row["why"] = why(row, groups, stopped, selected, selection)
    finished = time.time()
    header = ("target", "profile", "profile_digest")
    results = {
        "outcome": summary["outcome"],
        "run_id": run["run_id"],
        **{key: run.get(key) for key in header},
        "started": run["started"],
        "started_at": dt.datetime.fromtimestamp(run["started"], dt.UTC).isoformat(timespec="seconds"),
        "finished": finished,
        "duration_s": round(finished - run["started"], 3),
        "harness_version": run.get("harness_version") or _harness_version(),
        "python": run.get("python") or python_version(),
        "run": {"strict": False, "stopped": None, **{k: v for k, v in run.items() if k not in ("started", *header)}},
        "summary": summary,
        "clauses": matrix,
        "checks": checks(records),
    }
    (directory / "results.json").write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
    render_reports(directory, results)
    return results


def render_reports(directory: Path, results: dict[str, Any]) -> None:
    """Write junit.xml and report.html from ``results`` (what results.json holds)."""
    (directory / "junit.xml").write_bytes(_junit(results["checks"], results["summary"]))
    page = render(results, outcome_line(results["summary"]), directory)
    (directory / "report.html").write_text(page, encoding="utf-8")


def _junit(per_check: list[dict[str, Any]], summary: dict[str, Any]) -> bytes:
    outcome_failed = summary["outcome"] == DOES_NOT_CONFORM
    outcome_error = summary["outcome"] == INCOMPLETE
    suite = ET.Element(
        "testsuite",
        name="invharness",
        tests=str(len(per_check) + 1),
        failures=str(sum(c["verdict"] == "fail" for c in per_check) + outcome_failed),
        errors=str(sum(c["verdict"] == "error" for c in per_check) + outcome_error),
        skipped=str(sum(c["verdict"] in ("skipped", "unsupported", "blocked") for c in per_check)),
    )
    properties = ET.SubElement(suite, "properties")
    ET.SubElement(properties, "property", name="outcome", value=summary["outcome"])
    # the outcome as a test case of its own, so a CI dashboard shows what the exit code says
    case = ET.SubElement(suite, "testcase", classname="invharness", name="outcome", time="0")
    line = outcome_line(summary)
    unjudged = "\n".join(f"{u['id']}: {u['why']}" for u in summary["unjudged_must"])
    if outcome_failed:
        ET.SubElement(case, "failure", message=line).text = "\n".join(summary["failed_must"] + summary["failed_should"])
    elif outcome_error:
        ET.SubElement(case, "error", message=line, type="incomplete").text = unjudged
    for check in per_check:
        module, _, name = check["test"].rpartition("::")
        case = ET.SubElement(
            suite,
            "testcase",
            classname=module.replace("/", ".").removesuffix(".py"),
            name=name,
            time=str(check["seconds"]),
        )
        properties = ET.SubElement(case, "properties")
        for clause_id in check["clauses"]:
            ET.SubElement(properties, "property", name="clause", value=clause_id)
        ET.SubElement(properties, "property", name="verdict", value=check["verdict"])
        if check["verdict"] == "fail":
            ET.SubElement(case, "failure", message=check["message"][:300]).text = check["message"]
        elif check["verdict"] == "error":
            ET.SubElement(case, "error", message=check["message"][:300]).text = check["message"]
            if check.get("traceback"):
                ET.SubElement(case, "system-err").text = check["traceback"]
        elif check["verdict"] in ("skipped", "unsupported", "blocked"):
            ET.SubElement(case, "skipped", message=check["message"][:300], type=check["verdict"])
    return ET.tostring(suite, encoding="utf-8", xml_declaration=True)
