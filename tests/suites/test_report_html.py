"""report.html as a reader meets it in a browser: the failure first, filters, search, evidence once
per check with links both ways, and no secret anywhere."""

import json
import time

import pytest

from invharness.suites.client import redact
from invharness.suites.report import profile_digest, results_problems, write_reports
from invharness.suites.report_html import check_anchor
from tests.suites.chromium import CHROMIUM, chromium_page

CANARY = "canary-secret-8126"
LONG = "x" * 3000


def _exchange(status, request, response, ms=12.5):
    return {"method": "POST", "url": "/api/v4.1/job", "status": status, "request": request, "response": response,
            "ms": ms}


def _record(test, clauses, verdict, message="", exchanges=(), **extra):
    return {
        "test": test,
        "clauses": clauses,
        "verdict": verdict,
        "message": message,
        "phase": "call",
        "seconds": 0.25,
        "exchanges": list(exchanges),
        "run_id": "ihhtml1",
        "ref_digest": "0123456789ab",
        "seed": 7,
        "declared": {},
        **extra,
    }


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """A run with one of every verdict; the profile holds a secret that must not reach the page."""
    directory = tmp_path_factory.mktemp("html")
    profile = directory / "vendor.yaml"
    profile.write_text(f"credentials: {{client_id: C, client_secret: {CANARY}, username: u, password: pw-{CANARY}}}\n")
    secrets = [CANARY, f"pw-{CANARY}"]
    sent = json.dumps({"name": "job", "retailerId": "1", "client_secret": CANARY})
    records = [
        _record(
            "suites/test_auth.py::test_two_clauses",
            ["AUTH-TOKEN-01", "AUTH-TOKEN-02"],
            "fail",
            "expected 200, got 500",
            [_exchange(500, redact(sent, secrets), '{"errors":[{"code":"Oops","message":"' + LONG + '"}]}')],
        ),
        _record("suites/test_auth.py::test_header", ["AUTH-HEADER-01"], "fail", "no WWW-Authenticate header"),
        _record("suites/test_jobs.py::test_blocked", ["JOB-CREATE-01"], "blocked", "blocked by BATCH-CREATE-01: 503"),
        _record("suites/test_jobs.py::test_skipped", ["JOB-READ-01"], "skipped", "prerequisite failed: no S3"),
        _record("suites/test_jobs.py::test_error", ["JOB-READ-02"], "error", "harness error KeyError", traceback="Tb!"),
        _record("suites/test_batches.py::test_ok", ["BATCH-CREATE-01"], "pass", exchanges=[_exchange(200, "{}", "{}")]),
        _record("suites/test_bpp_precedence.py::test_dev", ["BPP-PREC-12"], "deviation", "declared deviation"),
    ]
    run = {
        "run_id": "ihhtml1",
        "started": time.time() - 42,
        "target": "http://127.0.0.1:9999",
        "profile": str(profile),
        "profile_digest": profile_digest(profile, secrets),
        "harness_version": "9.9.9",
    }
    results = write_reports(directory, records, run)
    return directory, results


def test_results_json_carries_the_header_and_validates_against_its_schema(report):
    directory, _ = report
    stored = json.loads((directory / "results.json").read_text())
    assert results_problems(stored) == []
    assert stored["target"] == "http://127.0.0.1:9999" and stored["harness_version"] == "9.9.9"
    assert stored["profile_digest"].startswith("sha256:") and len(stored["profile_digest"]) == 71
    assert stored["python"].startswith("CPython 3.") and 41 < stored["duration_s"] < 600
    assert stored["started_at"].endswith("+00:00")
    broken = {**stored, "outcome": "MOSTLY FINE"}
    del broken["checks"]
    problems = results_problems(broken)
    assert any("outcome" in p for p in problems) and any("checks" in p for p in problems)


def test_the_profile_digest_is_of_the_redacted_profile(tmp_path):
    one, two = tmp_path / "one.yaml", tmp_path / "two.yaml"
    one.write_text("credentials: {client_secret: first-secret}\n")
    two.write_text("credentials: {client_secret: other-secret}\n")
    # the digest names the profile without confirming a guess of its secret
    assert profile_digest(one, ["first-secret"]) == profile_digest(two, ["other-secret"])
    two.write_text("credentials: {client_secret: other-secret}\ndeclared: {job.lifetime: 24h}\n")
    assert profile_digest(one, ["first-secret"]) != profile_digest(two, ["other-secret"])
    assert profile_digest(None, []) is None


def test_the_page_is_self_contained_and_holds_no_secret(report):
    directory, _ = report
    page = (directory / "report.html").read_text()
    assert CANARY not in page
    for external in ("http://", "https://", "src=", "<link"):
        assert external not in page.replace("http://127.0.0.1:9999", ""), external
    assert page.count(f'id="{check_anchor("suites/test_auth.py::test_two_clauses")}"') == 1, "evidence once per check"


VISIBLE = """[...document.querySelectorAll('%s')].filter(e => e.checkVisibility()).map(e => e.id)"""


def _set(evaluate, js):
    evaluate(f"(() => {{ {js} }})()")


@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed (.ci/run installs it)")
def test_in_chromium_the_failure_comes_first_and_filters_and_search_work(report, tmp_path):
    directory, _ = report
    with chromium_page((directory / "report.html").as_uri(), tmp_path / "chromium") as evaluate:
        assert evaluate("document.getElementById('verdict').dataset.outcome") == "DOES NOT CONFORM"
        text = evaluate("document.body.innerText")
        assert CANARY not in text and "What to do next" in text
        for shown in ("http://127.0.0.1:9999", "ihhtml1", "9.9.9", "CPython 3.", "sha256:", "vendor.yaml"):
            assert shown in text, shown
        # the order a reader needs: failing MUST, failing SHOULD, not judged, declared; passes folded
        sections = evaluate("[...document.querySelectorAll('section.bucket')].map(s => s.id)")
        assert sections[:4] == ["failing-must", "failing-should", "not-judged", "declared"]
        clauses = evaluate(VISIBLE % "article.clause")
        assert clauses[:2] == ["clause-AUTH-TOKEN-01", "clause-AUTH-TOKEN-02"]
        assert clauses[2] == "clause-AUTH-HEADER-01"
        assert "clause-BATCH-CREATE-01" not in clauses, "passing clauses are folded"
        why = evaluate("document.getElementById('clause-JOB-READ-01').innerText")
        assert "prerequisite failed: no S3" in why
        # the check proving two clauses appears once; both clauses link to it, it links back to both
        anchor = check_anchor("suites/test_auth.py::test_two_clauses")
        links = evaluate(f"[...document.querySelectorAll('a[href=\"#{anchor}\"]')].map(a => a.closest('article').id)")
        assert links == ["clause-AUTH-TOKEN-01", "clause-AUTH-TOKEN-02"]
        back = evaluate(f"[...document.querySelectorAll('#{anchor} a')].map(a => a.getAttribute('href'))")
        assert back == ["#clause-AUTH-TOKEN-01", "#clause-AUTH-TOKEN-02"]
        # bodies pretty-printed, long lines wrapped within the page, timing shown
        body = evaluate(f"document.querySelector('#{anchor} pre.body').textContent")
        assert body.startswith('{\n  "name": "job"') and '"client_secret": "***"' in body
        assert evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert "500 · 12.5 ms" in evaluate(f"document.querySelector('#{anchor} summary').textContent")

        # filter by verdict: only what fails
        boxes = "document.querySelectorAll('input[name=verdict]').forEach(b => { %s })"
        _set(evaluate, boxes % "if (b.value !== 'fail') b.click();")
        assert set(evaluate(VISIBLE % "article[data-verdict]")) == {
            "clause-AUTH-TOKEN-01",
            "clause-AUTH-TOKEN-02",
            "clause-AUTH-HEADER-01",
            anchor,
            check_anchor("suites/test_auth.py::test_header"),
        }
        assert evaluate("location.hash") == "#verdict=fail"
        # and by group, with everything shown again
        _set(evaluate, boxes % "if (!b.checked) b.click();")
        group = "const g = document.getElementById('group'); g.value = %s; g.dispatchEvent(new Event('change'))"
        _set(evaluate, group % "'jobs'")
        shown = evaluate(VISIBLE % "article.clause")
        assert shown and all(c.startswith("clause-JOB-") for c in shown) and "clause-JOB-READ-01" in shown
        _set(evaluate, group % "''")
        # search by clause id finds a passing clause inside the folded section, and opens it
        search = "const s = document.getElementById('search'); s.value = %s; s.dispatchEvent(new Event('input'))"
        _set(evaluate, search % "'BATCH-CREATE-01'")
        # (JOB-CREATE-01 was blocked by BATCH-CREATE-01 and says so)
        assert evaluate(VISIBLE % "article.clause") == ["clause-JOB-CREATE-01", "clause-BATCH-CREATE-01"]
        # search by text
        _set(evaluate, search % "'WWW-Authenticate'")
        assert evaluate(VISIBLE % "article.clause") == ["clause-AUTH-HEADER-01"]
        assert "match" in evaluate("document.getElementById('shown').textContent")


@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed (.ci/run installs it)")
def test_a_filter_in_the_link_is_applied_when_the_page_opens(report, tmp_path):
    directory, _ = report
    url = (directory / "report.html").as_uri() + "#verdict=blocked,skipped,error&q=jobs"
    with chromium_page(url, tmp_path / "chromium") as evaluate:
        shown = evaluate(VISIBLE % "article.clause")
        assert shown == ["clause-JOB-READ-02", "clause-JOB-CREATE-01", "clause-JOB-READ-01"]  # error, blocked, skipped
        assert evaluate("document.getElementById('search').value") == "jobs"
