"""The pytest11 entry points: `pytest --pyargs invharness.suites` judges like `invharness verify`,
and the plugin leaves every other pytest session alone."""

import json
import subprocess
import sys

import yaml

from invharness.cli import main
from invharness.embedded import embedded_target


def _pytest(cwd, *args, timeout=300):
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _verdicts(report):
    results = json.loads((report / "results.json").read_text())
    checks = {c["test"]: c["verdict"] for c in results["checks"]}
    clauses = {c["id"]: c["verdict"] for c in results["clauses"] if c["verdict"] != "untested"}
    return results, checks, clauses


def test_pytest_pyargs_judges_a_group_as_verify_does(tmp_path):
    with embedded_target() as (url, overrides):
        profile = tmp_path / "profile.yaml"
        profile.write_text(yaml.safe_dump({**overrides, "credentials": {"client_secret": "demo-secret"}}))
        run = _pytest(
            tmp_path,
            "--pyargs",
            "invharness.suites",
            "-k",
            "test_auth",
            "--target-url",
            url,
            "--profile",
            str(profile),
            "--report-dir",
            str(tmp_path / "by-pytest"),
        )
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
        assert main(["verify", "--target-url", url, "--profile", str(profile), "--group", "auth",
                     "--report-dir", str(tmp_path / "by-verify")]) == 4
    by_pytest, checks, clauses = _verdicts(tmp_path / "by-pytest")
    by_verify, verify_checks, verify_clauses = _verdicts(tmp_path / "by-verify")
    assert checks and checks == verify_checks and clauses == verify_clauses
    assert by_pytest["outcome"] == by_verify["outcome"] == "INCOMPLETE"
    for key in ("target", "profile_digest", "harness_version", "python"):
        assert by_pytest[key] == by_verify[key], key
    why = {u["id"]: u["why"] for u in by_pytest["summary"]["unjudged_must"]}
    assert why["JOB-CREATE-01"] == "not selected (pytest's -k / -m / paths)"
    assert "INCOMPLETE: no MUST clause fails" in run.stdout, "the outcome is said at the end"
    assert "demo-secret" not in run.stdout + (tmp_path / "by-pytest" / "report.html").read_text()


def test_without_a_target_the_embedded_reference_is_judged_or_the_user_told(tmp_path):
    run = _pytest(tmp_path, "--pyargs", "invharness.suites", "-k", "test_password_grant", "--report-dir", "rep")
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    results = json.loads((tmp_path / "rep" / "results.json").read_text())
    assert results["run"]["embedded"] is True and results["target"].startswith("http://127.0.0.1:")
    assert [c["verdict"] for c in results["checks"]] == ["pass"]
    refused = _pytest(tmp_path, "--pyargs", "invharness.suites", "-k", "test_password_grant",
                      "-p", "no:invharness.pytest_embedded")
    assert refused.returncode == 4 and "no target to judge: pass --target-url URL" in refused.stderr


OTHER_PROJECT = """
import pytest

@pytest.mark.requires("feeds")  # this project's own markers, meaning something else
@pytest.mark.clock
def test_theirs_first():
    pass

def test_theirs_fails():
    assert 1 == 2
"""


def test_the_plugin_leaves_other_projects_tests_alone(tmp_path):
    (tmp_path / "test_other.py").write_text(OTHER_PROJECT)
    run = _pytest(tmp_path, "-q", "-rA", "--strict-markers")
    assert run.returncode == 1, run.stdout + run.stderr
    lines = run.stdout.splitlines()
    assert "PASSED test_other.py::test_theirs_first" in lines, "not skipped for a feature, not moved last"
    assert "FAILED test_other.py::test_theirs_fails - assert 1 == 2" in lines
    assert "invharness" not in run.stdout and "INCOMPLETE" not in run.stdout
    ours = ("results.json", "report.html", "junit.xml", "records.ndjson", "invharness-report")
    assert not [p for p in tmp_path.rglob("*") if p.name in ours], "nothing written"
    help_text = _pytest(tmp_path, "--help").stdout
    for option in ("--target-url=URL", "--profile=FILE", "--report-dir=DIR", "--run-id=ID", "--clause=ID"):
        assert option in help_text, option
    markers = _pytest(tmp_path, "--markers").stdout
    assert "@pytest.mark.clause(*ids): invharness:" in markers and "@pytest.mark.clock: invharness:" in markers
