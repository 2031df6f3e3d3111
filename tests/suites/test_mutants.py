"""The suites bite: each group, run against a deliberately broken reference server, fails on the
clause the break violates (and the same groups pass against the unbroken server, run after run).

The per-clause proof (every MUST clause of the ingestion groups against its own mutant) is heavy:
it runs behind the ``mutants`` marker (`python -m pytest -m mutants tests/suites/test_mutants.py`).
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from invharness import contracts, suites
from invharness.reference_impl.config import AccountConfig, ServerConfig
from invharness.reference_impl.server import EmbeddedServer
from tests.suites import mutant_table
from tests.suites.mutants import INGESTION_GROUPS, MUTANTS, PER_CLAUSE, applied
from tests.suites.test_coverage import clauses_cited


@pytest.fixture
def target_profile(tmp_path, local_s3):
    path = tmp_path / "profile.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "s3": {"endpoint": local_s3.url},
                "retailers": {"account_only": 3},
                "features": {"clock_control": True},
                "declared": {"feed.default_interval_s": 1},
                "timeouts": {"batch_s": 15},
            }
        )
    )
    return path


def verify(url, profile, group, report_dir, clauses=(), timeout=300):
    """`invharness verify` of ``group`` (a name, a list, or None) and ``clauses`` in its own process: the
    process and results.json."""
    groups = [] if group is None else [group] if isinstance(group, str) else group
    command = [sys.executable, "-m", "invharness", "verify", "--target-url", url, "--profile", str(profile)]
    command += [a for g in groups for a in ("--group", g)] + [a for c in clauses for a in ("--clause", c)]
    command += ["--report-dir", str(report_dir)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    results = json.loads((report_dir / "results.json").read_text())
    return done, results


def server(local_s3, mutant=None):
    """The reference server as the embedded target runs it (retailer 3 is the account_only one), playing
    ``mutant``'s answers if it is a configuration."""
    config = ServerConfig(
        account=AccountConfig(retailers=(1, 2, 3)), s3_endpoint=local_s3.url, feed_interval_s=1, clock_control=True
    )
    config = mutant.configure(config) if mutant is not None else config
    return EmbeddedServer(config)


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.name for m in MUTANTS])
def test_the_checks_of_each_group_fail_its_mutant(mutant, local_s3, target_profile, tmp_path):
    """One mutant per group in every test run (the checks citing its clause; the table is -m mutants)."""
    with applied(mutant), server(local_s3, mutant) as running:
        verdict, output = judge_clause(running.url, target_profile, mutant.group, mutant.breaks, tmp_path)
    assert verdict == "fail", output


def test_a_group_that_fails_its_mutant_says_so_and_leaks_nothing(local_s3, target_profile, tmp_path):
    """Through the front door: the clause is named, the exit code is 1, and no secret reaches any output."""
    mutant = next(m for m in MUTANTS if m.breaks == "BPP-DEDUP-01")
    with applied(mutant), server(local_s3, mutant) as running:
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
    from tests.suites.mutants_input import INPUT_MUTANTS  # the security group's own (test_mutants_input.py,
    from tests.suites.mutants_security import SECURITY_MUTANTS  # test_mutants_security.py)

    assert {m.group for m in MUTANTS + INPUT_MUTANTS + SECURITY_MUTANTS} == set(catalogue().groups)


def test_every_must_clause_of_the_catalogue_has_a_mutant_of_its_group():
    must = {c.id: c.group for c in contracts.clauses() if c.severity == "MUST"}
    covered = {m.breaks: m.group for m in mutant_table.every_mutant() if m.breaks in must}
    assert set(must) - set(covered) == set()
    assert all(covered[c] == must[c] for c in covered), "a mutant names its clause's group"


def test_the_unbroken_server_passes_and_a_second_run_judges_the_same(local_s3, target_profile, tmp_path):
    """Two runs against one long-lived target: the first conforms; the second judges every clause the
    same, except the one that needs a fresh target (no setting anywhere), which says so."""
    groups = ["bpp-precedence", "bpp-detection"]
    with server(local_s3) as running:
        first_run, first = verify(running.url, target_profile, groups, tmp_path / "first")
        _, second = verify(running.url, target_profile, groups, tmp_path / "second")
    # two groups judged, none failing: the other groups' MUST clauses are not selected, so INCOMPLETE (exit 4)
    assert first_run.returncode == 4, first_run.stdout[-3000:]
    assert first["outcome"] == "INCOMPLETE" and first["summary"]["failed_must"] == []
    ours = [c for c in first["clauses"] if c["group"] in groups]
    assert {c["verdict"] for c in ours} == {"pass"}, [c["id"] for c in ours if c["verdict"] != "pass"]
    again = {c["id"]: c for c in second["clauses"] if c["group"] in groups}
    changed = {c["id"] for c in ours if again[c["id"]]["verdict"] != c["verdict"]}
    assert changed <= {"BPP-PREC-11"}, changed
    fresh = [k["message"] for k in again["BPP-PREC-11"]["checks"]]
    assert all("needs a fresh target" in m for m in fresh), fresh


@pytest.mark.parametrize(
    ("expires", "verdict", "exit_code"), [("2099-12-31", "deviation", 4), ("2001-01-01", "fail", 1)]
)
def test_a_declared_deviation_is_honoured_until_it_expires(local_s3, tmp_path, expires, verdict, exit_code):
    mutant = next(m for m in MUTANTS if m.breaks == "BPP-PREC-02")
    profile = tmp_path / "profile.yaml"
    broken = ["BPP-PREC-02", "BPP-PREC-10", "BPP-PREC-15"]  # every clause that uses "skip"
    deviations = [{"clause": c, "reason": "skip is not supported yet", "expires": expires} for c in broken]
    profile.write_text(
        yaml.safe_dump({"s3": {"endpoint": local_s3.url}, "retailers": {"account_only": 3}, "deviations": deviations})
    )
    with applied(mutant), server(local_s3, mutant) as running:
        done, results = verify(running.url, profile, mutant.group, tmp_path / "report")
    verdicts = {c["id"]: c["verdict"] for c in results["clauses"]}
    assert {verdicts[c] for c in broken} == {verdict}
    assert done.returncode == exit_code, done.stdout[-2000:]
    messages = [c["message"] for c in results["checks"] if c["verdict"] == verdict]
    assert all("expected" in m for m in messages), "the evidence says what was compared"


# ---------------------------------------------------------------------- the heavy proof


def checks_citing(group, clause):
    """The suite file of ``group`` and a -k expression selecting the checks that cite ``clause``."""
    name = f"test_{group.replace('-', '_')}"
    module = __import__(f"invharness.suites.{name}", fromlist=["_"])
    names = sorted(n for n, ids in clauses_cited(module).items() if clause in ids)
    return str(Path(suites.__file__).parent / f"{name}.py"), " or ".join(names)


def judge_clause(url, profile, group, clause, scratch):
    """Run only the checks citing ``clause`` against ``url``; the clause's verdict and the run's output."""
    path, selection = checks_citing(group, clause)
    ini = scratch / "pytest.ini"
    ini.write_text("[pytest]\n")
    command = [sys.executable, "-m", "pytest", path, "-k", selection, "-c", str(ini), "--rootdir", str(scratch)]
    command += ["-p", "invharness.suites.plugin", "-p", "no:cacheprovider", "-q", "--target-url", url]
    command += ["--profile", str(profile), "--report-dir", str(scratch / "report")]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    results = json.loads((scratch / "report" / "results.json").read_text())
    return {c["id"]: c["verdict"] for c in results["clauses"]}[clause], done.stdout[-3000:]


@pytest.mark.mutants
@pytest.mark.parametrize("mutant", PER_CLAUSE, ids=[f"{m.breaks}:{m.name}" for m in PER_CLAUSE])
def test_the_checks_citing_a_clause_fail_its_mutant(mutant, local_s3, target_profile, tmp_path):
    with applied(mutant), server(local_s3, mutant) as running:
        verdict, output = judge_clause(running.url, target_profile, mutant.group, mutant.breaks, tmp_path)
    assert verdict == "fail", output


@pytest.mark.mutants
def test_the_unbroken_server_passes_every_ingestion_group(local_s3, target_profile, tmp_path):
    with server(local_s3) as running:
        done, results = verify(running.url, target_profile, list(INGESTION_GROUPS), tmp_path / "report")
    ours = [c for c in results["clauses"] if c["group"] in INGESTION_GROUPS]
    assert {c["verdict"] for c in ours} == {"pass"}, [(c["id"], c["verdict"]) for c in ours if c["verdict"] != "pass"]
    assert done.returncode == 4 and results["summary"]["failed_must"] == [], done.stdout[-3000:]  # others not selected
