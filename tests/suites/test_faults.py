"""End-to-end runs of `invharness verify` through a fault-injecting proxy in front of the reference
server: every run ends within its bound, with the verdicts the faults deserve, no traceback on the
terminal, and -- the profile holding canary secrets -- not one secret in any byte written."""

import json
import secrets
import time
from pathlib import Path

import pytest

from invharness.cli import main
from invharness.reference_impl.config import AccountConfig, ServerConfig, User
from invharness.reference_impl.server import EmbeddedServer
from tests.suites.faults import FaultProxy

CANARIES = {name: f"canary{name}{secrets.token_hex(6)}" for name in ("CS", "PW", "PW2")}


@pytest.fixture(scope="module")
def upstream():
    account = AccountConfig(
        clients={"DEMO": CANARIES["CS"]},
        users=(User("admin", CANARIES["PW"], 1, account_admin=True), User("retailer2", CANARIES["PW2"], 2)),
    )
    with EmbeddedServer(ServerConfig(account=account)) as server:
        yield server.url


def _profile(directory: Path, request_s: float = 10) -> Path:
    path = directory / "canary.yaml"
    credentials = f"client_id: DEMO, client_secret: {CANARIES['CS']}, username: admin, password: {CANARIES['PW']}"
    path.write_text(
        f"credentials: {{{credentials}}}\n"
        f"other_user: {{username: retailer2, password: {CANARIES['PW2']}}}\n"
        f"timeouts: {{request_s: {request_s}, batch_s: 10}}\n"
        "features: {feeds: false}\n"
    )
    return path


def _verify(url, tmp_path, capsys, group, request_s=10, extra=()):
    report = tmp_path / "report"
    started = time.monotonic()
    code = main(
        [
            "verify",
            "--target-url",
            url,
            "--profile",
            str(_profile(tmp_path, request_s)),
            "--group",
            group,
            "--report-dir",
            str(report),
            *extra,
        ]
    )
    elapsed = time.monotonic() - started
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err, "no traceback on the terminal"
    written = out + err + "".join(p.read_text(errors="replace") for p in report.rglob("*") if p.is_file())
    leaked = [name for name, value in CANARIES.items() if value in written]
    assert leaked == [], f"secrets {leaked} were written"
    return code, json.loads((report / "results.json").read_text()), elapsed, out + err


def test_latency_resets_5xx_echoes_and_redirects_are_judged_without_leaking(upstream, tmp_path, capsys):
    def plan(request):
        if request.number == 1:
            return "forward"  # the reachability probe
        if request.number % 5 == 0:
            return "echo500"  # a 500 whose body echoes the request: forms, query strings, secrets
        if request.number % 5 == 2 and "oauth" in request.path:
            return "redirect"  # a Location that carries the form in its query string
        if request.number % 11 == 3:
            return "reset"
        return ("delay", 0.02)

    with FaultProxy(upstream, plan) as proxy:
        code, results, elapsed, _ = _verify(proxy.url, tmp_path, capsys, "auth")
    verdicts = {c["verdict"] for c in results["checks"]}
    assert code in (1, 4) and results["outcome"] in ("DOES NOT CONFORM", "INCOMPLETE")
    assert verdicts - {"pass", "fail", "error", "blocked"} == set() and verdicts - {"pass"}
    assert elapsed < 90


def test_a_target_slower_than_the_timeout_ends_the_run_early(upstream, tmp_path, capsys):
    def plan(request):
        return "forward" if request.number == 1 else ("delay", 3.0)

    with FaultProxy(upstream, plan) as proxy:
        code, results, elapsed, terminal = _verify(proxy.url, tmp_path, capsys, "jobs", request_s=0.5)
    assert code == 4 and results["outcome"] == "INCOMPLETE"
    assert "did not answer within 0.5s; the run stopped" in results["summary"]["stopped"]
    assert len(results["checks"]) == 3, "three checks that got no answer stop the run"
    assert "the run stopped early" in terminal and elapsed < 60


def test_a_target_that_dies_mid_run_ends_it_with_one_reason(upstream, tmp_path, capsys):
    with FaultProxy(upstream, lambda request: "forward", die_after=6) as proxy:
        code, results, elapsed, _ = _verify(proxy.url, tmp_path, capsys, "auth")
    assert code == 4 and results["outcome"] == "INCOMPLETE"
    assert results["summary"]["stopped"] == f"target {proxy.url} unreachable: connection refused; the run stopped"
    assert {u["why"] for u in results["summary"]["unjudged_must"]} >= {f"not run: {results['summary']['stopped']}"}
    assert [c["verdict"] for c in results["checks"]][-3:] == ["error"] * 3, "three checks, then it stops"
    assert len(results["checks"]) < 14 and elapsed < 60


def test_a_503_burst_on_job_creation_fails_that_clause_and_blocks_what_needs_it(upstream, tmp_path, capsys):
    def plan(request):
        return "503" if (request.method, request.path) == ("POST", "/api/v4.1/job") else "forward"

    with FaultProxy(upstream, plan) as proxy:
        code, results, _, terminal = _verify(proxy.url, tmp_path, capsys, "batches")
    clauses = {c["id"]: c for c in results["clauses"]}
    assert code == 1 and results["outcome"] == "DOES NOT CONFORM"
    assert clauses["JOB-CREATE-01"]["verdict"] == "fail", "the step's clause fails, though its group was not run"
    assert clauses["BATCH-CREATE-01"]["verdict"] == "blocked"
    blocked = [c for c in results["checks"] if c["verdict"] == "blocked"]
    assert blocked and all(
        c["message"].startswith("blocked by JOB-CREATE-01: creating a job") and "503" in c["message"] for c in blocked
    )
    assert "JOB-CREATE-01" in terminal and "blocked checks" in terminal


def test_a_target_that_ignores_after_fails_pagination_without_hanging(upstream, tmp_path, capsys):
    def plan(request):
        return "no_after" if request.path == "/graphql" else "forward"

    with FaultProxy(upstream, plan) as proxy:
        code, results, elapsed, _ = _verify(proxy.url, tmp_path, capsys, "graphql", extra=["--max-time", "120"])
    clauses = {c["id"]: c["verdict"] for c in results["clauses"]}
    assert code == 1 and clauses["GQL-PAGE-01"] == "fail"
    assert elapsed < 120


def test_max_time_ends_the_run_incomplete_with_what_was_judged(upstream, tmp_path, capsys):
    with FaultProxy(upstream, lambda request: ("delay", 0.3)) as proxy:
        code, results, elapsed, terminal = _verify(proxy.url, tmp_path, capsys, "auth", extra=["--max-time", "5"])
    assert code == 4 and results["outcome"] == "INCOMPLETE"
    assert results["summary"]["stopped"] == "the run reached its --max-time"
    assert len([c for c in results["checks"] if c["verdict"] == "pass"]) < 14, "not every check had time to run"
    assert "the run stopped early: the run reached its --max-time" in terminal
    assert elapsed < 5 + 35  # the checks stop at the deadline; verify kills a run 30 s after it at the latest
