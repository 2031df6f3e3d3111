"""Resource limits of the reference server under attack (issue 15), loopback only, bounded.

Run on demand: `python bench/bench_security.py`. The server runs in its own process; its S3 is a
local socket that accepts and never answers. Printed, for each attack, how the attack's own
request ended and the GET /healthz latency meanwhile (median and worst), against a same-run
baseline: the health latency of the idle server. Then the event search's time at 200,000 and
2,000,000 events (in process, the store alone), beside a same-run baseline: a filter no index
serves, which reads every event of the time window.
"""

from __future__ import annotations

import contextlib
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import requests

from invharness.generators import payloads
from invharness.reference_impl.stores.events import EventBlock, InMemoryEventLog

POSITIONS = "inventoryPositions(first: 500) { edges { node { ref onHand } } }"
BOMBS = {
    "1,000 aliases of a 500-node page": "{ " + " ".join(f"a{i}: {POSITIONS}" for i in range(1000)) + " }",
    "three nested levels of 500": """{ inventoryCatalogues(first: 500) { edges { node { ref
        inventoryPositions(first: 500) { edges { node { ref
            quantities(first: 500) { edges { node { ref } } } } } } } } } }""",
    "heaviest allowed: 500 positions x 100 quantities": """{ inventoryPositions(first: 500) { edges { node { ref
        quantities(first: 100) { edges { node { ref quantity } } } } } } }""",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def silent_s3() -> Iterator[str]:
    """A loopback socket that accepts connections and never answers: a dead S3."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                held.append(server.accept()[0])

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=5)
        for connection in [*held, server]:
            connection.close()


@contextlib.contextmanager
def reference(s3_url: str) -> Iterator[str]:
    port = free_port()
    command = [sys.executable, "-m", "invharness.reference_impl", "--port", str(port), "--log-level", "warning"]
    server = subprocess.Popen([*command, "--s3-endpoint", s3_url], stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):  # 30 s at most
            with contextlib.suppress(requests.ConnectionError):
                requests.get(f"{url}/healthz", timeout=2)
                break
            time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=60)


def token(url: str) -> dict[str, str]:
    form = {"username": "admin", "password": "admin", "client_id": "DEMO", "client_secret": "demo-secret"}
    answer = requests.post(f"{url}/oauth/token", data={**form, "grant_type": "password"}, timeout=10)
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def health_during(url: str, attack: Callable[[], str], seconds_after: float = 0.0) -> tuple[str, list[float]]:
    """Run ``attack`` in a thread, asking GET /healthz every 20 ms meanwhile; (attack's outcome, latencies)."""
    outcome: list[str] = []
    thread = threading.Thread(target=lambda: outcome.append(attack()), daemon=True)
    latencies: list[float] = []
    session = requests.Session()
    thread.start()
    deadline = time.monotonic() + 120
    while (thread.is_alive() or not latencies) and time.monotonic() < deadline:
        started = time.perf_counter()
        session.get(f"{url}/healthz", timeout=60).raise_for_status()
        latencies.append(time.perf_counter() - started)
        time.sleep(0.02)
    thread.join(timeout=120)
    return (outcome[0] if outcome else "did not end within 120 s"), latencies


def line(label: str, outcome: str, latencies: list[float]) -> None:
    median, worst = statistics.median(latencies) * 1000, max(latencies) * 1000
    print(f"{label:<50} {outcome:<34} health n={len(latencies):<4} median {median:6.1f} ms  worst {worst:7.1f} ms")


def graphql_attack(url: str, headers: dict[str, str], query: str) -> Callable[[], str]:
    def attack() -> str:
        started = time.perf_counter()
        body = requests.post(f"{url}/graphql", json={"query": query}, headers=headers, timeout=120).json()
        took = time.perf_counter() - started
        limits = [e.get("extensions", {}).get("limit") for e in body.get("errors") or []]
        verdict = f"refused ({', '.join(str(x) for x in limits)})" if "data" not in body else "answered"
        return f"{verdict} in {took:.2f} s"

    return attack


def slow_clients(url: str, heads: int = 200, bodies: int = 50, seconds: float = 35.0) -> Callable[[], str]:
    """``heads`` connections sending a request head a byte a second, ``bodies`` stalling a body."""
    port = int(url.rsplit(":", 1)[1])

    def attack() -> str:
        connections = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(heads + bodies)]
        for connection in connections[heads:]:
            connection.sendall(b"POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nclient_id=")
        closed: set[int] = set()  # heads cut off; then bodies answered 408
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and len(closed) < heads:
            for index, connection in enumerate(connections[:heads]):
                if index not in closed:
                    try:
                        connection.sendall(b"X")
                    except OSError:
                        closed.add(index)
            time.sleep(1.0)
        cut_heads, started = len(closed), time.monotonic()
        for index, connection in enumerate(connections[heads:], start=heads):
            connection.settimeout(max(0.1, seconds - (time.monotonic() - started)))
            with contextlib.suppress(OSError):
                if connection.recv(100).startswith(b"HTTP/1.1 408"):
                    closed.add(index)
        for connection in connections:
            connection.close()
        return f"heads {cut_heads}/{heads} cut, bodies {len(closed) - cut_heads}/{bodies} 408"

    return attack


def activation(url: str, headers: dict[str, str]) -> Callable[[], str]:
    create = "mutation($input: CreateInventoryFeedInput) { createInventoryFeed(input: $input) { ref } }"
    update = "mutation($input: UpdateInventoryFeedInput) { updateInventoryFeed(input: $input) { status } }"
    body = {"query": create, "variables": {"input": payloads.feed_input("bench-silent", "INVENTORY_POSITION", "b")}}
    requests.post(f"{url}/graphql", json=body, headers=headers, timeout=30).raise_for_status()

    def attack() -> str:
        started = time.perf_counter()
        body = {"query": update, "variables": {"input": {"ref": "bench-silent", "status": "ACTIVE"}}}
        answer = requests.post(f"{url}/graphql", json=body, headers=headers, timeout=120).json()
        failed = "not reachable" in str(answer.get("errors"))
        return f"{'S3 not reachable' if failed else 'answered'} after {time.perf_counter() - started:.1f} s"

    return attack


def over_http() -> None:
    with silent_s3() as s3_url, reference(s3_url) as url:
        headers = token(url)
        job = requests.post(f"{url}/api/v4.1/job", json={"name": "b", "retailerId": "1"}, headers=headers, timeout=10)
        records = [{"ref": f"S{i}:L1", "productRef": f"S{i}", "locationRef": "L1", "qty": i} for i in range(500)]
        batch = {"action": "UPSERT", "entityType": "INVENTORY", "entities": records}
        requests.post(f"{url}/api/v4.1/job/{job.json()['id']}/batch", json=batch, headers=headers, timeout=30)
        time.sleep(2)  # the batch is processed
        line("idle (baseline)", "-", health_during(url, lambda: time.sleep(2) or "-")[1])
        for label, query in BOMBS.items():
            line(label, *health_during(url, graphql_attack(url, headers, query)))
        line("slow clients: 200 heads, 50 bodies", *health_during(url, slow_clients(url)))
        line("feed activation, S3 accepts and never answers", *health_during(url, activation(url, headers)))


def event_log(events: int) -> InMemoryEventLog:
    """``events`` batch-record events of retailer 1 (as ingestion raises them) and 1 in 1,000 of retailer 2."""
    log = InMemoryEventLog(retention=events)
    for chunk in range(0, events, 5000):
        block = EventBlock("InventoryChanged", float(chunk), 1, "INVENTORY_POSITION", None, None, None, "admin")
        log.append_records([(block, f"P{i}", f"Q{i}", "LAST_ON_HAND", i) for i in range(chunk, chunk + 5000)])
        log.append("RETAILER2_EVENT", float(chunk), retailer_id=2, entity_type="X", entity_ref=f"R{chunk}")
    return log


def timed(search: Callable[[], Any], repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        search()
        best = min(best, time.perf_counter() - started)
    return best * 1000


def searches(log: InMemoryEventLog, end: float) -> dict[str, Callable[[], Any]]:
    """The searches timed, by label; the last is the baseline (a filter no index serves)."""

    def everyone(e: Any) -> bool:
        return True

    def retailer(seen: int) -> Callable[[Any], bool]:
        return lambda e: e.retailer_id in (seen, None)

    return {
        "by name (100 newest)": lambda: log.search({"name": "InventoryChanged"}, 0, end, 0, 100, everyone),
        "by entity ref": lambda: log.search({"entity_ref": "P777"}, 0, end, 0, 100, everyone),
        "time window, page 50 of 100": lambda: log.search({}, end / 2, end / 2 + 4999, 4900, 100, everyone),
        "retailer 2's user, no filter": lambda: log.search({}, 0, end, 0, 100, retailer(2), retailers=(2, None)),
        "a user who sees nothing": lambda: log.search({}, 0, end, 0, 100, retailer(3), retailers=(3, None)),
        "baseline: unindexed filter (a scan)": lambda: log.search({"status": "FAILED"}, 0, end, 0, 100, everyone),
    }


def event_search() -> None:
    for events in (200_000, 2_000_000):
        cases = searches(event_log(events), float(events))
        for label, search in cases.items():
            took = timed(search, repeat=1 if label.startswith("baseline") else 5)
            print(f"event search at {events:>9,} events  {label:<38} {took:9.2f} ms")


def main() -> None:
    print(__doc__.split("\n\n")[0])
    over_http()
    event_search()


if __name__ == "__main__":
    main()
