"""Mutants of the inventory mutations of issue 10 (createInventoryPosition ... updateVirtualPosition)
and of H7. Each breaks one clause the way an implementer plausibly would - on the stored effect, the
answer left as it was; the checks citing the clause, run against it, must fail there
(tests/suites/test_mutants_mutations.py)."""

from __future__ import annotations

from typing import Any

import pytest

from invharness.reference_impl.services import feed_filters, virtual
from invharness.reference_impl.services import inventory as inventory_service
from invharness.reference_impl.stores import inventory
from invharness.reference_impl.stores.virtual import StoredVirtualPosition
from invharness.reference_impl.vocabulary import ACTIVE, OUT_OF_STOCK
from tests.suites.mutants import Mutant, applied

__all__ = ["MUTATION_MUTANTS", "Mutant", "applied"]

MP = pytest.MonkeyPatch


def _inactive_lifted_by_stock(mp: MP) -> None:
    """The next stock change re-derives the status, as if nothing made the position INACTIVE."""

    def recompute(self: Any, now: float) -> None:
        self.status = ACTIVE if self.on_hand > 0 else OUT_OF_STOCK
        self.updated_on = now

    mp.setattr(inventory.Position, "recompute", recompute)


def _inactive_still_offered(mp: MP) -> None:
    """The virtual position of an INACTIVE position still offers its onHand."""
    original = inventory.to_virtual

    def to_virtual(position: Any, ref: str) -> Any:
        status, position.status = position.status, ACTIVE
        try:
            return original(position, ref)
        finally:
            position.status = status

    mp.setattr(inventory, "to_virtual", to_virtual)
    mp.setattr(feed_filters, "to_virtual", to_virtual)


def _position_answered_not_stored(mp: MP) -> None:
    mp.setattr(inventory.InMemoryInventory, "add_position", lambda self, catalogue, position: None)


def _position_update_drops_type(mp: MP) -> None:
    original = inventory_service.InventoryService.update_position

    def update(self: Any, principal: Any, data: dict[str, Any]) -> Any:
        return original(self, principal, {k: v for k, v in data.items() if k != "type"})

    mp.setattr(inventory_service.InventoryService, "update_position", update)


def _catalogue_update_drops_description(mp: MP) -> None:
    mp.delitem(virtual._CATALOGUE_FIELDS, "description")


def _virtual_quantity_not_updated(mp: MP) -> None:
    original = virtual.VirtualService.update_position

    def update(self: Any, principal: Any, data: dict[str, Any]) -> Any:
        return original(self, principal, {k: v for k, v in data.items() if k != "quantity"})

    mp.setattr(virtual.VirtualService, "update_position", update)


def _virtual_update_keeps_updated_on(mp: MP) -> None:
    """updateVirtualPosition changes the quantity but not updatedOn: incremental runs never see it."""
    original = virtual.VirtualService.update_position

    def update(self: Any, principal: Any, data: dict[str, Any]) -> Any:
        catalogue = self._store.stored_virtual_catalogue(data["catalogue"]["ref"])
        found = catalogue.positions.get(data["ref"]) if catalogue is not None else None
        before = found.updated_on if found is not None else None
        position = original(self, principal, data)
        if before is not None:
            position.updated_on = before
        return position

    mp.setattr(virtual.VirtualService, "update_position", update)


def _created_virtual_positions_not_exported(mp: MP) -> None:
    """Feeds export only the virtual positions the target derives, never those a client made."""
    original = feed_filters._entities

    def entities(store: Any, source_type: str) -> list[Any]:
        found = original(store, source_type)
        return [e for e in found if not isinstance(e, StoredVirtualPosition)]

    mp.setattr(feed_filters, "_entities", entities)


MUTATION_MUTANTS = [
    Mutant(
        "an INACTIVE position re-derived by the next stock record",
        "inventory",
        "INV-INACTIVE-01",
        _inactive_lifted_by_stock,
    ),
    Mutant("an INACTIVE position still offers its onHand", "inventory", "INV-INACTIVE-02", _inactive_still_offered),
    Mutant(
        "createInventoryPosition answers but stores nothing", "graphql", "GQL-IPOS-01", _position_answered_not_stored
    ),
    Mutant("updateInventoryPosition drops the type", "graphql", "GQL-IPOS-02", _position_update_drops_type),
    Mutant(
        "updateVirtualCatalogue drops the description", "graphql", "GQL-VCAT-01", _catalogue_update_drops_description
    ),
    Mutant("updateVirtualPosition keeps the old quantity", "graphql", "GQL-VPOS-01", _virtual_quantity_not_updated),
    Mutant("updateVirtualPosition leaves updatedOn", "feed-lifecycle", "FEED-RUN-03", _virtual_update_keeps_updated_on),
    Mutant(
        "feeds export no created virtual position",
        "feed-filters",
        "FEED-FLT-02",
        _created_virtual_positions_not_exported,
    ),
]
