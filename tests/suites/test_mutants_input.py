"""The input hardening checks bite (group security, SEC-INPUT): the group, run against a reference server
with one of INPUT_MUTANTS applied, fails on the clause the mutant breaks; the unbroken server passes them."""

import pytest

from invharness import contracts
from tests.suites.mutants import as_params
from tests.suites.mutants_input import INPUT_MUTANTS, applied
from tests.suites.test_mutants import server, target_profile, verify  # noqa: F401  (target_profile: a fixture)

# one runs in every test run; the rest are part of the heavy proof (-m mutants)
QUICK = {"SEC-INPUT-03"}
OURS = {c.id for c in contracts.clauses("security") if c.id.startswith("SEC-INPUT-")}


@pytest.mark.parametrize("mutant", as_params(INPUT_MUTANTS, QUICK))
def test_the_group_fails_on_the_clause_the_mutant_breaks(mutant, local_s3, target_profile, tmp_path):  # noqa: F811
    with applied(mutant), server(local_s3) as running:
        done, results = verify(running.url, target_profile, mutant.group, tmp_path / "report")
    verdicts = {c["id"]: c["verdict"] for c in results["clauses"]}
    assert verdicts[mutant.breaks] == "fail", (verdicts, done.stderr[-2000:])
    assert [c for c in OURS - {mutant.breaks} if verdicts[c] == "fail"] == [], "one defect, one clause"
    # a failing MUST clause: DOES NOT CONFORM (1); a failing SHOULD clause is a warning, and with the rest of
    # the catalogue not selected the run is INCOMPLETE (4)
    assert done.returncode == (1 if contracts.clause(mutant.breaks).severity == "MUST" else 4), done.stdout[-2000:]


@pytest.mark.mutants
def test_the_unbroken_server_passes_every_input_clause(local_s3, target_profile, tmp_path):  # noqa: F811
    with server(local_s3) as running:
        done, results = verify(running.url, target_profile, "security", tmp_path / "report")
    assert {c["id"]: c["verdict"] for c in results["clauses"] if c["id"] in OURS} == dict.fromkeys(OURS, "pass"), (
        done.stdout[-3000:]
    )


def test_every_input_clause_has_a_mutant_of_its_group():
    assert {m.breaks for m in INPUT_MUTANTS} == OURS
    assert {m.group for m in INPUT_MUTANTS} == {"security"}
    assert len({m.name for m in INPUT_MUTANTS}) == len(INPUT_MUTANTS), "mutant names identify them"
