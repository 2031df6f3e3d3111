"""The clause catalogue (clauses.yaml) as value objects.

A clause is one normative rule with a stable ID; suites cite IDs and reports group by them. A
profile key names an open question (SPEC §13) on which a target declares its own behaviour.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Literal

import yaml

from invharness.contracts.loader import CONTRACTS_DIR

__all__ = ["Catalogue", "Clause", "ProfileKey", "catalogue", "clause", "clauses"]

Severity = Literal["MUST", "SHOULD"]
Basis = Literal["documented", "secondary", "inferred", "decision", "standard"]


@dataclass(slots=True, frozen=True)
class Clause:
    """One normative rule: what a conforming target does, and where the rule comes from."""

    id: str
    group: str
    severity: Severity
    basis: Basis
    source: str
    statement: str
    profile: str | None = None


@dataclass(slots=True, frozen=True)
class ProfileKey:
    """An open question a target answers in its profile; ``reference`` is our server's answer."""

    key: str
    question: str
    reference: Any
    values: tuple[Any, ...] | None
    description: str


@dataclass(slots=True, frozen=True)
class Catalogue:
    """The whole catalogue: groups, profile keys and clauses in file order."""

    version: int
    groups: dict[str, str]
    profile_keys: dict[str, ProfileKey]
    clauses: tuple[Clause, ...]


@functools.cache
def catalogue() -> Catalogue:
    """The parsed clauses.yaml (read once per process)."""
    raw = yaml.safe_load((CONTRACTS_DIR / "clauses.yaml").read_text(encoding="utf-8"))
    keys = {
        key: ProfileKey(
            key=key,
            question=entry["question"],
            reference=entry["reference"],
            values=tuple(entry["values"]) if entry.get("values") is not None else None,
            description=entry["description"],
        )
        for key, entry in raw["profile_keys"].items()
    }
    return Catalogue(
        version=raw["version"],
        groups=dict(raw["groups"]),
        profile_keys=keys,
        clauses=tuple(Clause(**entry) for entry in raw["clauses"]),
    )


def clauses(group: str | None = None) -> tuple[Clause, ...]:
    """Every clause, or those of one group, in catalogue order."""
    every = catalogue().clauses
    return every if group is None else tuple(c for c in every if c.group == group)


def clause(clause_id: str) -> Clause:
    """The clause with this ID; KeyError naming the ID when there is none."""
    for candidate in catalogue().clauses:
        if candidate.id == clause_id:
            return candidate
    raise KeyError(f"no clause {clause_id!r} in the catalogue")
