"""Virtual catalogues and positions written by a client (createVirtualCatalogue, createVirtualPosition).

The BASE:<retailerId> catalogues derived from DEFAULT:<retailerId> are not stored: they are computed
on read (stores/inventory.py). These are the ones a client made; the inventory store keeps them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from invharness.reference_impl.vocabulary import CREATED

__all__ = ["StoredVirtualCatalogue", "StoredVirtualPosition"]


@dataclass(slots=True, eq=False)
class StoredVirtualPosition:
    """A virtual position a client created: available-to-sell of one product in one group."""

    id: int
    ref: str
    catalogue_ref: str
    type: str
    quantity: int
    created_on: float
    updated_on: float
    product_ref: str | None = None
    group_ref: str | None = None
    status: str = CREATED
    attributes: list[dict[str, Any]] = field(default_factory=list)


@dataclass(slots=True, eq=False)
class StoredVirtualCatalogue:
    """A virtual catalogue a client created, with its positions by ref."""

    id: int
    ref: str
    type: str
    name: str
    inventory_catalogue_ref: str
    product_catalogue_ref: str
    retailer_ids: tuple[int, ...]
    created_on: float
    updated_on: float
    status: str = CREATED
    description: str | None = None
    network_ids: list[str] | None = None
    control_group_ref: str | None = None
    attributes: list[dict[str, Any]] = field(default_factory=list)
    positions: dict[str, StoredVirtualPosition] = field(default_factory=dict)

    @property
    def workflow_ref(self) -> str:
        return f"VIRTUAL_CATALOGUE::{self.type}"

    @property
    def retailer_refs(self) -> list[str]:
        return [str(r) for r in self.retailer_ids]
