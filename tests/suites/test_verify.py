"""`invharness verify`: exit codes, reports, and the HTML report as a browser shows it."""

import json
import re
import socket
import time
from pathlib import Path
from xml.etree import ElementTree

import pytest

from invharness import __version__, contracts
from invharness.cli import main
from invharness.suites.report import results_problems
from tests.suites.chromium import CHROMIUM, chromium_page


@pytest.fixture(scope="module")
def auth_run(tmp_path_factory):
    report = tmp_path_factory.mktemp("verify") / "report"
    code = main(["verify", "--group", "auth", "--report-dir", str(report)])
    return code, report


def test_verify_judges_the_embedded_default_and_writes_reports(auth_run, capsys):
    code, report = auth_run
    results = json.loads((report / "results.json").read_text())
    auth = [c for c in results["clauses"] if c["group"] == "auth"]
    assert auth and all(c["verdict"] == "pass" for c in auth)
    assert all(c["verdict"] == "untested" for c in results["clauses"] if c["group"] != "auth")
    # one group judged is not a verdict on the target: INCOMPLETE, exit 4, and every report says so
    assert code == 4 and results["outcome"] == "INCOMPLETE"
    unjudged = {u["id"]: u["why"] for u in results["summary"]["unjudged_must"]}
    assert unjudged["JOB-CREATE-01"] == "not selected (--group auth)" and "AUTH-TOKEN-01" not in unjudged
    assert ElementTree.parse(report / "junit.xml").find("properties/property[@name='outcome']").get("value") == (
        "INCOMPLETE"
    )
    assert 'data-outcome="INCOMPLETE"' in (report / "report.html").read_text()
    assert results["run"]["replay"] == f"invharness verify --run-id {results['run_id']} --group auth"
    assert (report / "junit.xml").is_file() and (report / "report.html").is_file()
    # the evidence shows the token exchanges, but never a token or a secret
    evidence = (report / "results.json").read_text() + (report / "report.html").read_text()
    assert "/oauth/token" in evidence
    token_value = r"""(access_token|refresh_token)\\?["']\s*:\s*\\?["'](?!\*\*\*)[A-Za-z0-9_-]{12,}"""
    assert not re.search(token_value, evidence)
    assert "demo-secret" not in evidence


def test_an_unknown_group_is_a_usage_error(tmp_path, capsys):
    assert main(["verify", "--group", "nope", "--report-dir", str(tmp_path)]) == 2
    assert "unknown group" in capsys.readouterr().err


def test_a_bad_profile_is_a_usage_error(tmp_path):
    profile = tmp_path / "p.yaml"
    profile.write_text("declared: {no.such.key: 1}\n")
    assert main(["verify", "--group", "auth", "--profile", str(profile), "--report-dir", str(tmp_path / "r")]) == 2


def test_an_unreachable_target_is_one_line_and_incomplete_fast(tmp_path, capsys):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens once the socket closes
    started = time.monotonic()
    code = main(["verify", "--target-url", f"http://127.0.0.1:{port}", "--report-dir", str(tmp_path)])
    assert time.monotonic() - started < 10
    assert code == 4
    out, err = capsys.readouterr()
    assert err.strip() == f"target http://127.0.0.1:{port} unreachable: connection refused"
    assert "Traceback" not in out + err and "CONFORMS" not in out.replace("DOES NOT CONFORM", "")
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["outcome"] == "INCOMPLETE" and results["summary"]["conforms"] is False
    assert all("unreachable: connection refused" in u["why"] for u in results["summary"]["unjudged_must"])
    assert "INCOMPLETE" in (tmp_path / "report.html").read_text()


@pytest.mark.parametrize("option", [["--run-id", "no-dashes!"], ["--max-time", "0"]])
def test_bad_replay_or_time_options_are_usage_errors(tmp_path, option, capsys):
    assert main(["verify", "--group", "auth", *option, "--report-dir", str(tmp_path)]) == 2
    assert "invharness verify:" in capsys.readouterr().err


def test_a_remote_target_needs_an_explicit_opt_in(tmp_path):
    assert main(["verify", "--target-url", "http://192.0.2.1:1", "--group", "auth", "--report-dir", str(tmp_path)]) == 2


def test_a_real_runs_results_json_validates_and_carries_the_header(auth_run):
    _, report = auth_run
    results = json.loads((report / "results.json").read_text())
    assert results_problems(results) == []
    assert results["target"].startswith("http://127.0.0.1:") and results["run"]["embedded"] is True
    assert results["harness_version"] == __version__ and results["python"].startswith("CPython")
    assert results["profile"] is None and results["profile_digest"] is None and results["duration_s"] > 0
    # a check's name is the same whatever pytest's rootdir (verify runs pytest from a scratch directory)
    assert all(c["test"].startswith("suites/test_auth.py::") for c in results["checks"])
    exchange = next(e for c in results["checks"] for e in c["exchanges"] if e["request"].startswith("username="))
    assert "password=***" in exchange["request"], "a form is recorded as sent (encoded), not as a Python dict"


@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed (.ci/run installs it)")
def test_the_html_report_of_a_real_run_in_chromium(auth_run, tmp_path):
    _, report = auth_run
    results = json.loads((report / "results.json").read_text())
    with chromium_page((report / "report.html").as_uri(), tmp_path / "chromium") as evaluate:
        assert evaluate("document.getElementById('verdict').dataset.outcome") == "INCOMPLETE"
        text = evaluate("document.body.innerText")
        assert "MUST clause(s) were not judged" in text and "run without --group" in text
        assert results["target"] in text and results["run_id"] in text and results["python"] in text
        assert "demo-secret" not in evaluate("document.documentElement.outerHTML")
        assert evaluate("document.querySelectorAll('article.clause').length") == len(contracts.clauses())
        passing = sum(c["verdict"] == "pass" for c in results["clauses"])
        assert evaluate("document.querySelectorAll('#passing article.clause').length") == passing > 0
        assert evaluate("document.querySelector('#passing details').open") is False, "passes are folded"


def test_every_group_has_its_suite_file():
    from invharness.contracts import catalogue
    from invharness.verify import _selection

    for group in catalogue().groups:
        paths = _selection([group])
        assert paths and all(Path(p).is_file() for p in paths), (group, paths)
