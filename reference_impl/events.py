"""The event log: events received over the Event API and those raised by batch processing.

Ids are UUID-shaped, their last group the event's sequence number, so a read needs no index.
Events are kept compact (slots, shared strings): one per forwarded record adds up.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reference_impl.clock import fluent_timestamp

__all__ = ["Event", "EventLog"]


@dataclass(slots=True, eq=False)
class Event:
    """One event; ``context`` fields are flattened into attributes of their own."""

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
    source: str | None = None
    generated_by: str | None = None
    attributes: Any = None
    error_message: str | None = None


class EventLog:
    """Events in arrival order, with indexes by name and by entity ref."""

    def __init__(self, account_id: str, retention: int = 2_000_000) -> None:
        self._account_id = account_id
        self._prefix = str(uuid.uuid4())[:23]
        self._events: list[Event] = []
        self._first_seq = 1
        self._next_seq = 1
        self._by_name: dict[str, list[int]] = {}
        self._by_entity: dict[str, list[int]] = {}
        self._retention = retention
        self._lock = threading.Lock()

    def event_id(self, event: Event) -> str:
        return f"{self._prefix}-{event.seq:012x}"

    def append(self, name: str, generated_on: float, **fields: Any) -> Event:
        with self._lock:
            event = Event(self._next_seq, name, generated_on, **fields)
            self._next_seq += 1
            self._events.append(event)
            self._by_name.setdefault(name, []).append(event.seq)
            if event.entity_ref is not None:
                self._by_entity.setdefault(event.entity_ref, []).append(event.seq)
            if len(self._events) > self._retention:
                self._forget(len(self._events) // 10)
        return event

    def raiser(self, name: str, generated_on: float, **shared: Any) -> Callable[[str, Any], None]:
        """A fast appender for many events that share all fields but entity ref and attributes."""
        by_name = self._by_name.setdefault(name, [])
        by_entity = self._by_entity
        events = self._events

        def raise_event(entity_ref: str, attributes: Any) -> None:
            seq = self._next_seq
            self._next_seq = seq + 1
            events.append(Event(seq, name, generated_on, entity_ref=entity_ref, attributes=attributes, **shared))
            by_name.append(seq)
            by_entity.setdefault(entity_ref, []).append(seq)

        return raise_event

    def trim(self) -> None:
        """Drop the oldest tenth when over retention (called after bulk raising)."""
        with self._lock:
            if len(self._events) > self._retention:
                self._forget(len(self._events) // 10)

    def _forget(self, count: int) -> None:
        del self._events[:count]
        self._first_seq += count

    def get(self, event_id: str) -> Event | None:
        prefix, _, seq_hex = event_id.rpartition("-")
        if prefix != self._prefix:
            return None
        try:
            index = int(seq_hex, 16) - self._first_seq
        except ValueError:
            return None
        return self._events[index] if 0 <= index < len(self._events) else None

    def search(
        self,
        filters: dict[str, str],
        since: float,
        until: float,
        start: int,
        count: int,
        visible: Callable[[Event], bool],
    ) -> tuple[list[Event], bool]:
        """Newest first: the page [start, start+count) of events matching every filter; and hasMore."""
        candidates: list[int] | None = None
        if "entity_ref" in filters:
            candidates = self._by_entity.get(filters["entity_ref"], [])
        elif "name" in filters:
            candidates = self._by_name.get(filters["name"], [])
        matched: list[Event] = []
        skipped = 0
        for event in self._newest_first(candidates):
            if event.generated_on < since:
                break
            if event.generated_on > until or not visible(event):
                continue
            if any(getattr(event, field) != value for field, value in filters.items()):
                continue
            if skipped < start:
                skipped += 1
                continue
            if len(matched) == count:
                return matched, True
            matched.append(event)
        return matched, False

    def _newest_first(self, seqs: list[int] | None):
        first, events = self._first_seq, self._events
        if seqs is None:
            yield from reversed(events)
            return
        for seq in reversed(seqs):
            if seq < first:
                break
            yield events[seq - first]

    def to_json(self, event: Event) -> dict[str, Any]:
        """The event as GET /api/v4.1/event/{id} answers it (event-read schema)."""
        return {
            "id": self.event_id(event),
            "name": event.name,
            "type": "NORMAL",
            "accountId": self._account_id,
            "retailerId": None if event.retailer_id is None else str(event.retailer_id),
            "category": event.category,
            "context": {
                "sourceEvents": [],
                "entityType": event.entity_type,
                "entityId": event.entity_id,
                "entityRef": event.entity_ref,
                "rootEntityType": event.root_entity_type,
                "rootEntityId": event.root_entity_id,
                "rootEntityRef": event.root_entity_ref,
            },
            "eventStatus": event.status,
            "attributes": _attributes(event.attributes),
            "source": event.source,
            "generatedBy": event.generated_by,
            "generatedOn": fluent_timestamp(event.generated_on),
            **({"errorMessage": event.error_message} if event.error_message else {}),
        }


def _attributes(stored: Any) -> Any:
    # Batch events keep (quantity ref, type, qty) as a tuple to stay small; read, it is an object.
    if isinstance(stored, tuple):
        ref, kind, qty = stored
        return {"quantityRef": ref, "type": kind, "qty": qty}
    return stored
