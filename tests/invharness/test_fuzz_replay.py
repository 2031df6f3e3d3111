"""`invharness fuzz --seed S` replays a run: the same requests in the same order, every phase (stateful included)
and every source, against a fresh target -- shown on results.json's run.digests of separate processes (their
own hash seeds, their own reference server, ids of their own), and a different seed sends other requests.

The short proof runs a handful of operations that still cover every phase and both kinds of target-issued id
(job numbers, and the reference's event ids, which differ from one server to the next), against embedded
references of the test's own; the whole default command, each run with its reference in a process of its own,
is behind the `replay` marker (-m replay)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from invharness.cli import main
from invharness.fuzz_engine import PHASES, Parents, Settings, engine_runs
from invharness.fuzz_links import contract_links
from invharness.fuzz_transcript import Transcript
from invharness.reference_impl.server import EmbeddedServer

# a link (create a job, read it), the parents' event read by id (its id differs in every reference process),
# a GraphQL query, and the generators' job family
FEW = r"^(POST /api/v4\.1/job|GET /api/v4\.1/job/\{jobId\}|GET /api/v4\.1/event/\{eventId\}|Query\.inventoryPosition)$"
EVERY_PHASE = {"rest coverage", "rest fuzzing", "rest stateful", "graphql fuzzing", "generators"}


# `invharness fuzz` is its module's parser and run; building the parser of every other command first costs
# each process seconds of imports (verify's pytest, the reference server) that fuzzing does not use
FUZZ = (
    "import argparse, sys; from invharness import fuzz; parser = argparse.ArgumentParser(); "
    "fuzz.add_arguments(parser); sys.exit(fuzz.run(parser.parse_args(sys.argv[1:])))"
)


def _start(out: Path, seed: int, hash_seed: int, *options: str) -> subprocess.Popen[bytes]:
    """`invharness fuzz` in a process of its own (by default against its own fresh reference server)."""
    command = [sys.executable, "-c", FUZZ, "--seed", str(seed), "--report-dir", str(out), *options]
    env = {**os.environ, "PYTHONHASHSEED": str(hash_seed)}
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _results(runs: dict[str, tuple[Path, subprocess.Popen[bytes]]], timeout_s: float) -> dict[str, dict[str, Any]]:
    """Each run's results.json, once every run has ended (those still running at the timeout are stopped)."""
    errors = {}
    try:
        for name, (_, process) in runs.items():
            errors[name] = process.communicate(timeout=timeout_s)[1].decode()
    finally:
        for _, process in runs.values():
            if process.poll() is None:
                process.kill()
                process.wait(10)
    for name, (_, process) in runs.items():
        assert process.returncode in (0, 1), (name, process.returncode, errors[name][-2000:])  # not 2 or 3
    return {name: json.loads((out / "results.json").read_text(encoding="utf-8")) for name, (out, _) in runs.items()}


def _replayed(first: dict[str, Any], again: dict[str, Any]) -> None:
    """The same requests in every phase, and so the same cases and the same failures."""
    assert set(first["run"]["digests"]) == EVERY_PHASE, first["run"]["digests"]
    assert again["run"]["digests"] == first["run"]["digests"]
    assert again["run"]["cases"] == first["run"]["cases"]
    causes = [
        [(f["operation"], f["check"], f["title"], f["status"]) for f in run["findings"]] for run in (first, again)
    ]
    assert causes[0] == causes[1]


def test_the_same_seed_sends_the_same_requests_to_a_fresh_target_in_every_phase(tmp_path):
    options = ("--max-examples", "2", "--operation", FEW)
    with EmbeddedServer() as one, EmbeddedServer() as two, EmbeddedServer() as three:  # fresh, ids of their own
        runs = {  # all at once, on a busy machine: what is sent must not depend on timing either
            name: (tmp_path / name, _start(tmp_path / name, seed, hash_seed, "--target-url", target.url, *options))
            for name, seed, hash_seed, target in (("first", 7, 1, one), ("again", 7, 2, two), ("other", 8, 3, three))
        }
        results = _results(runs, timeout_s=120)
    assert results["first"]["findings"] == [], results["first"]["findings"]
    _replayed(results["first"], results["again"])
    first, other = results["first"]["run"]["digests"], results["other"]["run"]["digests"]
    assert all(other[phase] != first[phase] for phase in EVERY_PHASE), (first, other)


@pytest.mark.replay
def test_the_whole_default_command_replays_exactly(tmp_path):
    """Every operation, every phase, more examples: two processes, two fresh references, one digest per phase
    (and the same failures, where the reference has some)."""
    runs = {
        name: (tmp_path / name, _start(tmp_path / name, 7, hash_seed, "--max-examples", "20"))
        for name, hash_seed in (("first", 1), ("again", 2))
    }
    results = _results(runs, timeout_s=900)
    _replayed(results["first"], results["again"])


def _case(label: str, phase: str = "stateful", body: Any = None, **path: str) -> Any:
    operation = SimpleNamespace(label=label)
    meta = SimpleNamespace(phase=SimpleNamespace(name=phase))
    return SimpleNamespace(
        operation=operation, method=label.split()[0], path_parameters=path, query={}, body=body, meta=meta
    )


def _answered(transcript: Transcript, label: str, answer: dict[str, Any]) -> None:
    transcript.after_call(None, _case(label), SimpleNamespace(json=lambda: answer))


def _walk(ids: tuple[str, str], read: int, create: str = "POST /api/v4.1/job", field: str = "id") -> dict[str, str]:
    """Create two resources (the target answers ``ids`` in ``field``), then read the ``read``-th one by id."""
    reads = {
        "POST /api/v4.1/job": "GET /api/v4.1/job/{jobId}",
        "POST /api/v4.1/event/sync": "GET /api/v4.1/event/{eventId}",
    }
    transcript = Transcript(Parents("1", None, None, None))
    for value in ids:
        transcript.before_call(None, _case(create, body={"name": "x"}), {})
        _answered(transcript, create, {field: value, "createdOn": "now"})
    parameter = "jobId" if "job" in create else "eventId"
    transcript.before_call(None, _case(reads[create], **{parameter: ids[read]}), {})
    return transcript.digests


def test_an_id_the_target_answered_counts_by_the_order_it_was_answered_in_not_its_value():
    assert _walk(("17", "18"), read=1) == _walk(("5", "9"), read=1), "other ids, the same sequence"
    assert _walk(("17", "18"), read=1) != _walk(("17", "18"), read=0), "the first job read, not the second"
    assert set(_walk(("17", "18"), read=1)) == {"stateful"}


def test_an_id_a_link_reads_from_another_field_is_a_placeholder_too():
    """A sync event answers its id as eventId (the contract's link reads it there), not as id."""
    sync = "POST /api/v4.1/event/sync"
    assert _walk(("a-1", "a-2"), 0, sync, "eventId") == _walk(("b-1", "b-2"), 0, sync, "eventId")
    assert _walk(("a-1", "a-2"), 0, sync, "eventId") != _walk(("a-1", "a-2"), 1, sync, "eventId")


def test_a_request_without_a_body_hashes_the_same_in_every_process():
    from schemathesis.core import NOT_SET

    line = Transcript(None).line(_case("GET /api/v4.1/job/{jobId}", body=NOT_SET, jobId="3"))
    assert "0x" not in line and json.loads(line)[-1] is None


def test_the_stateful_phase_walks_each_family_of_linked_operations_on_its_own():
    settings = Settings(1, 1, 1, None, PHASES, False, "x")
    stateful = [part.only for part in engine_runs(settings, contract_links()) if part.phases == ("stateful",)]
    assert [family[0] for family in stateful] == ["POST /api/v4.1/job", "POST /api/v4.1/event/async"]
    assert "GET /api/v4.1/job/{jobId}/batch/{batchId}" in stateful[0] and "GET /api/v4.1/event" not in stateful[1]
    one_link = replace(settings, operation=r"^(POST /api/v4\.1/job|GET /api/v4\.1/job/\{jobId\}|GET /api/v4\.1/event)$")
    assert [part.only for part in engine_runs(one_link, contract_links())][1:] == [
        ("POST /api/v4.1/job", "GET /api/v4.1/job/{jobId}")
    ], "only the links whose two ends are selected"
    assert [part.phases for part in engine_runs(settings)] == [("examples", "coverage", "fuzzing"), ("stateful",)]


def test_with_every_operation_the_job_chain_is_walked_too(tmp_path):
    with EmbeddedServer() as server:
        options = ["--no-graphql", "--no-generators", "--phases", "stateful", "--max-examples", "2", "--seed", "3"]
        code = main(["fuzz", "--target-url", server.url, "--report-dir", str(tmp_path), *options])
    results = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert code == 0, results["findings"]
    walked = set(results["operations"])
    assert {"POST /api/v4.1/job/{jobId}/batch", "GET /api/v4.1/job/{jobId}/batch/{batchId}"} <= walked, walked
    assert "GET /api/v4.1/event/{eventId}" in walked, walked
