"""`invharness load` end to end: each scenario against the reference passes its SLOs and reconciles
exactly; against a reference that loses records and applies replayed deltas twice, it fails and
names them; a master with two local workers reconciles like a local run.

Each run is a few seconds of load (plus locust's start-up and the read-back): the short version of
what bench/bench_load.py runs for longer.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from invharness.cli import main

HERE = Path(__file__).resolve().parent
# small batches and few steps: the run is about correctness, not volume
KNOBS = {"steps": 3, "records_per_batch": 1000, "settle_s": 3.0, "delta_rate": 10.0}


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _server(command: list[str], log: Path):
    port = _port()
    with log.open("w") as out:
        process = subprocess.Popen([*command, "--port", str(port), "--log-level", "warning"], stdout=out, stderr=out)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            requests.post(url + "/oauth/token", timeout=2)
            return process, url
        except requests.RequestException:
            assert process.poll() is None, log.read_text()
            time.sleep(0.1)
    process.kill()
    raise AssertionError(f"{command} did not answer: {log.read_text()}")


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    process, url = _server(
        [sys.executable, "-m", "invharness.reference_impl"], tmp_path_factory.mktemp("ref") / "server.log"
    )
    yield url
    process.terminate()
    process.wait(timeout=30)


@pytest.fixture(scope="module")
def faulty(tmp_path_factory):
    """The reference losing every 1,000th changing record of a batch and applying replayed deltas again."""
    process, url = _server(
        [sys.executable, str(HERE / "faulty_server.py"), "--faults", "lose,double"],
        tmp_path_factory.mktemp("faulty") / "server.log",
    )
    yield url
    process.terminate()
    process.wait(timeout=30)


def _load(monkeypatch, tmp_path: Path, *argv: str, knobs: dict | None = None) -> tuple[int, dict]:
    monkeypatch.setenv("INVHARNESS_LOAD", json.dumps({**KNOBS, **(knobs or {})}))
    code = main(["load", "--report-dir", str(tmp_path), "--run-time", "3s", *argv])
    results = tmp_path / "results.json"
    return code, json.loads(results.read_text()) if results.is_file() else {}


def _assert_passes(code: int, results: dict, tmp_path: Path) -> None:
    assert code == 0, (tmp_path / "locust.log").read_text()[-3000:]
    assert results["verdict"] == "pass"
    assert results["reconciliation"]["exact"], results["reconciliation"]
    assert all(slo["holds"] for slo in results["slos"])
    assert (tmp_path / "locust.html").is_file() and (tmp_path / "locust_stats.csv").is_file()


def test_ingest_against_the_embedded_reference_passes_and_reconciles(monkeypatch, tmp_path):
    code, results = _load(
        monkeypatch,
        tmp_path,
        "--scenario",
        "ingest",
        "--users",
        "2",
        "--p95-complete-s",
        "30",
        "--min-records-per-s",
        "1",
    )
    _assert_passes(code, results, tmp_path)
    assert results["reconciliation"]["checked"]["quantities"] >= 2 * 1000  # both users' quantities read back
    assert results["metrics"]["records_processed"] >= 2 * 1000
    assert "demo-secret" not in (tmp_path / "locust.log").read_text()  # no secret reaches the logs
    progress = json.loads((tmp_path / "progress.json").read_text())  # what the terminal showed, last written
    assert progress["records"] > 0 and progress["batches"] > 0, progress


def test_delta_storm_passes_and_reconciles(monkeypatch, tmp_path, reference):
    code, results = _load(monkeypatch, tmp_path, "--target-url", reference, "--scenario", "delta-storm", "--users", "3")
    _assert_passes(code, results, tmp_path)
    checked = results["reconciliation"]["checked"]
    assert checked["delta_positions"] == 3 * 20 and checked["deltas"] > 0
    names = {row["Name"] for row in results["stats"]}
    assert {"/api/v4.1/event/sync (replay)", "/api/v4.1/event/async"} <= names  # replays were sent, both modes


def test_mixed_over_a_master_and_two_workers_reconciles_exactly(monkeypatch, tmp_path, reference):
    code, results = _load(
        monkeypatch, tmp_path, "--target-url", reference, "--scenario", "mixed", "--users", "6", "--workers", "2",
        "--run-time", "6s",  # both workers must post deltas, even on a busy machine
    )
    _assert_passes(code, results, tmp_path)
    checked = results["reconciliation"]["checked"]
    assert checked["quantities"] > 0 and checked["delta_positions"] > 0  # both workers' ledgers were merged
    assert (tmp_path / "locust-worker-1.log").is_file()
    assert any(row["Name"].startswith("graphql") for row in results["stats"])


def test_a_target_that_loses_records_and_applies_replays_twice_fails_naming_them(monkeypatch, tmp_path, faulty):
    code, results = _load(
        monkeypatch,
        tmp_path,
        "--target-url",
        faulty,
        "--scenario",
        "mixed",
        "--users",
        "6",
        "--run-time",  # long enough for several delta posts (and so replays) on a busy machine
        "8s",
        knobs={"records_per_batch": 2500, "replay_share": 0.4},
    )
    assert code == 1, (tmp_path / "locust.log").read_text()[-3000:]
    reconciliation = results["reconciliation"]
    run_id = results["run_id"]
    assert not reconciliation["exact"]
    wrong = reconciliation["wrong_quantities"] + [{"ref": r} for r in reconciliation["lost_records"]]
    assert wrong and all(entry["ref"].startswith(run_id) for entry in wrong)
    assert reconciliation["double_applied_deltas"]
    assert all(entry["deltaId"].startswith(run_id) for entry in reconciliation["double_applied_deltas"])
    assert {s["name"]: s["holds"] for s in results["slos"]}["reconciliation"] is False


def test_a_remote_target_needs_allow_remote_writes(monkeypatch, tmp_path, capsys):
    code, _ = _load(monkeypatch, tmp_path, "--target-url", "http://192.0.2.1:8080")
    assert code == 2
    assert "--allow-remote-writes" in capsys.readouterr().err
    assert not (tmp_path / "locust.log").exists()  # nothing was started


def test_an_unknown_slo_is_a_usage_error(monkeypatch, tmp_path, capsys):
    slo = tmp_path / "slo.yaml"
    slo.write_text("p99_batch_accept_ms: 10\n")
    code, _ = _load(monkeypatch, tmp_path, "--slo", str(slo))
    assert code == 2
    assert "p99_batch_accept_ms" in capsys.readouterr().err


def test_a_generated_dataset_is_replayed_then_reconciled(monkeypatch, tmp_path, reference):
    dataset = tmp_path / "dataset"
    assert main(["generate", "--out", str(dataset), "--products", "40", "--locations", "10", "--seed", "9",
                 "--formats", "batches,deltas", "--processes", "1"]) == 0  # fmt: skip
    manifest = json.loads((dataset / "manifest.json").read_text())
    report = tmp_path / "report"
    started = time.monotonic()
    # four users run dry together; the run must end when the dataset is in, not wait out --run-time
    argv = ("--target-url", reference, "--dataset", str(dataset), "--users", "4", "--run-time", "90s")
    code, results = _load(monkeypatch, report, *argv)
    assert time.monotonic() - started < 60, "the replay waited for --run-time after the dataset was in"
    _assert_passes(code, results, report)
    checked = results["reconciliation"]["checked"]
    assert checked["quantities"] == manifest["counts"]["records"]  # every record of the files, read back
    assert checked["deltas"] > 0 and results["metrics"]["records_processed"] == manifest["counts"]["records"]
