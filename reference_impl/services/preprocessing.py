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

import itertools
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

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
    SEGMENT_FIELDS,
    catalogue_type,
    position_ref,
)

__all__ = ["DEFAULT_TRANSIENTS", "BatchProcessor", "ChangeRules", "GroupOutcome", "preprocessing_applies"]

DEFAULT_TRANSIENTS = frozenset((t, s) for t in ("SALE", "CORRECTION", "DELTA") for s in ("CREATED", "ACTIVE"))
ACTIVE_CORRECTION = frozenset({("CORRECTION", ACTIVE)})
_SEGMENT = frozenset(SEGMENT_FIELDS)
CHUNK = 500  # records written between two yields, so requests are answered while a group is processed
RESOLVE_BATCHES = 4  # batches (at most 20,000 records) read between two yields
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
        records: list[tuple] = []
        for start in range(0, len(batches), RESOLVE_BATCHES):  # a big group must not stop the server answering
            records += self._resolve(batches[start : start + RESOLVE_BATCHES], outcome)
            yield
        if enabled:
            # One quantity per (catalogue, ref); the ref alone is the key when one catalogue is involved.
            one_catalogue = len({b.catalogue_ref for b in batches}) == 1
            winners: dict[Any, tuple] = {}
            first_wins = self._behaviours["bpp.dedup_winner"] == "first"
            for offset in range(0, len(records), DEDUP_CHUNK):
                for record in records[offset : offset + DEDUP_CHUNK]:
                    key = record[4] if one_catalogue else (record[3], record[4])
                    if not (first_wins and key in winners):
                        winners[key] = record
                yield
            outcome.deduplicated += len(records) - len(winners)
            records = list(winners.values())
            del winners
        holding = [batch for batch in batches if batch.entities]
        for batch in batches:
            batch.entities = []  # parsed: the records live on in ``records``, then as quantities
        now = self._clock.now()
        writers: dict[int, _Writer] = {}
        for batch in holding:  # a batch with no record to write gets its writer when one is written
            writers[id(batch)] = _Writer(self._inventory, self._events, batch, now, self._rules(batch))
        for offset in range(0, len(records), CHUNK):
            chunk = records[offset : offset + CHUNK]
            # Written records are let go at once: a group's parsed records (~400 B each) would otherwise
            # all stay until its end, on top of the quantities they become.
            records[offset : offset + CHUNK] = itertools.repeat(None, len(chunk))
            _write_chunk(chunk, writers, self._inventory, self._events, enabled, now, outcome)
            del chunk
            yield
        self._events.trim()

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

    def _resolve(self, batches: list[Batch], outcome: GroupOutcome) -> list[tuple]:
        """(batch, index, entity, catalogue ref, quantity ref, type, position ref) of each conforming record.

        A batch's records are parsed here (they wait as JSON); the strings many records repeat (a location,
        a product, a status) are interned, so a million quantities share them instead of holding copies."""
        records = []
        intern = sys.intern
        for batch in batches:
            invalid = batch.invalid
            for index, entity in enumerate(batch.records()):
                if invalid and index in invalid:
                    outcome.failed += 1
                    batch.results.append(
                        {
                            "index": index,
                            "entityRef": _ref_or_none(entity),
                            "code": "INVALID_RECORD",
                            "message": invalid[index],
                        }
                    )
                    continue
                kind = entity.get("type") or LAST_ON_HAND
                sku = entity["skuRef"] = intern(entity["skuRef"])
                location = entity["locationRef"] = intern(entity["locationRef"])
                if "status" in entity:
                    entity["status"] = intern(entity["status"])
                pos_ref = position_ref(sku, location, batch.catalogue_ref)
                ref = entity.get("ref") or f"{pos_ref}:{kind}"
                records.append((batch, index, entity, batch.catalogue_ref, ref, kind, pos_ref))
        return records


class _Writer:
    """What the records of one batch share, looked up once per batch. ``transients`` holds the batch's
    ChangeRules (its transient pairs and the declared comparisons), which _is_change takes."""

    __slots__ = ("block", "catalogue", "catalogue_ref", "ctype", "transients")

    def __init__(
        self, inventory: InventoryStore, events: EventStore, batch: Batch, now: float, rules: ChangeRules | None = None
    ) -> None:
        self.catalogue_ref = batch.catalogue_ref
        self.ctype = catalogue_type(batch.catalogue_ref)
        self.catalogue = inventory.ensure_catalogue(batch.catalogue_ref, batch.job.retailer_id, now)
        default = ChangeRules(batch.transients if batch.transients is not None else DEFAULT_TRANSIENTS)
        self.transients = rules or default
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
    writers: dict[int, _Writer],
    inventory: InventoryStore,
    events: EventStore,
    enabled: bool,
    now: float,
    outcome: GroupOutcome,
) -> None:
    """Write each record (unless BPP filters it), or report why it cannot be. The ingestion hot path:
    one loop with everything it touches in locals."""
    wanted: dict[str, list[str]] = {}
    for record in records:
        wanted.setdefault(record[3], []).append(record[6])
    for catalogue_ref, refs in wanted.items():  # a durable store reads the chunk's positions in one go
        inventory.prefetch(catalogue_ref, refs)
    current = None
    filtered = forwarded = 0
    raised: list[tuple] = []  # the events of the forwarded records, stored together at the end
    new_id, save = inventory.new_id, inventory.save
    for batch, index, entity, _catalogue_ref, ref, kind, pos_ref in records:
        if batch is not current:
            current = batch
            writer = writers.get(id(batch))
            if writer is None:
                writer = writers[id(batch)] = _Writer(inventory, events, batch, now)
            catalogue, catalogue_ref, ctype = writer.catalogue, writer.catalogue_ref, writer.ctype
            positions, other_refs, transients, block = (
                catalogue.positions,
                catalogue.other_refs,
                writer.transients,
                writer.block,
            )
        position = positions.get(pos_ref)
        stored = position.quantity(ref) if position is not None else None
        if stored is None and other_refs:
            stored = other_refs.get(ref)
        failure = None
        if stored is not None and stored.position is not position:
            failure = "REF_CONFLICT", f"ref {ref} already names a quantity of position {stored.position.ref}"
        else:
            qty = entity["qty"]
            status = entity.get("status")
            corrected = entity.get("correctedQty", 0)
            if (
                enabled
                and stored is not None
                and not _is_change(stored, position, qty, status, corrected, kind, transients)
            ):
                filtered += 1
                continue
            attributes = entity.get("attributes")
            segment = custom = parent_ref = None
            if attributes:
                parent_ref = attributes.get("parentRef")
                if parent_ref is not None and (position is None or position.quantity(parent_ref) is None):
                    failure = "PARENT_NOT_FOUND", f"parentRef {parent_ref} is not a quantity of position {pos_ref}"
                else:
                    segment, custom = _split(attributes)
        if failure is not None:
            outcome.failed += 1
            batch.results.append({"index": index, "entityRef": ref, "code": failure[0], "message": failure[1]})
            continue
        if position is None:
            position = positions[pos_ref] = Position(
                pos_ref, catalogue_ref, entity["skuRef"], entity["locationRef"], ctype, now, new_id()
            )
        if stored is None:
            stored = Quantity(
                ref,
                catalogue_ref,
                position,
                kind,
                status or ACTIVE,
                qty,
                now,
                now,
                corrected,
                segment,
                custom,
                parent_ref,
                id=new_id(),
            )
            position.add(stored)
            if "ref" in entity and ref != f"{pos_ref}:{kind}":  # see Catalogue: only other refs are indexed
                other_refs[ref] = stored
        else:
            stored.set_type(kind)
            stored.quantity, stored.updated_on = qty, now
            if status is not None:
                stored.status = status
            stored.corrected_qty, stored.segment, stored.attributes, stored.parent_ref = (
                corrected,
                segment,
                custom,
                parent_ref,
            )
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


def _split(attributes: dict) -> tuple[dict | None, dict | None]:
    """Segmentation fields (stored on the quantity) apart from custom attributes."""
    if attributes.keys() <= _SEGMENT:
        return attributes, None  # the common case; the parsed record is ours to keep
    segment = {k: v for k, v in attributes.items() if k in _SEGMENT}
    custom = {k: v for k, v in attributes.items() if k not in _SEGMENT and k != "parentRef"}
    return segment or None, custom or None


def _ref_or_none(entity: Any) -> str | None:
    ref = entity.get("ref") if isinstance(entity, dict) else None
    return ref if isinstance(ref, str) else None
