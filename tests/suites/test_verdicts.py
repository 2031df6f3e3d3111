"""The plugin's verdicts: blame where it belongs (a failed step blocks, a harness bug is an error)."""

import json
import subprocess
import sys

CHECKS = """
import pytest
from invharness.suites.client import StepFailed, TargetAnswerError, Answer

@pytest.fixture
def feed():
    raise AssertionError("createInventoryFeed answered errors")

@pytest.fixture
def job():
    raise StepFailed("JOB-CREATE-01", "creating a job answered 500")

@pytest.mark.clause("BATCH-READ-01")
def test_blocked(client):
    raise StepFailed("BATCH-CREATE-01", "posting a batch answered 503")

@pytest.mark.clause("BATCH-READ-02")
def test_blocked_again(client):
    raise StepFailed("BATCH-CREATE-01", "posting a batch answered 503")

@pytest.mark.clause("JOB-CREATE-01")
def test_own_step(client):
    raise StepFailed("JOB-CREATE-01", "creating a job answered 500")

@pytest.mark.clause("JOB-READ-01")
def test_harness_bug(client):
    {}["oops"]

@pytest.mark.clause("JOB-READ-02")
def test_missing_field(client):
    Answer(a=1)["jobId"]

@pytest.mark.clause("JOB-READ-03")
def test_assertion(client):
    status = 500
    assert status == 404, "expected 404 for an unknown job, got 500"

@pytest.mark.clause("FEED-CREATE-01")
def test_fixture_fails(feed):
    pass

@pytest.mark.clause("EVT-READ-01")
def test_fixture_step(job):
    pass

@pytest.mark.clause("AUTH-HEADER-01")
def test_secret_in_a_message(client, profile):
    assert profile.client_secret == "x", f"saw {profile.client_secret}"
"""


def test_each_exception_gets_the_verdict_it_deserves(tmp_path):
    (tmp_path / "test_checks.py").write_text(CHECKS)
    (tmp_path / "profile.yaml").write_text("credentials: {client_secret: canary-CS-4711}\n")
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    report = tmp_path / "report"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            str(tmp_path / "test_checks.py"),
            "-c",
            str(tmp_path / "pytest.ini"),
            "-p",
            "invharness.suites.plugin",
            "-p",
            "no:cacheprovider",
            "--target-url",
            "http://127.0.0.1:9",
            "--profile",
            str(tmp_path / "profile.yaml"),
            "--report-dir",
            str(report),
            "--run-id",
            "ihverd",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    results = json.loads((report / "results.json").read_text())
    checks = {c["test"].rpartition("::")[2]: c for c in results["checks"]}
    assert checks["test_blocked"]["verdict"] == "blocked"
    assert checks["test_blocked"]["message"] == "blocked by BATCH-CREATE-01: posting a batch answered 503"
    step = checks["BATCH-CREATE-01"]  # step::BATCH-CREATE-01
    assert step["verdict"] == "fail" and step["clauses"] == ["BATCH-CREATE-01"]
    assert sum(c["test"].startswith("step::BATCH-CREATE-01") for c in results["checks"]) == 1, "recorded once"
    assert checks["test_own_step"]["verdict"] == "fail", "a step the check judges is its own fail"
    assert checks["test_harness_bug"]["verdict"] == "error"
    assert (
        "KeyError" in checks["test_harness_bug"]["traceback"]
        and '{}["oops"]' in checks["test_harness_bug"]["traceback"]
    )
    assert checks["test_missing_field"]["verdict"] == "fail"
    assert "no field 'jobId'" in checks["test_missing_field"]["message"]
    assert checks["test_assertion"]["verdict"] == "fail"
    assert "expected 404 for an unknown job, got 500" in checks["test_assertion"]["message"]
    fixture = checks["test_fixture_fails"]
    assert fixture["verdict"] == "fail" and fixture["message"].startswith("setting up FEED-CREATE-01 (fixture feed): ")
    blocked = checks["test_fixture_step"]
    assert blocked["verdict"] == "blocked"
    assert (
        blocked["message"]
        == "blocked by JOB-CREATE-01: setting up EVT-READ-01 (fixture job): creating a job answered 500"
    )
    clauses = {c["id"]: c["verdict"] for c in results["clauses"]}
    assert clauses["BATCH-CREATE-01"] == "fail" and clauses["BATCH-READ-01"] == "blocked"
    assert results["outcome"] == "DOES NOT CONFORM"
    assert all(c["ref_digest"] and isinstance(c["seed"], int) for c in results["checks"])
    written = run.stdout + run.stderr + "".join(p.read_text() for p in report.iterdir())
    assert "canary-CS-4711" not in written
