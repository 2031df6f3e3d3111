"""Every check of a payload against the contract, in one place: each function answers the payload's
parts a service needs, or raises the refusal the contract words (ApiError; TokenError for tokens).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from invharness import contracts
from invharness.reference_impl.errors import ApiError, TokenError

__all__ = [
    "BatchRefusal",
    "PolicyStatement",
    "batch_refusal",
    "batch_request",
    "bucket_policy",
    "date_time",
    "decimal_id",
    "event_request",
    "feed_input",
    "inventory_position_input",
    "job_request",
    "known_retailer",
    "quantity_input",
    "retailer_ref",
    "setting_input",
    "token_request",
    "virtual_catalogue_input",
    "virtual_position_input",
    "whole_number",
]

_JOB = contracts.validator("job-create-request")
_ENVELOPE = contracts.validator("batch-envelope")
_BATCH = contracts.validator("batch-create-request")
_ENTITY = contracts.validator("inventory-entity")
_EVENT = contracts.validator("event-request")
_TOKEN = contracts.validator("token-request")
_SETTING = contracts.validator("setting-input")
_FEED = contracts.validator("feed-input")
_POSITION = contracts.validator("inventory-position-input")
_VIRTUAL_CATALOGUE = contracts.validator("virtual-catalogue-input")
_VIRTUAL_POSITION = contracts.validator("virtual-position-input")
# ASCII decimal digits only: str.isdigit() also takes "²" and "٣", which int() then refuses or reads as 3.
# 19 digits hold every signed 64-bit id; a longer number is no id and no page of ours.
_WHOLE = re.compile(r"[0-9]{1,19}")
_DATE_TIME = re.compile(contracts.schema("common")["$defs"]["isoDateTime"]["pattern"])
_REF = contracts.schema("common")["$defs"]["ref"]
_REF_PATTERN = re.compile(_REF["pattern"])


def token_request(params: dict[str, str]) -> None:
    """The parameters of /oauth/token (query string and body merged)."""
    problem = _TOKEN.explain(params)
    if problem is not None:
        grant = params.get("grant_type")
        if grant is not None and grant not in ("password", "refresh_token"):
            raise TokenError(400, "unsupported_grant_type", f"Unsupported grant type: {grant}")
        raise TokenError(400, "invalid_request", problem)


def job_request(payload: Any) -> None:
    """A job creation body; the missing name and retailerId answers are Fluent's own."""
    if isinstance(payload, dict):
        if "name" not in payload:
            raise ApiError.bad_request("'name' is required")
        if payload.get("retailerId") is None:
            raise ApiError.bad_request("'retailerId' is required", code="NotNull")
    _refuse(_JOB.explain(payload))


@dataclass(slots=True, frozen=True)
class BatchRefusal:
    """Why a batch is refused at batch level: too many records (``oversize``), or a broken envelope."""

    oversize: bool
    message: str


def batch_refusal(payload: Any, max_records: int) -> BatchRefusal | None:
    """What is wrong with a batch at batch level (None: nothing)."""
    entities = payload.get("entities") if isinstance(payload, dict) else None
    if isinstance(entities, list) and len(entities) > max_records:
        return BatchRefusal(True, f"a batch carries at most {max_records} entities, not {len(entities)}")
    if _ENVELOPE.is_valid(payload):  # the batch level only: the records are judged one by one later
        return None
    problem = _ENVELOPE.explain(payload)
    return None if problem is None else BatchRefusal(False, problem)


def batch_records(payload: dict[str, Any]) -> dict[int, str]:
    """Index -> why, for each record of an accepted batch that does not conform."""
    return {
        i: (_ENTITY.explain(e) or "$: invalid record").replace("$", f"$.entities[{i}]", 1)
        for i, e in enumerate(payload["entities"])
        if not _ENTITY.is_valid(e)
    }


def batch_request(payload: Any) -> dict[int, str]:
    """A batch body: batch level broken -> 400, nothing stored; records broken -> index -> why."""
    if _BATCH.is_valid(payload):  # the common case: every record conforms too
        return {}
    _refuse(_ENVELOPE.explain(payload))
    return {
        i: (_ENTITY.explain(e) or "$: invalid record").replace("$", f"$.entities[{i}]", 1)
        for i, e in enumerate(payload["entities"])
        if not _ENTITY.is_valid(e)
    }


def event_request(payload: Any) -> None:
    _refuse(_EVENT.explain(payload))


def known_retailer(value: Any, retailers: Iterable[int]) -> int:
    """A retailer id of the account; 400 InvalidInput for any other."""
    retailer_id = int(value)
    if retailer_id not in retailers:
        raise ApiError.bad_request(f"Unknown retailer {retailer_id}", code="InvalidInput")
    return retailer_id


def setting_input(data: dict[str, Any]) -> None:
    """A setting's fields (camelCase) as createSetting / updateSetting take them."""
    problem = _SETTING.explain(data)
    if problem is not None:
        raise ApiError.bad_request(f"invalid setting input: {problem}")


def feed_input(data: dict[str, Any]) -> None:
    """An inventory feed's fields (camelCase, at every depth)."""
    problem = _FEED.explain(data)
    if problem is not None:
        raise ApiError.bad_request(f"invalid feed input: {problem}")


def inventory_position_input(data: dict[str, Any]) -> None:
    """createInventoryPosition / updateInventoryPosition's input (camelCase)."""
    _refuse_input("inventory position", _POSITION.explain(data))


def virtual_catalogue_input(data: dict[str, Any]) -> None:
    """createVirtualCatalogue / updateVirtualCatalogue's input (camelCase)."""
    _refuse_input("virtual catalogue", _VIRTUAL_CATALOGUE.explain(data))


def virtual_position_input(data: dict[str, Any]) -> None:
    """createVirtualPosition / updateVirtualPosition's input (camelCase)."""
    _refuse_input("virtual position", _VIRTUAL_POSITION.explain(data))


def retailer_ref(ref: Any) -> int:
    """A retailer ref of an input (a retailer id in text, as the contract answers retailerRefs)."""
    if not isinstance(ref, str) or _WHOLE.fullmatch(ref) is None:
        raise ApiError.bad_request(f"invalid retailer ref {ref!r}: a retailer id is expected")
    return int(ref)


def _refuse_input(what: str, problem: str | None) -> None:
    if problem is not None:
        raise ApiError.bad_request(f"invalid {what} input: {problem}")
def whole_number(raw: str, name: str, low: int, high: int) -> int:
    """A query parameter that is a whole number from ``low`` to ``high``: ASCII decimal digits only."""
    if _WHOLE.fullmatch(raw) is None or not low <= int(raw) <= high:
        raise ApiError.bad_request(f"'{name}' must be a whole number from {low} to {high}, not {raw[:40]!r}")
    return int(raw)


def decimal_id(value: Any) -> int | None:
    """An id or offset written as ASCII decimal digits (a setting's GraphQL ID, a cursor's offset); None for
    anything else, "²" and a 400-digit number included."""
    text = str(value) if isinstance(value, str | int) and not isinstance(value, bool) else ""
    return int(text) if _WHOLE.fullmatch(text) else None


def date_time(value: Any) -> str:
    """A GraphQL DateTime input: an RFC 3339 date-time with a time zone, kept as given (ValueError else)."""
    if not isinstance(value, str) or _DATE_TIME.fullmatch(value) is None:
        example = "2026-05-01T00:00:00Z"
        raise ValueError(f"a DateTime is an RFC 3339 date-time with a time zone ({example}), not {value!r:.40}")
    try:
        datetime.fromisoformat(value.upper())
    except ValueError:
        raise ValueError(f"{value[:40]!r} is no date-time of the calendar") from None
    return value


def quantity_input(data: dict[str, Any]) -> None:
    """The input of createInventoryQuantity / updateInventoryQuantity (camelCase keys): a ref as the contract
    has refs (no control characters, decision D-REF-CHARS), every attribute an object (the SDL lets a list
    item be null; a null attribute names nothing)."""
    ref = data.get("ref")
    if isinstance(ref, str) and (_REF_PATTERN.search(ref) is None or len(ref) > _REF["maxLength"]):
        raise ApiError.bad_request(f"ref must be 1 to {_REF['maxLength']} characters, none a control character")
    attributes = data.get("attributes") or []
    for index, attribute in enumerate(attributes):
        if not isinstance(attribute, dict):
            raise ApiError.bad_request(f"attributes[{index}] is null; an attribute is {{name, type, value}}")


@dataclass(slots=True, frozen=True)
class PolicyStatement:
    """One Allow or Deny statement of an S3 bucket policy, each list as a set of strings."""

    effect: str
    principals: frozenset[str]
    actions: frozenset[str]
    resources: frozenset[str]


def bucket_policy(text: str) -> list[PolicyStatement]:
    """The statements of an S3 bucket policy (JSON text); ApiError saying what is malformed.

    AWS's policy grammar: Statement is one statement or a list of them; Principal is "*" or a map
    whose values are a string or a list of strings; Action and Resource are a string or a list of strings."""
    try:
        policy = json.loads(text)
    except (TypeError, ValueError):
        raise ApiError.bad_request("the bucket policy is not JSON") from None
    if not isinstance(policy, dict):
        raise ApiError.bad_request("the bucket policy is not a JSON object")
    statements = policy.get("Statement", [])
    statements = statements if isinstance(statements, list) else [statements]
    return [_statement(index, s) for index, s in enumerate(statements)]


def _statement(index: int, statement: Any) -> PolicyStatement:
    where = f"the bucket policy's Statement[{index}]"
    if not isinstance(statement, dict):
        raise ApiError.bad_request(f"{where} is not an object")
    principal = statement.get("Principal", [])
    if isinstance(principal, dict):
        principals = [p for value in principal.values() for p in _strings(value, f"{where}.Principal")]
    else:
        principals = _strings(principal, f"{where}.Principal")
    return PolicyStatement(
        str(statement.get("Effect")),
        frozenset(principals),
        frozenset(_strings(statement.get("Action", []), f"{where}.Action")),
        frozenset(_strings(statement.get("Resource", []), f"{where}.Resource")),
    )


def _strings(value: Any, where: str) -> list[str]:
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ApiError.bad_request(f"{where} is neither a string nor a list of strings")
    return values


def _refuse(problem: str | None) -> None:
    if problem is not None:
        raise ApiError.bad_request(problem)
