"""delta-storm: INVENTORY_DELTA events, sync and async, on each user's hot positions, at a target
rate, with replays (the same event, byte for byte, sent again) among them.

    locust -f loadtests/delta_storm.py --host http://127.0.0.1:8080

Each user creates its hot positions with one batch (followed to COMPLETE) and serialises its events
ahead of the clock. The rate per user is INVHARNESS_LOAD's ``delta_rate`` (events/s); the share of
replays ``replay_share``. At the end every hot position's onHand must be its starting stock plus each
acknowledged delta once (each deltaId counted once, as the profile declares), see runtime.
"""

from __future__ import annotations

import time
from typing import Any

import gevent
from locust import constant_throughput, task

from invharness.loadtests.runtime import LEDGER, SETTINGS, TargetUser, json_body, owner
from invharness.loadtests.scenario_data import BASE_ON_HAND, DeltaSend, DeltaStream

__all__ = ["DeltaUser"]


class DeltaUser(TargetUser):
    """Sends delta events over its hot positions, half sync, half async."""

    wait_time = constant_throughput(SETTINGS.delta_rate)

    def prepare(self) -> None:
        self._stream = DeltaStream(
            owner("D"), SETTINGS.seed, SETTINGS.retailer, SETTINGS.hot_positions, SETTINGS.replay_share
        )
        self._stream.prepare()
        self._sends = 0

    def on_start(self) -> None:
        super().on_start()
        job_id, _ = self.create_job("delta-storm positions")
        body = self._stream.create_body()
        posted = time.perf_counter()
        for _attempt in range(3):
            batch_id, _answered = self.post_batch(job_id, body)
            if batch_id is not None:
                break
            gevent.sleep(1.0)
        else:
            raise gevent.GreenletExit  # no positions to work on; the failures are in the stats
        LEDGER.batch_accepted(f"{job_id}/{batch_id}", len(self._stream.positions), {}, time.time())
        if not self.follow_batch(job_id, batch_id, posted, len(self._stream.positions)):
            raise gevent.GreenletExit
        for position in self._stream.position_refs:
            LEDGER.delta_position(position, BASE_ON_HAND)

    @task
    def send_delta(self) -> None:
        send = self._stream.next()
        self._sends += 1
        mode = "sync" if self._sends % 2 else "async"
        name = f"/api/v4.1/event/{mode}" + (" (replay)" if send.replay else "")
        with self.client.post(
            f"/api/v4.1/event/{mode}", data=send.body, headers=self.headers(), name=name, catch_response=True
        ) as answer:
            self._judge(answer, send, mode)
        if self._sends % 200 == 0:
            self._stream.prepare()  # between events, off the timed part

    def _judge(self, answer: Any, send: DeltaSend, mode: str) -> None:
        status = answer.status_code
        if not status:
            LEDGER.deltas_unanswered(send.deltas)
            answer.failure(self.failure_text(answer))
            return
        body = json_body(answer)
        expected = "COMPLETE" if mode == "sync" else "PENDING"
        if status == 200 and body.get("eventStatus") == expected:
            LEDGER.deltas_acknowledged(send.deltas)
            answer.success()
        else:
            answer.failure(self.failure_text(answer))
