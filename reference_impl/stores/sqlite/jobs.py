"""Jobs and batches in SQLite. A batch's records are stored (validated, in the compact form they are processed
from) and committed before the batch is answered; its outcome is written to the state database with the
group's writes, so a batch is processed exactly once: PENDING after a restart means nothing of it was applied.

Jobs and the batches' fields (not their records) are few and held in memory as well.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import orjson

from invharness.reference_impl.clock import Clock
from invharness.reference_impl.stores.jobs import COMPLETE, Batch, InMemoryJobStore, Job
from invharness.reference_impl.stores.sqlite.db import Database

__all__ = ["INTAKE_SCHEMA", "OUTCOME_SCHEMA", "SqliteJobStore"]

INTAKE_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value);
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY, name TEXT, retailer_id INTEGER, meta BLOB, created_on REAL, closes_at REAL,
    setting_at_creation INTEGER);
CREATE TABLE IF NOT EXISTS batches (
    id INTEGER PRIMARY KEY, job_id INTEGER, created_on REAL, catalogue_ref TEXT, event TEXT, source TEXT,
    transients BLOB, invalid BLOB, submitted_by TEXT, entities BLOB, size INTEGER);
"""
OUTCOME_SCHEMA = """
CREATE TABLE IF NOT EXISTS batch_outcomes (batch_id INTEGER PRIMARY KEY, results BLOB);
"""


class SqliteJobStore(InMemoryJobStore):
    """The JobStore in SQLite: ``intake`` holds jobs and batches, ``state`` the batches' outcomes."""

    def __init__(self, intake: Database, state: Database, clock: Clock, lifetime: str = "midnight_utc") -> None:
        super().__init__(clock, lifetime)
        self._intake, self._state = intake, state
        self._pending: list[Batch] = []
        self._committing: list[Batch] = []
        self._load()

    def _load(self) -> None:
        for id_, name, retailer, meta, created, closes, setting in self._intake.all("SELECT * FROM jobs ORDER BY id"):
            job = self._jobs[str(id_)] = Job(str(id_), name, retailer, orjson.loads(meta), created, closes)
            job.setting_at_creation = None if setting is None else bool(setting)
        outcomes = dict(self._state.all("SELECT batch_id, results FROM batch_outcomes"))
        rows = self._intake.all(
            "SELECT id, job_id, created_on, catalogue_ref, event, source, transients, invalid, "
            "submitted_by, size FROM batches ORDER BY id"
        )
        for id_, job_id, created_on, catalogue_ref, event, source, transients, invalid, submitted_by, size in rows:
            job = self._jobs[str(job_id)]
            batch = Batch(
                str(id_),
                job,
                created_on,
                None,
                catalogue_ref,
                event,
                source,
                None if transients is None else frozenset(tuple(t) for t in orjson.loads(transients)),
                {int(k): v for k, v in orjson.loads(invalid).items()},
                submitted_by,
                size=size or 0,
            )
            if id_ in outcomes:
                batch.status, batch.results = COMPLETE, orjson.loads(outcomes[id_])
            else:
                self._pending.append(batch)
            job.batches.append(batch)
            self._batches[batch.id] = batch
        last_job = max((int(i) for i in self._jobs), default=0)
        last_batch = max((int(i) for i in self._batches), default=0)
        self._job_ids, self._batch_ids = itertools.count(last_job + 1), itertools.count(last_batch + 1)

    def create_job(
        self, name: str, retailer_id: int, meta: dict[str, Any] | None, setting_at_creation: bool | None = None
    ) -> Job:
        job = super().create_job(name, retailer_id, meta, setting_at_creation)
        self._intake.execute(
            "INSERT INTO jobs VALUES (?, ?, ?, ?, ?, ?, ?)",
            (int(job.id), name, retailer_id, orjson.dumps(meta), job.created_on, job.closes_at, setting_at_creation),
        )
        return job

    def add_batch(self, job: Job, **fields: Any) -> Batch:
        """Store a new PENDING batch, committed (records included) before it is handed back."""
        batch = super().add_batch(job, **fields)
        transients = None if batch.transients is None else orjson.dumps(sorted(batch.transients))
        self._intake.execute(
            "INSERT INTO batches VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                int(batch.id),
                int(job.id),
                batch.created_on,
                batch.catalogue_ref,
                batch.event,
                batch.source,
                transients,
                orjson.dumps(batch.invalid, option=orjson.OPT_NON_STR_KEYS),
                batch.submitted_by,
                orjson.dumps(batch.pending),
                batch.size,
            ),
        )
        # Committed: memory need not hold the records until they are processed (flat however many wait).
        batch.pending, batch.stored_records = None, self._reader(batch.id)
        return batch

    def _reader(self, batch_id: str) -> Callable[[], bytes]:
        def read() -> bytes:
            return self._intake.one("SELECT entities FROM batches WHERE id = ?", (int(batch_id),))[0] or b"[]"

        return read

    def pending(self) -> list[Batch]:
        """The batches accepted before a restart and never processed, with their records read back."""
        found, self._pending = self._pending, []
        for batch in found:
            batch.stored_records = self._reader(batch.id)
        return found

    def complete(self, batches: list[Batch]) -> None:
        """Write the outcomes in the group's transaction; the records are dropped once it committed."""
        self._state.executemany(
            "INSERT OR REPLACE INTO batch_outcomes VALUES (?, ?)",
            [(int(b.id), orjson.dumps(b.results)) for b in batches],
        )
        super().complete(batches)
        self._committing.extend(batches)

    def drop_records(self) -> None:
        """The group committed: its batches' raw records are no longer needed."""
        done, self._committing = self._committing, []
        with self._intake.atomic():  # one commit (the intake syncs each one to disk), not one per batch
            self._intake.executemany("UPDATE batches SET entities = NULL WHERE id = ?", [(int(b.id),) for b in done])

