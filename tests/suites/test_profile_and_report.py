"""Target profiles, redaction, and the reports of a run."""

import datetime as dt
import json
from xml.etree import ElementTree

import pytest

from invharness import contracts
from invharness.suites.client import redact
from invharness.suites.profile import ProfileError, load_profile
from invharness.suites.report import SEVERITY_ORDER, clause_matrix, summarize, write_reports


def test_no_profile_is_the_reference_profile():
    profile = load_profile(None)
    assert profile.value("job.lifetime") == "midnight_utc"
    assert profile.supports("feeds") and not profile.supports("clock_control")
    assert "demo-secret" not in repr(profile) and "admin'" not in repr(profile).replace("username='admin'", "")


def test_a_profile_file_declares_behaviour_features_and_deviations(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("""
credentials: {client_id: C, client_secret: S3CRET, username: u, password: pw}
retailers: {primary: 5, secondary: 6}
declared: {job.lifetime: 24h, bpp.dedup_winner: first}
features: {feeds: false}
deviations:
  - {clause: BPP-PREC-12, reason: SKIP opts out here, expires: 2099-01-31}
  - {clause: AUTH-HEADER-01, reason: old, expires: 2000-01-01}
""")
    profile = load_profile(path)
    assert (profile.primary_retailer, profile.value("job.lifetime"), profile.value("bpp.default")) == (5, "24h", "on")
    assert not profile.supports("feeds") and profile.other_username is None
    assert profile.deviation("BPP-PREC-12").active(dt.date(2026, 11, 23))
    assert not profile.deviation("AUTH-HEADER-01").active(dt.date(2026, 11, 23))
    assert set(profile.secrets()) >= {"S3CRET", "pw"}


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("colour: blue\n", "colour"),
        ("declared: {no.such.key: 1}\n", "no.such.key"),
        ("features: {teleport: true}\n", "teleport"),
        ("declared: {job.lifetime: 48h}\n", "48h.* is not allowed"),
        ("deviations: [{clause: NOPE-01, reason: x, expires: 2030-01-01}]\n", "NOPE-01"),
        ("deviations: [{clause: AUTH-TOKEN-01, reason: x, expires: soon}]\n", "YYYY-MM-DD"),
        ("timeouts: {batch_s: -1}\n", "batch_s"),
        ("retailers: [1, 2]\n", "retailers"),
    ],
)
def test_a_bad_profile_is_refused_with_the_reason(tmp_path, text, says):
    path = tmp_path / "p.yaml"
    path.write_text(text)
    with pytest.raises(ProfileError, match=says):
        load_profile(path)


def test_redact_hides_secrets_and_bearer_tokens():
    text = "POST /oauth/token password=hunter2 Authorization: Bearer abc.def-123 client_secret=xyz"
    assert redact(text, ["hunter2", "xyz"]) == (
        "POST /oauth/token password=*** Authorization: Bearer *** client_secret=***"
    )


def _record(test, clauses, verdict, when="call", message=""):
    return {
        "test": test,
        "clauses": clauses,
        "verdict": verdict,
        "message": message,
        "phase": when,
        "seconds": 0.1,
        "exchanges": [
            {"method": "GET", "url": "/x", "status": 500, "request": "", "response": "<b>boom</b>", "ms": 1.0}
        ]
        if verdict != "pass"
        else [],
    }


def test_matrix_takes_the_worst_verdict_and_lists_untested_clauses():
    records = [
        _record("a::t1", ["AUTH-TOKEN-01"], "pass"),
        _record("a::t2", ["AUTH-TOKEN-01", "AUTH-TOKEN-02"], "fail"),
        _record("a::t3", ["BPP-PREC-12"], "deviation"),
        _record("a::t4", ["AUTH-HEADER-01"], "fail"),
        _record("a::t5", ["AUTH-TOKEN-03"], "pass"),
        _record("a::t5", ["AUTH-TOKEN-03"], "error", "teardown"),
    ]
    matrix = {row["id"]: row for row in clause_matrix(records)}
    assert matrix["AUTH-TOKEN-01"]["verdict"] == "fail" and matrix["AUTH-TOKEN-02"]["verdict"] == "fail"
    assert matrix["BPP-PREC-12"]["verdict"] == "deviation"
    assert matrix["AUTH-TOKEN-03"]["verdict"] == "error", "a failing teardown is not hidden by a passing call"
    assert matrix["JOB-CREATE-01"]["verdict"] == "untested"
    summary = summarize(list(matrix.values()))
    assert summary["conforms"] is False and summary["failed_must"] == ["AUTH-TOKEN-01", "AUTH-TOKEN-02"]
    assert summary["failed_should"] == ["AUTH-HEADER-01"]


def test_reports_are_written_and_consistent(tmp_path):
    records = [
        _record("suites/test_auth.py::test_a", ["AUTH-TOKEN-01"], "pass"),
        _record("suites/test_auth.py::test_b", ["AUTH-TOKEN-02"], "fail", message="expected 400, got 200"),
    ]
    results = write_reports(tmp_path, records, {"run_id": "ihtest", "started": 0})
    assert json.loads((tmp_path / "results.json").read_text())["summary"] == results["summary"]
    assert results["outcome"] == "DOES NOT CONFORM"
    suite = ElementTree.parse(tmp_path / "junit.xml").getroot()
    # the two checks, and the outcome as a test case of its own
    assert suite.get("tests") == "3" and suite.get("failures") == "2"
    assert suite.find("properties/property[@name='outcome']").get("value") == "DOES NOT CONFORM"
    assert suite.find("testcase[@name='outcome']/failure").get("message") == "DOES NOT CONFORM: 1 MUST clause(s) fail"
    page = (tmp_path / "report.html").read_text()
    assert page.count('<article class="clause"') == len(contracts.clauses())
    assert "expected 400, got 200" in page and "&lt;b&gt;boom&lt;/b&gt;" in page, "evidence is escaped"


def _every_must(verdict="pass"):
    """A record per MUST clause with ``verdict``, SHOULD clauses untested."""
    return [_record(f"a::{c.id}", [c.id], verdict) for c in contracts.clauses() if c.severity == "MUST"]


def test_the_outcome_is_conforms_only_when_every_must_clause_is_judged():
    summary = summarize(clause_matrix(_every_must()))
    assert summary["outcome"] == "CONFORMS" and summary["unjudged_must"] == []
    # a deviation, or a feature declared off, is judged too
    records = [
        *_every_must(),
        _record("a::dev", ["BPP-PREC-12"], "deviation"),
        _record("a::u", ["FEED-RUN-01"], "unsupported"),
    ]
    assert summarize(clause_matrix(records))["outcome"] == "CONFORMS"


@pytest.mark.parametrize("verdict", ["error", "blocked", "skipped"])
def test_an_unjudged_must_clause_makes_the_run_incomplete_with_why(verdict):
    records = [*_every_must(), _record("a::x", ["JOB-READ-01"], verdict, message="the reason")]
    summary = summarize(clause_matrix(records))
    assert summary["outcome"] == "INCOMPLETE" and summary["conforms"] is False
    assert summary["unjudged_must"] == [{"id": "JOB-READ-01", "verdict": verdict, "why": f"{verdict}: the reason"}]


def test_a_clause_not_selected_or_not_run_is_unjudged_and_says_why():
    records = [r for r in _every_must() if not r["clauses"][0].startswith(("JOB-", "AUTH-"))]
    groups = [g for g in contracts.catalogue().groups if g != "jobs"]
    summary = summarize(clause_matrix(records), groups=groups, stopped="target X unreachable")
    why = {u["id"]: u["why"] for u in summary["unjudged_must"]}
    assert why["JOB-READ-01"].startswith("not selected (--group auth")
    assert why["AUTH-TOKEN-01"] == "not run: target X unreachable"
    assert summary["outcome"] == "INCOMPLETE"


def test_a_must_fail_outweighs_unjudged_clauses_and_should_fails_are_warnings_unless_strict():
    with_should_fail = [*_every_must(), _record("a::h", ["AUTH-HEADER-01"], "fail")]
    summary = summarize(clause_matrix(with_should_fail))
    assert summary["outcome"] == "CONFORMS" and summary["warnings"] == ["AUTH-HEADER-01"]
    strict = summarize(clause_matrix(with_should_fail), strict=True)
    assert strict["outcome"] == "DOES NOT CONFORM" and strict["warnings"] == []
    incomplete_and_failing = [_record("a::f", ["JOB-READ-01"], "fail")]
    assert summarize(clause_matrix(incomplete_and_failing))["outcome"] == "DOES NOT CONFORM"


def test_blocked_ranks_with_the_verdicts_that_leave_a_clause_unjudged():
    assert SEVERITY_ORDER.index("fail") < SEVERITY_ORDER.index("blocked") < SEVERITY_ORDER.index("pass")
    records = [_record("a::1", ["JOB-READ-01"], "pass"), _record("a::2", ["JOB-READ-01"], "blocked")]
    assert {r["id"]: r for r in clause_matrix(records)}["JOB-READ-01"]["verdict"] == "blocked"


def test_the_declared_value_of_a_clause_is_shown_with_its_statement(tmp_path):
    record = {
        **_record("a::d", ["BPP-DEDUP-01"], "fail", message="expected 5, got 7"),
        "declared": {"bpp.dedup_winner": "first"},
    }
    results = write_reports(tmp_path, [record], {"run_id": "ihtest", "started": 0})
    row = next(c for c in results["clauses"] if c["id"] == "BPP-DEDUP-01")
    assert row["declared"] == "first"
    assert "(profile bpp.dedup_winner = first)" in (tmp_path / "report.html").read_text()
