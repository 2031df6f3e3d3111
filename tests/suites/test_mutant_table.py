"""contracts/mutants.yaml says what the mutants say, and `invharness clauses --json` shows it."""

import json

from invharness import contracts
from invharness.cli import main
from tests.suites import mutant_table
from tests.suites.mutant_table import PATH, render
from tests.suites.mutants import applied


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
    for mutant in mutant_table.every_mutant():
        try:
            with applied(mutant):
                pass
        except Exception as exc:  # any failure to apply is the finding, reported per mutant
            refused.append((mutant.name, repr(exc)))
    assert refused == []
