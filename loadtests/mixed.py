"""mixed: the shape of a real day -- a nightly full load (ingest users) beside daytime deltas
(delta-storm users) and storefront reads (GraphQL positions and quantities, event search), by weight.

    locust -f loadtests/mixed.py --host http://127.0.0.1:8080

Readers read refs this process's writers made (never a scan of the target), and judge each answer:
an HTTP error or GraphQL errors are failures. Reconciliation covers the writers, as in ingest and
delta-storm.
"""

from __future__ import annotations

import itertools
import json
import random

from locust import between, task

# the modules, not their classes: locust runs every User class a locustfile's namespace holds
from invharness.loadtests import delta_storm, ingest
from invharness.loadtests.runtime import LEDGER, SETTINGS, TargetUser, json_body

__all__ = ["NightlyLoad", "StoreDeltas", "Storefront"]

POSITIONS = """query($refs: [String!], $cat: InventoryCatalogueKey) {
  inventoryPositions(ref: $refs, catalogue: $cat, first: 20) { edges { node { ref onHand status } } } }"""
QUANTITIES = """query($pos: InventoryPositionKey) {
  inventoryQuantities(position: $pos, first: 20) { edges { node { ref type status quantity } } } }"""


class NightlyLoad(ingest.IngestUser):
    weight = 1


class StoreDeltas(delta_storm.DeltaUser):
    weight = 2


class Storefront(TargetUser):
    """Reads what the writers made: positions, quantities, and the event log."""

    weight = 3
    wait_time = between(0.05, 0.2)

    def prepare(self) -> None:
        self._rng = random.Random(f"{SETTINGS.seed}:reader")
        self._catalogue = {"ref": f"DEFAULT:{SETTINGS.retailer}"}

    def _some_positions(self, count: int) -> list[str]:
        """Positions this process's writers made: hot delta positions or loaded ones, either at random."""
        hot = list(LEDGER.bases)
        loaded = sorted({s[2] for s in itertools.islice(LEDGER.quantities.values(), 2000)})
        pools = [p for p in (hot, loaded) if p]
        if not pools:
            return []
        known = self._rng.choice(pools)
        return self._rng.sample(known, min(count, len(known)))

    def _graphql(self, name: str, query: str, **variables: object) -> None:
        body = json.dumps({"query": query, "variables": variables})
        with self.client.post("/graphql", data=body, headers=self.headers(), name=name, catch_response=True) as answer:
            data = json_body(answer)
            if answer.status_code != 200 or data.get("errors") or "data" not in data:
                answer.failure(self.failure_text(answer))
            else:
                answer.success()

    @task(3)
    def positions(self) -> None:
        refs = self._some_positions(10)
        if refs:
            self._graphql("graphql inventoryPositions", POSITIONS, refs=refs, cat=self._catalogue)

    @task(2)
    def quantities(self) -> None:
        refs = self._some_positions(1)
        if refs:
            position = {"ref": refs[0], "catalogue": self._catalogue}
            self._graphql("graphql inventoryQuantities", QUANTITIES, pos=position)

    @task(1)
    def event_search(self) -> None:
        with self.client.get(
            "/api/v4.1/event?name=INVENTORY_DELTA&count=20",
            headers=self.headers(),
            name="/api/v4.1/event (search)",
            catch_response=True,
        ) as answer:
            if answer.status_code != 200 or "results" not in json_body(answer):
                answer.failure(self.failure_text(answer))
            else:
                answer.success()
