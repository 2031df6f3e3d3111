"""contracts/mutants.yaml says what the mutants say, and `invharness clauses --json` shows it."""

import json

from invharness import contracts
from invharness.cli import main
from tests.suites.mutant_table import PATH, render
from tests.suites.mutants import MUTANTS, PER_CLAUSE, applied
from tests.suites.mutants_clients import CLIENT_MUTANTS
from tests.suites.mutants_limits import LIMIT_MUTANTS
from tests.suites.mutants_read import READ_MUTANTS


def test_the_shipped_table_is_the_one_the_mutants_make():
    assert PATH.read_text(encoding="utf-8") == render(), "run `python -m tests.suites.mutant_table`"


def test_every_must_clause_names_its_mutants_in_clauses_json(capsys):
    assert main(["clauses", "--json"]) == 0
    shown = {c["id"]: c["mutants"] for c in json.loads(capsys.readouterr().out)}
    must = [c.id for c in contracts.clauses() if c.severity == "MUST"]
    assert [clause for clause in must if not shown[clause]] == []
    assert shown["BPP-DEDUP-01"] == contracts.mutant_table()["BPP-DEDUP-01"]


def test_every_mutant_patches_something_the_reference_has():
    """A mutant patches reference internals by name; after a rename it must fail loudly, not mutate nothing
    (monkeypatch refuses to set a missing attribute)."""
    refused = []
    for mutant in MUTANTS + PER_CLAUSE + READ_MUTANTS + CLIENT_MUTANTS + LIMIT_MUTANTS:
        try:
            with applied(mutant):
                pass
        except Exception as exc:  # any failure to apply is the finding, reported per mutant
            refused.append((mutant.name, repr(exc)))
    assert refused == []
