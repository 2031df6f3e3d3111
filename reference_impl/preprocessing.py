"""Batch processing with pre-processing (BPP): whether it applies, de-duplication, change detection.

A group is the PENDING batches of one job taken together. With BPP on, records for the same
quantity are de-duplicated over the group (the last received wins: later batch, then later
position), and a record that would change nothing is filtered: no write, no event. A record is a
change when no quantity has its ref yet, when qty, status (if given) or correctedQty differ, or
when the position holds a transient quantity (the batch's conditions, else the default pairs).
Every forwarded record is written and raises one event named by the batch's ``event``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from reference_impl.clock import Clock
from reference_impl.events import EventLog
from reference_impl.inventory import (
    ACTIVE,
    LAST_ON_HAND,
    LOH_DEACTIVATES,
    SEGMENT_FIELDS,
    Inventory,
    Position,
    Quantity,
    catalogue_type,
)
from reference_impl.jobs import Batch, Job
from reference_impl.settings import SettingsStore

__all__ = ["DEFAULT_TRANSIENTS", "BatchProcessor", "GroupOutcome", "preprocessing_applies"]

DEFAULT_TRANSIENTS = frozenset((t, s) for t in ("SALE", "CORRECTION", "DELTA") for s in ("CREATED", "ACTIVE"))
ACTIVE_CORRECTION = frozenset({("CORRECTION", ACTIVE)})
_SEGMENT = frozenset(SEGMENT_FIELDS)
CHUNK = 500  # records between two yields, so requests are answered while a group is processed


def preprocessing_applies(setting: bool | None, meta: Any, default: bool = True) -> bool:
    """SPEC §5.2: the setting false wins; else the job's meta "skip" (exactly) opts out."""
    if setting is False or (setting is None and not default):
        return False
    return not (isinstance(meta, dict) and meta.get("preprocessing") == "skip")


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

    def __init__(self, inventory: Inventory, events: EventLog, settings: SettingsStore, clock: Clock) -> None:
        self._inventory = inventory
        self._events = events
        self._settings = settings
        self._clock = clock

    def process(self, job: Job, batches: list[Batch], outcome: GroupOutcome) -> Iterator[None]:
        """Process ``batches`` (PENDING, of ``job``) in order; yields every CHUNK records."""
        enabled = preprocessing_applies(self._settings.preprocessing(job.retailer_id), job.meta)
        outcome.preprocessing = enabled
        records = self._resolve(batches, outcome)
        if enabled:
            winners: dict[tuple[str, str], tuple] = {}
            for record in records:
                winners[(record[3], record[4])] = record
            outcome.deduplicated += len(records) - len(winners)
            records = list(winners.values())
        now = self._clock.now()
        raisers: dict[int, Any] = {}
        for done, (batch, index, entity, catalogue_ref, ref, kind) in enumerate(records, 1):
            raise_event = raisers.get(id(batch))
            if raise_event is None:
                raise_event = raisers[id(batch)] = self._raiser(batch, catalogue_ref, now)
            failure = self._apply(batch, entity, catalogue_ref, ref, kind, enabled, now, raise_event, outcome)
            if failure is not None:
                outcome.failed += 1
                batch.results.append({"index": index, "entityRef": ref, "code": failure[0], "message": failure[1]})
            if done % CHUNK == 0:
                yield
        self._events.trim()
        for batch in batches:
            batch.entities = []  # processed: the records live on as quantities

    def _resolve(self, batches: list[Batch], outcome: GroupOutcome) -> list[tuple]:
        """(batch, index, entity, catalogue ref, quantity ref, type) of each conforming record."""
        records = []
        for batch in batches:
            ctype = catalogue_type(batch.catalogue_ref)
            invalid = batch.invalid
            for index, entity in enumerate(batch.entities):
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
                ref = entity.get("ref") or f"{entity['skuRef']}:{entity['locationRef']}:{ctype}:{kind}"
                records.append((batch, index, entity, batch.catalogue_ref, ref, kind))
        return records

    def _raiser(self, batch: Batch, catalogue_ref: str, now: float) -> Any:
        return self._events.raiser(
            batch.event,
            now,
            retailer_id=batch.job.retailer_id,
            entity_type="INVENTORY_POSITION",
            root_entity_type="INVENTORY_CATALOGUE",
            root_entity_ref=catalogue_ref,
            source=f"batch:{batch.id}",
            generated_by=batch.submitted_by,
        )

    def _apply(
        self,
        batch: Batch,
        entity: dict,
        catalogue_ref: str,
        ref: str,
        kind: str,
        enabled: bool,
        now: float,
        raise_event: Any,
        outcome: GroupOutcome,
    ) -> tuple[str, str] | None:
        """Write one record (unless BPP filters it); the failure (code, message) if it cannot be."""
        catalogue = self._inventory.catalogue(catalogue_ref, batch.job.retailer_id, now)
        sku, loc = entity["skuRef"], entity["locationRef"]
        pos_ref = f"{sku}:{loc}:{catalogue_type(catalogue_ref)}"
        position = catalogue.positions.get(pos_ref)
        stored = catalogue.quantities.get(ref)
        if stored is not None and stored.position is not position:
            return "REF_CONFLICT", f"ref {ref} already names a quantity of position {stored.position.ref}"
        qty = entity["qty"]
        status = entity.get("status")
        corrected = entity.get("correctedQty", 0)
        if enabled and stored is not None and not _is_change(stored, position, qty, status, corrected, kind, batch):
            outcome.filtered += 1
            return None
        attributes = entity.get("attributes")
        parent_ref = attributes.get("parentRef") if attributes else None
        if parent_ref is not None and (position is None or parent_ref not in position.quantities):
            return "PARENT_NOT_FOUND", f"parentRef {parent_ref} is not a quantity of position {pos_ref}"
        if position is None:
            position = catalogue.positions[pos_ref] = Position(pos_ref, catalogue_ref, sku, loc, now, now)
            position.type = catalogue_type(catalogue_ref)
        segment, custom = _split(attributes)
        if stored is None:
            stored = Quantity(ref, catalogue_ref, position, kind, status or ACTIVE, qty, now, now)
            catalogue.quantities[ref] = position.quantities[ref] = stored
        else:
            stored.type, stored.quantity, stored.updated_on = kind, qty, now
            if status is not None:
                stored.status = status
        stored.corrected_qty, stored.segment, stored.attributes, stored.parent_ref = (
            corrected,
            segment,
            custom,
            parent_ref,
        )
        if kind == LAST_ON_HAND:
            position.deactivate(LOH_DEACTIVATES, now)
        position.recompute(now)
        raise_event(pos_ref, (ref, kind, qty))
        outcome.forwarded += 1
        return None


def _is_change(
    stored: Quantity, position: Position, qty: int, status: str | None, corrected: int, kind: str, batch: Batch
) -> bool:
    if stored.quantity != qty or (status is not None and status != stored.status) or stored.corrected_qty != corrected:
        return True
    if position.has_any(batch.transients if batch.transients is not None else DEFAULT_TRANSIENTS):
        return True
    # Decision 13: correctedQty 0 over an ACTIVE CORRECTION clears it, so it is a change.
    return kind == LAST_ON_HAND and corrected == 0 and position.has_any(ACTIVE_CORRECTION)


def _split(attributes: dict | None) -> tuple[dict | None, dict | None]:
    """Segmentation fields (stored on the quantity) apart from custom attributes."""
    if not attributes:
        return None, None
    segment = {k: v for k, v in attributes.items() if k in _SEGMENT}
    custom = {k: v for k, v in attributes.items() if k not in _SEGMENT and k != "parentRef"}
    return segment or None, custom or None


def _ref_or_none(entity: Any) -> str | None:
    ref = entity.get("ref") if isinstance(entity, dict) else None
    return ref if isinstance(ref, str) else None
