"""Jobs and batches: ids, statuses, lifetimes; what a batch carries until it is processed."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from invharness.reference_impl.clock import Clock, next_midnight_utc
from invharness.reference_impl.errors import ApiError

__all__ = ["COMPLETE", "PENDING", "RUNNING", "Batch", "InMemoryJobStore", "Job", "JobClosed"]

PENDING, RUNNING, COMPLETE = "PENDING", "RUNNING", "COMPLETE"


class JobClosed(ApiError):
    """A batch was posted to a job past its lifetime."""

    def __init__(self, message: str) -> None:
        super().__init__(400, message)


@dataclass(slots=True, eq=False)
class Batch:
    """An inventory batch: the request's batch-level fields, its records, and how they ended."""

    id: str
    job: Job
    created_on: float
    # its conforming records, in the compact form they are processed from (services.preprocessing.
    # resolve_records), until processed; then None
    pending: list[Any] | None
    catalogue_ref: str
    event: str
    source: str
    transients: frozenset[tuple[str, str]] | None  # None: the server's default pairs
    invalid: dict[int, tuple[str, str | None]]  # index -> (why the record does not conform, its ref)
    submitted_by: str
    status: str = PENDING
    results: list[dict[str, Any]] = field(default_factory=list)
    size: int = 0  # how many records it holds
    stored_records: Callable[[], bytes] | None = None  # where a durable store keeps the records meanwhile

    def records(self) -> list[Any]:
        """The batch's pending records (read back as JSON where a durable store keeps them)."""
        if self.stored_records is not None:
            return orjson.loads(self.stored_records())
        return self.pending or []

    def release_records(self) -> None:
        """Processing has taken the records: the batch need not hold them any more."""
        self.pending, self.stored_records = None, None


@dataclass(slots=True, eq=False)
class Job:
    """A container of batches for one retailer; OPEN until ``closes_at``."""

    id: str
    name: str
    retailer_id: int
    meta: dict[str, Any] | None
    created_on: float
    closes_at: float
    batches: list[Batch] = field(default_factory=list)
    # the effective BPP setting when the job was created (read only where bpp.setting_read_at is job_creation)
    setting_at_creation: bool | None = None

    def status(self, now: float) -> str:
        return "OPEN" if now < self.closes_at else "CLOSED"


class InMemoryJobStore:
    """Jobs by id; batches by id. Ids are strings of digits, issued here (the JobStore in memory)."""

    def __init__(self, clock: Clock, lifetime: str = "midnight_utc") -> None:
        if lifetime not in ("midnight_utc", "24h"):
            raise ValueError(f"job lifetime must be midnight_utc or 24h, not {lifetime!r}")
        self._clock = clock
        self._lifetime = lifetime
        self._jobs: dict[str, Job] = {}
        self._batches: dict[str, Batch] = {}
        self._job_ids = itertools.count(1)
        self._batch_ids = itertools.count(1)
        self._lock = threading.Lock()

    def create_job(
        self, name: str, retailer_id: int, meta: dict[str, Any] | None, setting_at_creation: bool | None = None
    ) -> Job:
        now = self._clock.now()
        closes = next_midnight_utc(now) if self._lifetime == "midnight_utc" else now + 86400
        with self._lock:
            job = Job(str(next(self._job_ids)), name, retailer_id, meta, now, closes)
            job.setting_at_creation = setting_at_creation
            self._jobs[job.id] = job
        return job

    def job(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id)

    def batch(self, job: Job, batch_id: str) -> Batch | None:
        found = self._batches.get(batch_id)
        return found if found is not None and found.job is job else None

    def add_batch(self, job: Job, **fields: Any) -> Batch:
        """Store a new PENDING batch under an OPEN job; JobClosed otherwise. Its records (``pending``, in their
        compact form) are held as they are until processed."""
        now = self._clock.now()
        if job.status(now) != "OPEN":
            raise JobClosed(f"Job {job.id} is closed")
        with self._lock:
            batch = Batch(id=str(next(self._batch_ids)), job=job, created_on=now, **fields)
            self._batches[batch.id] = batch
            job.batches.append(batch)
        return batch

    def pending(self) -> list[Batch]:
        """Batches accepted but not processed when the store was opened (none: memory starts empty)."""
        return []

    def complete(self, batches: list[Batch]) -> None:
        """The group's batches are processed (their results final)."""
        for batch in batches:
            batch.status = COMPLETE
