"""The client-side floor of a load run: post one pre-serialised 5,000-record batch body, again and
again, at a server that only reads the body (bench_load.py starts one). Used by bench/bench_load.py.

    locust -f bench/locust_push.py --host http://127.0.0.1:PORT
"""

from __future__ import annotations

import random

import orjson
from locust import FastHttpUser, constant, task

from invharness.generators import payloads

RNG = random.Random(7)
BODY = orjson.dumps(
    payloads.batch(
        [
            payloads.record(f"SKU-{n // 50:06d}", f"LOC-{n % 50:03d}", RNG.randrange(500), 1, status="ACTIVE")
            for n in range(payloads.MAX_BATCH)
        ]
    )
)
HEADERS = {"Content-Type": "application/json", "Authorization": "Bearer bench"}


class Pusher(FastHttpUser):
    wait_time = constant(0)

    @task
    def push(self) -> None:
        self.client.post("/push", data=BODY, headers=HEADERS, name="push 5,000 records")
