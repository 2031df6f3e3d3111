"""Choosing checks by clause, re-running what did not pass, and rendering reports again."""

import json

from invharness.cli import main
from invharness.suites.report import write_reports


def _results(report):
    return json.loads((report / "results.json").read_text())


def test_verify_clause_runs_only_the_checks_citing_it(tmp_path, capsys):
    report = tmp_path / "report"
    assert main(["verify", "--clause", "auth-token-01", "--report-dir", str(report)]) == 4
    results = _results(report)
    assert results["checks"] and all("AUTH-TOKEN-01" in c["clauses"] for c in results["checks"])
    clauses = {c["id"]: c for c in results["clauses"]}
    assert clauses["AUTH-TOKEN-01"]["verdict"] == "pass"
    unjudged = {u["id"]: u["why"] for u in results["summary"]["unjudged_must"]}
    assert unjudged["JOB-CREATE-01"] == "not selected (--clause AUTH-TOKEN-01)"
    assert results["run"]["replay"].endswith("--clause AUTH-TOKEN-01")


def test_an_unknown_clause_is_a_usage_error_with_a_suggestion(tmp_path, capsys):
    assert main(["verify", "--clause", "AUTH-TOKEN-1", "--report-dir", str(tmp_path)]) == 2
    assert "no clause AUTH-TOKEN-1; did you mean AUTH-TOKEN-01?" in capsys.readouterr().err


def test_last_failed_reruns_only_the_checks_that_did_not_pass(tmp_path, capsys):
    earlier = tmp_path / "earlier"
    earlier.mkdir()
    checks = [
        {"test": "suites/test_auth.py::test_bad_credentials[password]", "clauses": ["AUTH-TOKEN-03"], "verdict": "fail"},  # noqa: E501
        {"test": "suites/test_auth.py::test_form_fields", "clauses": ["AUTH-TOKEN-01"], "verdict": "pass"},
        {"test": "step::JOB-CREATE-01", "clauses": ["JOB-CREATE-01"], "verdict": "fail", "phase": "step"},
    ]
    (earlier / "results.json").write_text(json.dumps({"checks": checks}))
    report = tmp_path / "again"
    assert main(["verify", "--last-failed", str(earlier), "--report-dir", str(report)]) == 4
    results = _results(report)
    assert [(c["test"], c["verdict"]) for c in results["checks"]] == [
        ("suites/test_auth.py::test_bad_credentials[password]", "pass")
    ]
    why = {u["id"]: u["why"] for u in results["summary"]["unjudged_must"]}
    assert why["AUTH-TOKEN-01"] == f"not selected (--last-failed {earlier})"
    assert results["run"]["last_failed"] == str(earlier)


def test_last_failed_says_when_there_is_nothing_to_rerun_or_nothing_to_read(tmp_path, capsys):
    (tmp_path / "results.json").write_text(
        json.dumps({"checks": [{"test": "suites/test_auth.py::test_form_fields", "clauses": [], "verdict": "pass"}]})
    )
    assert main(["verify", "--last-failed", str(tmp_path), "--report-dir", str(tmp_path / "r")]) == 0
    assert "nothing to re-run" in capsys.readouterr().out
    assert main(["verify", "--last-failed", str(tmp_path / "none"), "--report-dir", str(tmp_path / "r")]) == 2
    assert "there is no" in capsys.readouterr().err
    assert main(["verify", "--last-failed", str(tmp_path), "--group", "auth", "--report-dir", str(tmp_path)]) == 2


def test_report_renders_the_same_pages_again_from_results_json(tmp_path, capsys):
    record = {
        "test": "suites/test_auth.py::test_x",
        "clauses": ["AUTH-TOKEN-01"],
        "verdict": "fail",
        "message": "expected 200, got 500",
        "phase": "call",
        "seconds": 0.1,
        "exchanges": [],
    }
    write_reports(tmp_path, [record], {"run_id": "ihrr", "started": 1.0e9, "target": "http://127.0.0.1:1"})
    page, junit = (tmp_path / "report.html").read_text(), (tmp_path / "junit.xml").read_bytes()
    (tmp_path / "report.html").unlink()
    (tmp_path / "junit.xml").unlink()
    assert main(["report", str(tmp_path)]) == 0
    assert (tmp_path / "report.html").read_text() == page and (tmp_path / "junit.xml").read_bytes() == junit
    assert "DOES NOT CONFORM" in capsys.readouterr().out


def test_report_refuses_what_is_not_a_results_json(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    assert "there is no" in capsys.readouterr().err
    (tmp_path / "results.json").write_text(json.dumps({"outcome": "FINE"}))
    assert main(["report", str(tmp_path)]) == 2
    assert "is not a results.json this harness writes" in capsys.readouterr().err
    assert not (tmp_path / "report.html").exists()
