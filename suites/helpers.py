"""What several suites do: build records with generators, observe forwarding, manage settings.

"Forwarded" and "filtered" are observed as SPEC §15 says, on any target: a forwarded record
raises one event named by the batch's ``event`` for its position; each check uses its own event
name, so what it counts is its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from invharness.generators import payloads
from invharness.suites.client import PrerequisiteFailed, TargetClient
from invharness.suites.profile import TargetProfile

__all__ = ["Position", "forwarded", "position_state", "put_setting"]

_OMIT: Any = object()
BPP = "fc.enable.batch.preprocessing"


@dataclass(slots=True, frozen=True)
class Position:
    """A position the check owns: unique SKU, one location, the primary retailer's DEFAULT catalogue."""

    sku: str
    location: str
    retailer: int

    @classmethod
    def new(cls, ref: Callable[[str], str], profile: TargetProfile, retailer: int | None = None) -> Position:
        return cls(ref("SKU"), ref("LOC"), retailer or profile.primary_retailer)

    @property
    def catalogue(self) -> str:
        return f"DEFAULT:{self.retailer}"

    @property
    def ref(self) -> str:
        return f"{self.sku}:{self.location}:DEFAULT"

    def quantity_ref(self, kind: str = "LAST_ON_HAND") -> str:
        return f"{self.ref}:{kind}"

    def record(self, qty: int, **fields: Any) -> dict[str, Any]:
        return payloads.record(self.sku, self.location, qty, self.retailer, **fields)


def forwarded(
    client: TargetClient,
    ref: Callable[[str], str],
    records: list[dict[str, Any]],
    retailer: int,
    meta: Any = _OMIT,
    job_id: str | None = None,
    **batch_fields: Any,
) -> dict[str, int]:
    """Run one batch under an event name of its own; how many events each position got."""
    name = ref("Ev")
    if job_id is None:
        job_body = (
            payloads.job(ref("job"), str(retailer)) if meta is _OMIT else payloads.job(ref("job"), str(retailer), meta)
        )
        job_id = client.create_job(job_body)
    batch_id = client.create_batch(job_id, payloads.batch(records, event=name, **batch_fields))
    client.wait_batch(job_id, batch_id)
    counts: dict[str, int] = {}
    for event in client.events(name):
        entity = event.get("context", {}).get("entityRef")
        counts[entity] = counts.get(entity, 0) + 1
    return counts


POSITION = """query($ref: String!, $cat: String!) { inventoryPosition(ref: $ref, catalogue: {ref: $cat}) {
    ref onHand status updatedOn
    quantities(first: 500) { edges { node { ref type status quantity correctedQty updatedOn } } } } }"""


def position_state(client: TargetClient, position: Position) -> tuple[dict[str, Any] | None, dict[str, dict[str, Any]]]:
    """The position (ref, onHand, status, updatedOn) and its quantities by ref, read over GraphQL."""
    node = client.data(POSITION, ref=position.ref, cat=position.catalogue)["inventoryPosition"]
    if node is None:
        return None, {}
    return node, {e["node"]["ref"]: e["node"] for e in node["quantities"]["edges"]}


SETTINGS = """query($name: [String], $context: [String!], $id: [Int!]) {
    settings(name: $name, context: $context, contextId: $id) { edges { node { id value } } } }"""
CREATE_SETTING = "mutation($input: CreateSettingInput) { createSetting(input: $input) { id } }"
UPDATE_SETTING = "mutation($input: UpdateSettingInput) { updateSetting(input: $input) { id value } }"


def put_setting(client: TargetClient, context: str, context_id: int, value: str, name: str = BPP) -> None:
    """Create the setting, or update it when it exists (settings cannot be deleted)."""
    found = client.data(SETTINGS, name=[name], context=[context], id=[context_id])["settings"]["edges"]
    body = payloads.setting_input(value, context, context_id, name)
    if found:
        answer = client.graphql(UPDATE_SETTING, input={**body, "id": found[0]["node"]["id"]})
    else:
        answer = client.graphql(CREATE_SETTING, input=body)
    if answer.get("errors"):
        raise PrerequisiteFailed(f"setting {name} {context} {context_id} = {value} failed: {answer['errors']}")


def setting_exists(client: TargetClient, context: str, context_id: int, name: str = BPP) -> bool:
    return bool(client.data(SETTINGS, name=[name], context=[context], id=[context_id])["settings"]["edges"])


CREATE_QUANTITY = "mutation($input: CreateInventoryQuantityInput) { createInventoryQuantity(input: $input) { ref } }"
UPDATE_QUANTITY = "mutation($input: UpdateInventoryQuantityInput) { updateInventoryQuantity(input: $input) { ref } }"


def add_quantity(
    client: TargetClient, position: Position, ref: str, kind: str, qty: int, status: str = "ACTIVE"
) -> str:
    """A quantity made outside batches (a reservation, a sale, a correction) through GraphQL."""
    catalogue = {"ref": position.catalogue}
    client.data(
        CREATE_QUANTITY,
        input={
            "ref": ref,
            "catalogue": catalogue,
            "type": kind,
            "status": status,
            "quantity": qty,
            "position": {"ref": position.ref, "catalogue": catalogue},
        },
    )
    return ref


def set_quantity_status(client: TargetClient, position: Position, ref: str, status: str) -> None:
    client.data(UPDATE_QUANTITY, input={"ref": ref, "catalogue": {"ref": position.catalogue}, "status": status})


def bpp_pinned_on(client: TargetClient, profile: TargetProfile) -> None:
    """Make sure pre-processing applies to the primary retailer, whatever the ACCOUNT setting does."""
    if profile.supports("settings_writes"):
        put_setting(client, "RETAILER", profile.primary_retailer, "TRUE")
    elif profile.value("bpp.default") != "on":
        raise PrerequisiteFailed("pre-processing is off by default and the harness may not write settings")


def s3_client(profile: TargetProfile) -> Any:
    """A client of the S3 the feed checks use (the profile's endpoint; credentials from the
    environment, or throwaway ones for a local S3)."""
    import boto3

    if profile.s3_endpoint is None:
        raise PrerequisiteFailed("the profile names no S3 endpoint for the feed checks")
    local = "127.0.0.1" in profile.s3_endpoint or "localhost" in profile.s3_endpoint
    credentials = {"aws_access_key_id": "invharness", "aws_secret_access_key": "invharness"} if local else {}
    return boto3.client("s3", endpoint_url=profile.s3_endpoint, region_name=profile.s3_region, **credentials)


FEED_POLICY_OF = "S3_BUCKET_POLICY"
CREATE_FEED = """mutation($input: CreateInventoryFeedInput) { createInventoryFeed(input: $input) {
    ref status dataFormat attributes { name value } } }"""
UPDATE_FEED = "mutation($input: UpdateInventoryFeedInput) { updateInventoryFeed(input: $input) { ref status } }"
FEED_RUNS = """query($feed: String!) { inventoryFeedRuns(feed: {ref: $feed}, first: 50) { edges { node {
    ref status runType recordCount errorMessage startedOn completedOn fileLocation } } } }"""


def new_bucket(s3: Any, name: str, region: str) -> str:
    extra = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    s3.create_bucket(Bucket=name, **extra)
    return name


def create_feed(
    client: TargetClient,
    s3: Any,
    profile: TargetProfile,
    feed_ref: str,
    bucket: str,
    source: str,
    filters: list[dict[str, Any]] | None = None,
    region: str | None = None,
    install_policy: bool = True,
) -> tuple[dict[str, Any], str | None]:
    """A feed exporting ``source`` to a new bucket; the answered bucket policy is installed unless
    told not to. Answers the created feed and the policy text (None when the target gave none)."""
    new_bucket(s3, bucket, region or profile.s3_region)
    created = client.data(CREATE_FEED, input=payloads.feed_input(feed_ref, source, bucket, filters=filters))
    feed = created["createInventoryFeed"]
    policy = {a["name"]: a["value"] for a in feed["attributes"] or []}.get(profile.value("feed.policy_attribute"))
    if install_policy and policy is not None:
        s3.put_bucket_policy(Bucket=bucket, Policy=policy)
    return feed, policy


def feed_runs(client: TargetClient, feed_ref: str) -> list[dict[str, Any]]:
    """The feed's runs, oldest first."""
    nodes = [e["node"] for e in client.data(FEED_RUNS, feed=feed_ref)["inventoryFeedRuns"]["edges"]]
    return sorted(nodes, key=lambda n: n["ref"])


def wait_runs(client: TargetClient, feed_ref: str, done: int, budget_s: float) -> list[dict[str, Any]]:
    """Poll (boundedly) until the feed has ``done`` finished runs; the runs seen."""
    import time

    deadline = time.monotonic() + budget_s
    while True:
        runs = feed_runs(client, feed_ref)
        if len([r for r in runs if r["status"] in ("SUCCESS", "FAILED")]) >= done:
            return runs
        if time.monotonic() > deadline:
            raise AssertionError(f"feed {feed_ref}: {done} finished run(s) expected within {budget_s:.0f}s, saw {runs}")
        time.sleep(0.2)


def read_export(s3: Any, file_location: str) -> list[dict[str, Any]]:
    import io

    import pyarrow.parquet as pq

    bucket, _, key = file_location.removeprefix("s3://").partition("/")
    return pq.read_table(io.BytesIO(s3.get_object(Bucket=bucket, Key=key)["Body"].read())).to_pylist()


def exported_by_hand(entities: list[dict[str, Any]], filters: list[dict[str, Any]] | None) -> list[str]:
    """The refs a feed must export: this harness's own reading of SPEC 9.3, written apart from any
    server's filter code. AND across filters; IN / NOT_IN compare with every member of their list."""
    field = {"REF": "ref", "TYPE": "type", "STATUS": "status", "CATALOGUE_REF": "catalogueRef"}
    kept = []
    for entity in entities:
        keep = True
        for f in filters or []:
            value = entity[field[f["name"]]]
            if f["operator"] == "IN":
                keep = keep and any(value == v for v in f["value"])
            elif f["operator"] == "NOT_IN":
                keep = keep and all(value != v for v in f["value"])
            elif f["operator"] == "EQUAL_TO":
                keep = keep and value == f["value"]
            else:
                keep = keep and value != f["value"]
        if keep:
            kept.append(entity["ref"])
    return sorted(kept)
