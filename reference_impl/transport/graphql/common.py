"""What every GraphQL area module shares: the request context, Relay connections, the DateTime scalar."""

from __future__ import annotations

import base64
from typing import Any

from ariadne import MutationType
from graphql import GraphQLError

from invharness.reference_impl.backend import Backend
from invharness.reference_impl.clock import iso_timestamp
from invharness.reference_impl.errors import ApiError
from invharness.reference_impl.services import validation
from invharness.reference_impl.services.access import Principal
from invharness.reference_impl.transport.graphql.names import to_graphql_keys

__all__ = ["DEFAULT_PAGE", "connection", "context", "input_mutations", "page", "required", "serialize_datetime"]

DEFAULT_PAGE = 100


def context(info: Any) -> tuple[Backend, Principal]:
    """The services and the authenticated user of the request a resolver answers."""
    return info.context["backend"], info.context["principal"]


def required(input: dict[str, Any] | None) -> dict[str, Any]:
    """The ``input`` of a mutation; the SDL lets it be null, the mutation cannot do without it."""
    if input is None:
        raise ApiError.bad_request("input is required")
    return input


def input_mutations(mutation: MutationType, service: str, methods: dict[str, str]) -> None:
    """Bind each mutation ``field(input: ...)`` of ``methods`` (field -> method) to
    ``backend.<service>.<method>(principal, input)``, the input required and in the contract's names."""
    for field, method in methods.items():

        def resolve(_: Any, info: Any, input: dict[str, Any] | None = None, *, method: str = method) -> Any:
            backend, principal = context(info)
            return getattr(getattr(backend, service), method)(principal, to_graphql_keys(required(input)))

        mutation.set_field(field, resolve)


def serialize_datetime(value: Any) -> str:
    return iso_timestamp(value) if isinstance(value, int | float) else str(value)


def page(info: Any, items: list[Any], first: int | None, after: str | None) -> dict[str, Any]:
    """A connection page over ``items`` at most the server's page size cap long."""
    return connection(items, first, after, context(info)[0].config.page_size_cap)


def connection(items: list[Any], first: int | None, after: str | None, cap: int) -> dict[str, Any]:
    """A Relay connection page over ``items``."""
    if first is not None and first < 0:
        raise GraphQLError("first must not be negative", extensions={"code": "C0120E"})
    start = _offset(after) + 1 if after else 0
    size = min(DEFAULT_PAGE if first is None else first, cap)
    chosen = items[start : start + size]
    # snake_case keys: ariadne converts the SDL's names (pageInfo -> page_info) for every field.
    return {
        "edges": [{"node": node, "cursor": _cursor(start + i)} for i, node in enumerate(chosen)],
        "page_info": {"has_next_page": start + size < len(items), "has_previous_page": start > 0},
    }


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode()


def _offset(cursor: str) -> int:
    try:
        kind, _, number = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
        offset = validation.decimal_id(number)
        if kind == "o" and offset is not None:
            return offset
    except (ValueError, UnicodeDecodeError):
        pass
    raise GraphQLError(f"invalid cursor {cursor!r}", extensions={"code": "C0120E"})
