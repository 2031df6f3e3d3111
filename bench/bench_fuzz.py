"""The fuzz proof: >= 10,000 cases across every REST operation and GraphQL field against the embedded reference
(started in its own process), which must find zero failures. Prints cases, cases/s and the command.

    python bench/bench_fuzz.py [--max-examples 320] [--seed 1] [--workers 1]

Same-run baseline: the rate of a 20-example run of the same command, so a slowdown shows against this machine.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from invharness.cli import main


def fuzz(examples: int, seed: int, workers: int, out: Path) -> tuple[int, dict, float]:
    argv = ["fuzz", "--max-examples", str(examples), "--seed", str(seed), "--workers", str(workers)]
    started = time.monotonic()
    code = main([*argv, "--report-dir", str(out)])
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    return code, results, time.monotonic() - started


def main_bench() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--max-examples", type=int, default=320)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        _, baseline, _ = fuzz(20, args.seed, args.workers, Path(scratch) / "baseline")
        code, results, wall = fuzz(args.max_examples, args.seed, args.workers, Path(scratch) / "run")
    cases = results["run"]["cases"]
    total = sum(cases.values())
    print(f"\ncommand: invharness fuzz --max-examples {args.max_examples} --seed {args.seed} --workers {args.workers}")
    print(f"cases: {total:,} ({json.dumps(cases)})")
    print(f"cases/s: {results['run']['cases_per_s']:.1f} (baseline, 20 examples: {baseline['run']['cases_per_s']:.1f})")
    print(f"wall time: {wall:.0f}s; operations: {len(results['operations'])}; failures: {len(results['findings'])}")
    ok = code == 0 and total >= 10_000
    print("PASS" if ok else "FAIL: expected >= 10,000 cases and exit 0")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main_bench())
