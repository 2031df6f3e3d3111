"""Load-generation speed and what `invharness load` measures, each next to a same-run baseline.

Run on demand: `python bench/bench_load.py [--seconds 15] [--users 8]`. Prints:
1. the client floor: one locust process (FastHttpUser) posting a pre-serialised 5,000-record body
   to a server that only reads the body -- goal >= 200,000 records/s, so the client is never the
   bottleneck of a load run;
2. the same with a master and 1, then 2 workers (2 workers push more than 1 where cores allow);
3. the ingest scenario (`invharness load --scenario ingest`) against the reference server, its
   records/s processed (POST -> COMPLETE, change streams with pre-processing on) next to
   bench/bench_ingestion.py's figure for the same server (new records only, no locust).
Every server runs in its own process; so does locust.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

HERE = Path(__file__).resolve().parent
RECORDS = 5000


async def sink(scope, receive, send) -> None:
    """An ASGI app that reads the whole body and answers a batch id: the transport floor."""
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": b'{"id":"1"}'})


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_sink() -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen([sys.executable, __file__, "--sink", str(port)])
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            requests.get(url, timeout=1)
            return process, url
        except requests.RequestException:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("the sink server did not start")


def push(url: str, seconds: int, users: int, workers: int, out: Path) -> float:
    """records/s that locust pushed at the sink."""
    head = [sys.executable, "-m", "locust", "-f", str(HERE / "locust_push.py"), "-H", url]
    master = [*head, "--headless", "-u", str(users), "-r", str(users), "-t", f"{seconds}s", "--csv", str(out / "push")]
    master += ["--only-summary", "--stop-timeout", "5"]
    children = []
    if workers:
        port = free_port()
        master += ["--master", "--master-bind-host", "127.0.0.1", "--master-bind-port", str(port)]
        master += ["--expect-workers", str(workers), "--expect-workers-max-wait", "60"]
        worker = [*head, "--worker", "--master-host", "127.0.0.1", "--master-port", str(port)]
        children = [
            subprocess.Popen(worker, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(workers)
        ]
    subprocess.run(master, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=seconds + 120, check=False)
    for child in children:
        child.wait(timeout=30)
    with (out / "push_stats.csv").open() as handle:
        row = next(r for r in csv.DictReader(handle) if r["Name"] == "push 5,000 records")
    return float(row["Requests/s"]) * RECORDS


def ingest_scenario(seconds: int, users: int, out: Path) -> dict:
    command = [sys.executable, "-m", "invharness", "load", "--scenario", "ingest", "--users", str(users)]
    command += ["--run-time", f"{seconds}s", "--report-dir", str(out / "ingest")]
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=seconds + 400, check=False)
    return json.loads((out / "ingest" / "results.json").read_text())


def bench_ingestion(batches: int) -> float:
    answer = subprocess.run(
        [
            sys.executable,
            str(HERE / "bench_ingestion.py"),
            "--batches",
            str(batches),
            "--store",
            "memory",
            "--no-split",
        ],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    match = re.search(r"^memory\s+[\d,]+\s+([\d,]+)", answer.stdout, re.MULTILINE)
    return float(match.group(1).replace(",", "")) if match else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=15, help="seconds of load per measurement (default 15)")
    parser.add_argument("--users", type=int, default=8, help="locust users pushing at the sink (default 8)")
    parser.add_argument("--ingest-users", type=int, default=4, help="users of the ingest scenario (default 4)")
    parser.add_argument("--sink", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.sink:
        import uvicorn

        uvicorn.run(sink, host="127.0.0.1", port=args.sink, log_level="warning", lifespan="off", access_log=False)
        return
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch)
        server, url = start_sink()
        try:
            alone = push(url, args.seconds, args.users, 0, out)
            one = push(url, args.seconds, args.users, 1, out)
            two = push(url, args.seconds, args.users, 2, out)
        finally:
            server.terminate()
            server.wait(timeout=30)
        verdict = "ok" if alone >= 2e5 else "MISSED"
        print(f"client floor, 1 locust process    {alone:12,.0f} records/s  goal 200,000 {verdict}")
        print(f"client floor, master + 1 worker   {one:12,.0f} records/s")
        print(f"client floor, master + 2 workers  {two:12,.0f} records/s  ({two / one:.2f}x one worker)")
        results = ingest_scenario(args.seconds, args.ingest_users, out)
        metrics = results["metrics"]
        print(
            f"ingest scenario vs the reference  {metrics['records_per_s']:12,.0f} records/s processed "
            f"(p95 accept {metrics['p95_batch_accept_ms']:.0f} ms, "
            f"p95 COMPLETE {metrics['p95_batch_complete_s']:.2f} s, "
            f"reconciliation {'exact' if results['reconciliation']['exact'] else 'DIFFERS'})"
        )
    print(
        f"bench_ingestion.py, same server   {bench_ingestion(40):12,.0f} records/s processed (new records, no locust)"
    )


if __name__ == "__main__":
    main()
