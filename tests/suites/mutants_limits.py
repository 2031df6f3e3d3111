"""Broken reference servers for the resource limits (group security, SEC-COST): one per clause.

Each is the plausible slip of an implementer: one limit left out of the validation rules, or the
JSON depth checked nowhere. The security group run against a mutant must fail on the clause the
mutant ``breaks`` (tests/suites/test_mutants_limits.py).
"""

from __future__ import annotations

from typing import Any

import pytest

from invharness.reference_impl.transport import http_api
from invharness.reference_impl.transport.graphql import limits
from tests.suites.mutants import Mutant

__all__ = ["LIMIT_MUTANTS"]

MP = pytest.MonkeyPatch


def _limit_unchecked(name: str) -> Any:
    """The validation rule forgets the limit ``name`` (depth, aliases or complexity)."""

    def patch(mp: MP) -> None:
        original = limits.refusals

        def refusals(measured: Any, declared: Any) -> list[Any]:
            return [e for e in original(measured, declared) if e.extensions["limit"] != name]

        mp.setattr(limits, "refusals", refusals)

    return patch


def _json_depth_unchecked(mp: MP) -> None:
    mp.setattr(http_api, "within_depth", lambda value, max_depth: True)


LIMIT_MUTANTS = [
    Mutant("GraphQL depth not limited", "security", "SEC-COST-01", _limit_unchecked("depth")),
    Mutant("GraphQL aliases not counted", "security", "SEC-COST-02", _limit_unchecked("aliases")),
    Mutant("GraphQL complexity not budgeted", "security", "SEC-COST-03", _limit_unchecked("complexity")),
    Mutant("JSON input depth not checked", "security", "SEC-COST-04", _json_depth_unchecked),
]
