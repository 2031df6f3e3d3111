"""The resource-limit checks bite: each SEC-COST check fails against a reference server with its limit
broken (tests/suites/mutants_limits.py) and passes against the unbroken one.

The normal run calls each check in process against an embedded server (a few seconds); the full
`invharness verify --group security` run per mutant is behind the ``mutants`` marker.
"""

import itertools

import pytest

from invharness import contracts
from invharness.reference_impl.config import ServerConfig
from invharness.reference_impl.server import EmbeddedServer
from invharness.suites import test_security_limits as checks
from invharness.suites.client import TargetClient
from invharness.suites.profile import TargetProfile
from tests.suites.mutants import applied
from tests.suites.mutants_limits import LIMIT_MUTANTS
from tests.suites.test_mutants_read import judge

CHECKS = {
    "SEC-COST-01": lambda client, ref: checks.test_graphql_depth_limit(client, ref, client.profile),
    "SEC-COST-02": lambda client, ref: checks.test_graphql_alias_limit(client, client.profile),
    "SEC-COST-03": lambda client, ref: checks.test_graphql_complexity_budget(client, ref, client.profile),
    "SEC-COST-04": lambda client, ref: checks.test_json_depth_limit_both_ways(client, ref, client.profile),
}
_refs = itertools.count(1)


def run_checks(clause_ids):
    """Run the checks of ``clause_ids`` against a fresh embedded server; the AssertionErrors they raised."""
    failed = {}
    with EmbeddedServer(ServerConfig(processing_window_s=0)) as server:
        client = TargetClient(server.url, TargetProfile())
        for clause_id in clause_ids:
            try:
                CHECKS[clause_id](client, lambda kind: f"ihmut-{kind}-{next(_refs)}")
            except AssertionError as failure:
                failed[clause_id] = str(failure)
    return failed


def test_every_check_passes_on_the_reference():
    assert run_checks(list(CHECKS)) == {}


@pytest.mark.parametrize("mutant", [pytest.param(m, id=m.name) for m in LIMIT_MUTANTS])
def test_each_check_fails_against_its_mutant(mutant):
    with applied(mutant):
        assert mutant.breaks in run_checks([mutant.breaks])


@pytest.fixture
def target_profile(tmp_path, local_s3):
    import yaml

    path = tmp_path / "profile.yaml"
    path.write_text(yaml.safe_dump({"s3": {"endpoint": local_s3.url}, "features": {"clock_control": True}}))
    return path


@pytest.mark.mutants
@pytest.mark.parametrize("mutant", [pytest.param(m, id=m.name) for m in LIMIT_MUTANTS])
def test_every_limit_mutant_is_killed_on_the_clause_it_breaks(mutant, local_s3, target_profile, tmp_path):
    judge(mutant, local_s3, target_profile, tmp_path / "report")


def test_every_sec_cost_clause_has_a_check_and_a_mutant_of_its_own_group():
    cost = {c.id for c in contracts.clauses("security") if c.id.startswith("SEC-COST-")}
    assert cost and cost == {m.breaks for m in LIMIT_MUTANTS} == set(CHECKS)
    assert all(m.group == "security" for m in LIMIT_MUTANTS)
