"""Mutants of what real clients found (issue 14): segment fields, GraphQL over HTTP, ``me``, event
search filters and the job results answer. Each breaks one clause; the group run against it must
fail there (tests/suites/test_mutants_clients.py)."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.responses import PlainTextResponse
from starlette.routing import request_response

from invharness.reference_impl.config import ServerConfig
from invharness.reference_impl.services import inventory
from invharness.reference_impl.stores import events
from invharness.reference_impl.transport import http_api
from invharness.reference_impl.transport.graphql import me
from tests.suites.mutants import Mutant, applied

__all__ = ["CLIENT_MUTANTS", "Mutant", "applied"]


def _drops_segments_on_create(mp: pytest.MonkeyPatch) -> None:
    original = inventory.InventoryService.create_quantity
    segment_keys = set(inventory.SEGMENT_FIELDS)

    def create(self: Any, principal: Any, data: dict[str, Any]) -> Any:
        return original(self, principal, {k: v for k, v in data.items() if k not in segment_keys})

    mp.setattr(inventory.InventoryService, "create_quantity", create)


def _drops_segments_on_update(mp: pytest.MonkeyPatch) -> None:
    original = inventory.InventoryService.update_quantity
    segment_keys = set(inventory.SEGMENT_FIELDS)

    def update(self: Any, principal: Any, data: dict[str, Any]) -> Any:
        return original(self, principal, {k: v for k, v in data.items() if k not in segment_keys})

    mp.setattr(inventory.InventoryService, "update_quantity", update)


def _ignores_one_segment_filter(mp: pytest.MonkeyPatch) -> None:
    original = inventory.filter_quantities
    mp.setattr(
        inventory,
        "filter_quantities",
        lambda quantities, filters: original(quantities, {k: v for k, v in filters.items() if k != "segment2"}),
    )


def _request_errors_400_as_json(mp: pytest.MonkeyPatch) -> None:
    """The defect a real client met: a query that does not validate answered 400 application/json."""
    original = http_api._graphql_response

    def respond(result: Any, status: int, media: str) -> Any:
        return original(result, 400 if "data" not in result else status, media)

    mp.setattr(http_api, "_graphql_response", respond)


def _field_errors_answered_500(mp: pytest.MonkeyPatch) -> None:
    """An answer that carries data and field errors sent as a server error: the client loses the data."""
    original = http_api._graphql_response

    def respond(result: Any, status: int, media: str) -> Any:
        return original(result, 500 if result.get("errors") and result.get("data") is not None else status, media)

    mp.setattr(http_api, "_graphql_response", respond)


def _introspection_misses_a_field(mp: pytest.MonkeyPatch) -> None:
    """The schema a client introspects lacks a field of the contract (a renamed field, say)."""
    original = http_api._graphql_response

    def respond(result: Any, status: int, media: str) -> Any:
        for kind in ((result.get("data") or {}).get("__schema") or {}).get("types") or []:
            if kind.get("name") == "InventoryPosition":
                kind["fields"] = [f for f in kind["fields"] if f["name"] != "onHand"]
        return original(result, status, media)

    mp.setattr(http_api, "_graphql_response", respond)


def _graphql_response_json_ignored(mp: pytest.MonkeyPatch) -> None:
    mp.setattr(http_api, "_graphql_media", lambda accept: http_api.GRAPHQL_JSON)


def _me_is_always_the_first_user(mp: pytest.MonkeyPatch) -> None:
    original = me._user

    def user(principal: Any, account_id: str) -> Any:
        first = ServerConfig().account.users[0]
        return original(type(principal)(first), account_id)

    mp.setattr(me, "_user", user)


def _retailer_filter_ignored(mp: pytest.MonkeyPatch) -> None:
    """The defect a real client met: retailerId taken, and silently ignored."""
    original = events.InMemoryEventLog.search

    def search(self: Any, filters: dict[str, str], *rest: Any) -> Any:
        return original(self, {k: v for k, v in filters.items() if k != "retailer_id"}, *rest)

    mp.setattr(events.InMemoryEventLog, "search", search)


def _job_results_bare_404(mp: pytest.MonkeyPatch) -> None:
    async def results(request: Any) -> Any:
        return PlainTextResponse("Not Found", status_code=404)

    route = next(r for r in http_api.routes if getattr(r, "path", "").endswith("/results"))
    mp.setattr(route, "endpoint", results)
    mp.setattr(route, "app", request_response(results))


CLIENT_MUTANTS = [
    Mutant("updateInventoryQuantity drops segment fields", "segmentation", "SEG-GQL-02", _drops_segments_on_update),
    Mutant("an answer with data and field errors sent as 500", "graphql", "GQL-HTTP-01", _field_errors_answered_500),
    Mutant("introspection lacks onHand", "contract-shape", "SHAPE-GQL-01", _introspection_misses_a_field),
    Mutant("createInventoryQuantity drops segment fields", "segmentation", "SEG-GQL-01", _drops_segments_on_create),
    Mutant("segment2 filter ignored", "segmentation", "SEG-FILTER-02", _ignores_one_segment_filter),
    Mutant("request errors 400 as application/json", "graphql", "GQL-HTTP-02", _request_errors_400_as_json),
    Mutant("event search ignores retailerId", "events", "EVT-SEARCH-03", _retailer_filter_ignored),
    Mutant("job results a bare text 404", "jobs", "JOB-RESULTS-01", _job_results_bare_404),
    Mutant("me answers the first user whoever asks", "auth", "AUTH-ME-01", _me_is_always_the_first_user),
    Mutant("Accept graphql-response+json ignored", "graphql", "GQL-HTTP-03", _graphql_response_json_ignored),
]
