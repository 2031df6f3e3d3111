"""Every check of a payload against the contract, in one place: each function answers the payload's
parts a service needs, or raises the refusal the contract words (ApiError; TokenError for tokens).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from invharness import contracts
from invharness.reference_impl.errors import ApiError, TokenError

__all__ = [
    "BatchRefusal",
    "batch_refusal",
    "batch_request",
    "event_request",
    "feed_input",
    "job_request",
    "known_retailer",
    "setting_input",
    "token_request",
]

_JOB = contracts.validator("job-create-request")
_ENVELOPE = contracts.validator("batch-envelope")
_BATCH = contracts.validator("batch-create-request")
_ENTITY = contracts.validator("inventory-entity")
_EVENT = contracts.validator("event-request")
_TOKEN = contracts.validator("token-request")
_SETTING = contracts.validator("setting-input")
_FEED = contracts.validator("feed-input")


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


def _refuse(problem: str | None) -> None:
    if problem is not None:
        raise ApiError.bad_request(problem)
