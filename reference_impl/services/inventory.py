"""Inventory: what a user may read of catalogues, positions and quantities, and the GraphQL position and
quantity mutations (createInventoryPosition, updateInventoryPosition, createInventoryQuantity,
updateInventoryQuantity). Virtual inventory is services/virtual.py.

updateInventoryPosition with status INACTIVE is how a client says the position's product or location is
inactive (H7, contracts/decisions.md D-H7-INPUT): the position stays INACTIVE through later stock changes
until a status input lifts it, and offers nothing to its BASE virtual position.

Filters arrive in the contract's names; list filters match exactly, expectedOn / expiresOn by a range.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from invharness.reference_impl.clock import Clock
from invharness.reference_impl.errors import ApiError
from invharness.reference_impl.services import validation
from invharness.reference_impl.services.access import Principal, catalogue_retailer, require_visible
from invharness.reference_impl.services.queries import keep
from invharness.reference_impl.stores.inventory import Catalogue, Position, Quantity
from invharness.reference_impl.stores.protocols import InventoryStore
from invharness.reference_impl.vocabulary import SEGMENT_FIELDS, default_catalogue_ref

__all__ = ["InventoryService", "filter_quantities"]

_RANGED = ("expectedOn", "expiresOn")  # segment fields filtered by a DateRange, not by a list of values


def filter_quantities(quantities: Iterable[Quantity], filters: dict[str, Any]) -> list[Quantity]:
    """The quantities matching ref / type / status / quantity and every segment filter given."""
    plain = {k: filters.get(k) for k in ("ref", "type", "status", "quantity")}
    segments = {name: filters[name] for name in SEGMENT_FIELDS if name not in _RANGED and filters.get(name) is not None}
    expected, expires = (filters.get(name) for name in _RANGED)
    return [
        q
        for q in keep(quantities, **plain)
        if _segment_match(q, segments)
        and _in_range((q.segment or {}).get("expectedOn"), expected)
        and _in_range((q.segment or {}).get("expiresOn"), expires)
    ]


def _segment_match(quantity: Quantity, wanted: dict[str, list[Any]]) -> bool:
    segment = quantity.segment or {}
    return all(segment.get(name) in values for name, values in wanted.items())


def _in_range(value: Any, bounds: dict[str, Any] | None) -> bool:
    if bounds is None:
        return True
    if value is None:
        return False
    text = str(value)
    low, high = bounds.get("from"), bounds.get("to")
    return (low is None or text >= str(low)) and (high is None or text <= str(high))


class InventoryService:
    """Reads of the inventory with the user's rights, and the position and quantity mutations."""

    def __init__(self, store: InventoryStore, clock: Clock, deactivation_input: str = "position_status") -> None:
        self._store = store
        self._clock = clock
        self._deactivation_input = deactivation_input  # profile key inventory.deactivation_input

    # ------------------------------------------------------------------ catalogues and positions

    def catalogues(self, principal: Principal, refs: list[str] | None = None, **filters: Any) -> list[Catalogue]:
        """The catalogues the user may read (of ``refs`` when given), filtered by attribute."""
        found = [c for c in self._store.catalogues() if principal.may_act_for(c.retailer_id)]
        if refs is not None:
            wanted = set(refs)
            found = [c for c in found if c.ref in wanted]
        return keep(found, **filters)

    def catalogue(self, principal: Principal, ref: str) -> Catalogue | None:
        found = self.catalogues(principal, [ref])
        return found[0] if found else None

    def catalogue_of(self, item: Position | Quantity) -> Catalogue | None:
        """The catalogue a position or quantity read by the user lies in."""
        return self._store.catalogue(item.catalogue_ref)

    def position(self, principal: Principal, catalogue_ref: str, ref: str) -> Position | None:
        catalogue = self.catalogue(principal, catalogue_ref)
        return None if catalogue is None else catalogue.positions.get(ref)

    def positions(self, principal: Principal, catalogue_ref: str | None, **filters: Any) -> list[Position]:
        catalogues = self.catalogues(principal, None if catalogue_ref is None else [catalogue_ref])
        refs = filters.pop("ref", None)
        if refs is not None:  # a lookup, not a scan
            candidates = [p for c in catalogues for r in dict.fromkeys(refs) if (p := c.positions.get(r))]
        else:
            candidates = [p for c in catalogues for p in c.positions.values()]
        return keep(candidates, **filters)

    def catalogue_positions(self, catalogue: Catalogue, **filters: Any) -> list[Position]:
        return keep(catalogue.positions.values(), **filters)

    def create_position(self, principal: Principal, data: dict[str, Any]) -> Position:
        """createInventoryPosition: a new, CREATED position in an existing catalogue of the user's
        (the retailer's DEFAULT:<retailerId> exists for every retailer, as batches assume)."""
        validation.inventory_position_input(data)
        catalogue = self._writable_catalogue(principal, data["catalogue"]["ref"])
        if data["ref"] in catalogue.positions:
            raise ApiError.conflict(f"ConstraintViolationException: position {data['ref']} exists in {catalogue.ref}")
        position = Position(
            data["ref"],
            catalogue,
            data["productRef"],
            data["locationRef"],
            data["type"],
            self._clock.now(),
            id=self._store.new_id(),
        )
        self._store.add_position(catalogue, position)
        self._store.save(position)
        return position

    def update_position(self, principal: Principal, data: dict[str, Any]) -> Position:
        """updateInventoryPosition: status and type change when given. INACTIVE holds (H7); any other
        status is the fallback threshold control's to change at the next stock change."""
        validation.inventory_position_input(data)
        if data.get("status") == "INACTIVE" and self._deactivation_input == "none":
            # played for inventory.deactivation_input none: product and location status come from elsewhere
            raise ApiError.bad_request("a position is made INACTIVE by its product's or location's status, not here")
        position = self.position(principal, data["catalogue"]["ref"], data["ref"])
        if position is None:
            raise ApiError.bad_request(f"no inventory position {data['ref']} in {data['catalogue']['ref']}")
        for name in ("status", "type"):
            if data.get(name) is not None:
                setattr(position, name, data[name])
        position.updated_on = self._clock.now()
        self._store.save(position)
        return position

    def _writable_catalogue(self, principal: Principal, ref: str) -> Catalogue:
        found = self.catalogue(principal, ref)
        if found is not None:
            return found
        missing = lambda: ApiError.bad_request(f"no inventory catalogue {ref}")  # noqa: E731
        retailer = catalogue_retailer(ref)
        if retailer is None or ref != default_catalogue_ref(retailer) or self._store.catalogue(ref) is not None:
            raise missing()
        # another retailer's DEFAULT catalogue is a missing one, whether or not it exists yet (no oracle)
        require_visible(principal, retailer, missing)
        return self._store.ensure_catalogue(ref, retailer, self._clock.now())

    # ------------------------------------------------------------------ quantities

    def quantity(self, principal: Principal, catalogue_ref: str, ref: str) -> Quantity | None:
        catalogue = self.catalogue(principal, catalogue_ref)
        return None if catalogue is None else catalogue.find_quantity(ref)

    def quantities(
        self,
        principal: Principal,
        catalogue_ref: str | None,
        position: dict[str, Any] | None,
        filters: dict[str, Any],
    ) -> list[Quantity]:
        """Quantities of one position (``position``: its key) or of the catalogues the user may read."""
        if position is not None:
            found = self.position(principal, position["catalogue"]["ref"], position["ref"])
            candidates: Iterable[Quantity] = found.quantities.values() if found else []
        else:
            catalogues = self.catalogues(principal, None if catalogue_ref is None else [catalogue_ref])
            candidates = [q for c in catalogues for q in c.quantities()]
        return filter_quantities(candidates, filters)

    def position_quantities(self, position: Position, filters: dict[str, Any]) -> list[Quantity]:
        return filter_quantities(position.quantities.values(), filters)

    def parent(self, quantity: Quantity) -> Quantity | None:
        return quantity.position.quantities.get(quantity.parent_ref) if quantity.parent_ref else None

    def create_quantity(self, principal: Principal, data: dict[str, Any]) -> Quantity:
        """createInventoryQuantity: a new quantity in an existing position of the user's catalogue."""
        validation.quantity_input(data)
        position_key = data["position"]
        catalogue = self.catalogue(principal, data["catalogue"]["ref"])
        if catalogue is None:
            raise ApiError.bad_request(f"no inventory catalogue {data['catalogue']['ref']}")
        if position_key["catalogue"]["ref"] != catalogue.ref:
            raise ApiError.bad_request("the position must be in the quantity's catalogue")
        position = catalogue.positions.get(position_key["ref"])
        if position is None:
            raise ApiError.bad_request(f"no inventory position {position_key['ref']} in {catalogue.ref}")
        if catalogue.find_quantity(data["ref"]) is not None:
            raise ApiError.conflict(f"ConstraintViolationException: quantity {data['ref']} exists")
        parent_ref = _parent_ref(data, position)
        now = self._clock.now()
        segment, custom = _quantity_fields(data)
        quantity = Quantity(
            data["ref"],
            position,
            data["type"],
            data.get("status") or "CREATED",
            data["quantity"],
            now,
            now,
            segment=segment or None,
            attributes=custom,
            parent_ref=parent_ref,
            id=self._store.new_id(),
        )
        catalogue.add_quantity(quantity)
        position.recompute(now)
        self._store.save(position)
        return quantity

    def update_quantity(self, principal: Principal, data: dict[str, Any]) -> Quantity:
        """updateInventoryQuantity: the fields given change, the others keep their value."""
        validation.quantity_input(data)
        quantity = self.quantity(principal, data["catalogue"]["ref"], data["ref"])
        if quantity is None:
            raise ApiError.bad_request(f"no inventory quantity {data['ref']} in {data['catalogue']['ref']}")
        now = self._clock.now()
        for name in ("status", "type", "quantity"):
            if data.get(name) is not None:
                setattr(quantity, name, data[name])
        segment, custom = _quantity_fields(data)
        if segment:
            quantity.segment = {**(quantity.segment or {}), **segment}
        if custom is not None:
            quantity.attributes = custom
        if data.get("parent") is not None:
            quantity.parent_ref = _parent_ref(data, quantity.position)
        quantity.updated_on = now
        quantity.position.recompute(now)
        self._store.save(quantity.position)
        return quantity


def _quantity_fields(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    segment = {name: data[name] for name in SEGMENT_FIELDS if data.get(name) is not None}
    custom = {a["name"]: a["value"] for a in data.get("attributes") or []}
    return segment, custom or None


def _parent_ref(data: dict[str, Any], position: Position) -> str | None:
    parent = data.get("parent")
    if parent is None:
        return None
    if parent["ref"] not in position.quantities:
        raise ApiError.bad_request(f"parent {parent['ref']} is not a quantity of position {position.ref}")
    return parent["ref"]
