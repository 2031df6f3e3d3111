"""Mutants of what real clients found (issue 14): segment fields, GraphQL over HTTP, ``me``, event
search filters and the job results answer. Each breaks one clause; the group run against it must
fail there (tests/suites/test_mutants_clients.py)."""

from __future__ import annotations

from typing import Any

import pytest

from invharness.reference_impl import graphql_api, http_api
from invharness.reference_impl.config import ServerConfig
from tests.suites.mutants import Mutant, applied

__all__ = ["CLIENT_MUTANTS", "Mutant", "applied"]


def _drops_segments_on_create(mp: pytest.MonkeyPatch) -> None:
    original = graphql_api._create_quantity
    segment_keys = {graphql_api.python_name(name) for name in graphql_api.SEGMENT_FIELDS}

    def create(backend: Any, principal: Any, data: dict[str, Any]) -> Any:
        return original(backend, principal, {k: v for k, v in data.items() if k not in segment_keys})

    mp.setattr(graphql_api, "_create_quantity", create)


def _ignores_one_segment_filter(mp: pytest.MonkeyPatch) -> None:
    original = graphql_api._filter_quantities
    ignored = graphql_api.python_name("segment2")
    mp.setattr(
        graphql_api,
        "_filter_quantities",
        lambda quantities, kwargs: original(quantities, {k: v for k, v in kwargs.items() if k != ignored}),
    )


def _request_errors_400_as_json(mp: pytest.MonkeyPatch) -> None:
    """The defect a real client met: a query that does not validate answered 400 application/json."""
    original = http_api._graphql_response

    def respond(result: Any, status: int, media: str) -> Any:
        return original(result, 400 if "data" not in result else status, media)

    mp.setattr(http_api, "_graphql_response", respond)


def _graphql_response_json_ignored(mp: pytest.MonkeyPatch) -> None:
    mp.setattr(http_api, "_graphql_media", lambda accept: http_api.GRAPHQL_JSON)


def _me_is_always_the_first_user(mp: pytest.MonkeyPatch) -> None:
    original = graphql_api._user

    def user(principal: Any, account_id: str) -> Any:
        first = ServerConfig().account.users[0]
        return original(type(principal)(first), account_id)

    mp.setattr(graphql_api, "_user", user)


CLIENT_MUTANTS = [
    Mutant("createInventoryQuantity drops segment fields", "segmentation", "SEG-GQL-01", _drops_segments_on_create),
    Mutant("segment2 filter ignored", "segmentation", "SEG-FILTER-02", _ignores_one_segment_filter),
    Mutant("request errors 400 as application/json", "graphql", "GQL-HTTP-02", _request_errors_400_as_json),
    Mutant("me answers the first user whoever asks", "auth", "AUTH-ME-01", _me_is_always_the_first_user),
    Mutant("Accept graphql-response+json ignored", "graphql", "GQL-HTTP-03", _graphql_response_json_ignored),
]
