"""The data the scenarios send, built and serialised before the clock starts, with what each send
must leave behind on a conforming target.

Refs carry an *owner*: ``<run id>-<scenario letter><worker index>-<user index>[-<generation>]``, so
no two users, processes or locust workers write the same refs, and the same run id gives the same
refs and bytes.

Ingest: an owner's positions (segmented LAST_ON_HAND records and ON_ORDER trees from
generators.stock) are loaded once (step 0) and then changed by generators.changes' streams
(unchanged, qty, status, attribute-only, duplicates). Every step carries a record for every
quantity of the owner's positions, so the quantities a step leaves behind are its own winners,
whatever came before: a user may cycle its pre-built steps for as long as the run lasts.
"""

from __future__ import annotations

import collections
import functools
import random
from dataclasses import dataclass, replace
from typing import Any

import orjson

from invharness.generators import payloads
from invharness.generators.changes import next_batch
from invharness.generators.stock import PositionStock, stock_for
from invharness.generators.world import World, build_world

__all__ = ["DeltaSend", "DeltaStream", "IngestStep", "expected_quantities", "ingest_steps", "quantity_ref", "world"]

LAST_ON_HAND = "LAST_ON_HAND"
BASE_ON_HAND = 1000  # what a delta-storm position starts with


@dataclass(slots=True, frozen=True)
class IngestStep:
    """One batch body, ready to POST, and the quantities it must leave: ref -> [qty, status, position ref]."""

    body: bytes
    records: int
    expected: dict[str, list[Any]]


@functools.cache
def world(seed: int, retailer: int) -> World:
    """One world per process: products x locations positions that owners rename as their own."""
    return build_world(seed, products=400, locations=25, retailer_id=retailer)


def quantity_ref(record: dict[str, Any]) -> str:
    """The quantity a batch record writes (SPEC: its ref, else <position ref>:<type>)."""
    return record.get("ref") or f"{record['skuRef']}:{record['locationRef']}:DEFAULT:{record.get('type', LAST_ON_HAND)}"


def expected_quantities(records: list[dict[str, Any]], winner: str = "last") -> dict[str, list[Any]]:
    """The quantities one batch leaves under the declared de-duplication winner (``last`` or ``first``)."""
    expected: dict[str, list[Any]] = {}
    for record in records:
        ref = quantity_ref(record)
        if winner == "first" and ref in expected:
            continue
        position = f"{record['skuRef']}:{record['locationRef']}:DEFAULT"
        expected[ref] = [record["qty"], record.get("status", "ACTIVE"), position]
    return expected


def _owned(stock: PositionStock, sku: str) -> PositionStock:
    """``stock`` moved to the product ``sku`` (refs and parentRefs follow)."""
    old = f"{stock.product.sku}:{stock.location.ref}:DEFAULT"
    new = f"{sku}:{stock.location.ref}:DEFAULT"
    records = []
    for record in stock.records:
        moved = {**record, "skuRef": sku}
        if "ref" in moved:
            moved["ref"] = moved["ref"].replace(old, new, 1)
        attributes = moved.get("attributes")
        if attributes and "parentRef" in attributes:
            moved["attributes"] = {**attributes, "parentRef": attributes["parentRef"].replace(old, new, 1)}
        records.append(moved)
    # transients are what workflows make, never batches: a load run starts without them
    return PositionStock(replace(stock.product, sku=sku), stock.location, records, [])


def _positions(owner: str, seed: int, retailer: int, records: int, rng: random.Random) -> list[PositionStock]:
    the_world = world(seed, retailer)
    found: list[PositionStock] = []
    count = 0
    for index in range(the_world.positions):
        if count >= records:
            break
        stock = _owned(stock_for(the_world, index, rng, 3), f"{owner}-{index // len(the_world.locations)}")
        found.append(stock)
        count += len(stock.records)
    return found


def ingest_steps(
    owner: str, seed: int, retailer: int, records: int = 4400, steps: int = 4, winner: str = "last"
) -> list[IngestStep]:
    """The initial load of ``owner``'s positions, then ``steps - 1`` change steps, each within 5,000 records."""
    rng = random.Random(f"{seed}:{owner}")
    state = _positions(owner, seed, retailer, records, rng)
    built = [_step([r for s in state for r in s.records], winner)]
    for _ in range(steps - 1):
        for _attempt in range(20):  # duplicates add records; a step over the limit is drawn again
            step = next_batch(state, rng)
            if len(step.records) <= payloads.MAX_BATCH:
                break
        else:
            raise ValueError(f"no change step within {payloads.MAX_BATCH} records from {records} records")
        built.append(_step(step.records, winner))
        state = step.state
    return built


def _step(records: list[dict[str, Any]], winner: str) -> IngestStep:
    body = orjson.dumps(payloads.batch(records, source="INVHARNESS_LOAD"))
    return IngestStep(body, len(records), expected_quantities(records, winner))


@dataclass(slots=True, frozen=True)
class DeltaSend:
    """One INVENTORY_DELTA event body and its deltas: (position ref, deltaId, qty)."""

    body: bytes
    deltas: tuple[tuple[str, str, int], ...]
    replay: bool


class DeltaStream:
    """An owner's hot positions and an endless stream of delta events over them, replays included."""

    def __init__(self, owner: str, seed: int, retailer: int, positions: int, replay_share: float) -> None:
        self._rng = random.Random(f"{seed}:{owner}")
        self._retailer = retailer
        self._replay_share = replay_share
        self._owner = owner
        self.positions = [(f"{owner}-{n}", f"{owner}-LOC") for n in range(positions)]
        self._sent: list[DeltaSend] = []
        self._ahead: collections.deque[DeltaSend] = collections.deque()
        self._count = 0

    def create_body(self) -> bytes:
        """The batch that creates the hot positions, BASE_ON_HAND each."""
        records = [
            payloads.record(sku, loc, BASE_ON_HAND, self._retailer, status="ACTIVE") for sku, loc in self.positions
        ]
        return orjson.dumps(payloads.batch(records, source="INVHARNESS_LOAD"))

    @property
    def position_refs(self) -> list[str]:
        return [f"{sku}:{loc}:DEFAULT" for sku, loc in self.positions]

    def prepare(self, count: int = 256) -> None:
        """Build and serialise the next ``count`` events (call outside the timed part)."""
        while len(self._ahead) < count:
            self._ahead.append(self._new())

    def next(self) -> DeltaSend:
        """The next event: now and then a replay of one sent before (the same bytes), else a new one."""
        if self._sent and self._rng.random() < self._replay_share:
            return replace(self._rng.choice(self._sent), replay=True)
        if not self._ahead:
            self.prepare()
        send = self._ahead.popleft()
        self._sent.append(send)
        del self._sent[:-500]
        return send

    def _new(self) -> DeltaSend:
        chosen = self._rng.sample(self.positions, k=min(len(self.positions), self._rng.randint(1, 4)))
        deltas, parts = [], []
        for sku, loc in chosen:
            self._count += 1
            delta_id = f"{self._owner}-d{self._count:07d}"  # fixed width: no id is part of another
            qty = self._rng.choice((-1, -2, -5, 1, 3))
            deltas.append(payloads.delta(sku, loc, qty, delta_id))
            parts.append((f"{sku}:{loc}:DEFAULT", delta_id, qty))
        return DeltaSend(orjson.dumps(payloads.delta_event(deltas, str(self._retailer))), tuple(parts), False)
