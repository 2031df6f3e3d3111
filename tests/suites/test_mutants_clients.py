"""The checks prompted by real clients (issue 14) bite: each group, run against a reference server
with one of CLIENT_MUTANTS applied, fails on the clause the mutant breaks."""

import pytest

from invharness.contracts import clause
from tests.suites.mutants import as_params
from tests.suites.mutants_clients import CLIENT_MUTANTS, applied
from tests.suites.test_mutants import server, target_profile, verify  # noqa: F401  (target_profile: a fixture)

# two run in every test run; the rest are part of the heavy proof (-m mutants)
QUICK = {"SEG-GQL-01", "GQL-HTTP-02"}


@pytest.mark.parametrize("mutant", as_params(CLIENT_MUTANTS, QUICK))
def test_the_group_fails_on_the_clause_the_mutant_breaks(mutant, local_s3, target_profile, tmp_path):  # noqa: F811
    with applied(mutant), server(local_s3, mutant) as running:
        done, results = verify(running.url, target_profile, mutant.group, tmp_path / "report")
    verdicts = {c["id"]: c["verdict"] for c in results["clauses"]}
    assert verdicts[mutant.breaks] == "fail", (verdicts, done.stderr[-2000:])
    # a failing MUST clause: DOES NOT CONFORM (1); a failing SHOULD clause is a warning, and with the rest of
    # the catalogue not selected the run is INCOMPLETE (4)
    assert done.returncode == (1 if clause(mutant.breaks).severity == "MUST" else 4), done.stdout[-2000:]
