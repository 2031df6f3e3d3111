"""Builders for every request payload of the contract, valid by construction.

They take plain values (refs, quantities, records from generators.stock) and answer dicts that
conform to contracts/ — tests in tests/generators check each against its schema.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

__all__ = [
    "MAX_BATCH",
    "batch",
    "batches",
    "delta",
    "delta_event",
    "feed_filter",
    "feed_input",
    "job",
    "record",
    "setting_input",
]

MAX_BATCH = 5000
_OMIT: Any = object()


def record(sku: str, location: str, qty: int, retailer_id: int | str = 1, **fields: Any) -> dict[str, Any]:
    """One inventory batch record (any optional field — type, ref, status, correctedQty, attributes — by keyword)."""
    return {"skuRef": sku, "locationRef": location, "qty": qty, "retailerId": retailer_id, **fields}


def job(name: str = "invharness job", retailer_id: int | str = "1", meta: Any = _OMIT) -> dict[str, Any]:
    """A job create request; ``meta`` may be a dict, None, or left out."""
    body: dict[str, Any] = {"name": name, "retailerId": retailer_id}
    if meta is not _OMIT:
        body["meta"] = meta
    return body


def batch(
    entities: list[dict[str, Any]],
    event: str | None = None,
    catalogue_ref: str | None = None,
    source: str | None = None,
    conditions: Iterable[tuple[str, str]] | None = None,
) -> dict[str, Any]:
    """An inventory batch create request of at most 5,000 records."""
    if not 1 <= len(entities) <= MAX_BATCH:
        raise ValueError(f"a batch carries 1 to {MAX_BATCH} records, not {len(entities)}")
    body: dict[str, Any] = {"action": "UPSERT", "entityType": "INVENTORY"}
    if source is not None:
        body["source"] = source
    if event is not None:
        body["event"] = event
    if catalogue_ref is not None:
        body["catalogueRef"] = catalogue_ref
    if conditions is not None:
        body["conditions"] = {"hasRelatedInventoryQuantities": [{"type": t, "status": s} for t, s in conditions]}
    body["entities"] = entities
    return body


def batches(records: Iterable[dict[str, Any]], size: int = MAX_BATCH, **fields: Any) -> Iterator[dict[str, Any]]:
    """Cut a stream of records into batch requests of at most ``size`` records."""
    if not 1 <= size <= MAX_BATCH:
        raise ValueError(f"size must be 1 to {MAX_BATCH}")
    chunk: list[dict[str, Any]] = []
    for record in records:
        chunk.append(record)
        if len(chunk) == size:
            yield batch(chunk, **fields)
            chunk = []
    if chunk:
        yield batch(chunk, **fields)


def delta(product_ref: str, location_ref: str, qty: int, delta_id: str | None = None, kind: str = "DELTA") -> dict:
    """One delta of an INVENTORY_DELTA event (relative, signed qty)."""
    body: dict[str, Any] = {"productRef": product_ref, "locationRef": location_ref, "qty": qty, "type": kind}
    if delta_id is not None:
        body["deltaId"] = delta_id
    return body


def delta_event(
    deltas: list[dict[str, Any]],
    retailer_id: int | str = "1",
    catalogue_ref: str | None = None,
    account_id: str | None = None,
) -> dict[str, Any]:
    """An INVENTORY_DELTA event addressed to an inventory catalogue (DEFAULT:<retailerId> by default)."""
    if not deltas:
        raise ValueError("an INVENTORY_DELTA event carries at least one delta")
    catalogue = catalogue_ref or f"DEFAULT:{retailer_id}"
    body: dict[str, Any] = {
        "name": "INVENTORY_DELTA",
        "retailerId": str(retailer_id),
        "entityRef": catalogue,
        "entityType": "INVENTORY_CATALOGUE",
        "entitySubtype": catalogue.split(":", 1)[0],
        "rootEntityType": "INVENTORY_CATALOGUE",
        "rootEntityRef": catalogue,
        "attributes": {"deltas": deltas},
    }
    if account_id is not None:
        body["accountId"] = account_id
    return body


def setting_input(
    value: str | bool,
    context: str = "ACCOUNT",
    context_id: int = 0,
    name: str = "fc.enable.batch.preprocessing",
    value_type: str = "BOOLEAN",
) -> dict[str, Any]:
    """A createSetting input; booleans are written TRUE / FALSE."""
    text = ("TRUE" if value else "FALSE") if isinstance(value, bool) else value
    return {"name": name, "valueType": value_type, "value": text, "context": context, "contextId": context_id}


def feed_filter(name: str, operator: str, value: str | list[str]) -> dict[str, Any]:
    """One feed filter; IN / NOT_IN take a non-empty list, EQUAL_TO / NOT_EQUAL_TO one string."""
    listed = operator in ("IN", "NOT_IN")
    if listed != isinstance(value, list) or (listed and not value):
        raise ValueError(f"{operator} takes {'a non-empty list' if listed else 'one value'}, not {value!r}")
    return {"name": name, "operator": operator, "value": value}


def feed_input(
    ref: str,
    source_type: str,
    bucket: str,
    account_id: str = "123456789012",
    filters: list[dict[str, Any]] | None = None,
    name: str | None = None,
) -> dict[str, Any]:
    """A createInventoryFeed input exporting ``source_type`` to the S3 bucket ``bucket``."""
    source: dict[str, Any] = {"type": source_type}
    if filters is not None:
        source["filters"] = filters
    body: dict[str, Any] = {
        "ref": ref,
        "dataFormat": "PARQUET",
        "source": source,
        "destination": {
            "type": "AWS_S3",
            "destinationAttributes": [
                {"key": "AWS_ACCOUNT_ID", "value": account_id},
                {"key": "AWS_S3_BUCKET_NAME", "value": bucket},
            ],
        },
    }
    if name is not None:
        body["name"] = name
    return body
