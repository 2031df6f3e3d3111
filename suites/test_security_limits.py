"""Resource limits (group security, SEC-COST): the GraphQL depth, alias and complexity limits and the
JSON depth limit the target declares are enforced, and a query beyond them is refused before it runs.

Every query filters on a ref of this run that matches nothing, so a target that does not enforce a
limit answers quickly with empty pages instead of walking a vendor's sandbox: the check sees the
answer (data where a refusal was due), never a stalled server.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

__all__: list[str] = []

REFUSED_WITHIN_S = 5.0  # a limit checked before execution answers in milliseconds; a remote one in < 5 s
NESTED_PAGES = (100, 200, 500)  # page sizes tried for the three-level bomb, smallest first


def refused(body: dict[str, Any]) -> bool:
    """A request error: GraphQL errors and no data (nothing of the query ran)."""
    return bool(body.get("errors")) and body.get("data") is None


def answered(body: dict[str, Any]) -> bool:
    return not body.get("errors") and isinstance(body.get("data"), dict)


def _parents(ref: str, levels: int) -> str:
    """A query ``4 + levels`` fields deep: inventoryQuantities > edges > node > parent x levels > ref."""
    chain = "parent { " * levels + "ref" + " }" * levels
    return f'{{ inventoryQuantities(ref: ["{ref}"], first: 1) {{ edges {{ node {{ {chain} }} }} }} }}'


@pytest.mark.clause("SEC-COST-01")
def test_graphql_depth_limit(client, ref, profile):
    depth = int(profile.value("limits.graphql.max_depth"))
    if depth < 5:
        pytest.skip(f"unsupported: a declared depth of {depth} leaves no room for a connection's query")
    nothing = ref("none")
    within = client.graphql(_parents(nothing, depth - 4))
    assert answered(within), f"a query {depth} deep (the declared limit) was not answered: {str(within)[:300]}"
    beyond = client.graphql(_parents(nothing, depth - 3))
    assert refused(beyond), f"a query {depth + 1} deep (over the declared {depth}) was not refused: {str(beyond)[:300]}"


def _aliases(count: int) -> str:
    return "{ " + " ".join(f"a{i}: me {{ username }}" for i in range(count)) + " }"


@pytest.mark.clause("SEC-COST-02")
def test_graphql_alias_limit(client, profile):
    limit = int(profile.value("limits.graphql.max_aliases"))
    within = client.graphql(_aliases(limit))
    assert answered(within), f"{limit} aliases (the declared limit) were not answered: {str(within)[:300]}"
    beyond = client.graphql(_aliases(limit + 1))
    assert refused(beyond), f"{limit + 1} aliases (over the declared {limit}) were not refused: {str(beyond)[:300]}"


def _nested(ref: str, pages: int) -> str:
    """Three nested connection levels of ``pages`` nodes each: pages x (1 + pages x (1 + pages)) nodes."""
    return f"""{{ inventoryCatalogues(ref: ["{ref}"], first: {pages}) {{ edges {{ node {{ ref
        inventoryPositions(first: {pages}) {{ edges {{ node {{ ref
            quantities(first: {pages}) {{ edges {{ node {{ ref }} }} }} }} }} }} }} }} }} }}"""


def _two_levels(ref: str, outer: int, inner: int) -> str:
    """Two nested connection levels: ``outer`` x (1 + ``inner``) nodes, as the profile key's model counts."""
    return f"""{{ inventoryPositions(ref: ["{ref}"], first: {outer}) {{ edges {{ node {{ ref
        quantities(first: {inner}) {{ edges {{ node {{ ref }} }} }} }} }} }} }}"""


def _at_and_over(budget: int) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """(outer, inner) pages of a query costing at most ``budget`` and of one just over it (one more outer
    node's worth); None when no two levels of at most 500 nodes reach the budget."""
    for inner in (199, 499):
        outer = budget // (1 + inner)
        if 1 <= outer < 500:
            return (outer, inner), (outer + 1, inner)
    return None


def _timed(client: Any, query: str) -> tuple[dict[str, Any], float]:
    started = time.perf_counter()
    body = client.graphql(query)
    return body, time.perf_counter() - started


@pytest.mark.clause("SEC-COST-03")
def test_graphql_complexity_budget(client, ref, profile):
    budget = int(profile.value("limits.graphql.max_complexity"))
    nothing = ref("none")
    pages = next((p for p in NESTED_PAGES if p * (1 + p * (1 + p)) > budget), None)
    if pages is None:
        pytest.skip(f"unsupported: a declared budget of {budget} nodes is over what three 500-node levels ask")
    pages_at = _at_and_over(budget)
    if pages_at is None:
        pytest.skip(f"unsupported: a declared budget of {budget} nodes is not reached by two 500-node levels")
    (outer, inner), (over, _) = pages_at
    within = client.graphql(_two_levels(nothing, outer, inner))
    cost = outer * (1 + inner)
    assert answered(within), f"a query of {cost} nodes (budget {budget}) was not answered: {str(within)[:300]}"
    beyond = client.graphql(_two_levels(nothing, over, inner))
    assert refused(beyond), (
        f"a query of {over * (1 + inner)} nodes, just over the declared {budget}, ran: {str(beyond)[:300]}"
    )
    _, idle_s = _timed(client, "{ me { username } }")
    bomb: list[tuple[dict[str, Any], float]] = []
    sender = threading.Thread(target=lambda: bomb.append(_timed(client, _nested(nothing, pages))), daemon=True)
    sender.start()
    cheap: list[float] = []
    while sender.is_alive() and len(cheap) < 50:  # bounded: the bomb's own request has the client's timeout
        body, took = _timed(client, "{ me { username } }")
        assert answered(body), f"a cheap query answered {str(body)[:200]} while the bomb was in flight"
        cheap.append(took)
    sender.join(timeout=client.profile.request_timeout_s + 5)
    assert bomb, "the bomb's request did not come back"
    body, took = bomb[0]
    nodes = pages * (1 + pages * (1 + pages))
    assert refused(body), (
        f"three {pages}-node levels ({nodes} nodes, over the declared {budget}) ran: {str(body)[:300]}"
    )
    assert took < REFUSED_WITHIN_S, f"the bomb was refused after {took:.1f} s, not before it ran"
    slowest = max(cheap, default=0.0)
    assert slowest < max(2.0, 5 * idle_s), f"a cheap query took {slowest:.2f} s during the bomb (idle {idle_s:.2f} s)"


def _nested_json(levels: int) -> Any:
    value: Any = "leaf"
    for _ in range(levels):
        value = {"a": value}
    return value


def _event(name: str, profile: Any, attributes: Any) -> dict[str, Any]:
    return {"name": name, "retailerId": str(profile.primary_retailer), "attributes": attributes}


@pytest.mark.clause("SEC-COST-04")
def test_json_depth_limit_both_ways(client, ref, profile):
    depth = int(profile.value("limits.json.max_depth"))
    over, within = ref("DeepEvent"), ref("DeepEvent")
    # the body is one level above its attributes: attributes depth - 1 makes a body at the limit
    answer = client.request("POST", "/api/v4.1/event/async", json=_event(over, profile, _nested_json(depth)))
    assert 400 <= answer.status_code < 500, (
        f"an event body {depth + 1} deep (over the declared {depth}) answered {answer.status_code}, not 4xx"
    )
    answer = client.request("POST", "/api/v4.1/event/async", json=_event(within, profile, _nested_json(depth - 1)))
    assert answer.status_code == 200, f"an event body {depth} deep (the declared limit) answered {answer.status_code}"
    assert client.events(over) == [], "the refused event was stored"
    stored = client.events(within)  # a search that includes the deep event answers, and answers it whole
    assert [e.get("attributes") for e in stored] == [_nested_json(depth - 1)], "the event at the limit was not kept"
