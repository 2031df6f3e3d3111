"""Reading back what a run wrote: batch statuses over REST, positions and quantities over GraphQL.

Only this run's refs are asked for (inventoryPositions by ref, in chunks), every page loop is
bounded and must see its cursor advance, and every wait has a deadline.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

import requests

from invharness.loadtests.ledger import Ledger, Reconciliation, reconcile
from invharness.loadtests.settings import LoadSettings, redact

__all__ = ["ReadbackError", "Reader", "reconcile_run"]

CHUNK = 100  # positions per query
POSITIONS = """query($refs: [String!], $cat: InventoryCatalogueKey, $first: Int) {
  inventoryPositions(ref: $refs, catalogue: $cat, first: $first) {
    edges { node { ref onHand quantities(first: 100) {
      edges { node { ref type status quantity } } pageInfo { hasNextPage } } } }
    pageInfo { hasNextPage } } }"""
DELTAS = """query($refs: [String!], $cat: InventoryCatalogueKey, $first: Int) {
  inventoryPositions(ref: $refs, catalogue: $cat, first: $first) {
    edges { node { ref onHand quantities(type: ["DELTA"], first: 500) {
      edges { node { ref } } pageInfo { hasNextPage } } } }
    pageInfo { hasNextPage } } }"""
QUANTITIES = """query($pos: InventoryPositionKey, $after: String) {
  inventoryQuantities(position: $pos, type: ["DELTA"], first: 500, after: $after) {
    edges { cursor node { ref quantity status } } pageInfo { hasNextPage } } }"""


class ReadbackError(Exception):
    """The harness could not read the target's state (not a verdict on the target)."""


class Reader:
    """A logged-in requests session of its own: read-backs are not part of the load's statistics."""

    def __init__(self, base_url: str, settings: LoadSettings) -> None:
        self._url = base_url.rstrip("/")
        self._settings = settings
        self._session = requests.Session()
        self._token: str | None = None
        self.catalogue = f"DEFAULT:{settings.retailer}"

    def _call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        if self._token is None:
            answer = self._session.post(
                self._url + "/oauth/token", data=self._settings.token_form(), timeout=self._settings.request_timeout_s
            )
            if answer.status_code != 200:
                raise ReadbackError(f"no token for reading back: HTTP {answer.status_code}")
            self._token = answer.json()["access_token"]
        try:
            return self._session.request(
                method,
                self._url + path,
                headers={"Authorization": f"Bearer {self._token}"},
                timeout=self._settings.request_timeout_s,
                **kwargs,
            )
        except requests.RequestException as exc:
            raise ReadbackError(redact(f"{method} {path}: {exc}", self._settings.secrets())) from None

    def _data(self, query: str, **variables: Any) -> dict[str, Any]:
        answer = self._call("POST", "/graphql", json={"query": query, "variables": variables})
        try:
            body = answer.json()
        except ValueError:
            raise ReadbackError(f"/graphql answered {answer.status_code} without JSON") from None
        if body.get("errors") or answer.status_code != 200:
            raise ReadbackError(f"/graphql answered {answer.status_code}: {str(body.get('errors'))[:300]}")
        return body["data"]

    def incomplete(self, keys: Iterable[str], deadline: float) -> list[str]:
        """The batches ("job/batch") still not COMPLETE when ``deadline`` (monotonic) passes."""
        waiting = list(keys)
        while waiting:
            still = []
            for key in waiting:
                job, batch = key.split("/")
                answer = self._call("GET", f"/api/v4.1/job/{job}/batch/{batch}", params={"count": 1})
                if answer.status_code != 200 or answer.json().get("status") != "COMPLETE":
                    still.append(key)
            waiting = still
            if not waiting or time.monotonic() > deadline:
                break
            time.sleep(self._settings.poll_s * 4)
        return waiting

    def quantities(self, positions: list[str]) -> dict[str, list[Any]]:
        """ref -> [qty, status] of every quantity of ``positions`` (only those; chunked)."""
        found: dict[str, list[Any]] = {}
        for offset in range(0, len(positions), CHUNK):
            refs = positions[offset : offset + CHUNK]
            page = self._data(POSITIONS, refs=refs, cat={"ref": self.catalogue}, first=CHUNK)["inventoryPositions"]
            if page["pageInfo"]["hasNextPage"]:
                raise ReadbackError(f"{CHUNK} positions asked for by ref came back on more than one page")
            for edge in page["edges"]:
                node = edge["node"]
                if node["quantities"]["pageInfo"]["hasNextPage"]:
                    raise ReadbackError(f"position {node['ref']} has more than 100 quantities; a load run makes fewer")
                for q in node["quantities"]["edges"]:
                    found[q["node"]["ref"]] = [q["node"]["quantity"], q["node"]["status"]]
        return found

    def deltas(self, positions: list[str], sent: dict[str, int]) -> tuple[dict[str, int | None], dict[str, list[str]]]:
        """The onHand of each delta position (None: not found) and the refs of its DELTA quantities."""
        on_hand: dict[str, int | None] = dict.fromkeys(positions)
        refs: dict[str, list[str]] = {}
        for offset in range(0, len(positions), CHUNK):
            chunk = positions[offset : offset + CHUNK]
            page = self._data(DELTAS, refs=chunk, cat={"ref": self.catalogue}, first=CHUNK)["inventoryPositions"]
            for edge in page["edges"]:
                node = edge["node"]
                on_hand[node["ref"]] = node["onHand"]
                if node["quantities"]["pageInfo"]["hasNextPage"]:
                    refs[node["ref"]] = self.delta_refs(node["ref"], sent.get(node["ref"], 0))
                else:
                    refs[node["ref"]] = [q["node"]["ref"] for q in node["quantities"]["edges"]]
        return on_hand, refs

    def delta_refs(self, position: str, expected: int) -> list[str]:
        """The refs of the position's DELTA quantities, paging at most as far as ``expected`` needs (x2)."""
        refs: list[str] = []
        after = None
        for _ in range(2 * (expected // 500) + 3):
            page = self._data(QUANTITIES, pos={"ref": position, "catalogue": {"ref": self.catalogue}}, after=after)
            edges = page["inventoryQuantities"]["edges"]
            refs += [e["node"]["ref"] for e in edges]
            if not page["inventoryQuantities"]["pageInfo"]["hasNextPage"]:
                return refs
            if not edges or edges[-1]["cursor"] == after:
                raise ReadbackError(f"the DELTA quantities of {position} page without advancing")
            after = edges[-1]["cursor"]
        raise ReadbackError(f"position {position} has far more DELTA quantities than the {expected} deltas sent")


def reconcile_run(base_url: str, ledger: Ledger, settings: LoadSettings) -> Reconciliation:
    """Wait (bounded) for acknowledged batches to COMPLETE, then compare; while the comparison
    differs, read again until ``settings.settle_s`` has passed (async events settle late)."""
    reader = Reader(base_url, settings)
    pending = [key for key, (_, complete) in ledger.batches.items() if not complete]
    incomplete = reader.incomplete(pending, time.monotonic() + settings.batch_timeout_s)
    for key in set(pending) - set(incomplete):
        ledger.batch_complete(key)
    deadline = time.monotonic() + settings.settle_s
    positions = ledger.positions()
    delta_positions = sorted(ledger.bases)
    sent = {p: sum(ledger.sends[p].values()) for p in delta_positions}

    def compare() -> Reconciliation:
        quantities = reader.quantities(positions)
        on_hand, refs = reader.deltas(delta_positions, sent)
        return reconcile(ledger, quantities, on_hand, refs, incomplete, settings.idempotent_delta_id)

    result = compare()
    while not result.exact and time.monotonic() < deadline:  # bounded by the settle deadline
        time.sleep(0.5)
        result = compare()
    return result
