"""contracts/mutants.yaml from the mutants themselves: clause id -> the names of the mutants of the
reference server that the clause's checks are proven to fail (tests/suites/test_mutants*.py).

``python -m tests.suites.mutant_table`` writes the file; tests/suites/test_mutant_table.py checks
that the file says what the mutants say, so `invharness clauses --json` cannot drift from them.
"""

from __future__ import annotations

import yaml

from invharness import contracts
from tests.suites.mutants import MUTANTS, PER_CLAUSE, Mutant
from tests.suites.mutants_clients import CLIENT_MUTANTS
from tests.suites.mutants_input import INPUT_MUTANTS
from tests.suites.mutants_limits import LIMIT_MUTANTS
from tests.suites.mutants_mutations import MUTATION_MUTANTS
from tests.suites.mutants_read import READ_MUTANTS
from tests.suites.mutants_security import SECURITY_MUTANTS

__all__ = ["every_mutant", "render", "table"]

PATH = contracts.CONTRACTS_DIR / "mutants.yaml"
HEADER = (
    "# Clause id -> the deliberately broken variants of the reference server (mutants) that the clause's\n"
    "# checks are proven to fail: the plausible bugs a run is known to catch. Generated from\n"
    "# tests/suites/mutants*.py by `python -m tests.suites.mutant_table`; a test keeps it in step.\n"
)


def every_mutant() -> list[Mutant]:
    """Every mutant of every module: the one list the table and the coverage tests read (a new module of
    mutants is added here, once)."""
    return [
        *MUTANTS,
        *PER_CLAUSE,
        *READ_MUTANTS,
        *CLIENT_MUTANTS,
        *MUTATION_MUTANTS,
        *INPUT_MUTANTS,
        *SECURITY_MUTANTS,
        *LIMIT_MUTANTS,
    ]


def table() -> dict[str, list[str]]:
    found: dict[str, set[str]] = {}
    for mutant in every_mutant():
        found.setdefault(mutant.breaks, set()).add(mutant.name)
    order = [c.id for c in contracts.clauses()]
    return {clause: sorted(found[clause]) for clause in order if clause in found}


def render() -> str:
    return HEADER + yaml.safe_dump(table(), sort_keys=False, allow_unicode=True, width=200)


if __name__ == "__main__":
    PATH.write_text(render(), encoding="utf-8")
    print(f"wrote {PATH}")
