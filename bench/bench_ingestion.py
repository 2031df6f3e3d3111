"""Ingestion speed of the reference server: 1,000,000 records as 200 batches of 5,000 over loopback HTTP,
for each store side by side (in memory, and SQLite under a temporary --data-dir).

Run on demand: `python bench/bench_ingestion.py [--records 1000000] [--clients 2] [--store both|memory|sqlite]
[--no-split]`. The server runs as its own process (`python -m invharness.reference_impl`) with pre-processing
on (no setting: decision 9); the client posts bodies (built per batch, so 5M records fit the client too) from
threads and polls the job until every batch is COMPLETE. Prints, per store:
- accepted: records/s from the first POST until the last POST is answered;
- processed: records/s from the first POST until the last batch is COMPLETE;
- the cost split of parse / validate / process, measured in-process on the same bodies;
- the server's peak memory (VmHWM), and with SQLite the data directory's size on disk (its largest WAL);
- how long GET /healthz takes to answer while the load is accepted and processed (polled every 100 ms);
- the same-run floor: the rate at which orjson alone parses the same bodies.
Goals (issue 3): processed >= 100,000 records/s, accepted >= 250,000 records/s. Issue 10: in memory, 1M
records in <= 800 MB peak; SQLite >= 50,000 records/s processed, and its peak memory flat as records grow
(run --store sqlite with --records 1000000 and 5000000: the peaks within 20%).
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import orjson
import requests

BATCH = 5000
COUNTRIES = ["AU", "US", "CN", "DE", "NZ", "VN"]


def bodies(batches: int, seed: int = 11) -> list[bytes]:
    """Batch bodies of realistic segmented LAST_ON_HAND records, every record a new quantity."""
    return [body(b, seed) for b in range(batches)]


def body(b: int, seed: int = 11) -> bytes:
    """The body of batch number ``b`` (the same for the same b and seed)."""
    rng = random.Random(seed * 1_000_003 + b)
    entities = []
    for i in range(BATCH):
        n = b * BATCH + i
        entity = {
            "retailerId": 1,
            "skuRef": f"SKU-{n // 50:07d}",
            "locationRef": f"LOC-{n % 50:03d}",
            "qty": rng.choice((0, 1, 3, 8, 20, 75, rng.randrange(500))),
            "status": "ACTIVE",
        }
        if n % 3 == 0:
            entity["attributes"] = {
                "countryOfOrigin": rng.choice(COUNTRIES),
                "manufacturerBatchNumber": f"MBN{rng.randrange(10**6)}",
                "expiresOn": f"2027-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}T00:00:00Z",
            }
        entities.append(entity)
    return orjson.dumps({"action": "UPSERT", "entityType": "INVENTORY", "source": "ERP", "entities": entities})


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_memory_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def health_poller(url: str, stop: threading.Event, latencies: list[float]) -> threading.Thread:
    """A thread that asks GET /healthz every 100 ms until ``stop`` and notes how long each answer took."""

    def poll() -> None:
        session = requests.Session()
        while not stop.wait(0.1):  # bounded by the run: the caller sets stop when the load is processed
            started = time.perf_counter()
            session.get(f"{url}/healthz", timeout=30).raise_for_status()
            latencies.append(time.perf_counter() - started)

    thread = threading.Thread(target=poll, daemon=True)
    thread.start()
    return thread


def disk_mb(data_dir: str | None) -> tuple[float, float]:
    """MB of the data directory's files, and of the largest write-ahead log among them (0, 0 in memory)."""
    if data_dir is None:
        return 0.0, 0.0
    files = [f for f in Path(data_dir).iterdir() if f.is_file()]
    wal = max((f.stat().st_size for f in files if f.name.endswith("-wal")), default=0)
    return sum(f.stat().st_size for f in files) / 2**20, wal / 2**20


def over_http(
    batches: int, clients: int, health: list[float], data_dir: str | None = None
) -> tuple[float, float, float, float, tuple[float, float]]:
    """accepted s, processed s, peak MB, CPU s, (disk MB, WAL MB) of a served reference (SQLite in
    ``data_dir`` when given)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    store = ["--data-dir", data_dir] if data_dir else []
    server = subprocess.Popen(
        [sys.executable, "-m", "invharness.reference_impl", "--port", str(port), "--log-level", "warning", *store],
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                token = requests.post(
                    f"{url}/oauth/token",
                    data={
                        "username": "admin",
                        "password": "admin",
                        "client_id": "DEMO",
                        "client_secret": "demo-secret",
                        "grant_type": "password",
                    },
                    timeout=5,
                ).json()["access_token"]
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        job = requests.post(
            f"{url}/api/v4.1/job", json={"name": "bench", "retailerId": 1}, headers=headers, timeout=10
        ).json()["id"]
        sessions = [requests.Session() for _ in range(clients)]

        def post(index: int) -> None:
            answer = sessions[index % clients].post(
                f"{url}/api/v4.1/job/{job}/batch", data=body(index), headers=headers, timeout=120
            )
            answer.raise_for_status()

        cpu_before = cpu_seconds(server.pid)
        stop = threading.Event()
        poller = health_poller(url, stop, health)
        started = time.perf_counter()
        with ThreadPoolExecutor(clients) as pool:
            list(pool.map(post, range(batches)))
        accepted = time.perf_counter() - started
        while True:
            statuses = [
                b["status"]
                for b in requests.get(f"{url}/api/v4.1/job/{job}", headers=headers, timeout=30).json()["batch"]
            ]
            if statuses.count("COMPLETE") == batches:
                break
            if time.perf_counter() - started > 3600:
                raise RuntimeError("the server did not finish within an hour")
            time.sleep(0.2)
        processed = time.perf_counter() - started
        stop.set()
        poller.join(timeout=60)
        cpu = cpu_seconds(server.pid) - cpu_before
        return accepted, processed, peak_memory_mb(server.pid), cpu, disk_mb(data_dir)
    finally:
        server.terminate()
        server.wait(timeout=120)


def cost_split(payloads: list[bytes]) -> tuple[float, float, float, float]:
    """Seconds to parse, validate and process the same bodies in-process; and orjson's floor."""
    import asyncio

    from invharness import contracts
    from invharness.reference_impl.backend import Backend
    from invharness.reference_impl.config import ServerConfig
    from invharness.reference_impl.services.access import Principal

    started = time.perf_counter()
    parsed = [orjson.loads(p) for p in payloads]
    parse = time.perf_counter() - started
    envelope, batch = contracts.validator("batch-envelope"), contracts.validator("batch-create-request")
    started = time.perf_counter()
    assert all(envelope.is_valid(p) and batch.is_valid(p) for p in parsed)
    validate = time.perf_counter() - started

    backend = Backend(ServerConfig(processing_window_s=0, manage_gc=True))
    admin = Principal(backend.config.account.users[0])

    async def run() -> float:
        await backend.worker.start()
        job = backend.jobs.create_job(admin, {"name": "bench", "retailerId": 1})
        for p in parsed:
            backend.batches.accept_batch(admin, job.id, p)
        started = time.perf_counter()
        await backend.worker.drain()
        elapsed = time.perf_counter() - started
        await backend.worker.stop()
        return elapsed

    process = asyncio.run(run())
    return parse, validate, process, parse


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=1_000_000, help="records, in batches of 5,000 (default 1M)")
    parser.add_argument("--batches", type=int, help="batches of 5,000 records (instead of --records)")
    parser.add_argument("--clients", type=int, default=2, help="concurrent posting threads (default 2)")
    parser.add_argument("--store", choices=["both", "memory", "sqlite"], default="both")
    parser.add_argument("--no-split", action="store_true", help="skip the in-process cost split")
    args = parser.parse_args()
    batches = args.batches or max(1, args.records // BATCH)
    records = batches * BATCH
    print(f"{records:,} records in {batches} batches of {BATCH:,}", flush=True)
    stores = ["memory", "sqlite"] if args.store == "both" else [args.store]
    rows = []
    for store in stores:
        health: list[float] = []
        with tempfile.TemporaryDirectory(prefix="bench-ingestion-") as tmp:
            accepted, processed, peak, cpu, disk = over_http(
                batches, args.clients, health, str(Path(tmp) / "data") if store == "sqlite" else None
            )
        rows.append((store, accepted, processed, peak, cpu, health, disk))
    print(
        f"{'store':8} {'accepted rec/s':>15} {'processed rec/s':>16} {'peak MB':>9} {'CPU s':>7} {'healthz max ms':>15}"
        f" {'disk MB (WAL)':>14}"
    )
    for store, accepted, processed, peak, cpu, health, (disk, wal) in rows:
        worst = max(health, default=float("nan")) * 1000
        on_disk = f"{disk:,.0f} ({wal:,.0f})" if store == "sqlite" else "-"
        print(
            f"{store:8} {records / accepted:15,.0f} {records / processed:16,.0f} {peak:9,.0f} {cpu:7.1f} {worst:15.0f}"
            f" {on_disk:>14}"
        )
    print("goals: memory processed >= 100,000 rec/s and peak <= 800 MB at 1M; sqlite processed >= 50,000 rec/s")
    if args.no_split:
        return
    payloads = bodies(batches)
    parse, validate, process, floor = cost_split(payloads)
    print("cost split, in-process (in memory), same bodies:")
    for label, seconds in (
        ("parse (orjson)", parse),
        ("validate (jsonschema-rs)", validate),
        ("process (BPP + write)", process),
    ):
        print(f"  {label:26} {seconds:7.2f} s  {records / seconds:12,.0f} records/s")
    print(f"floor: orjson alone parses {records / floor:,.0f} records/s")


if __name__ == "__main__":
    main()
