"""The event log in SQLite: one row per event received alone, one row per chunk of record events.

A batch raises one event per forwarded record, and those share everything but the position and the change
(their EventBlock, stored once in ``event_blocks``). So a chunk of them is one row of ``events`` holding
their columns (entity refs, quantity refs, types, quantities) for the seqs [seq, seq + count); the only
per-event row is its entity ref's entry in ``event_entities``, the index an entity-ref search reads. An event
received alone (the Event API) is a row of count 1 with its fields.

Each row keeps its retailer (a chunk's events share one), so a search for a user of one retailer reads
only its rows (and those of none), indexed like names. Each row keeps the arrival clock (the latest
generated_on stored so far): record events carry their batch's start, so generated_on is not ordered by
seq, but arrival is, and a search newest first stops at the first row that arrived before its window. Ids
keep the in-memory form: a prefix fixed for the data directory, then the sequence number. Retention drops
the oldest tenth: events below ``event_low`` are gone, and the rows and index entries wholly below it are
deleted.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Iterator
from dataclasses import asdict, fields
from typing import Any

import orjson

from invharness.reference_impl.stores.events import AnyEvent, Event, EventBlock, RecordChunk, search_page
from invharness.reference_impl.stores.sqlite.db import Database

__all__ = ["SCHEMA", "SqliteEventLog"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value);
CREATE TABLE IF NOT EXISTS event_blocks (id INTEGER PRIMARY KEY, data BLOB);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY, count INTEGER, name TEXT, arrived REAL, retailer INTEGER, block INTEGER, data BLOB);
CREATE INDEX IF NOT EXISTS events_by_name ON events (name, seq);
CREATE INDEX IF NOT EXISTS events_by_retailer ON events (retailer, seq);
CREATE TABLE IF NOT EXISTS event_entities (
    entity_ref TEXT, seq INTEGER, PRIMARY KEY (entity_ref, seq)) WITHOUT ROWID;
"""
_EVENT_FIELDS = [f.name for f in fields(Event) if f.name not in ("seq", "name")]
PAGE = 500  # index entries read per query of a search by entity ref
ROW_PAGE = 20  # rows read per query of another search (a chunk row holds hundreds of events)
_COLUMNS = "seq, count, name, arrived, block, data"  # what a read takes of a row


class SqliteEventLog:
    """The EventStore in SQLite (see the module's docstring)."""

    def __init__(self, db: Database, retention: int = 2_000_000) -> None:
        self._db = db
        self._retention = retention
        self._prefix = db.meta("event_prefix", str(uuid.uuid4())[:23])
        self._low = int(db.meta("event_low", 1))  # the oldest event kept
        self._blocks: dict[EventBlock, int] = {}
        self._block_cache: dict[int, EventBlock] = {}
        last = db.one("SELECT seq + count - 1, arrived FROM events ORDER BY seq DESC LIMIT 1")
        self._seq, self._arrived = last if last is not None else (self._low - 1, float("-inf"))
        self._row: tuple = ()  # the last row read (a search by entity ref reads a chunk's events in turn)

    def event_id(self, event: AnyEvent) -> str:
        return f"{self._prefix}-{event.seq:012x}"

    def _next_seq(self, count: int, latest: float) -> tuple[int, float]:
        """The first of ``count`` new sequence numbers and the arrival clock of events up to ``latest``
        (the database lock held)."""
        first = self._seq + 1
        self._seq += count
        self._arrived = max(self._arrived, latest)
        return first, self._arrived

    def append(self, name: str, generated_on: float, **values: Any) -> Event:
        with self._db.atomic():  # the event and its index entry, or neither (the database's lock held)
            seq, arrived = self._next_seq(1, generated_on)
            event = Event(seq, name, generated_on, **values)
            row = (seq, name, arrived, event.retailer_id, _pack(event))
            self._db.execute("INSERT INTO events VALUES (?, 1, ?, ?, ?, NULL, ?)", row)
            if event.entity_ref is not None:
                self._db.execute("INSERT INTO event_entities VALUES (?, ?)", (event.entity_ref, seq))
        self.trim()
        return event

    def save(self, event: Event) -> None:
        """The event's status changed (it was processed)."""
        self._db.execute("UPDATE events SET data = ? WHERE seq = ?", (_pack(event), event.seq))
        self._row = ()

    def _block_id(self, block: EventBlock) -> int:
        found = self._blocks.get(block)
        if found is None:
            if len(self._blocks) > 1000:
                self._blocks.clear()
            cursor = self._db.execute("INSERT INTO event_blocks (data) VALUES (?)", (orjson.dumps(asdict(block)),))
            found = self._blocks[block] = cursor.lastrowid or 0
        return found

    def append_records(self, records: list[tuple[EventBlock, str, str | None, str, int]]) -> None:
        """Store batch-record events (block, position ref, quantity ref or None for <position ref>:<type>,
        type, qty) in order: a row per run of one block (a chunk is usually one), an index entry per event."""
        if not records:
            return
        with self._db.lock:
            start = 0
            for end in range(1, len(records) + 1):
                if end == len(records) or records[end][0] is not records[start][0]:
                    self._append_run(records[start:end])
                    start = end

    def _append_run(self, run: list[tuple[EventBlock, str, str | None, str, int]]) -> None:
        block = run[0][0]
        seq, arrived = self._next_seq(len(run), block.generated_on)
        chunk = RecordChunk.of(seq, run)
        columns = orjson.dumps(chunk.columns())
        row = (seq, len(run), block.name, arrived, block.retailer_id, self._block_id(block), columns)
        self._db.execute("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?)", row)
        entities = list(zip(chunk.entity_refs, range(seq, seq + len(run)), strict=True))
        self._db.insert_rows("INSERT INTO event_entities VALUES", 2, entities)

    def trim(self) -> None:
        """Drop the oldest tenth when over retention."""
        with self._db.lock:
            if self._seq - self._low + 1 <= self._retention:
                return
            low = self._low + (self._seq - self._low + 1) // 10
            with self._db.atomic():
                self._db.set_meta("event_low", low)
                # rows wholly below: the seq < ? bound lets SQLite walk the key instead of every row
                self._db.execute("DELETE FROM events WHERE seq < ? AND seq + count <= ?", (low, low))
                # the entity index is keyed by entity ref first: this one reads every entry (once per tenth
                # of the retention; an index by seq would cost every insert instead)
                self._db.execute("DELETE FROM event_entities WHERE seq < ?", (low,))
            self._low = low
            self._row = ()

    def _block(self, block_id: int) -> EventBlock:
        block = self._block_cache.get(block_id)
        if block is None:
            if len(self._block_cache) > 1000:
                self._block_cache.clear()
            (packed,) = self._db.one("SELECT data FROM event_blocks WHERE id = ?", (block_id,))
            block = self._block_cache[block_id] = EventBlock(**orjson.loads(packed))
        return block

    def _events(self, row: tuple) -> Iterator[tuple[AnyEvent, float]]:
        """The events of one row that are kept, newest first, each with the row's arrival clock."""
        seq, count, name, arrived, block_id, data = row
        if block_id is None:
            if seq >= self._low:
                yield Event(seq, name, **orjson.loads(data)), arrived
            return
        chunk = RecordChunk(seq, self._block(block_id), *orjson.loads(data))
        for event_seq in range(seq + count - 1, max(self._low, seq) - 1, -1):
            yield chunk.view(event_seq), arrived

    def _at(self, seq: int) -> tuple[AnyEvent, float] | None:
        """Event ``seq``, if kept, with its row's arrival clock."""
        if not self._low <= seq <= self._seq:
            return None
        row = self._row
        if not row or not row[0] <= seq < row[0] + row[1]:
            row = self._db.one(f"SELECT {_COLUMNS} FROM events WHERE seq <= ? ORDER BY seq DESC LIMIT 1", (seq,))
            if row is None or seq >= row[0] + row[1]:
                return None
            if row[4] is not None:  # a chunk, parsed once for its events
                row = (*row[:5], RecordChunk(row[0], self._block(row[4]), *orjson.loads(row[5])))
            self._row = row
        if row[4] is None:
            return Event(seq, row[2], **orjson.loads(row[5])), row[3]
        return row[5].view(seq), row[3]

    def get(self, event_id: str) -> AnyEvent | None:
        prefix, _, seq_hex = event_id.rpartition("-")
        if prefix != self._prefix:
            return None
        try:
            seq = int(seq_hex, 16)
        except ValueError:
            return None
        found = self._at(seq)
        return None if found is None else found[0]

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
        """Newest first: the page [start, start+count) of events matching every filter that ``visible`` lets
        through; and hasMore. ``retailers`` (None: any) is a superset of the retailers whose events
        ``visible`` can let through: a search reads only their rows (a search by entity ref reads that
        entity's events, and ``visible`` decides)."""
        if "entity_ref" in filters:
            candidates = self._by_entity(filters["entity_ref"])
        else:
            candidates = self._by_rows(filters, retailers)
        return search_page(_within(candidates, since, until), filters, start, count, visible)

    def _by_rows(
        self, filters: dict[str, str], retailers: Collection[int | None] | None
    ) -> Iterator[tuple[AnyEvent, float]]:
        where, params = ["seq < ?"], []
        if "name" in filters:
            where.append("name = ?")
            params.append(filters["name"])
        if retailers is not None:
            known = sorted({r for r in retailers if r is not None})
            alternatives = [f"retailer IN ({', '.join('?' * len(known))})"] if known else []
            if None in retailers:
                alternatives.append("retailer IS NULL")
            where.append(f"({' OR '.join(alternatives)})" if alternatives else "0")
            params += known
        sql = f"SELECT {_COLUMNS} FROM events WHERE {' AND '.join(where)} ORDER BY seq DESC LIMIT {ROW_PAGE}"
        before = 2**62
        for _ in range(self._seq // ROW_PAGE + 2):  # bounded: every page moves ``before`` down, or ends
            rows = self._db.all(sql, [before, *params])
            for row in rows:
                yield from self._events(row)
            if len(rows) < ROW_PAGE:
                return
            before = rows[-1][0]

    def _by_entity(self, entity_ref: str) -> Iterator[tuple[AnyEvent, float]]:
        before = 2**62
        for _ in range(self._seq // PAGE + 2):  # bounded, as above
            seqs = self._db.all(
                f"SELECT seq FROM event_entities WHERE entity_ref = ? AND seq < ? ORDER BY seq DESC LIMIT {PAGE}",
                (entity_ref, before),
            )
            for (seq,) in seqs:
                found = self._at(seq)
                if found is None:  # dropped by retention: so is every older one
                    return
                yield found
            if len(seqs) < PAGE:
                return
            before = seqs[-1][0]


def _within(candidates: Iterator[tuple[AnyEvent, float]], since: float, until: float) -> Iterator[AnyEvent]:
    """The candidates (newest first) generated within [since, until]. An event arrives after it is generated
    and arrival grows with seq: once one arrived before ``since``, no older one can be within."""
    for event, arrived in candidates:
        if arrived < since:
            return
        if since <= event.generated_on <= until:
            yield event


def _pack(event: Event) -> bytes:
    return orjson.dumps({name: getattr(event, name) for name in _EVENT_FIELDS})
