"""Which entities an inventory feed exports: its source type and filters (SPEC §9.3, decision 22).

Filters match exactly and case-sensitively on the entity's field: REF -> ref, TYPE -> type,
STATUS -> status, CATALOGUE_REF -> the catalogue's ref (a catalogue's own ref for catalogues).
All filters must hold; IN / NOT_IN compare with every member of their list.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from reference_impl.inventory import Inventory, base_catalogue_ref, to_virtual

__all__ = ["SOURCE_TYPES", "Row", "matches", "select", "selection"]

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


def _entities(inventory: Inventory, source_type: str) -> list[Any]:
    """What a run reads, listed now (cheap: references only), so the rows can be built bit by bit
    while batches keep changing the inventory."""
    catalogues = list(inventory.catalogues.values())
    if source_type == "INVENTORY_CATALOGUE":
        return catalogues
    if source_type == "VIRTUAL_CATALOGUE":
        return [c for c in catalogues if c.type == "DEFAULT"]  # BASE:<retailer> derives from DEFAULT:<retailer>
    if source_type in ("INVENTORY_POSITION", "VIRTUAL_POSITION"):
        wanted = [c for c in catalogues if source_type == "INVENTORY_POSITION" or c.type == "DEFAULT"]
        return [p for c in wanted for p in list(c.positions.values())]
    raise ValueError(f"unknown inventory data type {source_type}")


def _row(source_type: str, entity: Any) -> Row:
    if source_type == "INVENTORY_CATALOGUE":
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
    v = to_virtual(entity, base_catalogue_ref(int(entity.catalogue_ref.split(":", 1)[1])))
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
    inventory: Inventory,
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


def select(
    inventory: Inventory, source_type: str, filters: list[dict[str, Any]], changed_since: float | None
) -> list[Row]:
    """Every row of a run at once."""
    return [row for rows in selection(inventory, source_type, filters, changed_since) for row in rows]
