"""The inventory in SQLite: one row per position, its key and the rest packed in one JSON array with its
quantities (a position is read and written whole, and the batch hot path touches one position per record).

Catalogues are few and held in memory; their ``positions`` and ``other_refs`` are mappings that load
positions on demand. A position loaded is the same object until the cache is dropped (at most
CACHE_LIMIT positions, dropped between chunks), so ``quantity.position is position`` holds within a chunk.
``save`` marks a position dirty; dirty positions are written at the next ``prefetch``, scan or commit, and at
once outside a group. A position dropped from the cache that nothing else holds is taken apart (it and its
quantities refer to each other), so it is freed at once rather than by the cyclic collector.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Iterator, MutableMapping
from dataclasses import asdict
from typing import Any

import orjson

from invharness.reference_impl.stores.inventory import (
    Catalogue,
    HeldCatalogues,
    Position,
    Quantity,
    VirtualPosition,
    to_virtual,
)
from invharness.reference_impl.stores.sqlite.db import Database, GroupTransaction
from invharness.reference_impl.stores.virtual import StoredVirtualCatalogue, StoredVirtualPosition
from invharness.reference_impl.vocabulary import base_catalogue_ref

__all__ = ["SCHEMA", "SqliteInventory"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value);
CREATE TABLE IF NOT EXISTS catalogues (
    ref TEXT PRIMARY KEY, id INTEGER, retailer_id INTEGER, created_on REAL, updated_on REAL, status TEXT);
CREATE TABLE IF NOT EXISTS positions (
    catalogue_ref TEXT, ref TEXT, data BLOB, PRIMARY KEY (catalogue_ref, ref)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS other_refs (
    catalogue_ref TEXT, ref TEXT, position_ref TEXT, PRIMARY KEY (catalogue_ref, ref)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS virtual_catalogues (ref TEXT PRIMARY KEY, data BLOB);
"""
CACHE_LIMIT = 20_000  # positions kept loaded between chunks
ID_BLOCK = 10_000  # ids reserved per write of the counter
_POSITION_COLUMNS = "ref, data"


class _Positions(MutableMapping[str, Position]):
    """A catalogue's positions by ref, loaded from the store on demand."""

    __slots__ = ("_ref", "_store")

    def __init__(self, store: SqliteInventory, catalogue_ref: str) -> None:
        self._store, self._ref = store, catalogue_ref

    def get(self, ref: str, default: Any = None) -> Any:  # type: ignore[override]
        found = self._store.load(self._ref, ref)
        return default if found is None else found

    def __getitem__(self, ref: str) -> Position:
        found = self._store.load(self._ref, ref)
        if found is None:
            raise KeyError(ref)
        return found

    def __contains__(self, ref: object) -> bool:
        return isinstance(ref, str) and self._store.load(self._ref, ref) is not None

    def __setitem__(self, ref: str, position: Position) -> None:
        self._store.add(position)

    def __delitem__(self, ref: str) -> None:
        raise TypeError("positions are never deleted")

    def __iter__(self) -> Iterator[str]:
        return (p.ref for p in self.values())

    def __len__(self) -> int:
        return self._store.count(self._ref)

    def values(self) -> Iterator[Position]:  # type: ignore[override]
        return self._store.scan(self._ref)


class _OtherRefs(MutableMapping[str, Quantity]):
    """A catalogue's quantities whose ref is not of the default form, by ref."""

    __slots__ = ("_ref", "_store")

    def __init__(self, store: SqliteInventory, catalogue_ref: str) -> None:
        self._store, self._ref = store, catalogue_ref

    def get(self, ref: str, default: Any = None) -> Any:  # type: ignore[override]
        found = self._store.other_quantity(self._ref, ref)
        return default if found is None else found

    def __getitem__(self, ref: str) -> Quantity:
        found = self._store.other_quantity(self._ref, ref)
        if found is None:
            raise KeyError(ref)
        return found

    def __setitem__(self, ref: str, quantity: Quantity) -> None:
        self._store.add_other_ref(self._ref, ref, quantity.position.ref)

    def __delitem__(self, ref: str) -> None:
        raise TypeError("quantities are never deleted")

    def __iter__(self) -> Iterator[str]:
        return iter(
            r for (r,) in self._store.db.all("SELECT ref FROM other_refs WHERE catalogue_ref = ?", (self._ref,))
        )

    def __len__(self) -> int:
        return self._store.db.one("SELECT count(*) FROM other_refs WHERE catalogue_ref = ?", (self._ref,))[0]

    def __bool__(self) -> bool:
        return self._ref in self._store.with_other_refs


class SqliteInventory(HeldCatalogues):
    """The InventoryStore in SQLite (see the module's docstring)."""

    def __init__(self, db: Database, group: GroupTransaction) -> None:
        self.db = db
        self._cache: dict[tuple[str, str], Position] = {}
        self._dirty: dict[tuple[str, str], Position] = {}
        self._absent: set[tuple[str, str]] = set()  # prefetched and not found: no query for them again
        self._new_other: list[tuple[str, str, str]] = []
        self._next_id, self._id_limit = 0, 0
        self._catalogues: dict[str, Catalogue] = {}
        for ref, id_, retailer_id, created_on, updated_on, status in db.all("SELECT * FROM catalogues"):
            self._catalogues[ref] = self._catalogue(ref, retailer_id, created_on, updated_on, status, id_)
        self.with_other_refs = {r for (r,) in db.all("SELECT DISTINCT catalogue_ref FROM other_refs")}
        # the virtual catalogues clients create are few: held in memory, each written whole when it changes
        self._virtual = {ref: _virtual_catalogue(data) for ref, data in db.all("SELECT * FROM virtual_catalogues")}
        group.before_commit.append(self.flush)

    def new_id(self) -> int:
        if self._next_id >= self._id_limit:
            start = int(self.db.meta("next_inventory_id", 1))
            self.db.set_meta("next_inventory_id", start + ID_BLOCK)
            self._next_id, self._id_limit = start, start + ID_BLOCK
        self._next_id += 1
        return self._next_id - 1

    def _catalogue(
        self, ref: str, retailer_id: int, created: float, updated: float, status: str, id_: int
    ) -> Catalogue:
        catalogue = Catalogue(ref, retailer_id, created, updated, status=status, id=id_, issue_id=self.new_id)
        catalogue.positions = _Positions(self, ref)  # type: ignore[assignment]
        catalogue.other_refs = _OtherRefs(self, ref)  # type: ignore[assignment]
        return catalogue

    # ------------------------------------------------------------------ catalogues

    def ensure_catalogue(self, ref: str, retailer_id: int, now: float) -> Catalogue:
        found = self._catalogues.get(ref)
        if found is None:
            found = self._catalogue(ref, retailer_id, now, now, "ACTIVE", self.new_id())
            self.db.execute(
                "INSERT INTO catalogues VALUES (?, ?, ?, ?, ?, ?)", (ref, found.id, retailer_id, now, now, found.status)
            )
            self._catalogues[ref] = found
        return found

    def virtual_positions(self, virtual_catalogue_ref: str) -> Iterator[VirtualPosition]:
        for source in self.base_sources():
            if base_catalogue_ref(source.retailer_id) == virtual_catalogue_ref:
                for position in self.scan(source.ref):
                    yield to_virtual(position, virtual_catalogue_ref)

    # ------------------------------------------------------------------ positions

    def find_position(self, catalogue_ref: str, ref: str) -> Position | None:
        return self.load(catalogue_ref, ref) if catalogue_ref in self._catalogues else None

    def load(self, catalogue_ref: str, ref: str) -> Position | None:
        found = self._cache.get((catalogue_ref, ref))
        if found is None and (catalogue_ref, ref) not in self._absent:
            row = self.db.one(
                f"SELECT {_POSITION_COLUMNS} FROM positions WHERE catalogue_ref = ? AND ref = ?", (catalogue_ref, ref)
            )
            if row is not None:
                found = self._cache[catalogue_ref, ref] = _position(self._catalogues[catalogue_ref], row)
        return found

    def prefetch(self, catalogue_ref: str, refs: Iterable[str]) -> None:
        """Load these positions in one query (the batch hot path calls it once per chunk and catalogue)."""
        self.flush()
        if len(self._cache) + len(self._absent) > CACHE_LIMIT:
            self._drop_cache()
        cache, absent = self._cache, self._absent
        wanted = [r for r in refs if (catalogue_ref, r) not in cache and (catalogue_ref, r) not in absent]
        absent.update((catalogue_ref, r) for r in wanted)
        for start in range(0, len(wanted), 900):
            part = wanted[start : start + 900]
            rows = self.db.all(
                f"SELECT {_POSITION_COLUMNS} FROM positions WHERE catalogue_ref = ? AND ref IN "
                f"({','.join('?' * len(part))})",
                [catalogue_ref, *part],
            )
            for row in rows:
                cache[catalogue_ref, row[0]] = _position(self._catalogues[catalogue_ref], row)
                absent.discard((catalogue_ref, row[0]))

    def _drop_cache(self) -> None:
        """Forget the loaded positions (none is dirty: flushed). Those nothing else holds are taken apart, so
        they are freed now instead of piling up for the cyclic collector (the worker runs it once per group)."""
        for position in _unheld(self._cache, _HELD_ONLY_BY_CACHE):
            position.detach()
        self._cache.clear()
        self._absent.clear()

    def add_position(self, catalogue: Catalogue, position: Position) -> None:
        """A new position (createInventoryPosition) in ``catalogue``."""
        self.add(position)
        if not self.db.in_group:
            self.flush()

    def add_virtual_catalogue(self, catalogue: StoredVirtualCatalogue) -> None:
        self._virtual[catalogue.ref] = catalogue
        self.save_virtual(catalogue)

    def save_virtual(self, catalogue: StoredVirtualCatalogue) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO virtual_catalogues VALUES (?, ?)", (catalogue.ref, orjson.dumps(asdict(catalogue)))
        )

    def add(self, position: Position) -> None:
        key = (position.catalogue_ref, position.ref)
        self._cache[key] = self._dirty[key] = position
        self._absent.discard(key)

    def save(self, position: Position) -> None:
        self._dirty[position.catalogue_ref, position.ref] = position
        if not self.db.in_group:
            self.flush()

    def add_other_ref(self, catalogue_ref: str, ref: str, position_ref: str) -> None:
        self._new_other.append((catalogue_ref, ref, position_ref))
        self.with_other_refs.add(catalogue_ref)

    def other_quantity(self, catalogue_ref: str, ref: str) -> Quantity | None:
        if catalogue_ref not in self.with_other_refs:
            return None
        self.flush()
        row = self.db.one(
            "SELECT position_ref FROM other_refs WHERE catalogue_ref = ? AND ref = ?", (catalogue_ref, ref)
        )
        position = self.load(catalogue_ref, row[0]) if row is not None else None
        return position.quantity(ref) if position is not None else None

    def count(self, catalogue_ref: str) -> int:
        self.flush()
        return self.db.one("SELECT count(*) FROM positions WHERE catalogue_ref = ?", (catalogue_ref,))[0]

    def scan(self, catalogue_ref: str) -> Iterator[Position]:
        """Every position of the catalogue, read in pages (a scan never holds the whole catalogue)."""
        self.flush()
        after = ""
        while True:
            rows = self.db.all(
                f"SELECT {_POSITION_COLUMNS} FROM positions WHERE catalogue_ref = ? AND ref > ? "
                "ORDER BY ref LIMIT 1000",
                (catalogue_ref, after),
            )
            for row in rows:
                yield self._cache.get((catalogue_ref, row[0])) or _position(self._catalogues[catalogue_ref], row)
            if len(rows) < 1000:
                return
            after = rows[-1][0]

    def flush(self) -> None:
        """Write the dirty positions and new quantity refs."""
        if self._dirty:
            rows = [_row(p) for p in self._dirty.values()]
            self._dirty.clear()
            self.db.insert_rows("INSERT OR REPLACE INTO positions VALUES", 3, rows)
        if self._new_other:
            rows_other, self._new_other = self._new_other, []
            self.db.insert_rows("INSERT OR REPLACE INTO other_refs VALUES", 3, rows_other)


def _unheld(cache: dict[Any, Position], baseline: Container[tuple[int, ...]]) -> list[Position]:
    """The positions of ``cache`` that nothing else holds: whose reference counts (to them, their quantities
    and the mapping of their quantities) are those of a position only the cache holds, ``baseline``."""
    return [p for p in cache.values() if p.reference_counts() in baseline]


class _Seen(set):
    """A baseline that lets nothing through and keeps what it was asked about."""

    def __contains__(self, counts: object) -> bool:
        self.add(counts)
        return False


def _measured_baseline() -> frozenset[tuple[int, ...]]:
    """The reference counts of positions held by a cache alone, measured by ``_unheld`` itself on positions
    made for it (of no, one and several quantities): interpreters differ in how they count a local."""
    catalogue = Catalogue("", 0, 0.0, 0.0)
    cache = {}
    for count in range(3):
        position = Position(str(count), catalogue, "", "", "", 0.0)
        for n in range(count):
            position.add(Quantity(str(n), position, "", "", 0, 0.0, 0.0))
        cache[count] = position
    del position
    seen = _Seen()
    _unheld(cache, seen)
    return frozenset(seen)


_HELD_ONLY_BY_CACHE = _measured_baseline()


def _virtual_catalogue(data: bytes) -> StoredVirtualCatalogue:
    fields = orjson.loads(data)
    positions = {ref: StoredVirtualPosition(**p) for ref, p in fields.pop("positions").items()}
    return StoredVirtualCatalogue(**{**fields, "retailer_ids": tuple(fields["retailer_ids"])}, positions=positions)


def _position(catalogue: Catalogue, row: tuple) -> Position:
    ref, data = row
    id_, product, location, type_, status, created, updated, delta_ids, quantities = orjson.loads(data)
    position = Position(ref, catalogue, product, location, type_, created, id_)
    position.status, position.updated_on = status, updated
    if delta_ids is not None:
        position.delta_ids = set(delta_ids)
    for q_ref, kind, q_status, qty, q_created, q_updated, corrected, attributes, q_id in quantities:
        if type(attributes) is list:  # (segment, custom attributes, parentRef) set apart
            segment, custom, parent_ref = attributes
            quantity = Quantity(
                q_ref, position, kind, q_status, qty, q_created, q_updated, corrected, segment, custom, parent_ref, q_id
            )
        else:  # a batch record's attributes object, or none
            quantity = Quantity(
                q_ref,
                position,
                kind,
                q_status,
                qty,
                q_created,
                q_updated,
                corrected,
                id=q_id,
                attributes_json=attributes,
            )
        position.add(quantity)
    return position


def _row(p: Position) -> tuple[str, str, bytes]:
    """A position's row: its key, and everything else packed in one JSON array (one encode, three binds)."""
    quantities = [q.packed() for q in p.held()]
    delta_ids = sorted(p.delta_ids) if p.delta_ids is not None else None
    data = (p.id, p.product_ref, p.location_ref, p.type, p.status, p.created_on, p.updated_on, delta_ids, quantities)
    return p.catalogue_ref, p.ref, orjson.dumps(data)
