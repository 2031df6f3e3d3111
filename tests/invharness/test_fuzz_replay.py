"""`invharness fuzz --seed S` replays a run: the same requests in the same order, every phase (stateful included)
and every source, against a fresh target -- shown on results.json's run.digests of separate processes (their
own hash seeds, their own reference server, ids of their own), and a different seed sends other requests.

The short proof runs a handful of operations that still cover every phase and both kinds of target-issued id
(job numbers, and the reference's event ids, which differ in every process); the whole default command is
behind the `replay` marker (-m replay)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from invharness.fuzz_engine import Parents, Transcript

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
    """`invharness fuzz` in a process of its own, against its own fresh reference server (the default target)."""
    command = [sys.executable, "-c", FUZZ, "--seed", str(seed), "--report-dir", str(out), *options]
    env = {**os.environ, "PYTHONHASHSEED": str(hash_seed)}
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _digests(runs: dict[str, tuple[Path, subprocess.Popen[bytes]]], timeout_s: float) -> dict[str, dict[str, str]]:
    digests = {}
    for name, (out, process) in runs.items():
        _, err = process.communicate(timeout=timeout_s)
        results = json.loads((out / "results.json").read_text(encoding="utf-8"))
        assert process.returncode == 0, (name, results["findings"], err.decode()[-2000:])
        digests[name] = results["run"]["digests"]
    return digests


def test_the_same_seed_sends_the_same_requests_to_a_fresh_target_in_every_phase(tmp_path):
    options = ("--max-examples", "2", "--operation", FEW)
    runs = {  # at once: replay must not hang on timing either
        name: (tmp_path / name, _start(tmp_path / name, seed, hash_seed, *options))
        for name, seed, hash_seed in (("first", 7, 1), ("again", 7, 2), ("other", 8, 3))
    }
    digests = _digests(runs, timeout_s=120)
    assert set(digests["first"]) == EVERY_PHASE, digests["first"]
    assert digests["again"] == digests["first"]
    assert all(digests["other"][phase] != digests["first"][phase] for phase in EVERY_PHASE), digests


@pytest.mark.replay
def test_the_whole_default_command_replays_exactly(tmp_path):
    """Every operation, every phase, more examples: two processes, two fresh references, one digest per phase."""
    runs = {
        name: (tmp_path / name, _start(tmp_path / name, 7, hash_seed, "--max-examples", "20"))
        for name, hash_seed in (("first", 1), ("again", 2))
    }
    digests = _digests(runs, timeout_s=900)
    assert set(digests["first"]) == EVERY_PHASE and digests["again"] == digests["first"], digests


def _case(label: str, phase: str = "stateful", body: Any = None, **path: str) -> Any:
    operation = SimpleNamespace(label=label)
    meta = SimpleNamespace(phase=SimpleNamespace(name=phase))
    return SimpleNamespace(
        operation=operation, method=label.split()[0], path_parameters=path, query={}, body=body, meta=meta
    )


def _answered(transcript: Transcript, label: str, value: str) -> None:
    answer = SimpleNamespace(json=lambda: {"id": value})
    transcript.after_call(None, _case(label), answer)


def _walk(job_ids: tuple[str, str], read: int) -> dict[str, str]:
    """Create two jobs (the target answers ``job_ids``), then read the ``read``-th one."""
    transcript = Transcript(Parents("1", None, None, None))
    for job_id in job_ids:
        transcript.before_call(None, _case("POST /api/v4.1/job", body={"name": "x"}), {})
        _answered(transcript, "POST /api/v4.1/job", job_id)
    transcript.before_call(None, _case("GET /api/v4.1/job/{jobId}", jobId=job_ids[read]), {})
    return transcript.digests


def test_an_id_the_target_answered_counts_by_the_order_it_was_answered_in_not_its_value():
    assert _walk(("17", "18"), read=1) == _walk(("5", "9"), read=1), "other ids, the same sequence"
    assert _walk(("17", "18"), read=1) != _walk(("17", "18"), read=0), "the first job read, not the second"
    first = _walk(("17", "18"), read=1)
    assert set(first) == {"stateful"}


def test_a_request_without_a_body_hashes_the_same_in_every_process():
    from schemathesis.core import NOT_SET

    line = Transcript(None).line(_case("GET /api/v4.1/job/{jobId}", body=NOT_SET, jobId="3"))
    assert "0x" not in line and json.loads(line)[-1] is None
