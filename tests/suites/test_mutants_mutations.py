"""The checks of the inventory mutations and H7 (issue 10) bite: the checks citing each clause, run
against a reference server with one of MUTATION_MUTANTS applied, fail on that clause."""

import pytest

from tests.suites.mutants import as_params
from tests.suites.mutants_mutations import MUTATION_MUTANTS, applied
from tests.suites.test_mutants import judge_clause, server, target_profile  # noqa: F401  (target_profile: a fixture)

# one runs in every test run (about 12 s); the rest are part of the heavy proof (-m mutants)
QUICK = {"INV-INACTIVE-01"}


@pytest.mark.parametrize("mutant", as_params(MUTATION_MUTANTS, QUICK))
def test_the_checks_citing_the_clause_fail_the_mutant(mutant, local_s3, target_profile, tmp_path):  # noqa: F811
    with applied(mutant), server(local_s3) as running:
        verdict, output = judge_clause(running.url, target_profile, mutant.group, mutant.breaks, tmp_path)
    assert verdict == "fail", output
