"""The steps and reads the read-side checks stand on (inventory, segmentation, deltas, events,
graphql, feeds), each answering for the clause that governs it.

A step the target answers wrongly (a job, a batch, a quantity, a delta, a feed that cannot be made)
is that step's clause failing -- StepFailed -- never a skip, never a fail of the check's own clause.
Every read is scoped to what the check created and bounded: a connection is read at most
``MAX_PAGES`` pages and its cursor must advance; a wait has a deadline.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from invharness.generators import payloads
from invharness.suites import helpers
from invharness.suites.client import PrerequisiteFailed, StepFailed, TargetClient
from invharness.suites.helpers import Position

__all__ = [
    "MAX_PAGES",
    "FeedMade",
    "add_quantity",
    "eventually",
    "export_rows",
    "feed_status",
    "finished",
    "load",
    "make_feed",
    "pages",
    "read_position",
    "runs_of",
    "set_feed_status",
    "set_quantity_status",
    "step_data",
    "stock",
    "sync_deltas",
    "wait_for_runs",
]

MAX_PAGES = 20  # a scoped read of this run's data never needs more; a target that says so misbehaves
T = TypeVar("T")


# ---------------------------------------------------------------------- bounded reads


def pages(
    fetch: Callable[[str | None], dict[str, Any]], clause: str, what: str, max_pages: int = MAX_PAGES
) -> Iterator[dict[str, Any]]:
    """The nodes of a connection (``fetch(after)`` answers one page: edges, pageInfo), at most
    ``max_pages`` pages; a cursor that does not advance, or a node seen twice, fails ``clause``."""
    after: str | None = None
    cursors: set[str] = set()
    refs: set[Any] = set()
    for _ in range(max_pages):
        page = fetch(after)
        edges = page.get("edges") or []
        if after is not None and not edges:
            raise StepFailed(
                clause, f"{what}: a page said hasNextPage, and the page after it (after={after!r}) is empty"
            )
        for edge in edges:
            node = edge["node"]
            key = node.get("ref", id(node)) if isinstance(node, dict) else id(node)
            if key in refs:
                raise StepFailed(clause, f"{what}: {key} answered again on a later page (after={after!r})")
            refs.add(key)
            yield node
        if not (page.get("pageInfo") or {}).get("hasNextPage"):
            return
        if not edges:
            raise StepFailed(clause, f"{what}: a page says hasNextPage but holds no edges (after={after!r})")
        cursor = edges[-1].get("cursor")
        if not cursor or cursor in cursors:
            raise StepFailed(
                clause, f"{what}: the cursor does not advance (after={after!r} answered last cursor {cursor!r})"
            )
        cursors.add(cursor)
        after = cursor
    raise StepFailed(clause, f"{what}: still hasNextPage after {max_pages} pages of a read scoped to this run")


def eventually(probe: Callable[[], T | None], budget_s: float, poll_s: float, what: str) -> T:
    """The first answer of ``probe`` that is not None, polling until ``budget_s`` has passed;
    AssertionError (with the last thing seen) when it never comes."""
    deadline = time.monotonic() + budget_s
    attempts = max(1, int(budget_s / max(poll_s, 0.01)) + 2)  # a bound even when each probe is instant
    for _ in range(attempts):
        found = probe()
        if found is not None:
            return found
        if time.monotonic() > deadline:
            break
        time.sleep(poll_s)
    raise AssertionError(f"{what}: not seen within {budget_s:.0f}s")


def step_data(client: TargetClient, clause: str, what: str, query: str, **variables: Any) -> dict[str, Any]:
    """The data of a GraphQL request a step needs; the target's errors fail ``clause``."""
    body = client.graphql(query, **variables)
    if body.get("errors") or not isinstance(body.get("data"), dict):
        raise StepFailed(clause, f"{what}: GraphQL answered {str(body.get('errors') or body)[:300]}")
    return body["data"]


# ---------------------------------------------------------------------- stock


def load(
    client: TargetClient,
    ref: Callable[[str], str],
    records: list[dict[str, Any]],
    retailer: int,
    catalogue_ref: str | None = None,
    event: str | None = None,
) -> dict[str, Any]:
    """Write ``records`` by one job and one batch (raising ``event``, by default a name of its own),
    and wait until it is COMPLETE; the batch as read then."""
    try:
        job_id = client.create_job(payloads.job(ref("job"), str(retailer)))
    except (PrerequisiteFailed, KeyError, ValueError) as exc:
        raise StepFailed("JOB-CREATE-01", f"creating a job to load stock: {exc}") from None
    body = payloads.batch(records, event=event or ref("Ev"), catalogue_ref=catalogue_ref)
    try:
        batch_id = client.create_batch(job_id, body)
    except (PrerequisiteFailed, KeyError, ValueError) as exc:
        raise StepFailed("BATCH-CREATE-01", f"posting a batch of {len(records)} record(s): {exc}") from None
    try:
        return client.wait_batch(job_id, batch_id)
    except PrerequisiteFailed as exc:
        raise StepFailed("BATCH-READ-01", str(exc)) from None
    except AssertionError as exc:
        raise StepFailed("BATCH-STATUS-01", str(exc)) from None


def read_position(
    client: TargetClient, position: Position, catalogue: str | None = None
) -> tuple[dict[str, Any] | None, dict[str, dict[str, Any]]]:
    """The position (ref, onHand, status) and its quantities by ref, over GraphQL (GQL-INV-01)."""
    cat = catalogue or position.catalogue
    node = step_data(
        client, "GQL-INV-01", f"inventoryPosition {position.ref} of {cat}", helpers.POSITION, ref=position.ref, cat=cat
    )["inventoryPosition"]
    if node is None:
        return None, {}
    return node, {e["node"]["ref"]: e["node"] for e in node["quantities"]["edges"]}


def stock(client: TargetClient, ref: Callable[[str], str], position: Position, qty: int) -> None:
    """Load an ACTIVE LAST_ON_HAND quantity of ``qty`` at ``position`` and make sure it is stored:
    a check of onHand or deltas stands on it, and INV-IQ-01 answers for it."""
    load(client, ref, [position.record(qty, status="ACTIVE")], position.retailer)
    node, quantities = read_position(client, position)
    loh = [(q["quantity"], q["status"]) for q in quantities.values() if q["type"] == "LAST_ON_HAND"]
    if node is None or loh != [(qty, "ACTIVE")]:
        raise StepFailed(
            "INV-IQ-01",
            f"loaded LAST_ON_HAND {qty} ACTIVE at {position.ref}; stored: "
            f"{'no position' if node is None else loh or 'no LAST_ON_HAND quantity'}",
        )


def add_quantity(
    client: TargetClient, position: Position, ref: str, kind: str, qty: int, status: str = "ACTIVE"
) -> str:
    """A quantity made through createInventoryQuantity (a reservation, a sale...): GQL-INV-02."""
    try:
        return helpers.add_quantity(client, position, ref, kind, qty, status)
    except AssertionError as exc:
        raise StepFailed(
            "GQL-INV-02", f"createInventoryQuantity {kind} {qty} {status} at {position.ref}: {exc}"
        ) from None


def set_quantity_status(client: TargetClient, position: Position, ref: str, status: str) -> None:
    try:
        helpers.set_quantity_status(client, position, ref, status)
    except AssertionError as exc:
        raise StepFailed("GQL-INV-02", f"updateInventoryQuantity {ref} to {status}: {exc}") from None


def sync_deltas(client: TargetClient, retailer: int, *deltas: dict[str, Any]) -> None:
    """Apply deltas a check stands on through /event/sync (DELTA-APPLY-01 answers for them)."""
    answer = client.request("POST", "/api/v4.1/event/sync", json=payloads.delta_event(list(deltas), str(retailer)))
    status = (
        answer.json().get("eventStatus")
        if answer.headers.get("content-type", "").startswith("application/json")
        else None
    )
    if answer.status_code != 200 or status != "COMPLETE":
        raise StepFailed(
            "DELTA-APPLY-01", f"INVENTORY_DELTA of {len(deltas)} delta(s) answered {answer.status_code} {status}"
        )


# ---------------------------------------------------------------------- feeds

FEED = """query($r: String!) { inventoryFeed(ref: $r) { ref status dataFormat
    source { type filters { name operator value } }
    destination { type destinationAttributes { key value } } } }"""
RUNS = """query($feed: String!, $after: String) { inventoryFeedRuns(feed: {ref: $feed}, first: 50, after: $after) {
    edges { cursor node { ref status runType recordCount errorMessage startedOn completedOn fileLocation } }
    pageInfo { hasNextPage } } }"""


class FeedMade:
    """A feed a check created: its ref, destination bucket and the policy the target answered."""

    __slots__ = ("answer", "bucket", "policy", "ref")

    def __init__(self, ref: str, bucket: str, answer: dict[str, Any], policy: str | None) -> None:
        self.ref, self.bucket, self.answer, self.policy = ref, bucket, answer, policy


def make_feed(
    client: TargetClient,
    s3: Any,
    profile: Any,
    feed_ref: str,
    bucket: str,
    source: str,
    filters: list[dict[str, Any]] | None = None,
    region: str | None = None,
    install_policy: bool = True,
) -> FeedMade:
    """Create a feed to a new bucket (FEED-CREATE-01) and install the policy it answers (FEED-CREATE-02)."""
    try:
        answer, policy = helpers.create_feed(
            client, s3, profile, feed_ref, bucket, source, filters, region, install_policy=False
        )
    except AssertionError as exc:
        raise StepFailed("FEED-CREATE-01", f"createInventoryFeed {feed_ref}: {exc}") from None
    if install_policy:
        if policy is None:
            raise StepFailed(
                "FEED-CREATE-02",
                f"createInventoryFeed {feed_ref} answered no {profile.value('feed.policy_attribute')} attribute",
            )
        from botocore.exceptions import ClientError

        try:
            s3.put_bucket_policy(Bucket=bucket, Policy=policy)
        except ClientError as exc:
            raise StepFailed("FEED-CREATE-02", f"the policy {feed_ref} answered cannot be installed: {exc}") from None
    return FeedMade(feed_ref, bucket, answer, policy)


def set_feed_status(client: TargetClient, feed_ref: str, status: str, clause: str) -> None:
    """Switch a feed a check stands on (FEED-ACT-03 on, FEED-ACT-04 off)."""
    step_data(
        client,
        clause,
        f"updateInventoryFeed {feed_ref} to {status}",
        helpers.UPDATE_FEED,
        input={"ref": feed_ref, "status": status},
    )


def feed_status(client: TargetClient, feed_ref: str) -> str | None:
    """The stored status of a feed (None: no such feed), read back with inventoryFeed."""
    found = step_data(client, "FEED-CREATE-01", f"inventoryFeed {feed_ref}", FEED, r=feed_ref)["inventoryFeed"]
    return None if found is None else found["status"]


def runs_of(client: TargetClient, feed_ref: str) -> list[dict[str, Any]]:
    """The runs of one feed (FEED-RUN-01), oldest first by startedOn then ref; bounded pages."""

    def fetch(after: str | None) -> dict[str, Any]:
        data = step_data(client, "FEED-RUN-01", f"inventoryFeedRuns of {feed_ref}", RUNS, feed=feed_ref, after=after)
        return data["inventoryFeedRuns"] or {"edges": [], "pageInfo": {}}

    runs = list(pages(fetch, "GQL-PAGE-01", f"inventoryFeedRuns of {feed_ref}", max_pages=10))
    return sorted(runs, key=lambda r: (r.get("startedOn") or "", r["ref"]))


def finished(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in runs if r["status"] in ("SUCCESS", "FAILED")]


def wait_for_runs(client: TargetClient, feed_ref: str, done: int, budget_s: float) -> list[dict[str, Any]]:
    """The feed's runs once ``done`` of them have finished; AssertionError after ``budget_s``."""
    seen: list[list[dict[str, Any]]] = [[]]

    def probe() -> list[dict[str, Any]] | None:
        seen[0] = runs_of(client, feed_ref)
        return seen[0] if len(finished(seen[0])) >= done else None

    try:
        return eventually(probe, budget_s, 0.2, f"feed {feed_ref}: {done} finished run(s)")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; runs seen: {[(r['ref'], r['status']) for r in seen[0]]}") from None


def export_rows(s3: Any, run: dict[str, Any], bucket: str, blame: str | None = None) -> list[dict[str, Any]]:
    """The rows of a SUCCESS run's file, read from the destination bucket. A file that is not there or
    not Parquet is the target's fail: of ``blame`` as a step (StepFailed), else of the check (assert)."""
    from botocore.exceptions import ClientError
    from pyarrow import ArrowException

    location = run.get("fileLocation") or ""
    problem = None
    if not location.startswith(f"s3://{bucket}/"):
        problem = f"run {run['ref']}: fileLocation {location!r} is not in the destination bucket s3://{bucket}/"
    else:
        try:
            return helpers.read_export(s3, location)
        except ClientError as exc:
            problem = (
                f"run {run['ref']}: its file {location} cannot be read: {exc.response.get('Error', {}).get('Code')}"
            )
        except (ArrowException, OSError) as exc:
            problem = f"run {run['ref']}: its file {location} is not Parquet: {exc}"
    if blame is not None:
        raise StepFailed(blame, problem)
    raise AssertionError(problem)
