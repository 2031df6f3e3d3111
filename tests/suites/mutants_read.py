"""Broken reference servers for the read-side groups: at least one per MUST clause of inventory,
segmentation, deltas, events, graphql, feed-lifecycle and feed-filters.

Each is the plausible bug an implementer would make, on the stored effect where the clause is
about one (what is written, counted, deactivated, exported), not only on the answer's shape. A
suite group run against a mutant must fail on the clause the mutant ``breaks``.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from starlette.routing import request_response

from invharness.reference_impl import (
    backend,
    deltas,
    events,
    feed_filters,
    feeds,
    graphql_api,
    http_api,
    inventory,
    preprocessing,
    settings,
)
from tests.suites.mutants import Mutant

__all__ = ["READ_MUTANTS"]

MP = pytest.MonkeyPatch


def _route(mp: MP, path: str, method: str, endpoint: Any) -> None:
    """Serve ``endpoint`` at ``path`` (starlette keeps the handler it was given at import)."""
    route = next(r for r in http_api.routes if r.path == path and method in (r.methods or ()))
    mp.setattr(route, "endpoint", endpoint)
    mp.setattr(route, "app", request_response(endpoint))


def _graphql_resolver(mp: MP, type_name: str, field: str, wrap: Any) -> None:
    """Wrap one resolver of the (cached) executable schema."""
    definition = graphql_api.build_schema().get_type(type_name).fields[field]
    mp.setattr(definition, "resolve", wrap(definition.resolve))


# ---------------------------------------------------------------------- inventory


def _record_status_ignored(mp: MP) -> None:
    original = backend.Backend.accept_batch

    def accept(self: Any, principal: Any, job_id: str, payload: Any) -> Any:
        if isinstance(payload, dict) and isinstance(payload.get("entities"), list):
            payload = {
                **payload,
                "entities": [{k: v for k, v in e.items() if k != "status"} for e in payload["entities"]],
            }
        return original(self, principal, job_id, payload)

    mp.setattr(backend.Backend, "accept_batch", accept)


def _catalogue_ref_ignored(mp: MP) -> None:
    original = backend.Backend.accept_batch

    def accept(self: Any, principal: Any, job_id: str, payload: Any) -> Any:
        if isinstance(payload, dict):
            payload = {k: v for k, v in payload.items() if k != "catalogueRef"}
        return original(self, principal, job_id, payload)

    mp.setattr(backend.Backend, "accept_batch", accept)


def _recompute(counts: Any) -> Any:
    def recompute(self: Any, now: float) -> None:
        self.on_hand = sum(q.quantity for q in self.quantities.values() if counts(q))
        self.status = inventory.ACTIVE if self.on_hand > 0 else inventory.OUT_OF_STOCK
        self.updated_on = now

    return recompute


def _on_hand_counts_inactive(mp: MP) -> None:
    mp.setattr(inventory.Position, "recompute", _recompute(lambda q: q.type in inventory.ONHAND_TYPES))


def _on_hand_counts_every_type(mp: MP) -> None:
    mp.setattr(inventory.Position, "recompute", _recompute(lambda q: q.status == inventory.ACTIVE))


def _loh_keeps_transients(mp: MP) -> None:
    mp.setattr(preprocessing, "LOH_DEACTIVATES", frozenset())


def _loh_clears_reserved(mp: MP) -> None:
    mp.setattr(preprocessing, "LOH_DEACTIVATES", inventory.LOH_DEACTIVATES | {"RESERVED"})


def _any_record_clears_transients(mp: MP) -> None:
    original = preprocessing._write_chunk

    def write(records: list[tuple], writers: Any, inventory_: Any, events_: Any, *rest: Any) -> None:
        original(records, writers, inventory_, events_, *rest)
        now = rest[1]
        for _batch, _index, _entity, catalogue_ref, _ref, kind, pos_ref in records:
            position = inventory_.find_position(catalogue_ref, pos_ref)
            if position is not None and kind != inventory.LAST_ON_HAND:
                position.deactivate(inventory.LOH_DEACTIVATES, now)
                position.recompute(now)

    mp.setattr(preprocessing, "_write_chunk", write)


def _virtual_not_floored(mp: MP) -> None:
    original = inventory.to_virtual

    def to_virtual(position: Any, ref: str) -> Any:
        made = original(position, ref)
        return inventory.VirtualPosition(**{**_fields(made), "quantity": position.on_hand})

    mp.setattr(inventory, "to_virtual", to_virtual)


def _fields(value: Any) -> dict[str, Any]:
    return {name: getattr(value, name) for name in value.__slots__}


INVENTORY = [
    Mutant("a record's status is not stored", "inventory", "INV-IQ-01", _record_status_ignored),
    Mutant("catalogueRef ignored: every record goes to DEFAULT", "inventory", "INV-IQ-01", _catalogue_ref_ignored),
    Mutant("onHand counts INACTIVE quantities", "inventory", "INV-ONHAND-01", _on_hand_counts_inactive),
    Mutant("onHand counts ON_ORDER and every other type", "inventory", "INV-ONHAND-01", _on_hand_counts_every_type),
    Mutant("LAST_ON_HAND keeps SALE, CORRECTION, DELTA", "inventory", "INV-ONHAND-02", _loh_keeps_transients),
    Mutant("LAST_ON_HAND deactivates RESERVED too", "inventory", "INV-ONHAND-02", _loh_clears_reserved),
    Mutant("any record type clears transients", "inventory", "INV-ONHAND-03", _any_record_clears_transients),
    Mutant("virtual quantity not floored at 0", "inventory", "INV-VP-01", _virtual_not_floored),
]

# ---------------------------------------------------------------------- segmentation


def _newer_fields_custom(mp: MP) -> None:
    mp.setattr(preprocessing, "_SEGMENT", preprocessing._SEGMENT - {"channel", "segment1", "segment2", "segment3"})


def _segment_kept_from_creation(mp: MP) -> None:
    original = preprocessing._write_chunk

    def write(records: list[tuple], writers: Any, inventory_: Any, *rest: Any) -> None:
        kept = []
        for _batch, _index, _entity, catalogue_ref, ref, _kind, pos_ref in records:
            position = inventory_.find_position(catalogue_ref, pos_ref)
            stored = position.quantities.get(ref) if position is not None else None
            if stored is not None and stored.segment:
                kept.append((stored, stored.segment))
        original(records, writers, inventory_, *rest)
        for stored, segment in kept:
            stored.segment = segment

    mp.setattr(preprocessing, "_write_chunk", write)


def _drops_custom_attributes(mp: MP) -> None:
    original = preprocessing._split
    mp.setattr(preprocessing, "_split", lambda attributes: (original(attributes)[0], None))


def _segment_match(compare: Any) -> Any:
    def match(quantity: Any, wanted: dict[str, list[Any]]) -> bool:
        segment = quantity.segment or {}
        return all(any(compare(segment.get(name), v) for v in values) for name, values in wanted.items())

    return match


def _segments_match_prefixes(mp: MP) -> None:
    mp.setattr(graphql_api, "_segment_match", _segment_match(lambda have, v: str(have or "").startswith(str(v))))


def _segments_match_any_case(mp: MP) -> None:
    mp.setattr(graphql_api, "_segment_match", _segment_match(lambda have, v: str(have).lower() == str(v).lower()))


SEGMENTATION = [
    Mutant("channel and segment1-3 kept as custom attributes", "segmentation", "SEG-ATTR-01", _newer_fields_custom),
    Mutant("segment fields written only on creation", "segmentation", "SEG-ATTR-01", _segment_kept_from_creation),
    Mutant("custom attributes dropped", "segmentation", "SEG-ATTR-02", _drops_custom_attributes),
    Mutant("segment search matches prefixes", "segmentation", "SEG-FILTER-01", _segments_match_prefixes),
    Mutant("segment search ignores case", "segmentation", "SEG-FILTER-01", _segments_match_any_case),
]

# ---------------------------------------------------------------------- deltas


def _apply_wrapped(mp: MP, before: Any = None, after: Any = None) -> None:
    """backend's apply_deltas with the deltas changed ``before`` or the outcome handled ``after``."""
    original = deltas.apply_deltas

    def apply(inventory_: Any, catalogue_ref: str, given: list[dict], now: float) -> Any:
        given = before(given) if before else given
        outcome = original(inventory_, catalogue_ref, given, now)
        return after(inventory_, catalogue_ref, given, now, outcome) if after else outcome

    mp.setattr(backend, "apply_deltas", apply)


def _async_never_applied(mp: MP) -> None:
    post, process = backend.Backend.post_event, backend.Backend._process_event

    def post_event(self: Any, principal: Any, payload: Any, sync: bool) -> Any:
        event = post(self, principal, payload, sync)
        if not sync:
            event.source = "async"  # marked before the loop gets to process it
        return event

    def process_event(self: Any, principal: Any, event: Any) -> None:
        if event.source == "async":
            event.status = "COMPLETE"  # answered as done, never applied
        else:
            process(self, principal, event)

    mp.setattr(backend.Backend, "post_event", post_event)
    mp.setattr(backend.Backend, "_process_event", process_event)


def _sign_lost(mp: MP) -> None:
    _apply_wrapped(mp, before=lambda given: [{**d, "qty": abs(d["qty"])} for d in given])


def _last_delta_per_position(mp: MP) -> None:
    def last(given: list[dict]) -> list[dict]:
        return list({(d["productRef"], d["locationRef"]): d for d in given}.values())

    _apply_wrapped(mp, before=last)


def _partial_apply(mp: MP) -> None:
    def after(inventory_: Any, catalogue_ref: str, given: list[dict], now: float, outcome: Any) -> Any:
        if outcome.status != "FAILED":
            return outcome
        known = [
            d
            for d in given
            if inventory_.find_position(
                catalogue_ref, inventory.position_ref(d["productRef"], d["locationRef"], catalogue_ref)
            )
        ]
        deltas.apply_deltas(inventory_, catalogue_ref, known, now)
        return outcome

    _apply_wrapped(mp, after=after)


def _delta_ids_ignored(mp: MP) -> None:
    _apply_wrapped(mp, before=lambda given: [{k: v for k, v in d.items() if k != "deltaId"} for d in given])


def _deltas_accumulate(mp: MP) -> None:
    def after(inventory_: Any, catalogue_ref: str, given: list[dict], now: float, outcome: Any) -> Any:
        catalogue = inventory_.catalogues.get(catalogue_ref)
        for d in given:
            ref = inventory.position_ref(d["productRef"], d["locationRef"], catalogue_ref)
            position = inventory_.find_position(catalogue_ref, ref)
            actives = [q for q in (position.quantities.values() if position else ()) if q.type == "DELTA"]
            actives = [q for q in actives if q.status == inventory.ACTIVE]
            for extra in actives[1:]:
                actives[0].quantity += extra.quantity
                del position.quantities[extra.ref]
                catalogue.other_refs.pop(extra.ref, None)
        return outcome

    _apply_wrapped(mp, after=after)


def _loh_keeps_deltas(mp: MP) -> None:
    mp.setattr(preprocessing, "LOH_DEACTIVATES", frozenset({"SALE", "CORRECTION"}))


DELTAS = [
    Mutant("async deltas answered COMPLETE but never applied", "deltas", "DELTA-APPLY-01", _async_never_applied),
    Mutant("a delta's sign is lost", "deltas", "DELTA-APPLY-01", _sign_lost),
    Mutant("only the last delta of a position applies", "deltas", "DELTA-APPLY-02", _last_delta_per_position),
    Mutant("known positions' deltas applied when one is unknown", "deltas", "DELTA-ATOMIC-01", _partial_apply),
    Mutant("deltaId ignored: a replay is applied again", "deltas", "DELTA-IDEM-01", _delta_ids_ignored),
    Mutant("deltas accumulate into one DELTA quantity", "deltas", "DELTA-PERIQ-01", _deltas_accumulate),
    Mutant("LAST_ON_HAND leaves DELTA quantities active", "deltas", "DELTA-LOH-01", _loh_keeps_deltas),
]

READ_MUTANTS: list[Mutant] = [*INVENTORY, *SEGMENTATION, *DELTAS]

_ = (deltas, events, feed_filters, feeds, settings, uuid)
