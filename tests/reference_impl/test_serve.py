"""What a user of `invharness serve` sees: one log line per request, 413 before a big body is read,
/healthz answering while batches are processed, and clock control on loopback only."""

import contextlib
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import orjson
import pytest
import requests

from invharness.cli import main
from invharness.reference_impl.config import ServerConfig
from invharness.reference_impl.server import EmbeddedServer
from tests.support import Api, record

CREDENTIALS = "username=admin&password=admin&client_id=DEMO&client_secret=demo-secret&grant_type=password&scope=api"


def test_healthz_answers_quickly_while_big_batches_are_processed():
    """The server in its own process, as `invharness serve` runs it: six 5,000-record batches posted at
    once, /healthz polled all the while; every answer comes within a generous second."""
    with _served() as server:
        url = server.url
        token = requests.post(f"{url}/oauth/token?{CREDENTIALS}", timeout=10).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        job = requests.post(f"{url}/api/v4.1/job", json={"name": "hz", "retailerId": "1"}, headers=headers).json()
        entities = [[record(f"HZ-{b}-{i}", i % 7) for i in range(5000)] for b in range(6)]
        bodies = [orjson.dumps({"action": "UPSERT", "entityType": "INVENTORY", "entities": e}) for e in entities]
        latencies: list[float] = []
        done = threading.Event()

        def poll() -> None:
            for _ in range(3000):  # bounded: a minute at most
                started = time.perf_counter()
                answer = requests.get(f"{url}/healthz", timeout=10)
                latencies.append(time.perf_counter() - started)
                assert answer.status_code == 200 and answer.json() == {"status": "ok"}
                if done.is_set():
                    return
                time.sleep(0.02)

        def post(body: bytes) -> None:
            answer = requests.post(f"{url}/api/v4.1/job/{job['id']}/batch", data=body, headers=headers, timeout=60)
            assert answer.status_code == 200, answer.text

        poller = threading.Thread(target=poll)
        poller.start()
        try:
            writers = [threading.Thread(target=post, args=(body,)) for body in bodies]
            for writer in writers:
                writer.start()
            for writer in writers:
                writer.join()
            for _ in range(600):  # bounded: processed within a minute
                read = requests.get(f"{url}/api/v4.1/job/{job['id']}", headers=headers, timeout=10).json()
                if {b["status"] for b in read["batch"]} == {"COMPLETE"}:
                    break
                time.sleep(0.1)
        finally:
            done.set()
            poller.join(timeout=60)
    assert len(read["batch"]) == 6 and {b["status"] for b in read["batch"]} == {"COMPLETE"}
    assert len(latencies) >= 3, "the health check ran while the batches were posted and processed"
    assert max(latencies) < 1.0, sorted(latencies)[-5:]


def _raw(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(request)
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = conn.recv(4096)
            if not chunk:
                break
            answer += chunk
        return answer


def test_a_body_over_the_limit_is_refused_before_it_is_read():
    with EmbeddedServer(ServerConfig(max_body_bytes=1000)) as server:
        for path in ("/api/v4.1/job", "/graphql", "/oauth/token", "/api/v4.1/event/sync"):
            # Only the headers are sent: the answer comes without the server waiting for the body.
            head = (
                f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10000000\r\n\r\n"
            )
            answer = _raw(server.port, head.encode())
            assert answer.startswith(b"HTTP/1.1 413"), (path, answer[:200])

        def chunks():
            for _ in range(5):
                yield b" " * 400

        session = Api(server).session  # no Content-Length: counted as it streams, past the authentication
        chunked = session.post(f"{server.url}/api/v4.1/job", data=chunks(), timeout=10)
        assert chunked.status_code == 413 and chunked.json()["errors"][0]["code"] == "413"
        small = session.post(f"{server.url}/api/v4.1/job", data=b" " * 900, timeout=10)
        assert small.status_code == 400, "a body within the limit is read and judged as usual"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Served:
    """A running `invharness serve`: its URL, and all it printed once stopped."""

    url: str
    process: subprocess.Popen
    lines: list[str] = field(default_factory=list)

    def stop(self) -> str:
        """Ctrl-C, as a terminal sends it; everything the server printed."""
        self.process.send_signal(signal.SIGINT)
        self.process.wait(timeout=60)
        return "".join(self.lines)


@contextlib.contextmanager
def _served(*options: str) -> Iterator[Served]:
    """`invharness serve` in its own process on a free loopback port, answering."""
    port = _free_port()
    command = [sys.executable, "-m", "invharness", "serve", "--port", str(port), *options]
    process = subprocess.Popen(
        [*command, "--s3-endpoint", "http://127.0.0.1:9"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    served = Served(f"http://127.0.0.1:{port}", process)
    # read what it prints as it comes (a full pipe would stop the server)
    reader = threading.Thread(target=lambda: served.lines.extend(process.stdout), daemon=True)
    reader.start()
    try:
        for _ in range(300):  # bounded: up within 30 s
            with contextlib.suppress(requests.ConnectionError):
                if requests.get(f"{served.url}/healthz", timeout=5).status_code == 200:
                    break
            assert process.poll() is None, "".join(served.lines)
            time.sleep(0.1)
        yield served
    finally:
        process.kill()
        process.wait(timeout=30)
        reader.join(timeout=10)
        process.stdout.close()


def test_serve_logs_one_line_per_request_and_moves_its_clock_when_asked():
    with _served("--clock-control") as server:
        url = server.url
        assert requests.get(f"{url}/healthz?probe=secret-value", timeout=10).status_code == 200
        token = requests.post(f"{url}/oauth/token?{CREDENTIALS}", timeout=10).json()["access_token"]
        moved = requests.post(
            f"{url}/_invharness/clock", json={"advance_s": 90000}, headers={"Authorization": f"Bearer {token}"}
        )
        assert moved.status_code == 200, moved.text
        output = server.stop()
        assert server.process.returncode == 0, output
    log = [line for line in output.splitlines() if "reference_impl.access INFO" in line]
    assert [line.split("INFO ")[1].rsplit(" ", 1)[0] for line in log][-3:] == [
        "GET /healthz 200",
        "POST /oauth/token 200",
        "POST /_invharness/clock 200",
    ], output
    assert all(line.endswith("ms") for line in log)
    assert "secret-value" not in output and "demo-secret" not in output


def test_clock_control_is_refused_on_an_interface_other_than_loopback(capsys):
    code = main(["serve", "--host", "0.0.0.0", "--clock-control", "--s3-endpoint", "http://127.0.0.1:9"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1, err
    assert "--clock-control" in err and "loopback" in err and "0.0.0.0" in err


def test_clock_control_is_off_unless_asked_and_documented(capsys):
    with EmbeddedServer(ServerConfig()) as server:
        api = Api(server)
        assert api.post("/_invharness/clock", {"advance_s": 1}).status_code == 404
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    out = capsys.readouterr().out
    assert "--clock-control" in out and "loopback" in out


def test_a_data_dir_of_another_format_is_refused_with_a_reason(tmp_path, capsys):
    old = tmp_path / "old"
    old.mkdir()
    with sqlite3.connect(old / "state.sqlite3") as db:  # what the first SQLite store left: meta without a format
        db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value)")
        db.execute("INSERT INTO meta VALUES ('event_prefix', 'x')")
    assert main(["serve", "--data-dir", str(old), "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert "state.sqlite3 holds data in format 1" in err and "new --data-dir" in err
    with sqlite3.connect(old / "state.sqlite3") as db:
        db.execute("INSERT INTO meta VALUES ('format', 99)")
    assert main(["serve", "--data-dir", str(old), "--port", "0"]) == 2
    assert "format 99; this version reads format 4" in capsys.readouterr().err
