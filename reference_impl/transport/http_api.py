"""The REST API: /oauth/token, the Job API, the Event API, and the /graphql endpoint.

Each handler authenticates, reads the JSON body (bounded, 413 beyond the limit), calls the
Backend, and answers JSON; every refusal carries the errors envelope (OAuth-style for the token).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

from invharness.reference_impl.backend import Backend
from invharness.reference_impl.clock import fluent_timestamp
from invharness.reference_impl.errors import ApiError, TokenError, envelope
from invharness.reference_impl.services import validation
from invharness.reference_impl.services.access import Principal
from invharness.reference_impl.transport.graphql.schema import execute
from invharness.reference_impl.transport.json_depth import within_depth

__all__ = ["error_handlers", "routes"]

# The search filters of GET /api/v4.1/event that Fluent's "Using the Event API" page documents, and the
# event field each matches; with from/to/start/count they are every parameter the search takes.
_SEARCH_FIELDS = {
    "name": "name",
    "eventType": "type",
    "retailerId": "retailer_id",
    "eventStatus": "status",
    "category": "category",
    "context.entityType": "entity_type",
    "context.entityRef": "entity_ref",
    "context.entityId": "entity_id",
    "context.rootEntityType": "root_entity_type",
    "context.rootEntityRef": "root_entity_ref",
    "context.rootEntityId": "root_entity_id",
}
_SEARCH_WINDOW = ("from", "to", "start", "count")
THIRTY_DAYS = 30 * 86400


def json_response(data: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(data), status_code=status, media_type="application/json")


def _backend(request: Request) -> Backend:
    return request.app.state.backend


def _principal(request: Request) -> Principal:
    return _backend(request).auth.authenticate(request.headers.get("authorization"))


async def _body(request: Request) -> bytes:
    """The whole body (the app's BodyLimit has refused one over max_body_bytes before it is read)."""
    return await request.body()


async def _json(request: Request) -> Any:
    body = await _body(request)
    if not body.strip():
        raise ApiError.bad_request("The request body is empty; a JSON object is required")
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ApiError.bad_request(f"The request body is not valid JSON: {exc}") from None
    limit = _backend(request).config.max_json_depth
    # one bracket count in C settles nearly every body; only one with more brackets than the limit is measured
    if body.count(b"[") + body.count(b"{") > limit and not within_depth(parsed, limit):
        raise ApiError.bad_request(f"The request body nests JSON deeper than {limit} levels (the server's limit)")
    return parsed


# ---------------------------------------------------------------------- auth


async def token(request: Request) -> Response:
    try:
        params = dict(request.query_params)
        params.update(await _token_body(request))
        return json_response(_backend(request).auth.issue(params))
    except TokenError as refused:
        return json_response(refused.body(), refused.status)


async def _token_body(request: Request) -> dict[str, str]:
    body = (await _body(request)).strip()
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if not body:
        return {}
    if media == "application/x-www-form-urlencoded":
        try:
            return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=True))
        except (UnicodeDecodeError, ValueError):
            raise TokenError(400, "invalid_request", "The form body is malformed") from None
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise TokenError(400, "invalid_request", "Send the parameters as form fields or in the query string") from None
    if parsed == {}:
        return {}
    if isinstance(parsed, dict) and all(isinstance(v, str) for v in parsed.values()):
        return parsed
    raise TokenError(400, "invalid_request", "Token parameters are strings, as form fields or in the query string")


# ---------------------------------------------------------------------- jobs


async def create_job(request: Request) -> Response:
    principal = _principal(request)
    job = _backend(request).jobs.create_job(principal, await _json(request))
    return json_response({"id": job.id})


async def read_job(request: Request) -> Response:
    jobs = _backend(request).jobs
    job = jobs.job(_principal(request), request.path_params["job_id"])
    return json_response(
        {
            "jobId": job.id,
            "name": job.name,
            "retailerId": str(job.retailer_id),
            "meta": job.meta,
            "status": jobs.status(job),
            "batch": [
                {"batchId": b.id, "status": b.status, "createdOn": fluent_timestamp(b.created_on)} for b in job.batches
            ],
            "createdOn": fluent_timestamp(job.created_on),
        }
    )


async def job_results(request: Request) -> Response:
    """Decision D-JOB-RESULTS (contracts/decisions.md): no such endpoint; say so, and where results are."""
    _principal(request)
    job_id = request.path_params["job_id"][:40]
    raise ApiError.not_found(
        f"GET /api/v4.1/job/{job_id}/results is not part of the Job API: each batch's per-record results "
        f"are at GET /api/v4.1/job/{job_id}/batch/{{batchId}}"
    )


async def create_batch(request: Request) -> Response:
    principal = _principal(request)
    payload = await _json(request)
    batch = _backend(request).batches.accept_batch(principal, request.path_params["job_id"], payload)
    return json_response({"id": batch.id})


async def read_batch(request: Request) -> Response:
    batches = _backend(request).batches
    batch = batches.batch(_principal(request), request.path_params["job_id"], request.path_params["batch_id"])
    start = _int_param(request, "start", 1, low=1, high=1_000_000)
    count = _int_param(request, "count", 10, low=0, high=5000)  # decision 6: a batch holds at most 5,000
    return json_response(_batch_json(batch, start, count, batches.results(batch)))


def _batch_json(batch: Any, start: int, count: int, results: list[dict[str, Any]]) -> dict[str, Any]:
    # Decision 3: start (1-based) and count page over results; total counts them all.
    return {
        "batchId": batch.id,
        "entityType": "INVENTORY",
        "status": batch.status,
        "start": start,
        "count": count,
        "total": len(results),
        "results": results[start - 1 : start - 1 + count],
        "createdOn": fluent_timestamp(batch.created_on),
    }


# ---------------------------------------------------------------------- events


async def post_event_async(request: Request) -> Response:
    principal = _principal(request)
    events = _backend(request).events
    event = events.post_event(principal, await _json(request), sync=False)
    return json_response({events.async_id_field: events.event_id(event), "eventStatus": "PENDING"})


async def post_event_sync(request: Request) -> Response:
    principal = _principal(request)
    events = _backend(request).events
    event = events.post_event(principal, await _json(request), sync=True)
    body = {"eventId": events.event_id(event), "entityId": event.entity_id, "eventStatus": event.status}
    if event.status != "COMPLETE":
        body["errorMessage"] = event.error_message
    return json_response(body, 200 if event.status == "COMPLETE" else 400)


async def read_event(request: Request) -> Response:
    events = _backend(request).events
    event = events.event(_principal(request), request.path_params["event_id"])
    return json_response(_event_json(events, event))


async def search_events(request: Request) -> Response:
    principal = _principal(request)
    backend = _backend(request)
    params = request.query_params
    unknown = sorted(set(params) - set(_SEARCH_FIELDS) - set(_SEARCH_WINDOW))
    if unknown:  # decision D-EVT-SEARCH-UNKNOWN: an unknown filter is refused, never silently ignored
        raise ApiError.bad_request(
            f"Unknown event search parameter(s) {', '.join(repr(u[:40]) for u in unknown[:5])}; "
            f"the search takes {', '.join([*_SEARCH_FIELDS, *_SEARCH_WINDOW])}"
        )
    if "retailerId" in params:
        validation.whole_number(params["retailerId"], "retailerId", 0, 2**63 - 1)
    filters = {field: params[name] for name, field in _SEARCH_FIELDS.items() if name in params}
    now = backend.clock.now()
    since = _time_param(request, "from", now - THIRTY_DAYS)
    until = _time_param(request, "to", now + 1)
    start = _int_param(request, "start", 0, low=0, high=1_000_000)  # the contract's maximum
    count = _int_param(request, "count", 100, low=1, high=5000)
    found, more = backend.events.search(principal, filters, since, until, start, count)
    return json_response(
        {"start": start, "count": count, "hasMore": more, "results": [_event_json(backend.events, e) for e in found]}
    )


def _event_json(events: Any, event: Any) -> dict[str, Any]:
    """The event as GET /api/v4.1/event/{id} answers it (event-read schema)."""
    return {
        "id": events.event_id(event),
        "name": event.name,
        "type": event.type,
        "accountId": events.account_id,
        "retailerId": None if event.retailer_id is None else str(event.retailer_id),
        "category": event.category,
        "context": {
            "sourceEvents": [],
            "entityType": event.entity_type,
            "entityId": event.entity_id,
            "entityRef": event.entity_ref,
            "rootEntityType": event.root_entity_type,
            "rootEntityId": event.root_entity_id,
            "rootEntityRef": event.root_entity_ref,
        },
        "eventStatus": event.status,
        "attributes": event.attributes,
        "source": event.source,
        "generatedBy": event.generated_by,
        "generatedOn": fluent_timestamp(event.generated_on),
        **({"errorMessage": event.error_message} if event.error_message else {}),
    }


def _int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    return default if raw is None else validation.whole_number(raw, name, low, high)


def _time_param(request: Request, name: str, default: float) -> float:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        moment = datetime.fromisoformat(raw.upper())  # RFC 3339 allows a lower-case t and z
        if moment.tzinfo is None:
            raise ValueError("no time zone")
    except ValueError:
        raise ApiError.bad_request(
            f"'{name}' must be an ISO-8601 date-time with a time zone, not {raw[:40]!r}"
        ) from None
    return moment.timestamp()


# ---------------------------------------------------------------------- graphql


# GraphQL over HTTP (https://graphql.github.io/graphql-over-http/draft/): the answer's media type is
# chosen by Accept, and the status follows the media type. application/json answers 200 for every
# well-formed request, request errors included (a 4xx application/json answer might come from any proxy,
# so clients cannot trust its body); application/graphql-response+json answers 4xx when the request
# failed before execution (no "data"). On a tie (*/*, application/*) application/json wins.
GRAPHQL_JSON = "application/json"
GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
_GRAPHQL_MEDIA = (GRAPHQL_JSON, GRAPHQL_RESPONSE_JSON)
_GRAPHQL_PARAMS = {"query": str, "operationName": str, "variables": dict, "extensions": dict}


async def graphql_endpoint(request: Request) -> Response:
    principal = _principal(request)
    media = _graphql_media(request.headers.get("accept"))
    body = await _json(request)
    problem = _not_well_formed(body)
    if problem is not None:  # not a GraphQL-over-HTTP request at all: 400 whatever the media type
        return _graphql_response({"errors": [{"message": problem}]}, 400, media)
    _success, result = await execute(request.app.state.graphql_schema, _backend(request), principal, body)
    request_error = "data" not in result  # parse, validation, operation or variable errors: nothing executed
    return _graphql_response(result, 400 if request_error and media == GRAPHQL_RESPONSE_JSON else 200, media)


def _graphql_media(accept: str | None) -> str:
    if accept is None or not accept.strip():
        return GRAPHQL_RESPONSE_JSON  # the specification's default for requests without Accept since 2025-01-01
    chosen = parse_accept_header(accept, MIMEAccept).best_match(_GRAPHQL_MEDIA)
    if chosen is None:
        raise ApiError(406, f"/graphql answers {' or '.join(_GRAPHQL_MEDIA)}; Accept asks for {accept[:80]!r}")
    return chosen


def _not_well_formed(body: Any) -> str | None:
    if not isinstance(body, dict):
        return "A GraphQL request is a JSON object"
    if not isinstance(body.get("query"), str):
        return "'query' must be a string holding a GraphQL document"
    for name, kind in _GRAPHQL_PARAMS.items():
        if body.get(name) is not None and not isinstance(body[name], kind):
            return f"'{name}' must be a {'string' if kind is str else 'JSON object'}"
    return None


def _graphql_response(result: Any, status: int, media: str) -> Response:
    return Response(orjson.dumps(result), status_code=status, media_type=f"{media}; charset=utf-8")


async def clock_control(request: Request) -> Response:
    """Move the server's clock forward (only where the server was started with clock_control)."""
    backend = _backend(request)
    _principal(request)
    advance = getattr(backend.clock, "advance", None)
    if not backend.config.clock_control or advance is None:
        raise ApiError.not_found("Not Found")
    body = await _json(request)
    seconds = body.get("advance_s") if isinstance(body, dict) else None
    if not isinstance(seconds, int | float) or isinstance(seconds, bool) or not 0 <= seconds <= 10 * 86400:
        raise ApiError.bad_request("'advance_s' must be a number of seconds from 0 to 864000")
    advance(seconds)
    return json_response({"now": fluent_timestamp(backend.clock.now())})


async def healthz(request: Request) -> Response:
    """Liveness for load balancers and scripts: no authentication, answered while batches are processed."""
    return json_response({"status": "ok"})


routes = [
    Route("/healthz", healthz, methods=["GET"]),
    Route("/oauth/token", token, methods=["POST"]),
    Route("/api/v4.1/job", create_job, methods=["POST"]),
    Route("/api/v4.1/job/{job_id}", read_job, methods=["GET"]),
    Route("/api/v4.1/job/{job_id}/results", job_results, methods=["GET"]),
    Route("/api/v4.1/job/{job_id}/batch", create_batch, methods=["POST"]),
    Route("/api/v4.1/job/{job_id}/batch/{batch_id}", read_batch, methods=["GET"]),
    Route("/api/v4.1/event/async", post_event_async, methods=["POST"]),
    Route("/api/v4.1/event/sync", post_event_sync, methods=["POST"]),
    Route("/api/v4.1/event", search_events, methods=["GET"]),
    Route("/api/v4.1/event/{event_id}", read_event, methods=["GET"]),
    Route("/graphql", graphql_endpoint, methods=["POST"]),
    Route("/_invharness/clock", clock_control, methods=["POST"]),
]


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return json_response(exc.body(), exc.status)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    answer = json_response(envelope(str(exc.status_code), str(exc.detail)), exc.status_code)
    answer.headers.update(exc.headers or {})  # e.g. the Allow of a 405 (RFC 9110 requires it)
    return answer


# An exception no handler answers is answered (500, once) and logged (once) by the app's AccessLog.
error_handlers: dict[Any, Any] = {ApiError: _api_error, HTTPException: _http_error}
