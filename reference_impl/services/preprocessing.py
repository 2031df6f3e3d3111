"""Batch processing with pre-processing (BPP): whether it applies, de-duplication, change detection.

A group is PENDING batches of one job taken together (which ones: bpp.dedup_scope, see the worker).
With BPP on, records for the same quantity are de-duplicated over the group (bpp.dedup_winner: the
last received wins -- later batch, then later position -- or the first), and a record that would
change nothing is filtered: no write, no event. A record is a change when no quantity has its ref
yet, when qty, status (if given; bpp.absent_status) or correctedQty (bpp.compares_corrected_qty)
differ, or when the position holds a transient quantity (the pairs the batch was accepted with).
Every forwarded record is written and raises one event named by the batch's ``event``. Each
``bpp.*`` name is a profile key: the server plays what its ServerConfig.behaviours declare.
"""

from __future__ import annotations

import sys
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from invharness.reference_impl.clock import Clock
from invharness.reference_impl.config import Behaviours
from invharness.reference_impl.services.settings import SettingsService
from invharness.reference_impl.stores.events import EventBlock
from invharness.reference_impl.stores.inventory import Position, Quantity
from invharness.reference_impl.stores.jobs import Batch, Job
from invharness.reference_impl.stores.protocols import EventStore, InventoryStore
from invharness.reference_impl.vocabulary import (
    ACTIVE,
    LAST_ON_HAND,
    LOH_DEACTIVATES,
    catalogue_type,
)

__all__ = [
    "DEFAULT_TRANSIENTS",
    "BatchProcessor",
    "ChangeRules",
    "GroupOutcome",
    "preprocessing_applies",
    "resolve_records",
]

DEFAULT_TRANSIENTS = frozenset((t, s) for t in ("SALE", "CORRECTION", "DELTA") for s in ("CREATED", "ACTIVE"))
ACTIVE_CORRECTION = frozenset({("CORRECTION", ACTIVE)})
CHUNK = 500  # records written between two yields, so requests are answered while a group is processed
RESOLVE_BATCHES = 4  # batches (at most 20,000 records) taken between two yields
DEDUP_CHUNK = 20_000  # records de-duplicated between two yields


def preprocessing_applies(
    setting: bool | None, meta: Any, default: bool = True, skip_case_sensitive: bool = True
) -> bool:
    """SPEC §5.2: the setting false wins (no setting: ``default``, bpp.default); else the job's meta
    "skip" opts out (exactly that string, or in any case: bpp.skip_case_sensitive)."""
    if setting is False or (setting is None and not default):
        return False
    given = meta.get("preprocessing") if isinstance(meta, dict) else None
    if not skip_case_sensitive and isinstance(given, str):
        given = given.lower()
    return given != "skip"


@dataclass(slots=True, frozen=True)
class ChangeRules:
    """What makes a record a change, for one batch: its transient pairs and the declared comparisons."""

    transients: frozenset[tuple[str, str]]
    absent_status_compared: bool = False  # bpp.absent_status compared: a record without status reads ACTIVE
    compares_corrected_qty: bool = True  # bpp.compares_corrected_qty


@dataclass(slots=True)
class GroupOutcome:
    """How the records of one group ended."""

    preprocessing: bool = False
    forwarded: int = 0
    filtered: int = 0
    deduplicated: int = 0
    failed: int = 0


class BatchProcessor:
    """Applies groups of batches to the inventory and raises their events."""

    def __init__(
        self,
        inventory: InventoryStore,
        events: EventStore,
        settings: SettingsService,
        clock: Clock,
        behaviours: Behaviours | None = None,
    ) -> None:
        self._inventory = inventory
        self._events = events
        self._settings = settings
        self._clock = clock
        self._behaviours = behaviours or Behaviours()

    def applies(self, job: Job) -> bool:
        """Whether BPP applies to the job's batches now (the setting read when bpp.setting_read_at says)."""
        behaviours = self._behaviours
        at_creation = behaviours["bpp.setting_read_at"] == "job_creation"
        setting = job.setting_at_creation if at_creation else self._settings.preprocessing(job.retailer_id)
        return preprocessing_applies(
            setting, job.meta, behaviours["bpp.default"] == "on", behaviours["bpp.skip_case_sensitive"]
        )

    def process(self, job: Job, batches: list[Batch], outcome: GroupOutcome) -> Iterator[None]:
        """Process ``batches`` (PENDING, of ``job``) in order; yields every CHUNK records."""
        enabled = self.applies(job)
        outcome.preprocessing = enabled
        taken: list[list | None] = []
        for start in range(0, len(batches), RESOLVE_BATCHES):  # a big group must not stop the server answering
            taken += [self._take(batch, outcome) for batch in batches[start : start + RESOLVE_BATCHES]]
            yield
        if enabled:
            yield from self._deduplicate(batches, taken, outcome)
        now = self._clock.now()
        writers = [
            _Writer(self._inventory, self._events, b, now, self._rules(b)) if t else None
            for b, t in zip(batches, taken, strict=True)
        ]
        for number, records in enumerate(taken):
            # A batch's records are let go once written: a group's records would otherwise all stay until
            # its end, on top of the quantities they become.
            taken[number] = None
            for offset in range(0, len(records or ()), CHUNK):
                assert records is not None and writers[number] is not None
                _write_chunk(
                    records[offset : offset + CHUNK],
                    writers[number],
                    self._inventory,
                    self._events,
                    enabled,
                    now,
                    outcome,
                )
                yield
        self._events.trim()

    def _deduplicate(self, batches: list[Batch], taken: list, outcome: GroupOutcome) -> Iterator[None]:
        """Keep one record per quantity over the group (bpp.dedup_winner): the last received, or the first."""
        # One quantity per (catalogue, ref); the ref alone is the key when one catalogue is involved.
        one_catalogue = len({b.catalogue_ref for b in batches}) == 1
        first_wins = self._behaviours["bpp.dedup_winner"] == "first"
        winners: dict[Any, Any] = {}
        total = 0
        for batch, records in zip(batches, taken, strict=True):
            scope = None if one_catalogue else batch.catalogue_ref
            for offset in range(0, len(records), DEDUP_CHUNK):
                for record in records[offset : offset + DEDUP_CHUNK]:
                    key = _key(record, scope)
                    if not (first_wins and key in winners):
                        winners[key] = record
                yield
            total += len(records)
        if len(winners) < total:  # duplicates: each batch keeps its winning records, in order
            outcome.deduplicated += total - len(winners)
            for number, (batch, records) in enumerate(zip(batches, taken, strict=True)):
                scope = None if one_catalogue else batch.catalogue_ref
                taken[number] = [r for r in records if winners[_key(r, scope)] is r]
                yield

    def _take(self, batch: Batch, outcome: GroupOutcome) -> list:
        """The batch's conforming records (see resolve_records); each record that does not conform is reported."""
        for index, (message, ref) in sorted(batch.invalid.items()):
            outcome.failed += 1
            batch.results.append({"index": index, "entityRef": ref, "code": "INVALID_RECORD", "message": message})
        records = batch.records()
        batch.release_records()
        return records

    def _rules(self, batch: Batch) -> ChangeRules:
        defaults = frozenset(tuple(pair) for pair in self._behaviours["bpp.default_transients"])
        if batch.transients is None:
            transients = defaults
        else:  # bpp.conditions: the batch's pairs replace the default ones, or extend them
            transients = (
                batch.transients | defaults if self._behaviours["bpp.conditions"] == "merge" else batch.transients
            )
        return ChangeRules(
            transients,
            self._behaviours["bpp.absent_status"] == "compared",
            bool(self._behaviours["bpp.compares_corrected_qty"]),
        )


def _key(record: tuple, catalogue_ref: str | None) -> Any:
    """What names a record's quantity: its ref (in its catalogue when the group spans several)."""
    ref = record[4] or f"{record[3]}:{record[5]}"
    return ref if catalogue_ref is None else (catalogue_ref, ref)


def resolve_records(entities: list[Any], invalid: Collection[int], catalogue_ref: str) -> list[tuple]:
    """A batch's conforming records in the form they wait in and are processed from, one tuple each:
    (index, product ref, location ref, position ref, ref, type, qty, status, correctedQty, attributes,
    parentRef) -- ref None for the default <position ref>:<type>, status None when absent, attributes as
    the JSON of the record's ``attributes`` (a third of the size of the parsed dicts; split when read).

    Made once, when the batch is accepted: the parsed request is let go at once, and processing neither
    parses again nor builds what every record repeats. The strings many records share (a location, a
    product, a status) are interned, so a million quantities share them instead of holding copies."""
    intern, dumps = sys.intern, orjson.dumps
    ctype = catalogue_type(catalogue_ref)
    records = []
    for index, entity in enumerate(entities):
        if invalid and index in invalid:
            continue
        kind = entity.get("type") or LAST_ON_HAND
        sku = intern(entity["skuRef"])
        location = intern(entity["locationRef"])
        pos_ref = f"{sku}:{location}:{ctype}"  # vocabulary.position_ref, inlined on the hot path
        ref = entity.get("ref")
        if ref is not None and ref == f"{pos_ref}:{kind}":
            ref = None
        status = entity.get("status")
        attributes = entity.get("attributes")
        parent_ref = packed = None
        if attributes:
            parent_ref = attributes.get("parentRef")
            packed = dumps(attributes).decode()  # a str is its exact size; orjson's bytes keep a 4 KB buffer
        records.append(
            (
                index,
                sku,
                location,
                pos_ref,
                ref,
                kind,
                entity["qty"],
                None if status is None else intern(status),
                entity.get("correctedQty", 0),
                packed,
                parent_ref,
            )
        )
    return records


class _Writer:
    """What the records of one batch share, looked up once per batch. ``transients`` holds the batch's
    ChangeRules (its transient pairs and the declared comparisons), which _is_change takes."""

    __slots__ = ("batch", "block", "catalogue", "ctype", "transients")

    def __init__(
        self, inventory: InventoryStore, events: EventStore, batch: Batch, now: float, rules: ChangeRules
    ) -> None:
        self.batch = batch
        self.ctype = catalogue_type(batch.catalogue_ref)
        self.catalogue = inventory.ensure_catalogue(batch.catalogue_ref, batch.job.retailer_id, now)
        self.transients = rules
        self.block = EventBlock(
            batch.event,
            now,
            batch.job.retailer_id,
            "INVENTORY_POSITION",
            "INVENTORY_CATALOGUE",
            batch.catalogue_ref,
            f"batch:{batch.id}",
            batch.submitted_by,
        )


def _write_chunk(
    records: list[tuple],
    writer: _Writer,
    inventory: InventoryStore,
    events: EventStore,
    enabled: bool,
    now: float,
    outcome: GroupOutcome,
) -> None:
    """Write each record of one batch (unless BPP filters it), or report why it cannot be. The ingestion hot
    path: one loop with everything it touches in locals."""
    catalogue, ctype, transients, block, batch = (
        writer.catalogue,
        writer.ctype,
        writer.transients,
        writer.block,
        writer.batch,
    )
    inventory.prefetch(catalogue.ref, [r[3] for r in records])  # a durable store reads them in one go
    positions, other_refs = catalogue.positions, catalogue.other_refs
    filtered = forwarded = 0
    raised: list[tuple] = []  # the events of the forwarded records, stored together at the end
    save = inventory.save
    for index, sku, location, pos_ref, ref, kind, qty, status, corrected, packed, parent_ref in records:
        position = positions.get(pos_ref)
        if ref is None:
            stored = position.default_quantity(kind) if position is not None else None
            if stored is None and other_refs:
                stored = other_refs.get(f"{pos_ref}:{kind}")
        else:
            stored = position.quantity(ref) if position is not None else None
            if stored is None and other_refs:
                stored = other_refs.get(ref)
        failure = None
        if stored is not None and stored.position is not position:
            named = ref or f"{pos_ref}:{kind}"
            failure = "REF_CONFLICT", f"ref {named} already names a quantity of position {stored.position.ref}"
        else:
            if (
                enabled
                and stored is not None
                and not _is_change(stored, position, qty, status, corrected, kind, transients)
            ):
                filtered += 1
                continue
            if parent_ref is not None and (position is None or position.quantity(parent_ref) is None):
                failure = "PARENT_NOT_FOUND", f"parentRef {parent_ref} is not a quantity of position {pos_ref}"
        if failure is not None:
            outcome.failed += 1
            batch.results.append(
                {"index": index, "entityRef": ref or f"{pos_ref}:{kind}", "code": failure[0], "message": failure[1]}
            )
            continue
        if position is None:
            position = positions[pos_ref] = Position(pos_ref, catalogue, sku, location, ctype, now)
        if stored is None:
            stored = Quantity(ref, position, kind, status or ACTIVE, qty, now, now, corrected, attributes_json=packed)
            position.add(stored)
            if ref is not None:  # see Catalogue: only other refs are indexed
                other_refs[ref] = stored
        else:
            stored.set_type(kind)
            stored.quantity, stored.updated_on, stored.corrected_qty = qty, now, corrected
            if status is not None:
                stored.status = status
            stored.set_attributes_json(packed)
        if kind == LAST_ON_HAND and position.several():
            position.deactivate(LOH_DEACTIVATES, now)
        position.recompute(now)
        save(position)
        raised.append((block, pos_ref, ref, kind, qty))
        forwarded += 1
    events.append_records(raised)
    outcome.filtered += filtered
    outcome.forwarded += forwarded


def _is_change(
    stored: Quantity,
    position: Position,
    qty: int,
    status: str | None,
    corrected: int,
    kind: str,
    rules: ChangeRules,
) -> bool:
    if status is None and rules.absent_status_compared:
        status = ACTIVE
    if stored.quantity != qty or (status is not None and status != stored.status):
        return True
    if rules.compares_corrected_qty and stored.corrected_qty != corrected:
        return True
    if position.has_any(rules.transients):
        return True
    # Decision 13: correctedQty 0 over an ACTIVE CORRECTION clears it, so it is a change.
    return (
        rules.compares_corrected_qty and kind == LAST_ON_HAND and corrected == 0 and position.has_any(ACTIVE_CORRECTION)
    )
