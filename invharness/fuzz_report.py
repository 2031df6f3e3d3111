"""What `invharness fuzz` found, as a developer acts on it: one finding per cause, each with the check
that failed, a copy-paste reproduction (curl, the token as ``$TOKEN``) and the seed; results.json and
junit.xml and report.html (re-rendered from results.json by `invharness report`)."""

from __future__ import annotations

import json
import re
import shlex
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from invharness.suites.client import redact

__all__ = [
    "Finding",
    "Run",
    "curl_with_token",
    "deduplicated",
    "is_fuzz_results",
    "render_reports",
    "token_command",
    "write_reports",
]


@dataclass(slots=True, frozen=True)
class Finding:
    """One cause of failure: where (``operation``), which check or rule, what was wrong, how to see it again."""

    source: str  # rest, graphql, stateful or generators
    operation: str
    check: str  # the schemathesis check, or ``rule:<name>`` for a labelled-invalid payload
    title: str
    message: str
    reproduction: str
    status: int | None = None

    @property
    def cause(self) -> tuple[str, str, str, int | None]:
        """What makes two findings the same failure: the operation, the check, its title and the status."""
        return (self.operation, self.check, self.title, self.status)


@dataclass(slots=True, frozen=True)
class Run:
    """What a fuzz run was and did (results.json's ``run``)."""

    run_id: str
    seed: int
    target: str
    replay: str
    token_command: str
    cases: dict[str, int]
    seconds: float
    excluded: tuple[str, ...]
    errors: tuple[str, ...]
    digests: dict[str, str]  # by "source phase": a hash of the requests sent (fuzz_transcript); the same seed, the same

    @property
    def cases_per_s(self) -> float:
        return sum(self.cases.values()) / self.seconds if self.seconds > 0 else 0.0


_FILTERED_AUTH = re.compile(r"""-H\s+(['"])Authorization: \[Filtered\]\1""")


def curl_with_token(curl: str, secrets: list[str]) -> str:
    """schemathesis's curl with the filtered Authorization header as ``Bearer $TOKEN`` (double quotes, so
    the shell expands it) and every secret redacted."""
    return redact(_FILTERED_AUTH.sub('-H "Authorization: Bearer $TOKEN"', curl), secrets)


def token_command(url: str, client_id: str, username: str) -> str:
    """The line that sets ``$TOKEN`` for the reproductions (the secrets come from the environment)."""
    form = " ".join(
        f"--data-urlencode {shlex.quote(part)}"
        for part in (
            "grant_type=password",
            "scope=api",
            f"client_id={client_id}",
            f"username={username}",
        )
    )
    return (
        f'export TOKEN=$(curl -s -X POST {form} --data-urlencode "client_secret=$CLIENT_SECRET" '
        f'--data-urlencode "password=$PASSWORD" {shlex.quote(url + "/oauth/token")} '
        "| python3 -c 'import json,sys; print(json.load(sys.stdin)[\"access_token\"])')"
    )


def deduplicated(findings: list[Finding]) -> list[Finding]:
    """The first finding of each cause, in the order found."""
    seen: dict[tuple[str, str, str, int | None], Finding] = {}
    for finding in findings:
        seen.setdefault(finding.cause, finding)
    return list(seen.values())


def write_reports(directory: Path, run: Run, findings: list[Finding], operations: list[str]) -> dict[str, Any]:
    """results.json and junit.xml in ``directory``; answers the results."""
    results = {
        "run": {**asdict(run), "cases_per_s": round(run.cases_per_s, 1)},
        "outcome": "failures" if findings else ("errors" if run.errors else "clean"),
        "findings": [asdict(f) for f in findings],
        "operations": operations,
    }
    (directory / "results.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    render_reports(directory, results)
    return results


def is_fuzz_results(results: Any) -> bool:
    """Whether a results.json is a fuzz run's (verify's has clauses and a summary instead)."""
    return isinstance(results, dict) and isinstance(results.get("run"), dict) and "findings" in results


def render_reports(directory: Path, results: dict[str, Any]) -> None:
    """junit.xml and report.html from a fuzz run's results.json (as written, or read back)."""
    from invharness.suites.report_html import render_fuzz

    known = {f.name for f in fields(Run)}
    stored = results["run"]
    tuples = {name: tuple(stored.get(name) or ()) for name in ("excluded", "errors")}
    run = Run(**{**{k: v for k, v in stored.items() if k in known}, **tuples})
    findings = [Finding(**f) for f in results["findings"]]
    _junit(directory / "junit.xml", run, findings, results["operations"])
    (directory / "report.html").write_text(render_fuzz(results), encoding="utf-8")


def _junit(path: Path, run: Run, findings: list[Finding], operations: list[str]) -> None:
    """One test case per operation (and generator rule) fuzzed; a failure element per finding."""
    by_operation: dict[str, list[Finding]] = {}
    for finding in findings:
        by_operation.setdefault(finding.operation, []).append(finding)
    names = list(dict.fromkeys([*operations, *by_operation]))
    suite = ET.Element(
        "testsuite",
        name="invharness fuzz",
        tests=str(len(names)),
        failures=str(sum(1 for n in names if n in by_operation)),
        errors=str(len(run.errors)),
        time=f"{run.seconds:.1f}",
    )
    ET.SubElement(ET.SubElement(suite, "properties"), "property", name="seed", value=str(run.seed))
    for name in names:
        case = ET.SubElement(suite, "testcase", classname="fuzz", name=name)
        for finding in by_operation.get(name, []):
            failure = ET.SubElement(case, "failure", type=finding.check, message=finding.title)
            failure.text = f"{finding.message}\n\nReproduce:\n{finding.reproduction}\n\nseed: {run.seed}"
    for error in run.errors:
        ET.SubElement(ET.SubElement(suite, "testcase", classname="fuzz", name="harness"), "error", message=error[:200])
    root = ET.Element("testsuites")
    root.append(suite)
    ET.indent(root)
    path.write_text(ET.tostring(root, encoding="unicode") + "\n", encoding="utf-8")
