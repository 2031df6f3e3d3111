"""Which entities an inventory feed exports: its source type and filters (SPEC §9.3, decision 22).

Filters match exactly and case-sensitively on the entity's field: REF -> ref, TYPE -> type,
STATUS -> status, CATALOGUE_REF -> the catalogue's ref (a catalogue's own ref for catalogues).
All filters must hold; IN / NOT_IN compare with every member of their list.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from invharness.reference_impl.stores.inventory import to_virtual
from invharness.reference_impl.stores.protocols import InventoryStore
from invharness.reference_impl.stores.virtual import StoredVirtualCatalogue, StoredVirtualPosition
from invharness.reference_impl.vocabulary import base_catalogue_ref

__all__ = ["SOURCE_TYPES", "Row", "matches", "selection"]

SOURCE_TYPES = ("INVENTORY_CATALOGUE", "INVENTORY_POSITION", "VIRTUAL_CATALOGUE", "VIRTUAL_POSITION")
_FIELDS = {"REF": "ref", "TYPE": "type", "STATUS": "status", "CATALOGUE_REF": "catalogue_ref"}
_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "IN": lambda field, values: field in values,
    "NOT_IN": lambda field, values: field not in values,
    "EQUAL_TO": lambda field, value: field == value,
    "NOT_EQUAL_TO": lambda field, value: field != value,
}


@dataclass(slots=True, frozen=True)
class Row:
    """One exported entity, with the columns of the feed-row schema."""

    source_type: str
    ref: str
    type: str | None
    status: str | None
    catalogue_ref: str
    updated_on: float
    product_ref: str | None = None
    location_ref: str | None = None
    group_ref: str | None = None
    quantity: int | None = None


def matches(row: Row, filters: list[dict[str, Any]]) -> bool:
    """Whether ``row`` meets every filter (filters already valid against feed-input)."""
    for entry in filters:
        value = entry["value"]
        wanted = frozenset(value) if isinstance(value, list) else value
        if not _OPERATORS[entry["operator"]](getattr(row, _FIELDS[entry["name"]]), wanted):
            return False
    return True


def _entities(inventory: InventoryStore, source_type: str) -> list[Any]:
    """What a run reads, listed now (cheap: references only), so the rows can be built bit by bit
    while batches keep changing the inventory."""
    if source_type == "INVENTORY_CATALOGUE":
        return inventory.catalogues()
    if source_type == "INVENTORY_POSITION":
        return [p for c in inventory.catalogues() for p in list(c.positions.values())]
    created = inventory.stored_virtual_catalogues()  # the virtual catalogues clients made, beside the derived
    if source_type == "VIRTUAL_CATALOGUE":
        return [*inventory.base_sources(), *created]
    if source_type == "VIRTUAL_POSITION":
        derived = [
            (p, base_catalogue_ref(c.retailer_id)) for c in inventory.base_sources() for p in list(c.positions.values())
        ]
        return [*derived, *(p for c in created for p in list(c.positions.values()))]
    raise ValueError(f"unknown inventory data type {source_type}")


def _row(source_type: str, entity: Any) -> Row:
    if source_type == "INVENTORY_CATALOGUE" or isinstance(entity, StoredVirtualCatalogue):
        return Row(source_type, entity.ref, entity.type, entity.status, entity.ref, entity.updated_on)
    if source_type == "VIRTUAL_CATALOGUE":
        ref = base_catalogue_ref(entity.retailer_id)
        return Row(source_type, ref, "BASE", "ACTIVE", ref, entity.updated_on)
    if source_type == "INVENTORY_POSITION":
        return Row(
            source_type,
            entity.ref,
            entity.type,
            entity.status,
            entity.catalogue_ref,
            entity.updated_on,
            entity.product_ref,
            entity.location_ref,
            None,
            entity.on_hand,
        )
    v = entity if isinstance(entity, StoredVirtualPosition) else to_virtual(*entity)
    return Row(
        source_type,
        v.ref,
        v.type,
        v.status,
        v.catalogue_ref,
        v.updated_on,
        v.product_ref,
        None,
        v.group_ref,
        v.quantity,
    )


def selection(
    inventory: InventoryStore,
    source_type: str,
    filters: list[dict[str, Any]],
    changed_since: float | None,
    chunk: int = 20_000,
) -> Iterator[list[Row]]:
    """The rows a run exports, ``chunk`` entities at a time: every matching entity, or (incremental)
    those changed since a moment. The entities are listed when the first chunk is asked for."""
    entities = _entities(inventory, source_type)
    for start in range(0, len(entities), chunk):
        rows = (_row(source_type, e) for e in entities[start : start + chunk])
        yield [r for r in rows if (changed_since is None or r.updated_on > changed_since) and matches(r, filters)]
