"""Target profiles, redaction, and the reports of a run."""

import datetime as dt
import json
from xml.etree import ElementTree

import pytest

from invharness import contracts
from invharness.suites.client import redact
from invharness.suites.profile import ProfileError, load_profile
from invharness.suites.report import clause_matrix, summarize, write_reports


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
    suite = ElementTree.parse(tmp_path / "junit.xml").getroot()
    assert suite.get("tests") == "2" and suite.get("failures") == "1"
    page = (tmp_path / "report.html").read_text()
    assert page.count("<tr data-verdict=") == len(contracts.clauses())
    assert "expected 400, got 200" in page and "&lt;b&gt;boom&lt;/b&gt;" in page, "evidence is escaped"
