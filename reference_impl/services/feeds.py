"""Inventory feeds: lifecycle, destination validation and runs (SPEC §9, decisions 21-25).

A feed is CREATED with the bucket policy its destination must carry (attribute S3_BUCKET_POLICY).
Switching it ACTIVE validates the destination: the bucket exists, lies in the server's feed region
(else IllegalLocationConstraintException) and its policy lets the feed principal write. An ACTIVE
feed runs every ``interval_s``: the first run is FULL, later runs INCREMENTAL (what changed since
the last successful run). A run writes one Parquet file to the server's own source bucket and
copies it to the destination ("replication"); a failed run records why, and the next catches up.
"""

from __future__ import annotations

import asyncio
import io
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pyarrow as pa
import pyarrow.parquet as pq
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from invharness.reference_impl.clock import Clock
from invharness.reference_impl.errors import ApiError
from invharness.reference_impl.services import validation
from invharness.reference_impl.services.access import Principal, require_admin
from invharness.reference_impl.services.feed_filters import Row, selection
from invharness.reference_impl.services.queries import keep
from invharness.reference_impl.stores.feeds import Feed, FeedRun
from invharness.reference_impl.stores.protocols import FeedStore, InventoryStore
from invharness.reference_impl.vocabulary import feed_object_key

__all__ = ["FEED_PRINCIPAL", "FeedError", "FeedService", "S3Settings", "feed_policy", "grants_write"]

POLICY_ATTRIBUTE = "S3_BUCKET_POLICY"
FEED_PRINCIPAL = "arn:aws:iam::000000000000:role/invharness-inventory-feeds"
_WRITE_ACTIONS = {"s3:PutObject", "s3:ReplicateObject", "s3:*", "*"}
_COLUMNS = pa.schema(
    [
        ("sourceType", pa.string()),
        ("ref", pa.string()),
        ("type", pa.string()),
        ("status", pa.string()),
        ("catalogueRef", pa.string()),
        ("productRef", pa.string()),
        ("locationRef", pa.string()),
        ("groupRef", pa.string()),
        ("quantity", pa.int64()),
        ("updatedOn", pa.timestamp("ms", tz="UTC")),
    ]
)


class FeedError(ApiError):
    """A refused feed operation; the message says what is wrong."""

    def __init__(self, message: str) -> None:
        super().__init__(400, message)


@dataclass(slots=True, frozen=True)
class S3Settings:
    """Where feed files go: any S3 endpoint (None: AWS), the region feeds replicate within."""

    endpoint_url: str | None = None
    region: str = "us-east-1"
    source_bucket: str = "invharness-feed-source"
    access_key: str = "invharness"
    secret_key: str = "invharness"
    # An S3 that accepts and never answers must not hold a request for minutes: every call is bounded
    # (connect, each read, attempts in all; ServerConfig s3_connect_timeout_s, s3_read_timeout_s, s3_max_attempts).
    connect_timeout_s: float = 2.0
    read_timeout_s: float = 5.0
    max_attempts: int = 2

    def client(self) -> Any:
        credentials = (
            {}
            if self.endpoint_url is None
            else {"aws_access_key_id": self.access_key, "aws_secret_access_key": self.secret_key}
        )
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=self.region,
            config=Config(
                retries={"mode": "standard", "total_max_attempts": self.max_attempts},
                connect_timeout=self.connect_timeout_s,
                read_timeout=self.read_timeout_s,
            ),
            **credentials,
        )


def feed_policy(bucket: str) -> str:
    """The bucket policy a destination must carry (decision 21), as a JSON string."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "InvharnessInventoryFeedReplication",
                    "Effect": "Allow",
                    "Principal": {"AWS": FEED_PRINCIPAL},
                    "Action": ["s3:PutObject", "s3:ReplicateObject"],
                    "Resource": f"arn:aws:s3:::{bucket}/*",
                }
            ],
        }
    )


def grants_write(statements: list[validation.PolicyStatement], bucket: str) -> bool:
    """Whether a bucket policy's statements let the feed principal write the feed's objects."""
    return any(
        s.effect == "Allow"
        and (FEED_PRINCIPAL in s.principals or "*" in s.principals)
        and bool(_WRITE_ACTIONS & s.actions)
        and bool({f"arn:aws:s3:::{bucket}/*", "*"} & s.resources)
        for s in statements
    )


@dataclass(slots=True, frozen=True)
class _FeedChange:
    """An update of a feed, validated, not yet applied (its destination may need checking first)."""

    feed: Feed
    merged: dict[str, Any]
    status: str | None
    bucket: str
    name: str | None
    needs_check: bool


class FeedService:
    """Feeds and their runs; S3 calls block, so runs are meant for a worker thread."""

    def __init__(
        self,
        store: FeedStore,
        inventory: InventoryStore,
        clock: Clock,
        s3: S3Settings,
        interval_s: float = 300.0,
        account_id: str = "DEMO",
        policy_attribute: str = POLICY_ATTRIBUTE,
        inactive_status: str = "INACTIVE",
    ) -> None:
        self.policy_attribute = policy_attribute  # feed.policy_attribute: names the policy in the create answer
        self.inactive_status = inactive_status  # feed.inactive_status: the status that switches a feed off
        self._inventory = inventory
        self._account_id = account_id
        self._clock = clock
        self.s3 = s3
        self.interval_s = interval_s
        self._store = store
        self._client: Any = None
        self._client_lock = threading.Lock()
        self._source_ready = False

    # ------------------------------------------------------------------ lifecycle

    def create(self, principal: Principal, data: dict[str, Any]) -> Feed:
        """createInventoryFeed (account admins): a CREATED feed; its destination is checked on activation."""
        require_admin(principal, "manage inventory feeds")
        validation.feed_input(data)
        attributes = {a["key"]: a["value"] for a in data["destination"]["destinationAttributes"]}
        now = self._clock.now()
        feed = self._store.create_feed(
            data["ref"],
            name=data.get("name"),
            source_type=data["source"]["type"],
            filters=list(data["source"].get("filters") or []),
            account_id=attributes.get("AWS_ACCOUNT_ID", self._account_id),
            bucket=attributes["AWS_S3_BUCKET_NAME"],
            created_on=now,
            updated_on=now,
        )
        if feed is None:
            raise FeedError(f"ConstraintViolationException: an inventory feed {data['ref']} already exists")
        return feed

    def update(self, principal: Principal, data: dict[str, Any]) -> Feed:
        """updateInventoryFeed (account admins): switching it ACTIVE validates the destination first."""
        change = self._change(principal, data)
        if change.needs_check:
            self.validate_destination(change.bucket)  # raises before anything is saved
        return self._apply(change)

    async def update_off_loop(self, principal: Principal, data: dict[str, Any]) -> Feed:
        """update, with the destination's S3 calls in a thread: a slow S3 holds this request, no other."""
        change = self._change(principal, data)
        if change.needs_check:
            await asyncio.to_thread(self.validate_destination, change.bucket)
        return self._apply(change)

    def _change(self, principal: Principal, data: dict[str, Any]) -> _FeedChange:
        require_admin(principal, "manage inventory feeds")
        feed = self._store.feed(data.get("ref", ""))
        if feed is None:
            raise FeedError(f"no inventory feed {data.get('ref')}")
        merged = {"ref": feed.ref, **feed.as_input(), "dataFormat": feed.data_format}
        for key in ("source", "destination", "dataFormat"):
            if data.get(key) is not None:
                merged[key] = data[key]
        validation.feed_input(merged)
        status = data.get("status")
        if status is not None and status not in ("ACTIVE", self.inactive_status):
            raise FeedError(f"a feed's status is ACTIVE or {self.inactive_status}, not {status}")
        bucket = {a["key"]: a["value"] for a in merged["destination"]["destinationAttributes"]}["AWS_S3_BUCKET_NAME"]
        needs_check = status == "ACTIVE" or (status is None and feed.status == "ACTIVE" and bucket != feed.bucket)
        return _FeedChange(feed, merged, status, bucket, data.get("name"), needs_check)

    def _apply(self, change: _FeedChange) -> Feed:
        feed, merged, status = change.feed, change.merged, change.status
        feed.source_type, feed.filters = merged["source"]["type"], list(merged["source"].get("filters") or [])
        feed.bucket, feed.name = change.bucket, change.name or feed.name
        now = self._clock.now()
        if status == "ACTIVE" and feed.status != "ACTIVE":
            feed.next_run_at = now + self.interval_s
        elif status == self.inactive_status:
            feed.next_run_at = None
        feed.status = status or feed.status
        feed.updated_on = now
        self._store.save(feed)
        return feed

    def validate_destination(self, bucket: str) -> None:
        """The checks of activation; FeedError saying what is missing."""
        client = self._s3()
        try:
            location = client.get_bucket_location(Bucket=bucket).get("LocationConstraint") or "us-east-1"
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in ("NoSuchBucket", "404"):
                raise FeedError(f"the destination bucket {bucket} does not exist") from None
            raise FeedError(f"the destination bucket {bucket} cannot be read: {code}") from None
        except BotoCoreError as exc:
            raise FeedError(f"S3 is not reachable: {exc}") from None
        if location != self.s3.region:
            raise FeedError(
                f"IllegalLocationConstraintException: the destination bucket {bucket} is in {location}; feeds "
                f"replicate within {self.s3.region} only (read cross-region, or replicate it yourself)"
            )
        try:
            policy = client.get_bucket_policy(Bucket=bucket)["Policy"]
        except BotoCoreError as exc:
            raise FeedError(f"S3 is not reachable: {exc}") from None
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "NoSuchBucketPolicy":
                raise FeedError(
                    f"the destination bucket {bucket} has no bucket policy; install the feed's "
                    f"{self.policy_attribute} attribute as its policy"
                ) from None
            raise
        try:
            statements = validation.bucket_policy(policy)
        except ApiError as malformed:
            raise FeedError(
                f"the bucket policy of {bucket} is malformed ({malformed.message}); install the feed's "
                f"{POLICY_ATTRIBUTE} attribute"
            ) from None
        if not grants_write(statements, bucket):
            raise FeedError(
                f"the bucket policy of {bucket} does not allow {FEED_PRINCIPAL} s3:PutObject on "
                f"arn:aws:s3:::{bucket}/*; install the feed's {self.policy_attribute} attribute"
            )

    # ------------------------------------------------------------------ reads (account admins)

    def find(self, principal: Principal, ref: str) -> Feed | None:
        require_admin(principal, "manage inventory feeds")
        return self._store.feed(ref)

    def list_feeds(self, principal: Principal, **filters: Any) -> list[Feed]:
        require_admin(principal, "manage inventory feeds")
        return keep(self.feeds(), **filters)

    def find_run(self, principal: Principal, ref: str) -> FeedRun | None:
        require_admin(principal, "manage inventory feeds")
        return self._store.run(ref)

    def list_runs(self, principal: Principal, feed_ref: str | None, **filters: Any) -> list[FeedRun]:
        """Every run, or those of one feed (none when there is no such feed)."""
        require_admin(principal, "manage inventory feeds")
        if feed_ref is None:
            return keep(self.runs(), **filters)
        feed = self._store.feed(feed_ref)
        return keep(feed.runs if feed is not None else [], **filters)

    @staticmethod
    def feed_runs(feed: Feed, **filters: Any) -> list[FeedRun]:
        """A feed's runs, newest first."""
        return keep(list(reversed(feed.runs)), **filters)

    # ------------------------------------------------------------------ internal reads (scheduler, tests)

    def feed(self, ref: str) -> Feed | None:
        return self._store.feed(ref)

    def feeds(self) -> list[Feed]:
        return self._store.feeds()

    def run_by_ref(self, ref: str) -> FeedRun | None:
        return self._store.run(ref)

    def runs(self) -> list[FeedRun]:
        return self._store.runs()

    @staticmethod
    def policy(feed: Feed) -> str:
        """The bucket policy the feed's destination must carry (attribute S3_BUCKET_POLICY)."""
        return feed_policy(feed.bucket)

    # ------------------------------------------------------------------ runs

    def due(self) -> list[Feed]:
        now = self._clock.now()
        return [
            f
            for f in self._store.feeds()
            if f.status == "ACTIVE" and f.next_run_at is not None and f.next_run_at <= now
        ]

    def start_run(self, feed: Feed) -> tuple[FeedRun, Iterator[list[Row]]]:
        """Begin a run; its rows come in chunks (read them on the server's loop, yielding between)."""
        now = self._clock.now()
        run_type = "INCREMENTAL" if feed.last_success_started is not None else "FULL"
        run = self._store.create_run(feed, run_type, now)
        run.status, run.started_on = "RUNNING", now
        feed.next_run_at = now + self.interval_s
        self._store.save_run(run)
        self._store.save(feed)
        return run, selection(self._inventory, feed.source_type, feed.filters, feed.last_success_started)

    def finish_run(self, run: FeedRun, rows: list[Row]) -> FeedRun:
        """Write the Parquet file and replicate it (blocking S3 calls: run it in a thread)."""
        try:
            key = feed_object_key(run.feed.ref, run.ref)
            body = _parquet(rows)
            client = self._s3()
            self._ensure_source(client)
            client.put_object(Bucket=self.s3.source_bucket, Key=key, Body=body)
            client.copy_object(
                Bucket=run.feed.bucket, Key=key, CopySource={"Bucket": self.s3.source_bucket, "Key": key}
            )
        except (ClientError, BotoCoreError, OSError, ValueError) as exc:
            return self.fail_run(run, f"replication to s3://{run.feed.bucket} failed: {exc}")
        run.status, run.record_count = "SUCCESS", len(rows)
        run.file_location = f"s3://{run.feed.bucket}/{key}"
        run.feed.last_success_started = run.started_on
        run.completed_on = self._clock.now()
        self._store.save_run(run)
        self._store.save(run.feed)
        return run

    def fail_run(self, run: FeedRun, reason: str) -> FeedRun:
        """End a run FAILED with its reason; the next run catches up from the last success."""
        run.status, run.error_message, run.completed_on = "FAILED", reason, self._clock.now()
        self._store.save_run(run)
        return run

    def start_run_all(self, feed: Feed) -> tuple[FeedRun, list[Row]]:
        """Begin a run and read all its rows at once (tests and benchmarks)."""
        run, chunks = self.start_run(feed)
        return run, [row for rows in chunks for row in rows]

    def run_now(self, feed: Feed) -> FeedRun:
        """A whole run at once (tests, and servers without a loop)."""
        return self.finish_run(*self.start_run_all(feed))

    def warm_up(self) -> None:
        """Make the S3 client now (in a thread): botocore's first client loads its service models, which
        holds the interpreter for half a second; done during the first activation, it stalls every request."""
        self._s3()

    def _s3(self) -> Any:
        with self._client_lock:  # called from worker threads; boto3 clients are thread-safe, making one is not
            if self._client is None:
                self._client = self.s3.client()
            return self._client

    def _ensure_source(self, client: Any) -> None:
        if self._source_ready:
            return
        try:
            client.head_bucket(Bucket=self.s3.source_bucket)
        except ClientError:
            extra = (
                {}
                if self.s3.region == "us-east-1"
                else {"CreateBucketConfiguration": {"LocationConstraint": self.s3.region}}
            )
            client.create_bucket(Bucket=self.s3.source_bucket, **extra)
        self._source_ready = True


def _parquet(rows: list[Row]) -> bytes:
    columns = [
        [r.source_type for r in rows],
        [r.ref for r in rows],
        [r.type for r in rows],
        [r.status for r in rows],
        [r.catalogue_ref for r in rows],
        [r.product_ref for r in rows],
        [r.location_ref for r in rows],
        [r.group_ref for r in rows],
        [r.quantity for r in rows],
        [int(r.updated_on * 1000) for r in rows],
    ]
    table = pa.Table.from_arrays(
        [pa.array(c, type=f.type) for c, f in zip(columns, _COLUMNS, strict=True)], schema=_COLUMNS
    )
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue()
