"""The inventory model: catalogues, positions, quantities (with segments) and base virtual positions.

onHand of a position = its ACTIVE LAST_ON_HAND, RESERVED, SALE, CORRECTION and DELTA quantities
summed (transients carry signed, usually negative, amounts). Base virtual positions are derived
from the positions of DEFAULT:<retailerId> on read: quantity max(onHand, 0).
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from invharness.reference_impl.stores.virtual import StoredVirtualCatalogue
from invharness.reference_impl.vocabulary import (
    ACTIVE,
    CREATED,
    INACTIVE,
    ONHAND_TYPES,
    OUT_OF_STOCK,
    SEGMENT_FIELDS,
    base_catalogue_ref,
    catalogue_type,
    default_catalogue_ref,
)

__all__ = [
    "Catalogue",
    "HeldCatalogues",
    "InMemoryInventory",
    "Position",
    "Quantity",
    "VirtualPosition",
    "split_attributes",
    "to_virtual",
]

_SEGMENT = frozenset(SEGMENT_FIELDS)


class Quantity:
    """One inventory quantity: a type, a status, a signed amount and its segment.

    A plain slotted class, not a dataclass: one is made per record on the ingestion hot path, and a
    million of them must stay small (10 slots). Its ref is kept only when it is not the default one,
    <position ref>:<type>, which is made when read (a million default refs kept would be 90 MB of
    strings); ``set_type`` keeps the ref a type change would alter. Its catalogue is its position's.
    Segment fields, custom attributes and parentRef are kept packed (``_attrs``): as the JSON of the
    ``attributes`` object a batch record carried (a third of the size of the dicts, split when read), or
    as (segment, attributes, parent ref) when set apart. Its id is issued by the store when first read.
    """

    __slots__ = (
        "_attrs",
        "_id",
        "_ref",
        "corrected_qty",
        "created_on",
        "position",
        "quantity",
        "status",
        "type",
        "updated_on",
    )

    def __init__(
        self,
        ref: str | None,
        position: Position,
        type: str,
        status: str,
        quantity: int,
        created_on: float,
        updated_on: float,
        corrected_qty: int = 0,
        segment: dict[str, Any] | None = None,
        attributes: dict[str, Any] | None = None,
        parent_ref: str | None = None,
        id: int = 0,
        attributes_json: str | dict[str, Any] | None = None,
    ) -> None:
        # ref None: the default one (the batch hot path knows it without building the string)
        self._ref = None if ref is None or ref == f"{position.ref}:{type}" else ref
        self.position = position
        self.type = type
        self.status = status
        self.quantity = quantity
        self.created_on = created_on
        self.updated_on = updated_on
        self.corrected_qty = corrected_qty
        self._attrs: str | dict | tuple | None = attributes_json
        if segment is not None or attributes is not None or parent_ref is not None:
            self._attrs = (segment, attributes, parent_ref)
        self._id = id  # 0: issued by the store when first read

    @property
    def ref(self) -> str:
        ref = self._ref
        return f"{self.position.ref}:{self.type}" if ref is None else ref

    def is_default(self, kind: str) -> bool:
        """Whether its ref is <position ref>:<kind> (what a record without a ref of that type names)."""
        ref = self._ref
        return self.type == kind if ref is None else ref == f"{self.position.ref}:{kind}"

    @property
    def catalogue_ref(self) -> str:
        return self.position.catalogue.ref

    @property
    def id(self) -> int:
        if not self._id:
            self._id = self.position.catalogue.issue_id()
        return self._id

    @id.setter
    def id(self, value: int) -> None:
        self._id = value

    def _unpacked(self) -> tuple[dict[str, Any] | None, dict[str, Any] | None, str | None]:
        packed = self._attrs
        if packed is None:
            return None, None, None
        if type(packed) is tuple:
            return packed
        return split_attributes(packed if type(packed) is dict else orjson.loads(packed))

    @property
    def segment(self) -> dict[str, Any] | None:
        return self._unpacked()[0]

    @segment.setter
    def segment(self, value: dict[str, Any] | None) -> None:
        _, attributes, parent_ref = self._unpacked()
        self._attrs = (value, attributes, parent_ref)

    @property
    def attributes(self) -> dict[str, Any] | None:
        return self._unpacked()[1]

    @attributes.setter
    def attributes(self, value: dict[str, Any] | None) -> None:
        segment, _, parent_ref = self._unpacked()
        self._attrs = (segment, value, parent_ref)

    @property
    def parent_ref(self) -> str | None:
        return self._unpacked()[2]

    @parent_ref.setter
    def parent_ref(self, value: str | None) -> None:
        segment, attributes, _ = self._unpacked()
        self._attrs = (segment, attributes, value)

    def packed(self) -> tuple:
        """Its fields as kept, for a store that writes them as they are: (ref, None for the default one; type,
        status, quantity, createdOn, updatedOn, correctedQty; segment, custom attributes and parentRef as
        kept; id). ``Quantity(*packed[:7], id=packed[8], attributes_json=...)`` makes it again."""
        return (
            self._ref,
            self.type,
            self.status,
            self.quantity,
            self.created_on,
            self.updated_on,
            self.corrected_qty,
            self._attrs,
            self.id,
        )

    def set_attributes_json(self, packed: str | dict[str, Any] | None) -> None:
        """Replace segment, custom attributes and parentRef by a batch record's ``attributes`` (its JSON, or
        the object read back from it)."""
        self._attrs = packed

    def set_type(self, type: str) -> None:
        """Change its type; its ref stays what it was."""
        if self._ref is None and type != self.type:
            self._ref = self.ref
        self.type = type

    def __repr__(self) -> str:
        return f"Quantity({self.ref!r}, {self.type}, {self.status}, {self.quantity})"


def split_attributes(attributes: dict[str, Any]) -> tuple[dict[str, Any] | None, dict[str, Any] | None, str | None]:
    """A batch record's ``attributes``: (segment fields, custom attributes, parentRef)."""
    if attributes.keys() <= _SEGMENT:
        return attributes or None, None, None
    segment = {k: v for k, v in attributes.items() if k in _SEGMENT}
    custom = {k: v for k, v in attributes.items() if k not in _SEGMENT and k != "parentRef"}
    return segment or None, custom or None, attributes.get("parentRef")


class Position:
    """The stock of one product at one location in one catalogue.

    Most positions hold one quantity: it is kept in ``_held`` alone; a dict is made only for a second
    one -- a dict of one is 184 bytes, so a million positions would spend 184 MB on them. Quantities are
    added with ``add`` (never removed); ``quantities`` reads them by ref. onHand is summed when read (a
    position holds a few quantities). Its id is issued by the store when first read.
    """

    __slots__ = (
        "_held",
        "_id",
        "catalogue",
        "created_on",
        "delta_ids",
        "location_ref",
        "product_ref",
        "ref",
        "status",
        "type",
        "updated_on",
    )

    def __init__(
        self, ref: str, catalogue: Catalogue, product_ref: str, location_ref: str, type: str, now: float, id: int = 0
    ) -> None:
        self.ref = ref
        self.catalogue = catalogue
        self.product_ref = product_ref
        self.location_ref = location_ref
        self.type = type
        self.created_on = now
        self.updated_on = now
        self.status = CREATED
        self._held: Quantity | dict[str, Quantity] | None = None
        self.delta_ids: set[str] | None = None  # made on the first delta: most positions never get one
        self._id = id  # 0: issued by the store when first read

    def __repr__(self) -> str:
        return f"Position({self.ref!r}, onHand={self.on_hand})"

    @property
    def catalogue_ref(self) -> str:
        return self.catalogue.ref

    @property
    def id(self) -> int:
        if not self._id:
            self._id = self.catalogue.issue_id()
        return self._id

    @id.setter
    def id(self, value: int) -> None:
        self._id = value

    @property
    def on_hand(self) -> int:
        """Its ACTIVE LAST_ON_HAND, RESERVED, SALE, CORRECTION and DELTA quantities summed."""
        held = self._held
        if type(held) is Quantity:  # most positions: read once per record written
            return held.quantity if held.status == ACTIVE and held.type in ONHAND_TYPES else 0
        total = 0
        for q in self.held():
            if q.status == ACTIVE and q.type in ONHAND_TYPES:
                total += q.quantity
        return total

    @property
    def quantities(self) -> Mapping[str, Quantity]:
        """Its quantities by ref, in the order they were added (read-only: add one with ``add``)."""
        held = self._held
        if held is None:
            return {}
        return {held.ref: held} if type(held) is Quantity else held

    def quantity(self, ref: str) -> Quantity | None:
        """Its quantity ``ref``, if it holds one."""
        held = self._held
        if type(held) is Quantity:
            return held if held.ref == ref else None
        return None if held is None else held.get(ref)

    def default_quantity(self, kind: str) -> Quantity | None:
        """Its quantity <ref>:<kind>, if it holds one (found without building the ref when it holds one)."""
        held = self._held
        if type(held) is Quantity:
            return held if held.is_default(kind) else None
        return None if held is None else held.get(f"{self.ref}:{kind}")

    def add(self, quantity: Quantity) -> None:
        """Hold ``quantity`` (replacing the one of the same ref)."""
        held = self._held
        if held is None:
            self._held = quantity
        elif type(held) is Quantity:
            if held.ref == quantity.ref:
                self._held = quantity
            else:
                self._held = {held.ref: held, quantity.ref: quantity}
        else:
            held[quantity.ref] = quantity

    def reference_counts(self) -> tuple[int, int, int, int]:
        """(how many quantities it holds, up to 2; references to it beyond its quantities' own; to the mapping of
        its quantities, when it holds several; to its most referenced quantity): a store about to drop it
        compares them with those of a position nothing else holds (see ``detach``)."""
        held = self._held
        if held is None:
            return 0, sys.getrefcount(self), 0, 0
        if type(held) is Quantity:
            return 1, sys.getrefcount(self) - 1, 0, sys.getrefcount(held)
        most = max(map(sys.getrefcount, held.values()))
        return 2, sys.getrefcount(self) - len(held), sys.getrefcount(held), most

    def detach(self) -> None:
        """Let go of its quantities: for a store dropping a position that nothing else holds, which is then
        freed at once (a position and its quantities refer to each other, a cycle only the collector frees)."""
        self._held = None

    def several(self) -> bool:
        """Whether it holds more than one quantity."""
        return type(self._held) is dict

    def held(self) -> Iterable[Quantity]:
        """Its quantities (without making a dict)."""
        held = self._held
        if held is None:
            return ()
        return (held,) if type(held) is Quantity else held.values()

    def recompute(self, now: float) -> None:
        """Refresh the status the fallback threshold control gives it."""
        if self.status != INACTIVE:  # H7: INACTIVE (product or location) holds until a status input lifts it
            self.status = ACTIVE if self.on_hand > 0 else OUT_OF_STOCK
        self.updated_on = now

    def deactivate(self, types: frozenset[str], now: float) -> None:
        """Set every ACTIVE or CREATED quantity of these types INACTIVE."""
        for q in self.held():
            if q.type in types and q.status in (ACTIVE, CREATED):
                q.status = INACTIVE
                q.updated_on = now

    def has_any(self, pairs: frozenset[tuple[str, str]]) -> bool:
        """Whether any quantity's (type, status) is one of ``pairs``."""
        return any((q.type, q.status) in pairs for q in self.held())


def _no_ids() -> Callable[[], int]:
    return itertools.count(1).__next__


@dataclass(slots=True, eq=False)
class Catalogue:
    """An inventory catalogue: positions by ref; quantity refs are unique in the catalogue.

    A quantity whose ref has the default form <position ref>:<type> is found through its position;
    only other refs (client-chosen, deltas) are indexed here, which keeps a million-record catalogue
    to one big dict, not two. ``issue_id`` is its store's: the ids of its positions and quantities.
    """

    ref: str
    retailer_id: int
    created_on: float
    updated_on: float
    positions: dict[str, Position] = field(default_factory=dict)
    other_refs: dict[str, Quantity] = field(default_factory=dict)
    status: str = ACTIVE
    id: int = 0  # issued by the store
    issue_id: Callable[[], int] = field(default_factory=_no_ids, repr=False)

    @property
    def type(self) -> str:
        return catalogue_type(self.ref)

    def find_quantity(self, ref: str) -> Quantity | None:
        found = self.other_refs.get(ref)
        if found is None:
            position = self.positions.get(ref.rpartition(":")[0])
            found = position.quantity(ref) if position is not None else None
        return found

    def add_quantity(self, quantity: Quantity) -> None:
        """Store a new quantity in its position (and index its ref when it is not of the default form)."""
        quantity.position.add(quantity)
        if quantity._ref is not None:
            self.other_refs[quantity.ref] = quantity

    def quantities(self) -> Iterator[Quantity]:
        for position in self.positions.values():
            yield from position.held()


@dataclass(slots=True, frozen=True)
class VirtualPosition:
    """Available-to-sell of one product at one location (a BASE virtual position)."""

    id: int
    ref: str
    catalogue_ref: str
    product_ref: str
    group_ref: str
    quantity: int
    status: str
    created_on: float
    updated_on: float
    type: str = "BASE"


class HeldCatalogues:
    """What every inventory store keeps in memory and reads alike: the catalogues (few; their positions are
    the store's own business) and the virtual catalogues clients created."""

    _catalogues: dict[str, Catalogue]
    _virtual: dict[str, StoredVirtualCatalogue]  # the ones clients created, by ref

    def catalogue(self, ref: str) -> Catalogue | None:
        return self._catalogues.get(ref)

    def catalogues(self) -> list[Catalogue]:
        return list(self._catalogues.values())

    def base_sources(self) -> list[Catalogue]:
        """The catalogues BASE virtual catalogues derive from: each retailer's DEFAULT:<retailerId>.
        (Another catalogue of type DEFAULT, e.g. DEFAULT:abc:1, has no virtual catalogue.)"""
        return [c for c in self._catalogues.values() if c.ref == default_catalogue_ref(c.retailer_id)]

    def stored_virtual_catalogue(self, ref: str) -> StoredVirtualCatalogue | None:
        return self._virtual.get(ref)

    def stored_virtual_catalogues(self) -> list[StoredVirtualCatalogue]:
        return list(self._virtual.values())


class InMemoryInventory(HeldCatalogues):
    """Every inventory catalogue of the account, as live objects (the InventoryStore in memory).

    Catalogues, positions and quantities are handed out as the objects themselves, so a change to one
    is stored at once; ``save`` is where a durable store would write it.
    """

    def __init__(self) -> None:
        self._catalogues: dict[str, Catalogue] = {}
        self._virtual: dict[str, StoredVirtualCatalogue] = {}  # the ones clients created, by ref
        self.new_id: Callable[[], int] = itertools.count(1).__next__  # ids of catalogues, positions, quantities

    def ensure_catalogue(self, ref: str, retailer_id: int, now: float) -> Catalogue:
        """The catalogue ``ref``, created for ``retailer_id`` on first use."""
        found = self._catalogues.get(ref)
        if found is None:
            found = Catalogue(ref, retailer_id, now, now, id=self.new_id(), issue_id=self.new_id)
            self._catalogues[ref] = found
        return found

    def find_position(self, catalogue_ref: str, ref: str) -> Position | None:
        catalogue = self._catalogues.get(catalogue_ref)
        return None if catalogue is None else catalogue.positions.get(ref)

    def save(self, position: Position) -> None:
        """The position and its quantities changed (in memory: already stored)."""

    def add_position(self, catalogue: Catalogue, position: Position) -> None:
        """A new position (createInventoryPosition) in ``catalogue``."""
        catalogue.positions[position.ref] = position

    def add_virtual_catalogue(self, catalogue: StoredVirtualCatalogue) -> None:
        self._virtual[catalogue.ref] = catalogue

    def save_virtual(self, catalogue: StoredVirtualCatalogue) -> None:
        """The virtual catalogue, or any of its positions, changed (in memory: already stored)."""

    def prefetch(self, catalogue_ref: str, refs: Iterable[str]) -> None:
        """Positions about to be read (in memory: all are at hand)."""

    def virtual_positions(self, virtual_catalogue_ref: str) -> Iterator[VirtualPosition]:
        """The BASE virtual positions of ``virtual_catalogue_ref`` (BASE:<retailerId>), derived now."""
        for source in self.base_sources():
            if base_catalogue_ref(source.retailer_id) == virtual_catalogue_ref:
                for p in list(source.positions.values()):
                    yield to_virtual(p, virtual_catalogue_ref)


def to_virtual(position: Position, virtual_catalogue_ref: str) -> VirtualPosition:
    # an INACTIVE position (its product or location inactive, H7) is not available at all
    available = 0 if position.status == INACTIVE else max(position.on_hand, 0)
    return VirtualPosition(
        id=position.id,
        ref=f"{position.product_ref}:{position.location_ref}",
        catalogue_ref=virtual_catalogue_ref,
        product_ref=position.product_ref,
        group_ref=position.location_ref,
        quantity=available,
        status=ACTIVE if available > 0 else OUT_OF_STOCK,
        created_on=position.created_on,
        updated_on=position.updated_on,
    )
