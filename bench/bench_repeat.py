"""Repeatable verdicts (issue 9, point 5): `python bench/bench_repeat.py [--runs N] [--group G ...]`.

Runs `invharness verify` against the embedded reference server N times in one process and N times
with `--workers 2` (default 5 each, every group) and checks that every run gives the same verdict
for every clause and that every run conforms. Prints each run's time and the verdict counts; exits
1 with the clauses whose verdicts differ otherwise.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run(options: list[str]) -> tuple[float, int, dict[str, str], dict]:
    with tempfile.TemporaryDirectory() as directory:
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "invharness", "verify", "--report-dir", directory, *options],
            capture_output=True,
            check=False,
        )
        elapsed = time.perf_counter() - started
        results = json.loads((Path(directory) / "results.json").read_text())
    return elapsed, done.returncode, {c["id"]: c["verdict"] for c in results["clauses"]}, results["summary"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--group", action="append", default=[])
    args = parser.parse_args()
    groups = [a for g in args.group for a in ("--group", g)]
    seen: list[tuple[str, dict[str, str]]] = []
    failed = False
    for label, extra in (("serial", []), ("workers 2", ["--workers", "2"])):
        for number in range(1, args.runs + 1):
            seconds, code, verdicts, summary = run([*groups, *extra])
            seen.append((f"{label} #{number}", verdicts))
            failed |= code != 0 or not summary.get("conforms")
            print(f"{label:10} run {number}: {seconds:6.1f} s  exit {code}  {summary['clauses']}")
    reference_label, reference = seen[0]
    for label, verdicts in seen[1:]:
        differ = sorted(c for c in reference if verdicts.get(c) != reference[c])
        if differ:
            failed = True
            print(f"{label} differs from {reference_label} on {', '.join(differ)}")
    print("all runs identical and conforming" if not failed else "NOT all runs identical and conforming")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
