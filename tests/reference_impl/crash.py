"""One crash of a served reference with a data directory: batches posted until the process is killed
(SIGKILL) at a random moment, then a restart over the same directory, then the proof that every batch
answered 200 was processed exactly once. Used by test_sqlite_store.py (once; 20 times behind -m sqlite)
and bench/bench_crash.py.
"""

from __future__ import annotations

import contextlib
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import orjson
import requests

__all__ = ["CrashOutcome", "crash_once", "served"]

CREDENTIALS = "username=admin&password=admin&client_id=DEMO&client_secret=demo-secret&grant_type=password&scope=api"
RECORDS_PER_BATCH = 1000
MAX_BATCHES = 60


@dataclass(slots=True)
class CrashOutcome:
    """What one iteration saw."""

    killed_after_s: float
    acknowledged: list[tuple[int, str]] = field(default_factory=list)  # (batch number, batch id)
    problems: list[str] = field(default_factory=list)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def served(data_dir: Path):
    """`invharness serve --data-dir` in its own process, answering; killed on exit if still running."""
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "invharness",
            "serve",
            "--port",
            str(port),
            "--data-dir",
            str(data_dir),
            "--s3-endpoint",
            "http://127.0.0.1:9",
            "--log-level",
            "warning",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):  # bounded: up within 30 s
            with contextlib.suppress(requests.ConnectionError):
                if requests.get(f"{url}/healthz", timeout=5).status_code == 200:
                    break
            assert process.poll() is None, f"the server exited with {process.returncode}"
            time.sleep(0.1)
        yield url, process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)


def _entities(number: int) -> list[dict]:
    return [
        {"skuRef": f"C{number}-{i}", "locationRef": "L", "qty": number * 7 + i % 13 + 1, "retailerId": 1}
        for i in range(RECORDS_PER_BATCH)
    ]


def crash_once(data_dir: Path, seed: int) -> CrashOutcome:
    """Post batches, SIGKILL the server at a random point, restart it, check (see the module's docstring)."""
    rng = random.Random(seed)
    outcome = CrashOutcome(killed_after_s=rng.uniform(0.3, 3.0))
    with served(data_dir) as (url, process):
        token = requests.post(f"{url}/oauth/token?{CREDENTIALS}", timeout=10).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        # BPP off: every record is forwarded, so a record applied twice would raise a second event.
        job = requests.post(
            f"{url}/api/v4.1/job",
            json={"name": "crash", "retailerId": "1", "meta": {"preprocessing": "skip"}},
            headers=headers,
            timeout=10,
        ).json()["id"]
        bodies = [
            orjson.dumps({"action": "UPSERT", "entityType": "INVENTORY", "entities": _entities(n)})
            for n in range(MAX_BATCHES)
        ]

        def post_until_killed() -> None:
            for number, body in enumerate(bodies):
                try:
                    answer = requests.post(f"{url}/api/v4.1/job/{job}/batch", data=body, headers=headers, timeout=30)
                except requests.RequestException:
                    return  # killed mid-request: not acknowledged
                if answer.status_code != 200:
                    outcome.problems.append(f"batch {number} answered {answer.status_code}")
                    return
                outcome.acknowledged.append((number, answer.json()["id"]))

        sender = threading.Thread(target=post_until_killed)
        sender.start()
        time.sleep(outcome.killed_after_s)
        process.send_signal(signal.SIGKILL)
        sender.join(timeout=60)
    with served(data_dir) as (url, _):
        _check_after_restart(url, headers, job, data_dir, outcome)
    return outcome


def _check_after_restart(url: str, headers: dict, job: str, data_dir: Path, outcome: CrashOutcome) -> None:
    for number, batch_id in outcome.acknowledged:  # bounded: 60 s for all
        for _ in range(600):
            answer = requests.get(f"{url}/api/v4.1/job/{job}/batch/{batch_id}", headers=headers, timeout=10)
            if answer.status_code != 200:  # also proves the token issued before the crash is still valid
                outcome.problems.append(f"batch {number} ({batch_id}) read back {answer.status_code}")
                return
            if answer.json()["status"] == "COMPLETE":
                break
            time.sleep(0.1)
        else:
            outcome.problems.append(f"batch {number} ({batch_id}) never COMPLETE after the restart")
    with contextlib.closing(sqlite3.connect(f"file:{data_dir / 'state.sqlite3'}?mode=ro", uri=True)) as db:
        events: Counter[str] = Counter()  # entity refs of the record events, read from their chunks' rows
        for (data,) in db.execute("SELECT data FROM events WHERE block IS NOT NULL"):
            events.update(r for r in orjson.loads(data)[0] if r.startswith("C"))
        indexed = Counter(r for (r,) in db.execute("SELECT entity_ref FROM event_entities WHERE entity_ref LIKE 'C%'"))
        stored = {ref: orjson.loads(data)[8] for ref, data in db.execute("SELECT ref, data FROM positions")}
    if indexed != events:
        outcome.problems.append(f"the entity index holds {sum(indexed.values())} entries for {sum(events.values())}")
    twice = [ref for ref, count in events.items() if count != 1]
    if twice:
        outcome.problems.append(f"{len(twice)} positions with other than one event, e.g. {twice[:3]}")
    for number, _ in outcome.acknowledged:
        for entity in _entities(number):
            ref = f"{entity['skuRef']}:L:DEFAULT"
            quantities = stored.get(ref)
            if quantities is None or events.get(ref) != 1:
                outcome.problems.append(f"batch {number}: {ref} lost (position or its event)")
                return
            if [q[3] for q in quantities] != [entity["qty"]]:
                outcome.problems.append(f"batch {number}: {ref} holds {quantities}, not qty {entity['qty']}")
                return
