"""Change streams with known outcomes: from one state of some positions, the next batch, and what a
conforming server must do with it (SPEC §5.3, §6.4 and the decisions of §15).

``next_batch`` picks, per record, one kind of change — unchanged, qty, status, attribute-only, or a
duplicate within the batch — and answers, per position, how many records pre-processing forwards
and the onHand that must follow. ``delta_events`` does the same for INVENTORY_DELTA events,
replays included. Suites and load tests send what these produce and compare the target's answers
with the expectations; the state they answer is the input of the next step.
"""

from __future__ import annotations

import copy
import random
from dataclasses import dataclass, field
from typing import Any

from invharness.generators.payloads import delta, delta_event
from invharness.generators.stock import PositionStock

__all__ = ["KINDS", "DeltaStep", "Expectation", "Step", "delta_events", "next_batch"]

KINDS = ("unchanged", "qty", "status", "attributes", "duplicate")
_CLEARED_BY_LOH = ("SALE", "CORRECTION", "DELTA")
_TRANSIENT_STATUSES = ("CREATED", "ACTIVE")


@dataclass(slots=True)
class Expectation:
    """What must follow for one position."""

    position_ref: str
    forwarded: int = 0
    on_hand: int = 0
    kinds: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Step:
    """One batch of changes, what a conforming server does with it, and the state after."""

    records: list[dict[str, Any]]
    expectations: dict[str, Expectation]
    state: list[PositionStock]


@dataclass(slots=True)
class DeltaStep:
    """One INVENTORY_DELTA event, the onHand that must follow per position, and the state after."""

    event: dict[str, Any]
    on_hand: dict[str, int]
    replay: bool
    state: list[PositionStock]


def _has_transient(stock: PositionStock) -> bool:
    # The default pairs of decision 7: SALE, CORRECTION and DELTA, CREATED or ACTIVE.
    return any(t["type"] in _CLEARED_BY_LOH and t["status"] in _TRANSIENT_STATUSES for t in stock.transients)


def _on_hand(stock: PositionStock) -> int:
    loh = sum(
        r["qty"]
        for r in stock.records
        if r.get("type", "LAST_ON_HAND") == "LAST_ON_HAND" and r.get("status", "ACTIVE") == "ACTIVE"
    )
    return loh + sum(t["qty"] for t in stock.transients if t["status"] == "ACTIVE")


def _changed(record: dict[str, Any], kind: str, rng: random.Random) -> list[dict[str, Any]]:
    """The record(s) to send for one kind of change; with a duplicate, the last one wins."""
    new = copy.deepcopy(record)
    if kind == "qty":
        new["qty"] = record["qty"] + rng.randint(1, 50)
    elif kind == "status":
        new["status"] = "INACTIVE" if record.get("status", "ACTIVE") == "ACTIVE" else "ACTIVE"
    elif kind == "attributes":
        attributes = new.setdefault("attributes", {})
        attributes["segment1"] = f"PROMO-{rng.randrange(10**6)}"
    elif kind == "duplicate":
        first = copy.deepcopy(record)
        first["qty"] = record["qty"] + rng.randint(1, 50)
        new["qty"] = record["qty"] + rng.randint(51, 100)
        return [first, new]
    return [new]


def next_batch(state: list[PositionStock], rng: random.Random, weights: dict[str, float] | None = None) -> Step:
    """Changes to every record of ``state`` (stock already loaded on the target, with pre-processing
    on, the reference profile), and the expected outcome per position."""
    weights = weights or {"unchanged": 4, "qty": 3, "status": 1, "attributes": 1, "duplicate": 1}
    kinds, chances = zip(*weights.items(), strict=True)
    records: list[dict[str, Any]] = []
    expectations: dict[str, Expectation] = {}
    after: list[PositionStock] = []
    for stock in state:
        expected = expectations[stock.position_ref] = Expectation(stock.position_ref)
        transient = _has_transient(stock)
        following = PositionStock(stock.product, stock.location, [], copy.deepcopy(stock.transients))
        for record in stock.records:
            kind = rng.choices(kinds, chances)[0]
            sent = _changed(record, kind, rng)
            records.extend(sent)
            final = sent[-1]
            expected.kinds.append(kind)
            is_change = kind in ("qty", "status", "duplicate")  # attributes are not compared (SPEC §5.3)
            if not (is_change or transient):
                following.records.append(copy.deepcopy(record))  # filtered: the stored record stays
                continue
            expected.forwarded += 1
            following.records.append(final)
            if final.get("type", "LAST_ON_HAND") == "LAST_ON_HAND" and transient:
                # Records are processed in order: the first LAST_ON_HAND forwarded clears the
                # transients, so the position's later unchanged records are filtered.
                for t in following.transients:
                    if t["type"] in _CLEARED_BY_LOH and t["status"] in _TRANSIENT_STATUSES:
                        t["status"] = "INACTIVE"
                transient = False
        expected.on_hand = _on_hand(following)
        after.append(following)
    return Step(records, expectations, after)


def delta_events(
    state: list[PositionStock], rng: random.Random, tag: str, retailer_id: int = 1, replay: DeltaStep | None = None
) -> DeltaStep:
    """An INVENTORY_DELTA event over some positions of ``state`` (or ``replay``'s event again, which
    a server with idempotent deltaIds applies no second time), and the onHand that must follow."""
    after = copy.deepcopy(state)
    by_ref = {s.position_ref: s for s in after}
    if replay is not None:
        return DeltaStep(replay.event, {ref: _on_hand(s) for ref, s in by_ref.items()}, True, after)
    chosen = rng.sample(after, k=min(len(after), rng.randint(1, 4)))
    deltas = []
    for n, stock in enumerate(chosen):
        qty = rng.choice((-1, -2, -5, 1, 3))
        delta_id = f"{tag}-{n}"
        deltas.append(delta(stock.product.sku, stock.location.ref, qty, delta_id))
        stock.transients.append(
            {"ref": f"{stock.position_ref}:DELTA:{delta_id}", "type": "DELTA", "status": "ACTIVE", "qty": qty}
        )
    event = delta_event(deltas, retailer_id)
    return DeltaStep(event, {ref: _on_hand(s) for ref, s in by_ref.items()}, False, after)
