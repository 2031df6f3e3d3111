"""The event log: events received over the Event API and those raised by batch processing.

Ids are UUID-shaped, their last group the event's sequence number, so a read needs no index.
A batch raises one event per forwarded record; those share everything but the position and the
quantity change, so they are stored as (shared block, entity ref, change) tuples and read through
a view — a million of them must stay cheap to make and to keep.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

__all__ = ["ORCHESTRATION", "AnyEvent", "Event", "EventBlock", "InMemoryEventLog", "RecordEvent"]

# Fluent's event types are ORCHESTRATION (triggers a workflow) and ORCHESTRATION_AUDIT (describes one
# that ran; "Orchestration & Audit Events"). Every event this server stores is of the first kind.
ORCHESTRATION = "ORCHESTRATION"


@dataclass(slots=True, eq=False)
class Event:
    """One event received over the Event API (or raised alone); context fields flattened."""

    seq: int
    name: str
    generated_on: float
    retailer_id: int | None
    entity_type: str | None
    entity_ref: str | None
    root_entity_type: str | None = None
    root_entity_ref: str | None = None
    entity_id: str | None = None
    root_entity_id: str | None = None
    status: str = "COMPLETE"
    category: str = "ORCHESTRATION"
    type: str = ORCHESTRATION
    source: str | None = None
    generated_by: str | None = None
    attributes: Any = None
    error_message: str | None = None


@dataclass(slots=True, frozen=True)
class EventBlock:
    """What the events of one batch's processing share."""

    name: str
    generated_on: float
    retailer_id: int | None
    entity_type: str | None
    root_entity_type: str | None
    root_entity_ref: str | None
    source: str | None
    generated_by: str | None
    status: str = "COMPLETE"
    category: str = "ORCHESTRATION"
    type: str = ORCHESTRATION
    entity_id: None = None
    root_entity_id: None = None
    error_message: None = None


class RecordEvent:
    """A read-only view of a stored (block, entity ref, change) event with the fields of Event."""

    __slots__ = ("attributes", "block", "entity_ref", "seq")

    def __init__(self, seq: int, block: EventBlock, entity_ref: str, ref: str, kind: str, qty: int) -> None:
        self.seq, self.block, self.entity_ref = seq, block, entity_ref
        self.attributes = {"quantityRef": ref, "type": kind, "qty": qty}

    def __getattr__(self, name: str) -> Any:
        return getattr(self.block, name)


AnyEvent = Event | RecordEvent


class InMemoryEventLog:
    """Events in arrival order, with indexes by name and by entity ref (the EventStore in memory)."""

    def __init__(self, retention: int = 2_000_000) -> None:
        self._prefix = str(uuid.uuid4())[:23]
        self._events: list[Any] = []  # Event, or (EventBlock, entity ref, quantity ref, type, qty) tuples
        self._first_seq = 1
        self._by_name: dict[str, list[int]] = {}
        # entity ref -> seq, or a list of seqs once it has several: most positions have one event.
        self._by_entity: dict[str, int | list[int]] = {}
        self._retention = retention
        self._lock = threading.Lock()

    @property
    def _next_seq(self) -> int:
        return self._first_seq + len(self._events)

    def event_id(self, event: AnyEvent) -> str:
        return f"{self._prefix}-{event.seq:012x}"

    def append(self, name: str, generated_on: float, **fields: Any) -> Event:
        with self._lock:
            event = Event(self._next_seq, name, generated_on, **fields)
            self._events.append(event)
            self._by_name.setdefault(name, []).append(event.seq)
            if event.entity_ref is not None:
                self._index_entity(event.entity_ref, event.seq)
            self._trim()
        return event

    def _index_entity(self, ref: str, seq: int) -> None:
        known = self._by_entity.get(ref)
        if known is None:
            self._by_entity[ref] = seq
        elif type(known) is int:
            self._by_entity[ref] = [known, seq]
        else:
            known.append(seq)

    def save(self, event: Event) -> None:
        """The event's status changed (in memory: already stored)."""

    def append_records(self, records: list[tuple[EventBlock, str, str, str, int]]) -> None:
        """Store batch-record events (block, position ref, quantity ref, type, qty) in order.

        The hot path of ingestion: one call per chunk of records, the indexes kept here."""
        with self._lock:
            seq = self._first_seq + len(self._events)
            self._events.extend(records)
            by_name, index_entity = self._by_name, self._index_entity
            name, seqs = None, None
            for stored in records:
                if stored[0].name != name:
                    name = stored[0].name
                    seqs = by_name.setdefault(name, [])
                seqs.append(seq)  # type: ignore[union-attr]
                index_entity(stored[1], seq)
                seq += 1

    def trim(self) -> None:
        """Drop the oldest tenth when over retention (called after bulk raising)."""
        with self._lock:
            self._trim()

    def _trim(self) -> None:
        if len(self._events) > self._retention:
            count = len(self._events) // 10
            del self._events[:count]
            self._first_seq += count

    def _view(self, seq: int) -> AnyEvent | None:
        index = seq - self._first_seq
        if not 0 <= index < len(self._events):
            return None
        stored = self._events[index]
        return RecordEvent(seq, *stored) if type(stored) is tuple else stored

    def get(self, event_id: str) -> AnyEvent | None:
        prefix, _, seq_hex = event_id.rpartition("-")
        if prefix != self._prefix:
            return None
        try:
            return self._view(int(seq_hex, 16))
        except ValueError:
            return None

    def search(
        self,
        filters: dict[str, str],
        since: float,
        until: float,
        start: int,
        count: int,
        visible: Callable[[Any], bool],
    ) -> tuple[list[AnyEvent], bool]:
        """Newest first: the page [start, start+count) of events matching every filter (the field's
        value as text equals the filter's); and hasMore."""
        matched: list[AnyEvent] = []
        skipped = 0
        for event in self._newest_first(filters):
            if event.generated_on < since:
                break
            if event.generated_on > until or not visible(event):
                continue
            if any(_text(getattr(event, field)) != value for field, value in filters.items()):
                continue
            if skipped < start:
                skipped += 1
                continue
            if len(matched) == count:
                return matched, True
            matched.append(event)
        return matched, False

    def _newest_first(self, filters: dict[str, str]) -> Iterator[AnyEvent]:
        if "entity_ref" in filters:
            known = self._by_entity.get(filters["entity_ref"], [])
            seqs: list[int] | None = [known] if type(known) is int else known  # type: ignore[list-item]
        else:
            seqs = self._by_name.get(filters["name"], []) if "name" in filters else None
        if seqs is None:
            seqs = range(self._first_seq, self._next_seq)  # type: ignore[assignment]
        for seq in reversed(seqs):
            if seq < self._first_seq:
                break
            event = self._view(seq)
            if event is not None:
                yield event


def _text(value: Any) -> str | None:
    """A field as a query string carries it: retailer 1 is "1"."""
    return None if value is None else str(value)
