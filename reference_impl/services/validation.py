"""Every check of a payload against the contract, in one place: each function answers the payload's
parts a service needs, or raises the refusal the contract words (ApiError; TokenError for tokens).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from invharness import contracts
from invharness.reference_impl.errors import ApiError, TokenError

__all__ = [
    "batch_request",
    "event_request",
    "feed_input",
    "inventory_position_input",
    "job_request",
    "known_retailer",
    "retailer_ref",
    "setting_input",
    "token_request",
    "virtual_catalogue_input",
    "virtual_position_input",
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
    if not isinstance(ref, str) or not ref.isdigit():
        raise ApiError.bad_request(f"invalid retailer ref {ref!r}: a retailer id is expected")
    return int(ref)


def _refuse_input(what: str, problem: str | None) -> None:
    if problem is not None:
        raise ApiError.bad_request(f"invalid {what} input: {problem}")


def _refuse(problem: str | None) -> None:
    if problem is not None:
        raise ApiError.bad_request(problem)
