"""Time of a full conformance run against the embedded reference server: `python bench/bench_verify.py`.

Runs `invharness verify` in one process, then with two workers (pytest-xdist), and prints both,
their ratio, and as a same-run baseline the time of the auth group alone (what starting the
server, pytest and the plugin costs before any real work). Goal (issue 6): the full run <= 120 s.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run(*options: str) -> tuple[float, dict]:
    with tempfile.TemporaryDirectory() as directory:
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "invharness", "verify", "--report-dir", directory, *options],
            check=True,
            capture_output=True,
        )
        elapsed = time.perf_counter() - started
        return elapsed, json.loads((Path(directory) / "results.json").read_text())["summary"]


def main() -> None:
    baseline, _ = run("--group", "auth")
    serial, summary = run()
    parallel, parallel_summary = run("--workers", "2")
    assert summary["conforms"] and parallel_summary["conforms"], (summary, parallel_summary)
    print(f"baseline (auth group only): {baseline:6.1f} s")
    print(f"full run, one process:      {serial:6.1f} s   goal <= 120 s   {summary['clauses']}")
    print(f"full run, two workers:      {parallel:6.1f} s   x{serial / parallel:.2f} faster")


if __name__ == "__main__":
    main()
