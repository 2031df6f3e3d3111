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
from invharness.suites.client import PrerequisiteFailed, StepFailed, TargetClient
from invharness.suites.profile import TargetProfile

__all__ = [
    "BPP",
    "OMIT",
    "Position",
    "add_quantity",
    "bpp_pinned_on",
    "data",
    "events_named",
    "forwarded",
    "new_batch",
    "new_job",
    "position_state",
    "put_setting",
    "send_batch",
    "set_quantity_status",
    "setting_exists",
    "settle",
    "wait_batch",
]

OMIT: Any = object()
BPP = "fc.enable.batch.preprocessing"
# the clauses that govern the steps checks stand on: a wrong answer to a step is that clause's fail
JOB_CREATE, BATCH_CREATE, BATCH_READ, BATCH_STATUS = (
    "JOB-CREATE-01",
    "BATCH-CREATE-01",
    "BATCH-READ-01",
    "BATCH-STATUS-01",
)
EVENT_SEARCH, POSITION_READ, QUANTITY_WRITE = "EVT-SEARCH-01", "GQL-INV-01", "GQL-INV-02"
SETTING_CREATE, SETTING_UPDATE = "GQL-SET-01", "GQL-SET-03"
UNFINISHED = ("PENDING", "RUNNING")


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


# ---------------------------------------------------------------------- steps: jobs, batches, events


def _digits(answer: Any) -> str | None:
    """The string-of-digits id of a create answer, or None."""
    try:
        found = answer.json().get("id")
    except (ValueError, AttributeError):
        return None
    return found if isinstance(found, str) and found.isdigit() else None


def new_job(client: TargetClient, ref: Callable[[str], str], retailer: int, meta: Any = OMIT) -> str:
    """A new job of ``retailer`` (its id); a refusal is a fail of JOB-CREATE-01."""
    body = payloads.job(ref("job"), str(retailer)) if meta is OMIT else payloads.job(ref("job"), str(retailer), meta)
    client.token()  # a token failure is not the job's
    answer = client.request("POST", "/api/v4.1/job", json=body)
    job_id = _digits(answer) if answer.status_code == 200 else None
    if job_id is None:
        raise StepFailed(
            JOB_CREATE, f"creating a job: expected 200 with a digit id, got {answer.status_code}: {answer.text[:200]}"
        )
    return job_id


def new_batch(client: TargetClient, job_id: str, body: dict[str, Any]) -> str:
    """Post a batch to an OPEN job (its id); a refusal is a fail of BATCH-CREATE-01."""
    client.token()
    answer = client.post_batch(job_id, body)
    batch_id = _digits(answer) if answer.status_code == 200 else None
    if batch_id is None:
        raise StepFailed(
            BATCH_CREATE,
            f"posting a batch to job {job_id}: expected 200 with a digit id, got "
            f"{answer.status_code}: {answer.text[:200]}",
        )
    return batch_id


def settle(
    client: TargetClient, job_id: str, batch_id: str, seen: Callable[[str], None] | None = None
) -> dict[str, Any]:
    """Poll a batch until it leaves PENDING / RUNNING (bounded by the profile's batch timeout); its last
    answer. Statuses seen go to ``seen``. Unreadable is a fail of BATCH-READ-01; never settling an
    AssertionError (the caller says whose clause that is)."""

    def read() -> dict[str, Any]:
        answer = client.read_batch(job_id, batch_id, count=5000)
        try:
            body = answer.json() if answer.status_code == 200 else None
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise StepFailed(
                BATCH_READ,
                f"reading batch {batch_id}: expected 200 with the batch, got {answer.status_code}: {answer.text[:200]}",
            )
        if seen is not None:
            seen(body.get("status"))
        return body

    # the client's poll: bounded by the batch timeout and the run's deadline, paced by the poll interval
    return client.poll(read, lambda body: body.get("status") not in UNFINISHED, f"batch {batch_id} to be COMPLETE")


def wait_batch(client: TargetClient, job_id: str, batch_id: str) -> dict[str, Any]:
    """The batch once COMPLETE; not reaching COMPLETE is a fail of BATCH-STATUS-01."""
    try:
        body = settle(client, job_id, batch_id)
    except AssertionError as exc:
        raise StepFailed(BATCH_STATUS, str(exc)) from None
    if body.get("status") != "COMPLETE":
        raise StepFailed(BATCH_STATUS, f"batch {batch_id}: expected COMPLETE, got {body.get('status')!r}")
    return body


def events_named(client: TargetClient, name: str, entity_ref: str | None = None) -> list[dict[str, Any]]:
    """The events of this run's own name (few); a refused search is a fail of EVT-SEARCH-01."""
    try:
        return client.events(name, entity_ref)
    except PrerequisiteFailed as exc:
        raise StepFailed(EVENT_SEARCH, str(exc)) from None


def send_batch(
    client: TargetClient,
    ref: Callable[[str], str],
    records: list[dict[str, Any]],
    retailer: int,
    meta: Any = OMIT,
    job_id: str | None = None,
    **batch_fields: Any,
) -> list[dict[str, Any]]:
    """Run one batch under an event name of its own (in a new job unless given one); its events."""
    name = ref("Ev")
    job_id = job_id or new_job(client, ref, retailer, meta)
    wait_batch(client, job_id, new_batch(client, job_id, payloads.batch(records, event=name, **batch_fields)))
    return events_named(client, name)


def forwarded(
    client: TargetClient,
    ref: Callable[[str], str],
    records: list[dict[str, Any]],
    retailer: int,
    meta: Any = OMIT,
    job_id: str | None = None,
    **batch_fields: Any,
) -> dict[str, int]:
    """Run one batch under an event name of its own; how many events each position got."""
    counts: dict[str, int] = {}
    for event in send_batch(client, ref, records, retailer, meta, job_id, **batch_fields):
        entity = (event.get("context") or {}).get("entityRef")
        counts[entity] = counts.get(entity, 0) + 1
    return counts


# ---------------------------------------------------------------------- GraphQL reads and writes


def data(client: TargetClient, clause: str, query: str, **variables: Any) -> dict[str, Any]:
    """The data of a query a check stands on; GraphQL errors are a fail of ``clause``."""
    body = client.graphql(query, **variables)
    if body.get("errors") or not isinstance(body.get("data"), dict):
        raise StepFailed(clause, f"GraphQL answered errors: {str(body.get('errors'))[:300]}")
    return body["data"]


POSITION = """query($ref: String!, $cat: String!) { inventoryPosition(ref: $ref, catalogue: {ref: $cat}) {
    ref onHand status updatedOn
    quantities(first: 500) { edges { node { ref type status quantity correctedQty updatedOn
        expiresOn segment1 attributes { name value } } } } } }"""


def position_state(client: TargetClient, position: Position) -> tuple[dict[str, Any] | None, dict[str, dict[str, Any]]]:
    """The position (ref, onHand, status, updatedOn) and its quantities by ref, read over GraphQL."""
    node = data(client, POSITION_READ, POSITION, ref=position.ref, cat=position.catalogue)["inventoryPosition"]
    if node is None:
        return None, {}
    return node, {e["node"]["ref"]: e["node"] for e in node["quantities"]["edges"]}


SETTINGS = """query($name: [String], $context: [String!], $id: [Int!]) {
    settings(name: $name, context: $context, contextId: $id) { edges { node { id value } } } }"""
CREATE_SETTING = "mutation($input: CreateSettingInput) { createSetting(input: $input) { id } }"
UPDATE_SETTING = "mutation($input: UpdateSettingInput) { updateSetting(input: $input) { id value } }"


def _setting_id(client: TargetClient, context: str, context_id: int, name: str) -> str | None:
    found = data(client, SETTING_CREATE, SETTINGS, name=[name], context=[context], id=[context_id])
    edges = found["settings"]["edges"]
    return edges[0]["node"]["id"] if edges else None


def put_setting(client: TargetClient, context: str, context_id: int, value: str, name: str = BPP) -> None:
    """Create the setting, or update it when it exists (settings cannot be deleted). A refused write
    is a fail of the clause that governs it (GQL-SET-01 create, GQL-SET-03 update). Another worker
    may create the same setting between the look-up and the create: then it is updated instead."""
    body = payloads.setting_input(value, context, context_id, name)
    for _ in range(2):
        setting_id = _setting_id(client, context, context_id, name)
        if setting_id is not None:
            answer = client.graphql(UPDATE_SETTING, input={**body, "id": setting_id})
            written = ((answer.get("data") or {}).get("updateSetting") or {}).get("value")
            if answer.get("errors") or written != value:
                raise StepFailed(
                    SETTING_UPDATE,
                    f"updateSetting {name} {context} {context_id} to {value!r}: "
                    f"expected the value back, got {written!r}, errors {answer.get('errors')}",
                )
            return
        answer = client.graphql(CREATE_SETTING, input=body)
        if not answer.get("errors"):
            return
    raise StepFailed(
        SETTING_CREATE,
        f"createSetting {name} {context} {context_id} = {value!r} answered "
        f"{answer.get('errors')} and no such setting exists",
    )


def setting_exists(client: TargetClient, context: str, context_id: int, name: str = BPP) -> bool:
    return _setting_id(client, context, context_id, name) is not None


CREATE_QUANTITY = "mutation($input: CreateInventoryQuantityInput) { createInventoryQuantity(input: $input) { ref } }"
UPDATE_QUANTITY = "mutation($input: UpdateInventoryQuantityInput) { updateInventoryQuantity(input: $input) { ref } }"


def add_quantity(
    client: TargetClient, position: Position, ref: str, kind: str, qty: int, status: str = "ACTIVE"
) -> str:
    """A quantity made outside batches (a reservation, a sale, a correction) through GraphQL."""
    catalogue = {"ref": position.catalogue}
    data(
        client,
        QUANTITY_WRITE,
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
    data(
        client,
        QUANTITY_WRITE,
        UPDATE_QUANTITY,
        input={"ref": ref, "catalogue": {"ref": position.catalogue}, "status": status},
    )


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
