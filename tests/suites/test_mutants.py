"""The suites bite: each group, run against a deliberately broken reference server, fails on the
clause the break violates (and the same group passes against the unbroken server)."""

import json
import subprocess
import sys

import pytest
import yaml

from invharness.reference_impl.config import ServerConfig
from invharness.reference_impl.server import EmbeddedServer
from tests.suites.mutants import MUTANTS, applied


@pytest.fixture
def target_profile(tmp_path, local_s3):
    path = tmp_path / "profile.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "s3": {"endpoint": local_s3.url},
                "features": {"clock_control": True},
                "declared": {"feed.default_interval_s": 1},
            }
        )
    )
    return path


def verify(url, profile, group, report_dir):
    command = [
        sys.executable,
        "-m",
        "invharness",
        "verify",
        "--target-url",
        url,
        "--profile",
        str(profile),
        "--group",
        group,
        "--report-dir",
        str(report_dir),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    results = json.loads((report_dir / "results.json").read_text())
    return done, results


def server(local_s3):
    return EmbeddedServer(ServerConfig(s3_endpoint=local_s3.url, feed_interval_s=1, clock_control=True))


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.name for m in MUTANTS])
def test_the_group_fails_on_the_clause_the_mutant_breaks(mutant, local_s3, target_profile, tmp_path):
    with applied(mutant), server(local_s3) as running:
        done, results = verify(running.url, target_profile, mutant.group, tmp_path / "report")
    verdicts = {c["id"]: c["verdict"] for c in results["clauses"]}
    assert verdicts[mutant.breaks] == "fail", (verdicts, done.stderr[-2000:])
    assert done.returncode == 1, done.stdout[-2000:]
    assert mutant.breaks in done.stdout
    # nothing secret reaches any output, even when checks fail and show their evidence
    written = ("results.json", "report.html", "junit.xml")
    report = "\n".join((tmp_path / "report" / name).read_text() for name in written)
    for secret in ("demo-secret", "password=admin", "'password': 'admin'"):
        assert secret not in done.stdout + done.stderr + report


def test_every_group_has_a_mutant():
    from invharness.contracts import catalogue

    assert {m.group for m in MUTANTS} == set(catalogue().groups)


def test_the_unbroken_server_passes_the_groups_the_mutants_use(local_s3, target_profile, tmp_path):
    with server(local_s3) as running:
        done, results = verify(running.url, target_profile, "bpp-detection", tmp_path / "report")
    # one group judged: no MUST clause fails, the others are not selected, so INCOMPLETE (exit 4)
    assert done.returncode == 4, done.stdout[-3000:]
    assert results["outcome"] == "INCOMPLETE" and results["summary"]["failed_must"] == []
    assert {c["verdict"] for c in results["clauses"] if c["group"] == "bpp-detection"} == {"pass"}


@pytest.mark.parametrize(
    ("expires", "verdict", "exit_code"), [("2099-12-31", "deviation", 4), ("2001-01-01", "fail", 1)]
)
def test_a_declared_deviation_is_honoured_until_it_expires(local_s3, tmp_path, expires, verdict, exit_code):
    mutant = next(m for m in MUTANTS if m.breaks == "BPP-PREC-02")
    profile = tmp_path / "profile.yaml"
    broken = ["BPP-PREC-02", "BPP-PREC-10", "BPP-PREC-14", "BPP-PREC-15"]  # every clause that uses "skip"
    deviations = [{"clause": c, "reason": "skip is not supported yet", "expires": expires} for c in broken]
    profile.write_text(yaml.safe_dump({"s3": {"endpoint": local_s3.url}, "deviations": deviations}))
    with applied(mutant), server(local_s3) as running:
        done, results = verify(running.url, profile, mutant.group, tmp_path / "report")
    verdicts = {c["id"]: c["verdict"] for c in results["clauses"]}
    assert {verdicts[c] for c in broken} == {verdict}
    assert done.returncode == exit_code, done.stdout[-2000:]
    messages = [c["message"] for c in results["checks"] if c["verdict"] == verdict]
    assert all("assert" in m for m in messages), "the evidence says what was compared"
