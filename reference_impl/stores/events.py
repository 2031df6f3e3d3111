"""The event log: events received over the Event API and those raised by batch processing.

Ids are UUID-shaped, their last group the event's sequence number, so a read needs no index.
A batch raises one event per forwarded record; those share everything but the position and the
quantity change, so each chunk of them is stored as columns (RecordChunk: the shared block, then the
entity refs, quantity refs, types and quantities) and read through a view — a million of them must
stay cheap to make and to keep (a tuple each would be 80 MB more).
"""

from __future__ import annotations

import array
import bisect
import heapq
import threading
import uuid
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "ORCHESTRATION",
    "AnyEvent",
    "Event",
    "EventBlock",
    "InMemoryEventLog",
    "RecordChunk",
    "RecordEvent",
    "search_page",
]

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


class RecordChunk:
    """The record events of one append_records call, as columns; event ``seq`` is row seq - first.
    A column all of one value (the block, the type, the quantity ref: usually) is kept as that value,
    and a quantity ref of the default form, <entity ref>:<type>, as None (made when read, as Quantity
    does). Both event logs keep chunks so: in memory as they are, in SQLite as a row's columns."""

    __slots__ = ("blocks", "entity_refs", "first", "kinds", "qtys", "refs")

    def __init__(
        self,
        first: int,
        blocks: EventBlock | Sequence[EventBlock],
        entity_refs: Sequence[str],
        refs: str | Sequence[str | None] | None,
        kinds: str | Sequence[str],
        qtys: Sequence[int],
    ) -> None:
        self.first = first
        self.blocks = blocks
        self.entity_refs = entity_refs
        self.refs = refs
        self.kinds = kinds
        self.qtys = qtys

    @classmethod
    def of(cls, first: int, records: list[tuple[EventBlock, str, str | None, str, int]]) -> RecordChunk:
        """The chunk of ``records`` (block, entity ref, quantity ref or None for the default, type, qty)."""
        blocks, entity_refs, refs, kinds, qtys = zip(*records, strict=True)
        # the batch hot path gives a default ref as None already
        if refs.count(None) != len(refs):
            default = zip(refs, entity_refs, kinds, strict=True)
            refs = tuple(None if ref is None or ref == f"{entity}:{kind}" else ref for ref, entity, kind in default)
        return cls(first, _column(blocks), entity_refs, _column(refs), _column(kinds), qtys)

    def columns(self) -> tuple[Any, ...]:
        """What a store keeps beside the block: entity refs, quantity refs, types, quantities."""
        return self.entity_refs, self.refs, self.kinds, self.qtys

    def view(self, seq: int) -> RecordEvent:
        row = seq - self.first
        blocks, kinds, refs, entity_ref = self.blocks, self.kinds, self.refs, self.entity_refs[row]
        kind = kinds if type(kinds) is str else kinds[row]
        ref = refs if refs is None or type(refs) is str else refs[row]
        return RecordEvent(
            seq,
            blocks if type(blocks) is EventBlock else blocks[row],  # type: ignore[index]
            entity_ref,
            f"{entity_ref}:{kind}" if ref is None else ref,
            kind,
            self.qtys[row],
        )


def _column(values: tuple[Any, ...]) -> Any:
    """The one value of ``values`` if they are all it (by identity first: no __eq__ call), else them."""
    return values[0] if values.count(values[0]) == len(values) else values


class InMemoryEventLog:
    """Events in arrival order, with indexes by name, type, retailer and entity ref (the EventStore in memory).

    What is stored is a list of items, an Event or the RecordChunk of a chunk of record events, with the seq
    of each item's first event and the arrival clock when it came (the events of a chunk arrive together):
    per event, only the entity ref index holds anything. The name, type and retailer indexes are runs of
    consecutive seqs (_SeqRuns), a chunk's events being one run: a million events in them are a few
    thousand runs, not three million list entries."""

    def __init__(self, retention: int = 2_000_000) -> None:
        self._prefix = str(uuid.uuid4())[:23]
        self._items: list[Any] = []  # Event, or the RecordChunk of a chunk
        self._starts = array.array("q")  # seq of each item's first event
        self._first_seq = 1  # the oldest event kept
        self._next_seq = 1
        self._by_name: dict[str, _SeqRuns] = {}
        self._by_type: dict[str, _SeqRuns] = {}
        self._by_retailer: dict[int | None, _SeqRuns] = {}
        # entity ref -> seq, or a list of seqs once it has several: most positions have one event.
        self._by_entity: dict[str, int | list[int]] = {}
        # Time: a batch's record events carry the batch's start, appended while other events arrive, so
        # generated_on is not ordered by seq. The arrival clock (the latest generated_on so far, by item)
        # is; an event generated at t arrived within [t, t + max lag], which bounds the bisection.
        self._arrival = array.array("d")  # per item
        self._latest = float("-inf")
        self._max_lag = 0.0
        self._retention = retention
        self._lock = threading.Lock()

    def event_id(self, event: AnyEvent) -> str:
        return f"{self._prefix}-{event.seq:012x}"

    def append(self, name: str, generated_on: float, **fields: Any) -> Event:
        with self._lock:
            event = Event(self._next_seq, name, generated_on, **fields)
            self._store(event, 1, generated_on, generated_on)
            _runs_of(self._by_name, name).add(event.seq, 1)
            _runs_of(self._by_type, event.type).add(event.seq, 1)
            _runs_of(self._by_retailer, event.retailer_id).add(event.seq, 1)
            if event.entity_ref is not None:
                self._index_entities((event.entity_ref,), event.seq)
            self._trim()
        return event

    def _store(self, item: Any, count: int, earliest: float, latest: float) -> None:
        """Keep ``item`` (its ``count`` events, generated within [earliest, latest]) arriving now."""
        self._items.append(item)
        self._starts.append(self._next_seq)
        self._next_seq += count
        self._latest = max(self._latest, latest)
        self._max_lag = max(self._max_lag, self._latest - earliest)
        self._arrival.append(self._latest)

    def save(self, event: Event) -> None:
        """The event's status changed (in memory: already stored)."""

    def append_records(self, records: list[tuple[EventBlock, str, str | None, str, int]]) -> None:
        """Store batch-record events (block, position ref, quantity ref or None for <position ref>:<type>,
        type, qty) in order.

        The hot path of ingestion: one call per chunk of records, the indexes kept here."""
        if not records:
            return
        with self._lock:
            first = self._next_seq
            stored = RecordChunk.of(first, records)
            blocks = stored.blocks
            runs = [(blocks, 0, len(records))] if type(blocks) is EventBlock else _runs(list(blocks))
            generated = [block.generated_on for block, _, _ in runs]
            self._store(stored, len(records), min(generated), max(generated))
            for block, start, end in runs:
                for index, key in ((self._by_name, block.name), (self._by_type, block.type)):
                    _runs_of(index, key).add(first + start, end - start)
                _runs_of(self._by_retailer, block.retailer_id).add(first + start, end - start)
            self._index_entities(stored.entity_refs, first)

    def _index_entities(self, entity_refs: Sequence[str], first: int) -> None:
        """Index the entity refs of the events from seq ``first`` on (one dict operation for a new ref)."""
        by_entity, setdefault = self._by_entity, self._by_entity.setdefault
        for entity_ref, seq in zip(entity_refs, range(first, first + len(entity_refs)), strict=True):
            known = setdefault(entity_ref, seq)
            if known is not seq:  # the ref has events already
                if type(known) is int:
                    by_entity[entity_ref] = [known, seq]
                else:
                    known.append(seq)

    def trim(self) -> None:
        """Drop the oldest tenth when over retention (called after bulk raising)."""
        with self._lock:
            self._trim()

    def _trim(self) -> None:
        if self._next_seq - self._first_seq > self._retention:
            self._first_seq += (self._next_seq - self._first_seq) // 10
            gone = bisect.bisect_right(self._starts, self._first_seq) - 1  # items wholly older than the first kept
            if gone > 0:
                del self._items[:gone]
                del self._starts[:gone]
                del self._arrival[:gone]
            for index in (self._by_name, self._by_type, self._by_retailer):
                for seqs in index.values():
                    seqs.drop_below(self._first_seq)

    def _item(self, seq: int) -> int:
        """The position in _items of the item holding event ``seq`` (-1: none)."""
        return bisect.bisect_right(self._starts, seq) - 1

    def _view(self, seq: int) -> AnyEvent | None:
        if not self._first_seq <= seq < self._next_seq:
            return None
        stored = self._items[self._item(seq)]
        return stored.view(seq) if type(stored) is RecordChunk else stored

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
        retailers: Collection[int | None] | None = None,
    ) -> tuple[list[AnyEvent], bool]:
        """Newest first: the page [start, start+count) of events matching every filter (the field's
        value as text equals the filter's) that ``visible`` lets through; and hasMore.

        ``retailers`` (None: any) is a superset of the retailers whose events ``visible`` can let
        through: the search reads only their events. It walks the smallest index that applies (name,
        entity ref, type, the retailers') within the time window found by bisection, never every event."""
        return search_page(self._candidates(filters, since, until, retailers), filters, start, count, visible)

    def _candidates(
        self, filters: dict[str, str], since: float, until: float, retailers: Collection[int | None] | None
    ) -> Iterator[AnyEvent]:
        """Newest first, the events of the smallest index that applies, generated within [since, until]."""
        indexes: list[Sequence[int]] = []
        if "entity_ref" in filters:
            known = self._by_entity.get(filters["entity_ref"], [])
            indexes.append([known] if type(known) is int else known)  # type: ignore[list-item]
        for field, index in (("name", self._by_name), ("type", self._by_type)):
            if field in filters:
                indexes.append(index.get(filters[field], []))
        if retailers is not None:
            indexes.append(_Merged([self._by_retailer.get(r, []) for r in set(retailers)]))
        seqs: Sequence[int] = min(indexes, key=len) if indexes else range(self._first_seq, self._next_seq)
        low = bisect.bisect_left(seqs, since, key=self._arrived)
        high = bisect.bisect_right(seqs, until + self._max_lag, key=self._arrived)
        for position in range(high - 1, low - 1, -1):
            event = self._view(seqs[position])
            if event is not None and since <= event.generated_on <= until:
                yield event

    def _arrived(self, seq: int) -> float:
        """The arrival clock at event ``seq``; -inf once it is dropped (so bisection passes it)."""
        return self._arrival[self._item(seq)] if seq >= self._first_seq else float("-inf")


def _runs(blocks: list[EventBlock]) -> list[tuple[EventBlock, int, int]]:
    """(block, start, end) of each run of one block; a chunk is usually one run, found at C speed."""
    if blocks.count(blocks[0]) == len(blocks):  # identity first: no EventBlock.__eq__ call
        return [(blocks[0], 0, len(blocks))]
    runs, start = [], 0
    for end in range(1, len(blocks) + 1):
        if end == len(blocks) or blocks[end] is not blocks[start]:
            runs.append((blocks[start], start, end))
            start = end
    return runs


def _runs_of(index: dict[Any, _SeqRuns], key: Any) -> _SeqRuns:
    found = index.get(key)
    if found is None:
        found = index[key] = _SeqRuns()
    return found


class _SeqRuns(Sequence[int]):
    """An ascending sequence of seqs kept as runs of consecutive ones: (first seq, count before it)."""

    __slots__ = ("_dropped", "_firsts", "_offsets", "_total")

    def __init__(self) -> None:
        self._firsts = array.array("q")  # the first seq of each run
        self._offsets = array.array("q")  # how many seqs (dropped ones included) come before each run
        self._total = 0  # seqs added
        self._dropped = 0  # of which dropped (the oldest)

    def add(self, first: int, count: int) -> None:
        """Append the seqs [first, first + count), all above the last one."""
        if self._firsts and self._firsts[-1] + (self._total - self._offsets[-1]) == first:
            self._total += count  # continues the last run
            return
        self._firsts.append(first)
        self._offsets.append(self._total)
        self._total += count

    def drop_below(self, seq: int) -> None:
        """Forget the seqs below ``seq``."""
        self._dropped += bisect.bisect_left(self, seq)
        gone = bisect.bisect_right(self._offsets, self._dropped) - 1
        if gone > 0:
            del self._firsts[:gone]
            del self._offsets[:gone]

    def __len__(self) -> int:
        return self._total - self._dropped

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        absolute = index + self._dropped
        run = bisect.bisect_right(self._offsets, absolute) - 1
        return self._firsts[run] + (absolute - self._offsets[run])

    def __iter__(self) -> Iterator[int]:
        for position in range(len(self)):
            yield self[position]


class _Merged(Sequence[int]):
    """Several ascending seq lists read as one ascending sequence (the retailers' indexes together).

    Most users see one retailer (and events of none), so this is usually one list; merging more is
    done once, on first use."""

    def __init__(self, lists: list[Sequence[int]]) -> None:
        non_empty = [seqs for seqs in lists if seqs]
        self._lists = non_empty
        self._seqs: Sequence[int] | None = non_empty[0] if len(non_empty) == 1 else None
        self._length = sum(len(seqs) for seqs in non_empty)

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, index: Any) -> Any:
        if self._seqs is None:
            self._seqs = list(heapq.merge(*self._lists))
        return self._seqs[index]


def search_page(
    candidates: Iterable[AnyEvent], filters: dict[str, str], start: int, count: int, visible: Callable[[Any], bool]
) -> tuple[list[AnyEvent], bool]:
    """The page [start, start+count) of ``candidates`` (newest first) that ``visible`` lets through and that
    match every filter (the field's value as text equals the filter's); and whether more follow. Every event
    store's search ends here; they differ in how they find the candidates."""
    matched: list[AnyEvent] = []
    skipped = 0
    for event in candidates:
        if not visible(event) or any(_text(getattr(event, f)) != value for f, value in filters.items()):
            continue
        if skipped < start:
            skipped += 1
            continue
        if len(matched) == count:
            return matched, True
        matched.append(event)
    return matched, False


def _text(value: Any) -> str | None:
    """A field as a query string carries it: retailer 1 is "1"."""
    return None if value is None else str(value)
