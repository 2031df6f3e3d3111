"""What the checks that real clients prompted share: every segmentation field written and read back
on every route, GraphQL over HTTP by media type, and Event API searches narrowed to this run.

The segmentation fields come from the contract (segment-attributes.schema.json), so a field added
there is written, read back and filtered by these checks without touching them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from invharness import contracts
from invharness.suites.client import TargetClient

__all__ = [
    "DATE_FIELDS",
    "GRAPHQL_JSON",
    "GRAPHQL_RESPONSE_JSON",
    "SEGMENT_FIELDS",
    "assert_filtered_by_each_field",
    "assert_segments_stored",
    "event_field",
    "graphql_post",
    "read_segments",
    "search_events",
    "segment_values",
]

# parentRef links a quantity to its parent (GraphQL: parent { ref }); it is a tree edge, not a segment value.
SEGMENT_FIELDS: tuple[str, ...] = tuple(
    name for name in contracts.schema("segment-attributes")["properties"] if name != "parentRef"
)
DATE_FIELDS = frozenset(
    name
    for name, spec in contracts.schema("segment-attributes")["properties"].items()
    if spec.get("$ref", "").endswith("isoDateTime")
)
GRAPHQL_JSON = "application/json"
GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"


def segment_values(ref: Callable[[str], str], variant: int) -> dict[str, str]:
    """A value for every segmentation field, unique to this run; ``variant`` makes a second, different set."""
    values = {}
    for offset, name in enumerate(SEGMENT_FIELDS):
        if name in DATE_FIELDS:
            day = dt.datetime(2031, 1, 1, tzinfo=dt.UTC) + dt.timedelta(days=offset + 40 * variant)
            values[name] = day.strftime("%Y-%m-%dT%H:%M:%SZ")
        else:
            values[name] = ref(f"{name[:12]}{variant}")
    return values


def read_segments(client: TargetClient, quantity_ref: str, catalogue: str) -> dict[str, Any] | None:
    """The quantity's segmentation fields as inventoryQuantity answers them (None when it is not found)."""
    query = f"""query($ref: String!, $cat: String!) {{ inventoryQuantity(ref: $ref, catalogue: {{ref: $cat}}) {{
        ref {" ".join(SEGMENT_FIELDS)} }} }}"""
    return client.data(query, ref=quantity_ref, cat=catalogue)["inventoryQuantity"]


def _same(name: str, stored: Any, sent: str) -> bool:
    if name in DATE_FIELDS and isinstance(stored, str):
        try:
            return dt.datetime.fromisoformat(stored) == dt.datetime.fromisoformat(sent)
        except ValueError:
            return False
    return stored == sent


def assert_segments_stored(node: dict[str, Any] | None, sent: dict[str, str], route: str) -> None:
    """Every field sent is read back (dates compared as instants): names each field that was lost."""
    assert node is not None, f"the quantity written by {route} is not found"
    lost = {name: (value, node.get(name)) for name, value in sent.items() if not _same(name, node.get(name), value)}
    assert lost == {}, f"segmentation fields lost or changed by {route} (sent, read back): {lost}"


def assert_filtered_by_each_field(
    client: TargetClient, catalogue: str, mine: str, contrast: str, values: dict[str, str]
) -> None:
    """inventoryQuantities over the run's two quantities, filtered by each field's value of ``mine``,
    answers ``mine`` alone: a server that ignores a filter answers ``contrast`` too."""
    wrong = {}
    for name, value in values.items():
        kind, given = ("DateRange", {"from": value, "to": value}) if name in DATE_FIELDS else ("[String]", [value])
        query = f"""query($cat: String!, $refs: [String!], $v: {kind}) {{
            inventoryQuantities(catalogue: {{ref: $cat}}, ref: $refs, {name}: $v, first: 10) {{
                edges {{ node {{ ref }} }} }} }}"""
        found = client.data(query, cat=catalogue, refs=[mine, contrast], v=given)["inventoryQuantities"]
        refs = sorted(edge["node"]["ref"] for edge in found["edges"])
        if refs != [mine]:
            wrong[name] = refs
    assert wrong == {}, f"filtering by each field's value should answer only {mine}; got: {wrong}"


def graphql_post(client: TargetClient, body: Any, accept: str | None) -> Any:
    """POST /graphql with ``body`` as JSON and the given Accept header (None: no Accept header at all)."""
    # None removes the header requests would otherwise send (Accept: */*)
    headers: dict[str, str | None] = {"Content-Type": "application/json", "Accept": accept}
    return client.request("POST", "/graphql", json=body, headers=headers)


def search_events(client: TargetClient, **params: Any) -> list[dict[str, Any]]:
    """One page of GET /api/v4.1/event (at most 1000); a refusal is the check's failure, with the answer."""
    answer = client.request("GET", "/api/v4.1/event", params={"count": 1000, **params})
    assert answer.status_code == 200, f"event search {params} answered {answer.status_code}: {answer.text[:300]}"
    return answer.json().get("results", [])


def event_field(event: dict[str, Any], param: str) -> Any:
    """The value of an event that the search parameter ``param`` filters on (as a string)."""
    if param.startswith("context."):
        value = (event.get("context") or {}).get(param.removeprefix("context."))
    else:
        value = event.get({"eventType": "type"}.get(param, param))
    return None if value is None else str(value)
