"""ingest: each user owns a job and a set of positions, loads them in one 5,000-record batch, then
posts the generators' change streams over them (unchanged, qty/status change, attribute-only,
duplicates), following every batch to COMPLETE.

    locust -f loadtests/ingest.py --host http://127.0.0.1:8080

Stats: accept latency per POST (/api/v4.1/job/[id]/batch), and BATCH POST→COMPLETE, whose
"size" is the batch's records (records/s = size / time). The bodies are built and serialised in
prepare(), before any request of the process is sent (see runtime). A new job is made when the
job's declared lifetime runs out. At the end the target's stored quantities are reconciled with
what was sent (see runtime).
"""

from __future__ import annotations

import time

import gevent
from locust import constant, task

from invharness.loadtests.runtime import LEDGER, SETTINGS, TargetUser, owner
from invharness.loadtests.scenario_data import ingest_steps

__all__ = ["IngestUser"]


class IngestUser(TargetUser):
    """Posts its pre-built steps in turn, each followed to COMPLETE."""

    wait_time = constant(0)

    def prepare(self) -> None:
        self._job_id = ""
        self._job_until = 0.0
        self._new_positions()

    def _new_positions(self) -> None:
        self._owner = owner("I")
        self._steps = ingest_steps(
            self._owner,
            SETTINGS.seed,
            SETTINGS.retailer,
            SETTINGS.records_per_batch,
            SETTINGS.steps,
            SETTINGS.dedup_winner,
        )
        self._next = 0

    @task
    def post_and_follow(self) -> None:
        if time.time() >= self._job_until:
            self._job_id, self._job_until = self.create_job(f"{self._owner} load")
        step = self._steps[self._next]
        posted, posted_at = time.perf_counter(), time.time()
        batch_id, answered = self.post_batch(self._job_id, step.body)
        if batch_id is None:
            if not answered:  # it may have been taken: these positions' state is unknown from now on
                LEDGER.batch_unanswered(step.expected)
                self._new_positions()
            else:
                self._job_until = 0.0  # refused, perhaps a closed job: the next try opens a new one
                gevent.sleep(1.0)
            return
        LEDGER.batch_accepted(f"{self._job_id}/{batch_id}", step.records, step.expected, posted_at)
        self._next = (self._next + 1) % len(self._steps) or 1  # step 0 is the initial load
        self.follow_batch(self._job_id, batch_id, posted, step.records)
