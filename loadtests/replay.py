"""replay: put a dataset written by `invharness generate` into a target -- its batch files (one job
per retailer, each file one batch, followed to COMPLETE), then, once every batch is COMPLETE, its
INVENTORY_DELTA events (async) -- as fast as the target takes them, or at INVHARNESS_LOAD's
``rate`` (requests/s over all users). The run ends when the dataset is in; reconciliation then
compares every quantity and every delta position with what the files say (see runtime).

    INVHARNESS_DATASET=demo locust -f loadtests/replay.py --host http://127.0.0.1:8080 --headless -u 4

A dataset's refs are its own (not prefixed by a run id): replay it once into a target that does not
hold it yet, or the deltaIds already applied there are (rightly) not applied again.
"""

from __future__ import annotations

import collections
import logging
import os
import time
from pathlib import Path

import gevent
import gevent.lock
import orjson
from locust import constant, task
from locust.exception import StopUser

from invharness.loadtests.runtime import LEDGER, SETTINGS, TargetUser, json_body
from invharness.loadtests.scenario_data import LAST_ON_HAND, expected_quantities

__all__ = ["DatasetUser"]

log = logging.getLogger("invharness.load")
DATASET = Path(os.environ.get("INVHARNESS_DATASET", "."))
_BATCHES = collections.deque(sorted((DATASET / "batches").glob("*.json")))
_DELTA_FILES = collections.deque(sorted((DATASET / "deltas").glob("*.ndjson")))
_EVENTS: collections.deque[bytes] = collections.deque()
_JOBS: dict[int, str] = {}
_JOB_LOCK = gevent.lock.BoundedSemaphore()
_BASES: dict[str, int] = {}  # position -> LAST_ON_HAND stock the batches gave it (deltas add to it)
_STATE = {"in_flight": 0, "next_at": 0.0, "finished": 0}


def _pace() -> None:
    """Hold the send until the dataset's rate allows it (no rate: at once)."""
    rate = SETTINGS.replay_rate
    if rate <= 0:
        return
    now = time.monotonic()
    at = max(now, _STATE["next_at"])
    _STATE["next_at"] = at + 1.0 / rate
    if at > now:
        gevent.sleep(at - now)


def _next_event() -> bytes | None:
    while not _EVENTS and _DELTA_FILES:
        _EVENTS.extend(line for line in _DELTA_FILES.popleft().read_bytes().splitlines() if line.strip())
    return _EVENTS.popleft() if _EVENTS else None


class DatasetUser(TargetUser):
    """Takes the next batch file, or (all batches COMPLETE) the next delta event, until none is left."""

    wait_time = constant(0)

    def _job(self, retailer: int) -> str:
        with _JOB_LOCK:  # one job per retailer, shared by every user of the process
            if retailer not in _JOBS:
                _JOBS[retailer], _ = self.create_job(f"{SETTINGS.run_id} dataset {DATASET.name} retailer {retailer}")
            return _JOBS[retailer]

    @task
    def replay(self) -> None:
        if _BATCHES:
            _STATE["in_flight"] += 1  # before any yield: no user may start on deltas while this batch is out
            try:
                self._batch(_BATCHES.popleft())
            finally:
                _STATE["in_flight"] -= 1
        elif _STATE["in_flight"]:
            gevent.sleep(0.1)  # deltas go to positions the batches make: wait for every batch
        else:
            body = _next_event()
            if body is None:
                self._finish()
            else:
                self._event(body)

    def _batch(self, path: Path) -> None:
        body = path.read_bytes()
        records = orjson.loads(body)["entities"]
        retailer = int(records[0]["retailerId"])
        for record in records:
            if record.get("type", LAST_ON_HAND) == LAST_ON_HAND and record.get("status", "ACTIVE") == "ACTIVE":
                position = f"{record['skuRef']}:{record['locationRef']}:DEFAULT"
                _BASES[position] = _BASES.get(position, 0) + record["qty"]
        expected = expected_quantities(records, SETTINGS.dedup_winner)
        job_id = self._job(retailer)
        _pace()
        posted, posted_at = time.perf_counter(), time.time()
        batch_id, answered = self.post_batch(job_id, body)
        if batch_id is None:
            if not answered:
                LEDGER.batch_unanswered(expected)
            return
        LEDGER.batch_accepted(f"{job_id}/{batch_id}", len(records), expected, posted_at)
        self.follow_batch(job_id, batch_id, posted, len(records))

    def _event(self, body: bytes) -> None:
        event = orjson.loads(body)
        deltas = [
            (f"{d['productRef']}:{d['locationRef']}:DEFAULT", d.get("deltaId", ""), d["qty"])
            for d in event["attributes"]["deltas"]
        ]
        _pace()
        with self.client.post(
            "/api/v4.1/event/async",
            data=body,
            headers=self.headers(),
            name="/api/v4.1/event/async",
            catch_response=True,
        ) as answer:
            for position, _, _ in deltas:
                if position not in LEDGER.bases:
                    LEDGER.delta_position(position, _BASES.get(position, 0))
            if not answer.status_code:
                LEDGER.deltas_unanswered(deltas)
                answer.failure(self.failure_text(answer))
            elif answer.status_code == 200 and json_body(answer).get("eventStatus") == "PENDING":
                LEDGER.deltas_acknowledged(deltas)
                answer.success()
            else:
                answer.failure(self.failure_text(answer))

    def _finish(self) -> None:
        # counted here, not read from runner.user_count: users that run dry together each saw the
        # others still running, and none ended the run (it then waited out --run-time)
        _STATE["finished"] += 1
        users = self.environment.runner.target_user_count
        log.info("replay: %s is done (%d of %d users done)", self, _STATE["finished"], users)
        if _STATE["finished"] >= users:  # the last user: the dataset is in
            gevent.spawn(self.environment.runner.quit)  # end the run (and reconcile)
        raise StopUser()
