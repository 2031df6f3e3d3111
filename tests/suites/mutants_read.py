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

READ_MUTANTS: list[Mutant] = [*INVENTORY]

_ = (deltas, events, feed_filters, feeds, settings, uuid)
