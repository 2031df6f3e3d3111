"""The resource-limit checks bite: the security group run against a reference server with one limit
broken fails on that limit's clause (tests/suites/mutants_limits.py).

Each mutant is an `invharness verify --group security` run; the whole table is behind the ``mutants``
marker, the normal run proves one representative and that every SEC-COST clause has its mutant.
"""

import pytest

from invharness import contracts
from tests.suites.mutants_limits import LIMIT_MUTANTS
from tests.suites.test_mutants_read import judge

REPRESENTATIVE = "GraphQL complexity not budgeted"


@pytest.fixture
def target_profile(tmp_path, local_s3):
    import yaml

    path = tmp_path / "profile.yaml"
    path.write_text(yaml.safe_dump({"s3": {"endpoint": local_s3.url}, "features": {"clock_control": True}}))
    return path


@pytest.mark.parametrize("mutant", [pytest.param(m, id=m.name) for m in LIMIT_MUTANTS if m.name == REPRESENTATIVE])
def test_the_representative_limit_mutant_is_killed(mutant, local_s3, target_profile, tmp_path):
    judge(mutant, local_s3, target_profile, tmp_path / "report")


@pytest.mark.mutants
@pytest.mark.parametrize("mutant", [pytest.param(m, id=m.name) for m in LIMIT_MUTANTS])
def test_every_limit_mutant_is_killed_on_the_clause_it_breaks(mutant, local_s3, target_profile, tmp_path):
    judge(mutant, local_s3, target_profile, tmp_path / "report")


def test_every_sec_cost_clause_has_a_mutant_of_its_own_group():
    cost = {c.id for c in contracts.clauses("security") if c.id.startswith("SEC-COST-")}
    assert cost and cost == {m.breaks for m in LIMIT_MUTANTS}
    assert all(m.group == "security" for m in LIMIT_MUTANTS)
