"""Virtual inventory: the BASE catalogues derived from each retailer's DEFAULT inventory catalogue, and
the virtual catalogues and positions clients create and change (createVirtualCatalogue,
updateVirtualCatalogue, createVirtualPosition, updateVirtualPosition; Fluent's inputs, SPEC §6.5).

A derived catalogue (BASE:<retailerId>) follows the inventory: its positions cannot be written, and a
created catalogue cannot take its ref. Created entities start CREATED, as Fluent's inputs say.
Inputs arrive in the contract's names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from invharness.reference_impl.clock import Clock
from invharness.reference_impl.errors import ApiError
from invharness.reference_impl.services import validation
from invharness.reference_impl.services.access import Principal, catalogue_retailer, require_retailer
from invharness.reference_impl.services.queries import keep
from invharness.reference_impl.stores.protocols import InventoryStore
from invharness.reference_impl.stores.virtual import StoredVirtualCatalogue, StoredVirtualPosition
from invharness.reference_impl.vocabulary import base_catalogue_ref

__all__ = ["VirtualCatalogue", "VirtualService"]

# input field -> attribute of a stored virtual catalogue, for the fields an update may change
_CATALOGUE_FIELDS = {
    "type": "type",
    "status": "status",
    "attributes": "attributes",
    "name": "name",
    "description": "description",
    "inventoryCatalogueRef": "inventory_catalogue_ref",
    "productCatalogueRef": "product_catalogue_ref",
    "networkIds": "network_ids",
    "controlGroupRef": "control_group_ref",
}
_POSITION_FIELDS = {
    "type": "type",
    "status": "status",
    "attributes": "attributes",
    "productRef": "product_ref",
    "groupRef": "group_ref",
}


@dataclass(slots=True, frozen=True)
class VirtualCatalogue:
    """BASE:<retailerId>, derived from the retailer's DEFAULT inventory catalogue."""

    id: int
    ref: str
    retailer_id: int
    created_on: float
    status: str = "ACTIVE"
    type: str = "BASE"
    workflow_ref: str = "VIRTUAL_CATALOGUE::BASE"
    workflow_version: int = 1

    @property
    def inventory_catalogue_ref(self) -> str:
        return f"DEFAULT:{self.retailer_id}"

    @property
    def name(self) -> str:
        return self.ref

    @property
    def retailer_refs(self) -> list[str]:
        return [str(self.retailer_id)]


class VirtualService:
    """Reads of virtual inventory with the user's rights, and the virtual mutations."""

    def __init__(self, store: InventoryStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    # ------------------------------------------------------------------ reads

    def catalogues(self, principal: Principal, **filters: Any) -> list[VirtualCatalogue | StoredVirtualCatalogue]:
        derived: list[VirtualCatalogue | StoredVirtualCatalogue] = [
            VirtualCatalogue(c.id, base_catalogue_ref(c.retailer_id), c.retailer_id, c.created_on)
            for c in self._store.base_sources()
            if principal.may_act_for(c.retailer_id)
        ]
        stored = [c for c in self._store.stored_virtual_catalogues() if _readable(principal, c)]
        return keep(derived + stored, **filters)

    def catalogue(self, principal: Principal, ref: str) -> VirtualCatalogue | StoredVirtualCatalogue | None:
        return next(iter(self.catalogues(principal, ref=[ref])), None)

    def positions(self, principal: Principal, catalogue_ref: str | None, **filters: Any) -> list[Any]:
        chosen = [c for c in self.catalogues(principal) if catalogue_ref in (None, c.ref)]
        return keep((p for c in chosen for p in self._positions_of(c)), **filters)

    def catalogue_positions(self, catalogue: VirtualCatalogue | StoredVirtualCatalogue, **filters: Any) -> list[Any]:
        return keep(self._positions_of(catalogue), **filters)

    def _positions_of(self, catalogue: VirtualCatalogue | StoredVirtualCatalogue) -> list[Any]:
        if isinstance(catalogue, StoredVirtualCatalogue):
            return list(catalogue.positions.values())
        return list(self._store.virtual_positions(catalogue.ref))

    # ------------------------------------------------------------------ catalogues

    def create_catalogue(self, principal: Principal, data: dict[str, Any]) -> StoredVirtualCatalogue:
        """createVirtualCatalogue: a new catalogue of the retailers given (the user's own by default)."""
        validation.virtual_catalogue_input(data)
        retailers = _retailers(principal, data.get("retailerRefs"))
        named = catalogue_retailer(data["ref"])
        if named is not None and named not in retailers:  # a ref naming another retailer: no squatting
            raise ApiError.bad_request(
                f"virtual catalogue ref {data['ref']} names retailer {named}, not one of {list(retailers)}"
            )
        if self._taken(data["ref"]):
            raise ApiError.conflict(f"ConstraintViolationException: virtual catalogue {data['ref']} exists")
        now = self._clock.now()
        catalogue = StoredVirtualCatalogue(
            id=self._store.new_id(),
            ref=data["ref"],
            type=data["type"],
            name=data["name"],
            inventory_catalogue_ref=data["inventoryCatalogueRef"],
            product_catalogue_ref=data["productCatalogueRef"],
            retailer_ids=retailers,
            created_on=now,
            updated_on=now,
            description=data.get("description"),
            network_ids=data.get("networkIds"),
            control_group_ref=data.get("controlGroupRef"),
            attributes=list(data.get("attributes") or []),
        )
        self._store.add_virtual_catalogue(catalogue)
        return catalogue

    def update_catalogue(self, principal: Principal, data: dict[str, Any]) -> StoredVirtualCatalogue:
        """updateVirtualCatalogue: the fields given change, the others keep their value."""
        validation.virtual_catalogue_input(data)
        catalogue = self._writable(principal, data["ref"])
        if data.get("retailerRefs") is not None:
            catalogue.retailer_ids = _retailers(principal, data["retailerRefs"])
        _apply(catalogue, data, _CATALOGUE_FIELDS)
        catalogue.updated_on = self._clock.now()
        self._store.save_virtual(catalogue)
        return catalogue

    # ------------------------------------------------------------------ positions

    def create_position(self, principal: Principal, data: dict[str, Any]) -> StoredVirtualPosition:
        """createVirtualPosition: a new position in a created catalogue of the user's."""
        validation.virtual_position_input(data)
        catalogue = self._writable(principal, data["catalogue"]["ref"])
        if data["ref"] in catalogue.positions:
            raise ApiError.conflict(f"ConstraintViolationException: virtual position {data['ref']} exists")
        now = self._clock.now()
        position = StoredVirtualPosition(
            id=self._store.new_id(),
            ref=data["ref"],
            catalogue_ref=catalogue.ref,
            type=data["type"],
            quantity=max(data["quantity"], 0),  # availability is never negative (INV-VP-01)
            created_on=now,
            updated_on=now,
            product_ref=data.get("productRef"),
            group_ref=data.get("groupRef"),
            attributes=list(data.get("attributes") or []),
        )
        catalogue.positions[position.ref] = position
        self._store.save_virtual(catalogue)
        return position

    def update_position(self, principal: Principal, data: dict[str, Any]) -> StoredVirtualPosition:
        """updateVirtualPosition: the fields given change, the others keep their value."""
        validation.virtual_position_input(data)
        catalogue = self._writable(principal, data["catalogue"]["ref"])
        position = catalogue.positions.get(data["ref"])
        if position is None:
            raise ApiError.bad_request(f"no virtual position {data['ref']} in {catalogue.ref}")
        _apply(position, data, _POSITION_FIELDS)
        if data.get("quantity") is not None:
            position.quantity = max(data["quantity"], 0)
        position.updated_on = self._clock.now()
        self._store.save_virtual(catalogue)
        return position

    # ------------------------------------------------------------------ helpers

    def _taken(self, ref: str) -> bool:
        derived = {base_catalogue_ref(c.retailer_id) for c in self._store.base_sources()}
        return ref in derived or self._store.stored_virtual_catalogue(ref) is not None

    def _writable(self, principal: Principal, ref: str) -> StoredVirtualCatalogue:
        """The created catalogue ``ref`` the user may write; a derived one is refused, saying why."""
        catalogue = self._store.stored_virtual_catalogue(ref)
        if catalogue is None or not _readable(principal, catalogue):
            derived = (c for c in self._store.base_sources() if base_catalogue_ref(c.retailer_id) == ref)
            if any(principal.may_act_for(c.retailer_id) for c in derived):  # another's is a missing one
                raise ApiError.bad_request(f"virtual catalogue {ref} is derived from the inventory: not writable")
            raise ApiError.bad_request(f"no virtual catalogue {ref}")
        for retailer in catalogue.retailer_ids:
            require_retailer(principal, retailer)
        return catalogue


def _readable(principal: Principal, catalogue: StoredVirtualCatalogue) -> bool:
    return any(principal.may_act_for(r) for r in catalogue.retailer_ids)


def _retailers(principal: Principal, refs: list[str | None] | None) -> tuple[int, ...]:
    """The retailer ids of ``retailerRefs`` (each one the user may act for), or the user's own."""
    if not refs:
        return (principal.user.retailer_id,)
    ids = tuple(dict.fromkeys(validation.retailer_ref(r) for r in refs))
    for retailer in ids:
        require_retailer(principal, retailer)
    return ids


def _apply(target: Any, data: dict[str, Any], fields: dict[str, str]) -> None:
    for name, attribute in fields.items():
        if data.get(name) is not None:
            setattr(target, attribute, list(data[name]) if name == "attributes" else data[name])
