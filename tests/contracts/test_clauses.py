"""The clause catalogue: unique, well-formed IDs, each with its source, covering SPEC §12."""

import re
from collections import Counter

from invharness import contracts

CATALOGUE = contracts.catalogue()
ID_FORMAT = re.compile(r"^[A-Z]+(-[A-Z0-9]+)+-[0-9]{2}$")
# Scenario rows of SPEC §12 that no clause can cover, and why.
UNCOVERABLE: dict[str, str] = {}  # scenarios no clause can cite, with why (H7 is INV-INACTIVE-01 since issue 10)


def test_ids_are_unique_and_well_formed():
    counts = Counter(c.id for c in CATALOGUE.clauses)
    assert [i for i, n in counts.items() if n > 1] == []
    assert [c.id for c in CATALOGUE.clauses if not ID_FORMAT.match(c.id)] == []


def test_every_clause_names_its_source_and_says_something():
    for clause in CATALOGUE.clauses:
        assert clause.source.startswith("SPEC §"), clause.id
        assert len(clause.statement) > 20, clause.id
        assert clause.severity in {"MUST", "SHOULD"}, clause.id
        assert clause.basis in {"documented", "secondary", "inferred", "decision", "standard"}, clause.id
        assert clause.group in CATALOGUE.groups, clause.id


def test_every_group_has_clauses():
    assert {c.group for c in CATALOGUE.clauses} == set(CATALOGUE.groups)


def test_profile_keys_are_declared_used_and_tied_to_open_questions():
    used = {c.profile for c in CATALOGUE.clauses if c.profile}
    assert used <= set(CATALOGUE.profile_keys), used - set(CATALOGUE.profile_keys)
    assert set(CATALOGUE.profile_keys) - used == set(), "a profile key no clause uses"
    for key in CATALOGUE.profile_keys.values():
        assert re.fullmatch(r"OQ-[0-9]+", key.question), key.key
        if key.values is not None:
            assert key.reference in key.values, key.key


def test_a_clause_from_a_standard_names_where_it_is_written():
    for clause in CATALOGUE.clauses:
        if clause.basis == "standard":
            assert "https://" in clause.source, clause.id


def test_rules_we_only_infer_cannot_hard_fail_without_a_declaration():
    # SPEC §0: no hard fail on inference unless the target can declare its behaviour.
    offenders = [
        c.id
        for c in CATALOGUE.clauses
        if c.basis in {"inferred", "decision"} and c.severity == "MUST" and c.profile is None
    ]
    assert offenders == []


def test_every_spec_scenario_is_cited_by_a_clause(shared_dir):
    section = (shared_dir / "SPEC.md").read_text().split("## 12.", 1)[1].split("## 13.", 1)[0]
    scenarios = set(re.findall(r"^\| ([A-Z][0-9]+) \|", section, re.M))
    assert len(scenarios) > 50
    cited = set()
    for clause in CATALOGUE.clauses:
        for group in re.findall(r"§12\.[0-9] ([A-Z0-9, ]+)", clause.source):
            cited |= {s.strip() for s in group.split(",")}
    assert scenarios - cited - set(UNCOVERABLE) == set()


def test_lookup_by_id_and_group():
    assert contracts.clause("BPP-PREC-02").profile is None
    assert all(c.group == "deltas" for c in contracts.clauses("deltas"))
    try:
        contracts.clause("NOPE-01")
    except KeyError as exc:
        assert "NOPE-01" in str(exc)
    else:
        raise AssertionError("an unknown clause ID must raise")
