"""The executable GraphQL schema (ariadne, schema-first from contracts/schema.graphql) and its execution.

Each area binds its resolvers in its own module (me, settings, inventory, virtual, feeds). Names are
converted between the SDL's camelCase and the resolvers' snake_case by one mapping (names.py), which
ariadne and the resolvers both use. A service's refusal (ApiError) answers as a GraphQL error with
Fluent's code for it; any other exception as an internal error, its details kept out of the answer.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import Any

import orjson
from ariadne import MutationType, QueryType, ScalarType, graphql, make_executable_schema
from graphql import DocumentNode, GraphQLError, GraphQLSchema, parse, validate

from invharness import contracts
from invharness.reference_impl.backend import Backend
from invharness.reference_impl.config import ServerConfig
from invharness.reference_impl.errors import ApiError
from invharness.reference_impl.services import validation
from invharness.reference_impl.services.access import Principal
from invharness.reference_impl.transport.graphql import feeds, inventory, me, settings, virtual
from invharness.reference_impl.transport.graphql.common import DEFAULT_PAGE, serialize_datetime
from invharness.reference_impl.transport.graphql.limits import QueryLimits, limit_rule
from invharness.reference_impl.transport.graphql.names import check_round_trip, schema_name_converter

__all__ = ["build_schema", "execute"]

AREAS = (me, settings, inventory, virtual, feeds)
log = logging.getLogger("reference_impl.graphql")


@functools.cache
def build_schema() -> GraphQLSchema:
    """The executable schema: contracts/schema.graphql bound to every area's resolvers (built once)."""
    query, mutation = QueryType(), MutationType()
    types = [t for area in AREAS for t in area.bind(query, mutation)]
    schema = make_executable_schema(
        contracts.sdl(),
        query,
        mutation,
        ScalarType("DateTime", serializer=serialize_datetime, value_parser=_date_time),
        ScalarType("Json"),
        *types,
        convert_names_case=schema_name_converter,
    )
    check_round_trip(schema)
    return schema


def _date_time(value: Any) -> str:
    """A DateTime input (a variable's value or a literal); a GraphQLError says why one is refused (any
    other exception would be answered as an internal error)."""
    try:
        return validation.date_time(value)
    except ValueError as refused:
        raise GraphQLError(str(refused)) from None


# A document this long is parsed and measured in a thread: a 70 kB cost bomb takes a few hundred ms of
# parsing, which would otherwise hold every other request; shorter ones are not worth the thread hop.
LONG_DOCUMENT = 10_000


async def execute(schema: GraphQLSchema, backend: Backend, principal: Principal, body: Any) -> tuple[bool, Any]:
    """Run one GraphQL request body; (success, result as ariadne formats it).

    The document is measured against the limits (depth, aliases, complexity, JSON literal depth) before
    anything else checks it: the specification's rules grow with the square of its fields (1,000 aliases
    took 2.5 s in OverlappingFieldsCanBeMerged), so a document over a limit is refused without them.

    A request error (the document does not parse or validate, no operation, a variable that does not
    coerce) answers no "data" entry, as the GraphQL specification says: graphql-core answers
    ``data: null`` for variable errors, which are told from field errors by having no path."""
    query, limits = body.get("query"), _limits(backend.config)
    measure = functools.partial(_measured, schema, query, limits, body.get("variables"))
    document, refusals = await asyncio.to_thread(measure) if len(query) > LONG_DOCUMENT else measure()
    if refusals:
        return False, {"errors": [_format_error(error) for error in refusals]}
    success, result = await graphql(
        schema,
        body,
        query_document=document,  # None when it does not parse: ariadne parses it again and says why
        context_value={"backend": backend, "principal": principal},
        error_formatter=_format_error,
    )
    if result.get("data", ...) is None and not any(e.get("path") for e in result.get("errors") or []):
        del result["data"]
    return success, result


def _measured(
    schema: GraphQLSchema, query: str, limits: QueryLimits, variables: Any
) -> tuple[DocumentNode | None, list[GraphQLError]]:
    """The parsed document (None when it does not parse) and the limits it is over."""
    try:
        document = parse(query)
    except GraphQLError:
        return None, []
    return document, validate(schema, document, [limit_rule(limits, variables)])


def _limits(config: ServerConfig) -> QueryLimits:
    return QueryLimits(
        config.graphql_max_depth,
        config.graphql_max_aliases,
        config.graphql_max_complexity,
        DEFAULT_PAGE,
        config.page_size_cap,
        config.max_json_depth,
    )


# Fluent's codes of a refused input; the classification says so to generic clients (graphql-java's field)
_REFUSED = {"C0120E", "C0140E", "S0001E"}


def _format_error(error: GraphQLError, debug: bool = False) -> dict[str, Any]:
    formatted = error.formatted
    original = error.original_error
    if isinstance(original, ApiError):
        formatted["message"] = original.message
        formatted["extensions"] = original.graphql_extensions()
    elif original is not None and not isinstance(original, GraphQLError):
        formatted["message"] = f"internal error: {type(original).__name__}"
        # a bug, like a REST 500: one error line with its traceback (ariadne's own log is silenced)
        log.error("internal error in GraphQL %s", error.path or "request", exc_info=original)
    extensions = formatted.get("extensions")
    if isinstance(extensions, dict) and extensions.get("code") in _REFUSED:
        extensions["classification"] = "BAD_REQUEST"
    return orjson.loads(orjson.dumps(formatted, default=str))
