"""The retailer-isolation checks bite: the checks citing each SEC-ISO clause, run against a reference
server with one of SECURITY_MUTANTS applied, fail on that clause; and pass against the unbroken server.

Each mutant is a full `invharness verify --clause ID` run (some 20 s): one runs in every test run, the
whole table behind the ``mutants`` marker (`python -m pytest -m mutants tests/suites/test_mutants_security.py`).
"""


import pytest

from invharness import contracts
from tests.suites.mutants import applied, as_params
from tests.suites.mutants_security import SECURITY_MUTANTS
from tests.suites.test_mutants import server, target_profile, verify  # noqa: F401  (target_profile: a fixture)

QUICK = {"batch catalogueRef unchecked"}  # issue 15's critical row; the rest: -m mutants (CI budget)
ISOLATION = [c.id for c in contracts.clauses("security") if c.id.startswith("SEC-ISO-")]


@pytest.mark.parametrize("mutant", as_params(SECURITY_MUTANTS, QUICK, key=lambda m: m.name))
def test_the_checks_of_the_clause_fail_its_mutant(mutant, local_s3, target_profile, tmp_path):  # noqa: F811
    with applied(mutant), server(local_s3, mutant) as running:
        done, results = verify(running.url, target_profile, None, tmp_path / "report", clauses=[mutant.breaks])
    verdicts = {c["id"]: c["verdict"] for c in results["clauses"]}
    assert verdicts[mutant.breaks] == "fail", (verdicts, done.stdout[-2000:], done.stderr[-2000:])
    severity = contracts.clause(mutant.breaks).severity
    assert done.returncode == (1 if severity == "MUST" else 4), done.stdout[-2000:]


@pytest.mark.mutants
def test_the_unbroken_server_passes_every_isolation_clause(local_s3, target_profile, tmp_path):  # noqa: F811
    with server(local_s3) as running:
        done, results = verify(running.url, target_profile, None, tmp_path / "report", clauses=ISOLATION)
    verdicts = {c["id"]: c["verdict"] for c in results["clauses"] if c["id"] in ISOLATION}
    assert verdicts == dict.fromkeys(ISOLATION, "pass"), done.stdout[-3000:]


def test_every_isolation_clause_has_a_mutant_of_its_group():
    groups = {c.id: c.group for c in contracts.clauses()}
    assert set(ISOLATION) - {m.breaks for m in SECURITY_MUTANTS} == set()
    assert [m.name for m in SECURITY_MUTANTS if groups.get(m.breaks) != m.group] == []
    assert len({m.name for m in SECURITY_MUTANTS}) == len(SECURITY_MUTANTS), "mutant names identify them"


def test_without_another_retailers_user_the_isolation_checks_leave_the_run_incomplete(local_s3, tmp_path):
    profile = tmp_path / "profile.yaml"
    profile.write_text("credentials: {client_id: DEMO, client_secret: demo-secret, username: admin, password: admin}\n")
    with server(local_s3) as running:
        done, results = verify(running.url, profile, None, tmp_path / "report", clauses=["SEC-ISO-01"])
    checks = [c for c in results["checks"] if "SEC-ISO-01" in c["clauses"]]
    assert checks and {c["verdict"] for c in checks} == {"skipped"}, results["checks"]
    assert "no other_user" in checks[0]["message"]
    assert done.returncode == 4, done.stdout[-2000:]
