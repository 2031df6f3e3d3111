"""The contract's OpenAPI links as the fuzzer uses them: which operations they join into families (each walked
by a stateful run of its own), and which answer fields carry an id the target issued into a later request
(what the Transcript writes as a placeholder)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from invharness import contracts

__all__ = ["contract_links", "families", "linked_fields", "role"]


def contract_links() -> list[tuple[str, str]]:
    """Every link of contracts/openapi.yaml as (the operation that answers, the operation it leads to), in the
    contract's order: create job -> create batch, create job -> read job, ..., create event -> read event."""
    operations = _operations()
    return [(source, operations[link["operationId"]]) for source, link in _links()]


def families(links: Sequence[tuple[str, str]]) -> list[tuple[str, ...]]:
    """The operations ``links`` join, one tuple per connected family, in the order they first appear."""
    order = list(dict.fromkeys(label for pair in links for label in pair))
    family = {label: {label} for label in order}
    for source, target in links:
        joined = family[source] | family[target]
        for label in joined:
            family[label] = joined
    found = {tuple(sorted(members, key=order.index)) for members in family.values()}
    return sorted(found, key=lambda members: order.index(members[0]))


def linked_fields() -> dict[str, dict[str, str]]:
    """Which answer fields of which operation the contract's links carry into a later request, and what they
    name: {"POST /api/v4.1/event/sync": {"eventId": "event"}, ...}."""
    linked: dict[str, dict[str, str]] = {}
    for source, link in _links():
        for parameter, expression in (link.get("parameters") or {}).items():
            if str(expression).startswith("$response.body#/"):
                linked.setdefault(source, {})[str(expression).removeprefix("$response.body#/")] = role(parameter)
    return linked


def _operations() -> dict[str, str]:
    """operationId -> label ("POST /api/v4.1/job") of every operation of the contract."""
    return {op["operationId"]: f"{method.upper()} {path}" for path, method, op in _contract_operations()}


def _links() -> Iterator[tuple[str, dict[str, Any]]]:
    """(the label of the operation that answers, the link) for every link of the contract."""
    for path, method, operation in _contract_operations():
        for response in operation.get("responses", {}).values():
            for link in response.get("links", {}).values():
                yield f"{method.upper()} {path}", link


def _contract_operations() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in contracts.openapi()["paths"].items():
        for method, operation in item.items():
            if isinstance(operation, dict) and "operationId" in operation:  # not a path's own parameters
                yield path, method, operation


def role(name: str) -> str:
    """What an id names: a job, a batch or an event (a parameter's name, or the operation that answered it);
    jobs and batches are numbered apart, so job 1 and batch 1 are two things."""
    lowered = name.lower()
    return next((role for role in ("batch", "event", "job") if role in lowered), "other")
