"""Which entities an inventory feed exports: its source type and filters (SPEC §9.3, decision 22).

Filters match exactly and case-sensitively on the entity's field: REF -> ref, TYPE -> type,
STATUS -> status, CATALOGUE_REF -> the catalogue's ref (a catalogue's own ref for catalogues).
All filters must hold; IN / NOT_IN compare with every member of their list.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from reference_impl.inventory import Inventory, base_catalogue_ref

__all__ = ["SOURCE_TYPES", "Row", "matches", "select"]

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


def _rows(inventory: Inventory, source_type: str) -> Iterator[Row]:
    if source_type == "INVENTORY_CATALOGUE":
        for c in inventory.catalogues.values():
            yield Row(source_type, c.ref, c.type, c.status, c.ref, c.updated_on)
    elif source_type == "INVENTORY_POSITION":
        for c in inventory.catalogues.values():
            for p in c.positions.values():
                yield Row(
                    source_type,
                    p.ref,
                    p.type,
                    p.status,
                    p.catalogue_ref,
                    p.updated_on,
                    p.product_ref,
                    p.location_ref,
                    None,
                    p.on_hand,
                )
    elif source_type == "VIRTUAL_CATALOGUE":
        for c in inventory.catalogues.values():
            if c.type == "DEFAULT":
                ref = base_catalogue_ref(c.retailer_id)
                yield Row(source_type, ref, "BASE", "ACTIVE", ref, c.updated_on)
    elif source_type == "VIRTUAL_POSITION":
        for ref in inventory.virtual_catalogue_refs():
            for v in inventory.virtual_positions(ref):
                yield Row(
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
    else:
        raise ValueError(f"unknown inventory data type {source_type}")


def select(
    inventory: Inventory, source_type: str, filters: list[dict[str, Any]], changed_since: float | None
) -> list[Row]:
    """The rows a run exports: every matching entity, or (incremental) those changed since a moment."""
    return [
        row
        for row in _rows(inventory, source_type)
        if (changed_since is None or row.updated_on > changed_since) and matches(row, filters)
    ]
