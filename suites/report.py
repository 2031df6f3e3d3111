"""Reports of a run: results.json (one record per check), junit.xml, and a self-contained
report.html with the clause matrix (clause -> checks -> verdict -> evidence).

A clause's verdict is the worst of its checks' (fail, error, blocked, skipped, deviation,
unsupported, pass); a clause no check ran for is "untested". The outcome of the run is one of

- CONFORMS: every MUST clause passes, is a declared deviation, or needs a feature declared off;
- DOES NOT CONFORM: a MUST clause fails (or, strict, a SHOULD clause);
- INCOMPLETE: no MUST clause fails, but some MUST clause was not judged (error, blocked, skipped,
  untested -- not selected, or not run because the run stopped early).

Every report says the same outcome. Evidence is redacted before it gets here.
"""

from __future__ import annotations

import html
import json
import time
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from invharness import contracts

__all__ = [
    "CONFORMS",
    "DOES_NOT_CONFORM",
    "INCOMPLETE",
    "JOURNAL",
    "JUDGED",
    "SEVERITY_ORDER",
    "VERDICT_KEY",
    "clause_matrix",
    "summarize",
    "write_reports",
]

VERDICT_KEY = "invharness_verdict"
JOURNAL = "records.ndjson"  # beside the reports: one verdict record a line, as checks finish
SEVERITY_ORDER = ("fail", "error", "blocked", "skipped", "deviation", "unsupported", "pass")
JUDGED = frozenset({"pass", "deviation", "unsupported"})  # with "fail": a clause these verdicts have is judged
CONFORMS, DOES_NOT_CONFORM, INCOMPLETE = "CONFORMS", "DOES NOT CONFORM", "INCOMPLETE"
_COLOURS = {
    "pass": "#1a7f37",
    "fail": "#cf222e",
    "error": "#9a6700",
    "blocked": "#bc4c00",
    "skipped": "#6e7781",
    "deviation": "#8250df",
    "unsupported": "#57606a",
    "untested": "#bc4c00",
}


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
    matrix: list[dict[str, Any]], strict: bool = False, groups: list[str] | None = None, stopped: str | None = None
) -> dict[str, Any]:
    """The outcome of a run: counts of clause verdicts, the failing clauses, and every MUST clause
    not judged with why. ``groups``: the groups selected (None: all); ``stopped``: why the run
    ended early, if it did."""
    counts: dict[str, int] = {}
    for row in matrix:
        counts[row["verdict"]] = counts.get(row["verdict"], 0) + 1
    failed_must = [r["id"] for r in matrix if r["verdict"] == "fail" and r["severity"] == "MUST"]
    failed_should = [r["id"] for r in matrix if r["verdict"] == "fail" and r["severity"] == "SHOULD"]
    unjudged = [
        {"id": r["id"], "verdict": r["verdict"], "why": _why(r, groups, stopped)}
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


def _why(row: dict[str, Any], groups: list[str] | None, stopped: str | None) -> str:
    if row["verdict"] == "untested":
        if groups and row["group"] not in groups:
            return f"not selected (--group {' --group '.join(groups)})"
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


def write_reports(directory: Path, records: list[dict[str, Any]], run: dict[str, Any]) -> dict[str, Any]:
    """Write results.json, junit.xml and report.html into ``directory``; answer the results.

    ``run`` holds run_id and started, and optionally strict, groups, stopped and replay details."""
    directory.mkdir(parents=True, exist_ok=True)
    matrix = clause_matrix(records)
    summary = summarize(matrix, bool(run.get("strict")), run.get("groups") or None, run.get("stopped"))
    results = {
        "outcome": summary["outcome"],
        "run_id": run["run_id"],
        "started": run["started"],
        "finished": time.time(),
        "run": {k: v for k, v in run.items() if k not in ("started",)},
        "summary": summary,
        "clauses": matrix,
        "checks": checks(records),
    }
    (directory / "results.json").write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
    (directory / "junit.xml").write_bytes(_junit(results["checks"], summary))
    (directory / "report.html").write_text(_html(results), encoding="utf-8")
    return results


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


def _badge(verdict: str) -> str:
    return f'<span class="v" style="background:{_COLOURS.get(verdict, "#6e7781")}">{html.escape(verdict)}</span>'


def _html(results: dict[str, Any]) -> str:
    summary = results["summary"]
    by_test = {c["test"]: c for c in results["checks"]}
    rows = []
    for clause in results["clauses"]:
        details = []
        for check in clause["checks"]:
            evidence = by_test.get(check["test"], {}).get("exchanges", [])
            exchanges = "".join(
                f"<pre>{html.escape(e['method'])} {html.escape(e['url'])} -> {e['status']} ({e['ms']} ms)\n"
                f"{html.escape(e['request'])}\n{html.escape(e['response'])}</pre>"
                for e in evidence
            )
            trace = by_test.get(check["test"], {}).get("traceback")
            trace_html = f"<pre>{html.escape(trace)}</pre>" if trace else ""
            details.append(
                f"<li>{_badge(check['verdict'])} <code>{html.escape(check['test'])}</code> "
                f"{html.escape(check['message'])}{exchanges}{trace_html}</li>"
            )
        rows.append(
            f'<tr data-verdict="{clause["verdict"]}"><td><code>{clause["id"]}</code></td><td>{clause["severity"]}</td>'
            f"<td>{html.escape(clause['group'])}</td><td>{html.escape(clause['statement'])}"
            f"{_declared(clause)}</td>"
            f"<td>{_badge(clause['verdict'])}</td><td><details><summary>{len(clause['checks'])} check(s)</summary>"
            f"<ul>{''.join(details)}</ul></details></td></tr>"
        )
    counts = " ".join(f"{_badge(v)} {n}" for v, n in sorted(summary["clauses"].items()))
    verdict = html.escape(outcome_line(summary))
    unjudged = "".join(
        f"<li><code>{u['id']}</code> {_badge(u['verdict'])} {html.escape(u['why'])}</li>"
        for u in summary["unjudged_must"]
    )
    unjudged_html = f'<h2>MUST clauses not judged</h2><ul id="unjudged">{unjudged}</ul>' if unjudged else ""
    warnings = "".join(f"<li><code>{w}</code></li>" for w in summary["warnings"])
    warnings_html = f'<h2>Warnings: SHOULD clauses that fail</h2><ul id="warnings">{warnings}</ul>' if warnings else ""
    stopped = f"<p>The run stopped early: {html.escape(summary['stopped'])}</p>" if summary.get("stopped") else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>invharness report {html.escape(results["run_id"])}</title>
<style>
body {{ font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #1f2328; }}
table {{ border-collapse: collapse; width: 100%; }} td, th {{ border-bottom: 1px solid #d0d7de; padding: 4px 8px;
vertical-align: top; text-align: left; }} .v {{ color: #fff; border-radius: 4px; padding: 1px 6px; font-size: 12px; }}
pre {{ background: #f6f8fa; padding: 6px; white-space: pre-wrap; font-size: 12px; }}
</style></head><body>
<h1>invharness conformance report</h1>
<p id="verdict" data-outcome="{summary["outcome"]}"><strong>{verdict}</strong>.
Run <code>{html.escape(results["run_id"])}</code>,
{len(results["checks"])} checks over {len(results["clauses"])} clauses: {counts}</p>
{stopped}{unjudged_html}{warnings_html}
<table id="matrix"><thead><tr><th>clause</th><th>severity</th><th>group</th><th>statement</th><th>verdict</th>
<th>checks and evidence</th></tr></thead><tbody>
{"".join(rows)}
</tbody></table></body></html>
"""


def _declared(clause: dict[str, Any]) -> str:
    if not clause["profile"]:
        return ""
    value = "" if clause.get("declared") is None else f" = {clause['declared']}"
    return f" <em>(profile {html.escape(clause['profile'] + value)})</em>"
