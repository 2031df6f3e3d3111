"""Reports of a run: results.json (one record per check), junit.xml, and a self-contained
report.html with the clause matrix (clause -> checks -> verdict -> evidence).

A clause's verdict is the worst of its checks' (fail, error, skipped, deviation, unsupported,
pass); a clause no check cites is "untested". Evidence is redacted before it gets here.
"""

from __future__ import annotations

import html
import json
import time
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from invharness import contracts

__all__ = ["SEVERITY_ORDER", "VERDICT_KEY", "clause_matrix", "summarize", "write_reports"]

VERDICT_KEY = "invharness_verdict"
SEVERITY_ORDER = ("fail", "error", "skipped", "deviation", "unsupported", "pass")
_COLOURS = {
    "pass": "#1a7f37",
    "fail": "#cf222e",
    "error": "#9a6700",
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
        rows.append(
            {
                "id": clause.id,
                "group": clause.group,
                "severity": clause.severity,
                "statement": clause.statement,
                "profile": clause.profile,
                "verdict": _worst([r["verdict"] for r in cited]),
                "checks": [{"test": r["test"], "verdict": r["verdict"], "message": r["message"]} for r in cited],
            }
        )
    return rows


def summarize(matrix: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts of clause verdicts, and whether the target conforms (no MUST clause failed)."""
    counts: dict[str, int] = {}
    for row in matrix:
        counts[row["verdict"]] = counts.get(row["verdict"], 0) + 1
    failed_must = [r["id"] for r in matrix if r["verdict"] == "fail" and r["severity"] == "MUST"]
    failed_should = [r["id"] for r in matrix if r["verdict"] == "fail" and r["severity"] == "SHOULD"]
    errors = [r["id"] for r in matrix if r["verdict"] == "error"]
    return {
        "clauses": counts,
        "conforms": not failed_must,
        "failed_must": failed_must,
        "failed_should": failed_should,
        "errors": errors,
    }


def write_reports(directory: Path, records: list[dict[str, Any]], run: dict[str, Any]) -> dict[str, Any]:
    """Write results.json, junit.xml and report.html into ``directory``; answer the results."""
    directory.mkdir(parents=True, exist_ok=True)
    matrix = clause_matrix(records)
    results = {
        "run_id": run["run_id"],
        "started": run["started"],
        "finished": time.time(),
        "summary": summarize(matrix),
        "clauses": matrix,
        "checks": checks(records),
    }
    (directory / "results.json").write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
    (directory / "junit.xml").write_bytes(_junit(results["checks"]))
    (directory / "report.html").write_text(_html(results), encoding="utf-8")
    return results


def _junit(per_check: list[dict[str, Any]]) -> bytes:
    suite = ET.Element(
        "testsuite",
        name="invharness",
        tests=str(len(per_check)),
        failures=str(sum(c["verdict"] == "fail" for c in per_check)),
        errors=str(sum(c["verdict"] == "error" for c in per_check)),
        skipped=str(sum(c["verdict"] in ("skipped", "unsupported") for c in per_check)),
    )
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
        elif check["verdict"] in ("skipped", "unsupported"):
            ET.SubElement(case, "skipped", message=check["message"][:300])
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
            details.append(
                f"<li>{_badge(check['verdict'])} <code>{html.escape(check['test'])}</code> "
                f"{html.escape(check['message'])}{exchanges}</li>"
            )
        rows.append(
            f'<tr data-verdict="{clause["verdict"]}"><td><code>{clause["id"]}</code></td><td>{clause["severity"]}</td>'
            f"<td>{html.escape(clause['group'])}</td><td>{html.escape(clause['statement'])}"
            f"{' <em>(profile ' + html.escape(clause['profile']) + ')</em>' if clause['profile'] else ''}</td>"
            f"<td>{_badge(clause['verdict'])}</td><td><details><summary>{len(clause['checks'])} check(s)</summary>"
            f"<ul>{''.join(details)}</ul></details></td></tr>"
        )
    counts = " ".join(f"{_badge(v)} {n}" for v, n in sorted(summary["clauses"].items()))
    verdict = (
        "conforms" if summary["conforms"] else f"does not conform ({len(summary['failed_must'])} MUST clause(s) fail)"
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>invharness report {html.escape(results["run_id"])}</title>
<style>
body {{ font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #1f2328; }}
table {{ border-collapse: collapse; width: 100%; }} td, th {{ border-bottom: 1px solid #d0d7de; padding: 4px 8px;
vertical-align: top; text-align: left; }} .v {{ color: #fff; border-radius: 4px; padding: 1px 6px; font-size: 12px; }}
pre {{ background: #f6f8fa; padding: 6px; white-space: pre-wrap; font-size: 12px; }}
</style></head><body>
<h1>invharness conformance report</h1>
<p id="verdict">The target <strong>{verdict}</strong>. Run <code>{html.escape(results["run_id"])}</code>,
{len(results["checks"])} checks over {len(results["clauses"])} clauses: {counts}</p>
<table id="matrix"><thead><tr><th>clause</th><th>severity</th><th>group</th><th>statement</th><th>verdict</th>
<th>checks and evidence</th></tr></thead><tbody>
{"".join(rows)}
</tbody></table></body></html>
"""
