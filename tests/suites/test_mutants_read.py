"""The read-side checks bite: each group run against a reference server with one rule broken fails
on the clause that rule is (tests/suites/mutants_read.py).

Every mutant is a full `invharness verify --group G` run, too slow for the normal test run: the
whole table is behind the ``mutants`` marker (``python -m pytest -m mutants tests/suites``); the
normal run proves a few representative ones and that the table covers every MUST clause.
"""


import pytest
import yaml

from invharness import contracts
from invharness.reference_impl.config import ServerConfig
from invharness.reference_impl.server import EmbeddedServer
from tests.suites.mutants import applied
from tests.suites.mutants_read import READ_MUTANTS
from tests.suites.test_mutants import verify

GROUPS = ("inventory", "segmentation", "deltas", "events", "graphql", "feed-lifecycle", "feed-filters")
REPRESENTATIVE = ("onHand counts INACTIVE quantities", "async deltas answered COMPLETE but never applied")


@pytest.fixture
def target_profile(tmp_path, local_s3):
    path = tmp_path / "profile.yaml"
    profile = {
        "s3": {"endpoint": local_s3.url},
        "features": {"clock_control": True},
        "declared": {"feed.default_interval_s": 1},
        "timeouts": {"batch_s": 15},  # a mutant that never finishes fails in seconds, not a minute
    }
    path.write_text(yaml.safe_dump(profile))
    return path


def server(local_s3, mutant=None):
    config = ServerConfig(s3_endpoint=local_s3.url, feed_interval_s=1, clock_control=True)
    return EmbeddedServer(mutant.configure(config) if mutant is not None else config)


def judge(mutant, local_s3, profile, report_dir):
    with applied(mutant), server(local_s3, mutant) as running:
        done, results = verify(running.url, profile, [mutant.group], report_dir, timeout=600)
    verdicts = {c["id"]: c["verdict"] for c in results["clauses"]}
    failing = {c["test"]: c["message"] for c in results["checks"] if c["verdict"] != "pass"}
    assert verdicts[mutant.breaks] == "fail", (mutant.name, verdicts[mutant.breaks], failing, done.stderr[-2000:])
    assert done.returncode == 1, done.stdout[-2000:]


def by_name(*names):
    return [pytest.param(m, id=m.name) for m in READ_MUTANTS if m.name in names]


@pytest.mark.parametrize("mutant", by_name(*REPRESENTATIVE))
def test_representative_mutants_are_killed(mutant, local_s3, target_profile, tmp_path):
    judge(mutant, local_s3, target_profile, tmp_path / "report")


@pytest.mark.mutants
@pytest.mark.parametrize("mutant", [pytest.param(m, id=m.name) for m in READ_MUTANTS])
def test_every_read_mutant_is_killed_on_the_clause_it_breaks(mutant, local_s3, target_profile, tmp_path):
    judge(mutant, local_s3, target_profile, tmp_path / "report")


@pytest.mark.mutants
def test_the_unbroken_server_passes_every_read_group(local_s3, target_profile, tmp_path):
    with server(local_s3) as running:
        done, results = verify(running.url, target_profile, GROUPS, tmp_path / "report", timeout=600)
    ours = [c for c in results["clauses"] if c["group"] in GROUPS]
    assert {c["id"]: c["verdict"] for c in ours if c["verdict"] != "pass"} == {}, done.stdout[-3000:]
    # the other groups are not selected: nothing fails, so INCOMPLETE (exit 4), not CONFORMS
    assert done.returncode == 4 and results["summary"]["failed_must"] == [], done.stdout[-3000:]


def test_every_must_clause_of_the_read_groups_has_a_mutant():
    from tests.suites.mutants_clients import CLIENT_MUTANTS  # the clauses real clients prompted (issue 14)
    from tests.suites.mutants_mutations import MUTATION_MUTANTS  # the inventory mutations' (issue 10)

    must = {c.id for c in contracts.clauses() if c.group in GROUPS and c.severity == "MUST"}
    assert must - {m.breaks for m in READ_MUTANTS + CLIENT_MUTANTS + MUTATION_MUTANTS} == set()


def test_each_mutant_breaks_a_clause_of_its_own_group():
    groups = {c.id: c.group for c in contracts.clauses()}
    assert [(m.name, m.breaks) for m in READ_MUTANTS if groups.get(m.breaks) != m.group] == []
    assert len({m.name for m in READ_MUTANTS}) == len(READ_MUTANTS), "mutant names identify them"
