"""INVENTORY_DELTA: relative changes applied to positions, all or nothing.

Each delta makes its own ACTIVE DELTA quantity (decision 19; delta.iq_per_delta false: the deltas of
a position accumulate into one); a deltaId already applied to a position is skipped (decision 20;
delta.idempotent_delta_id false: applied again). If any delta names a position that does not exist,
nothing of the event is applied and the event FAILS (SplitDeltasAndDownToInventoryPosition).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from invharness.reference_impl.stores.inventory import Position, Quantity
from invharness.reference_impl.stores.protocols import InventoryStore
from invharness.reference_impl.vocabulary import ACTIVE, position_ref

__all__ = ["DeltaOutcome", "apply_deltas"]


@dataclass(slots=True, frozen=True)
class DeltaOutcome:
    """COMPLETE with how many deltas were applied and skipped as replays, or FAILED with why."""

    status: str
    applied: int = 0
    replayed: int = 0
    error: str | None = None


def apply_deltas(
    inventory: InventoryStore,
    catalogue_ref: str,
    deltas: list[dict[str, Any]],
    now: float,
    per_delta: bool = True,
    idempotent: bool = True,
) -> DeltaOutcome:
    """Apply an INVENTORY_DELTA event's deltas (already valid against the contract)."""
    targets: list[tuple[Position, dict[str, Any]]] = []
    missing = []
    for delta in deltas:
        ref = position_ref(delta["productRef"], delta["locationRef"], catalogue_ref)
        position = inventory.find_position(catalogue_ref, ref)
        if position is None:
            missing.append(ref)
        else:
            targets.append((position, delta))
    if missing:
        return DeltaOutcome("FAILED", error=f"Inventory position(s) not found in {catalogue_ref}: {', '.join(missing)}")
    catalogue = inventory.catalogue(catalogue_ref)
    assert catalogue is not None, "every target position was found in it"
    applied = replayed = 0
    touched = {}
    for position, delta in targets:
        delta_id = delta.get("deltaId")
        if idempotent and delta_id is not None and position.delta_ids is not None and delta_id in position.delta_ids:
            replayed += 1
            continue
        kind = delta.get("type") or "DELTA"
        if not per_delta:
            into = next((q for q in position.quantities.values() if q.type == kind and q.status == ACTIVE), None)
            if into is not None:
                into.quantity += delta["qty"]
                into.updated_on = now
                touched[position.ref] = position
                applied += 1
                continue
        suffix = delta_id if delta_id is not None else f"n{len(position.quantities)}"
        ref = f"{position.ref}:{kind}:{suffix}" if per_delta else f"{position.ref}:{kind}"
        while catalogue.find_quantity(ref) is not None:  # never reuse a ref
            ref += "'"
        catalogue.add_quantity(
            Quantity(ref, position, kind, ACTIVE, delta["qty"], now, now)
        )
        if delta_id is not None:
            if position.delta_ids is None:
                position.delta_ids = set()
            position.delta_ids.add(delta_id)
        touched[position.ref] = position
        applied += 1
    for position in touched.values():
        position.recompute(now)
        inventory.save(position)
    return DeltaOutcome("COMPLETE", applied=applied, replayed=replayed)
