"""The event log in SQLite: one row per event, newest found by descending sequence number.

A batch's events share a block (name, time, retailer, catalogue, source, ...), stored once; each of its
events keeps only the position and the change. Ids keep the in-memory form: a prefix fixed for the data
directory, then the sequence number.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Iterator
from dataclasses import asdict, fields
from typing import Any

import orjson

from invharness.reference_impl.stores.events import AnyEvent, Event, EventBlock, RecordEvent, search_page
from invharness.reference_impl.stores.sqlite.db import Database

__all__ = ["SCHEMA", "SqliteEventLog"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value);
CREATE TABLE IF NOT EXISTS event_blocks (id INTEGER PRIMARY KEY, data BLOB);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY, name TEXT, entity_ref TEXT, generated_on REAL, block INTEGER, data BLOB,
    quantity_ref TEXT, type TEXT, qty INTEGER);
CREATE INDEX IF NOT EXISTS events_by_name ON events (name, seq);
CREATE INDEX IF NOT EXISTS events_by_entity ON events (entity_ref, seq);
"""
_EVENT_FIELDS = [f.name for f in fields(Event) if f.name not in ("seq", "name", "generated_on")]
_BLOCK_FIELDS = [f.name for f in fields(EventBlock)]


class SqliteEventLog:
    """The EventStore in SQLite."""

    def __init__(self, db: Database, retention: int = 2_000_000) -> None:
        self._db = db
        self._retention = retention
        self._prefix = db.meta("event_prefix", str(uuid.uuid4())[:23])
        self._blocks: dict[EventBlock, int] = {}
        self._block_cache: dict[int, EventBlock] = {}
        self._seq = db.one("SELECT max(seq) FROM events")[0] or 0  # the last sequence number issued

    def event_id(self, event: AnyEvent) -> str:
        return f"{self._prefix}-{event.seq:012x}"

    def _next_seq(self, count: int = 1) -> int:
        """The first of ``count`` new sequence numbers (the database lock held)."""
        first = self._seq + 1
        self._seq += count
        return first

    def append(self, name: str, generated_on: float, **values: Any) -> Event:
        with self._db.lock:
            event = Event(self._next_seq(), name, generated_on, **values)
            self._db.execute(
                "INSERT INTO events VALUES (?, ?, ?, ?, NULL, ?, NULL, NULL, NULL)",
                (event.seq, name, event.entity_ref, generated_on, _pack(event)),
            )
        return event

    def save(self, event: Event) -> None:
        """The event's status changed (it was processed)."""
        self._db.execute("UPDATE events SET data = ? WHERE seq = ?", (_pack(event), event.seq))

    def _block_id(self, block: EventBlock) -> int:
        found = self._blocks.get(block)
        if found is None:
            if len(self._blocks) > 1000:
                self._blocks.clear()
            cursor = self._db.execute("INSERT INTO event_blocks (data) VALUES (?)", (orjson.dumps(asdict(block)),))
            found = self._blocks[block] = cursor.lastrowid or 0
        return found

    def append_records(self, records: list[tuple[EventBlock, str, str, str, int]]) -> None:
        """Store batch-record events (block, position ref, quantity ref, type, qty) in order."""
        if not records:
            return
        with self._db.lock:
            seq = self._next_seq(len(records))
            rows = []
            block, block_id = None, 0
            for stored, entity_ref, ref, kind, qty in records:
                if stored is not block:
                    block, block_id = stored, self._block_id(stored)
                rows.append((seq, stored.name, entity_ref, stored.generated_on, block_id, None, ref, kind, qty))
                seq += 1
            self._db.executemany("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)

    def trim(self) -> None:
        """Drop the oldest tenth when over retention."""
        # one aggregate per SELECT: SQLite reads min() or max() of the key from the B-tree's end only when
        # it is alone in its query; both in one query scan every event (per group: quadratic over a load)
        low, high = self._db.one("SELECT (SELECT min(seq) FROM events), (SELECT max(seq) FROM events)")
        if low is not None and high - low + 1 > self._retention:
            self._db.execute("DELETE FROM events WHERE seq < ?", (low + (high - low + 1) // 10,))

    def _view(self, row: tuple) -> AnyEvent:
        seq, name, entity_ref, generated_on, block_id, data, ref, kind, qty = row
        if block_id is None:
            return Event(seq, name, generated_on, **orjson.loads(data))
        block = self._block_cache.get(block_id)
        if block is None:
            if len(self._block_cache) > 1000:
                self._block_cache.clear()
            (packed,) = self._db.one("SELECT data FROM event_blocks WHERE id = ?", (block_id,))
            block = self._block_cache[block_id] = EventBlock(**orjson.loads(packed))
        return RecordEvent(seq, block, entity_ref, ref, kind, qty)

    def get(self, event_id: str) -> AnyEvent | None:
        prefix, _, seq_hex = event_id.rpartition("-")
        if prefix != self._prefix:
            return None
        try:
            seq = int(seq_hex, 16)
        except ValueError:
            return None
        row = self._db.one("SELECT * FROM events WHERE seq = ?", (seq,)) if seq < 2**62 else None
        return None if row is None else self._view(row)

    def search(
        self,
        filters: dict[str, str],
        since: float,
        until: float,
        start: int,
        count: int,
        visible: Callable[[Any], bool],
        retailers: Collection[int | None] | None = None,
    ) -> tuple[list[AnyEvent], bool]:
        """Newest first: the page [start, start+count) of events matching every filter; and hasMore.

        ``retailers`` (who the user may see) is not indexed here yet: ``visible`` alone decides, so a user
        who sees nothing still reads the newest events of a filter (the in-memory log reads none)."""
        return search_page(self._within(filters, since, until), filters, start, count, visible)

    def _within(self, filters: dict[str, str], since: float, until: float) -> Iterator[AnyEvent]:
        """Newest first, the candidates generated within [since, until]."""
        for event in self._newest_first(filters):
            if event.generated_on < since:
                return
            if event.generated_on <= until:
                yield event

    def _newest_first(self, filters: dict[str, str]) -> Iterator[AnyEvent]:
        if "entity_ref" in filters:
            where, params = "entity_ref = ? AND ", [filters["entity_ref"]]
        elif "name" in filters:
            where, params = "name = ? AND ", [filters["name"]]
        else:
            where, params = "", []
        before = 2**62
        while True:  # pages of 500, each bounded; ends when a page comes back short
            rows = self._db.all(
                f"SELECT * FROM events WHERE {where}seq < ? ORDER BY seq DESC LIMIT 500", [*params, before]
            )
            for row in rows:
                yield self._view(row)
            if len(rows) < 500:
                return
            before = rows[-1][0]


def _pack(event: Event) -> bytes:
    return orjson.dumps({name: getattr(event, name) for name in _EVENT_FIELDS})

