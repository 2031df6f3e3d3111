"""A fuzz run's report.html as a developer meets it in a browser: the failures first, each with its check, the
seed and a curl reproduction ($TOKEN) with a copy button; `invharness report DIR` renders it again."""

import json

import pytest

from invharness.cli import main
from invharness.fuzz_report import Finding, Run, write_reports
from tests.suites.chromium import CHROMIUM, chromium_page

CURL = (
    'curl -X POST -H "Authorization: Bearer $TOKEN" -d \'{"retailerId": "<b>9</b>"}\' http://127.0.0.1:9/api/v4.1/job'
)


@pytest.fixture
def report(tmp_path):
    run = Run(
        run_id="fz77",
        seed=77,
        target="http://127.0.0.1:9",
        replay="invharness fuzz --seed 77 --max-examples 10 --target-url http://127.0.0.1:9",
        token_command="export TOKEN=$(curl -s ...)",
        cases={"rest fuzzing": 40, "generators": 5},
        seconds=4.5,
        excluded=("Mutation.createSetting", "Mutation.updateSetting"),
        errors=(),
        digests={"rest": "ab" * 32},
    )
    findings = [
        Finding("rest", "POST /api/v4.1/job", "not_a_server_error", "Server error", "500 Internal Error", CURL, 500),
        Finding("generators", "POST /api/v4.1/job/{jobId}/batch", "rule:record.qty.negative", "accepted", "qty -1", ""),
    ]
    write_reports(tmp_path, run, findings, ["POST /api/v4.1/job", "GET /api/v4.1/job/{jobId}"])
    return tmp_path


def test_invharness_report_renders_a_fuzz_run_again(report, capsys):
    page = (report / "report.html").read_text()
    assert "<b>9</b>" not in page and "&lt;b&gt;9&lt;/b&gt;" in page, "reproductions are escaped"
    (report / "report.html").unlink()
    (report / "junit.xml").unlink()
    assert main(["report", str(report)]) == 0
    assert (report / "report.html").read_text() == page and "2 failure(s)" in capsys.readouterr().out
    assert 'failures="2"' in (report / "junit.xml").read_text()
    (report / "results.json").write_text(json.dumps({"run": {}, "findings": []}))
    assert main(["report", str(report)]) == 2


@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed (.ci/run installs it)")
def test_in_chromium_the_failures_come_first_with_a_reproduction_to_copy(report, tmp_path):
    with chromium_page((report / "report.html").as_uri(), tmp_path / "chromium") as evaluate:
        assert evaluate("document.getElementById('verdict').dataset.outcome") == "failures"
        order = evaluate("[...document.querySelectorAll('body > header, body > section')].map(e => e.id)")
        assert order[:2] == ["verdict", "findings"]
        first = evaluate("document.getElementById('finding-1').innerText")
        for shown in ("POST /api/v4.1/job", "not_a_server_error", "seed 77", "answered 500", "$TOKEN"):
            assert shown in first, shown
        assert "rule:record.qty.negative" in evaluate("document.getElementById('finding-2').innerText")
        assert "export TOKEN=" in evaluate("document.getElementById('next').innerText")
        evaluate("document.querySelector('button[data-for=\"repro-1\"]').click()")
        assert evaluate("window.getSelection().toString()") == CURL
        label = "document.querySelector('button[data-for=\"repro-1\"]').textContent"
        for _ in range(50):  # the clipboard answers asynchronously
            if evaluate(label) != "copy":
                break
            evaluate("new Promise(r => setTimeout(r, 20))")
        assert evaluate(label) in ("copied", "selected: Ctrl-C")
        assert evaluate("document.documentElement.scrollWidth <= window.innerWidth")
