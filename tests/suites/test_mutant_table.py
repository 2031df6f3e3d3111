"""contracts/mutants.yaml says what the mutants say, and `invharness clauses --json` shows it."""

import json

from invharness import contracts
from invharness.cli import main
from tests.suites.mutant_table import PATH, render


def test_the_shipped_table_is_the_one_the_mutants_make():
    assert PATH.read_text(encoding="utf-8") == render(), "run `python -m tests.suites.mutant_table`"


def test_every_must_clause_names_its_mutants_in_clauses_json(capsys):
    assert main(["clauses", "--json"]) == 0
    shown = {c["id"]: c["mutants"] for c in json.loads(capsys.readouterr().out)}
    must = [c.id for c in contracts.clauses() if c.severity == "MUST"]
    assert [clause for clause in must if not shown[clause]] == []
    assert shown["BPP-DEDUP-01"] == contracts.mutant_table()["BPP-DEDUP-01"]
