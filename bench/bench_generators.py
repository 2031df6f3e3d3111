"""Dataset generation speed and memory: `python bench/bench_generators.py [--skip-10m]`.

Prints, in one run:
- seconds to write 1,000,000 realistic segmented records as batch files (goal <= 5 s);
- the rate of a naive generator that calls Faker once per field (the baseline), and the ratio
  (goal >= 20x);
- peak memory (parent and largest worker) for 1M and for 10M records streamed: flat means the
  10M figure is no larger than the 1M one.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson
from faker import Faker

RECORDS_PER_POSITION = 2.12  # measured average at depth 3


def naive_rate(records: int = 10_000) -> float:
    """Records/s of the obvious generator: one Faker call per field, written as batch files."""
    fake = Faker("en_AU")
    fake.seed_instance(1)
    out = Path(tempfile.mkdtemp(prefix="naive-"))
    started = time.perf_counter()
    entities = []
    for n in range(records):
        entities.append(
            {
                "retailerId": 1,
                "skuRef": fake.bothify("SKU-#######"),
                "locationRef": f"ST-{fake.state_abbr()}-{fake.random_int(0, 999):04d}",
                "qty": fake.random_int(0, 500),
                "status": "ACTIVE",
                "ref": fake.bothify("SKU-#######:ST-???-####:DEFAULT:LAST_ON_HAND:#"),
                "attributes": {
                    "countryOfOrigin": fake.country_code(),
                    "supplier": fake.bothify("SUP-#####"),
                    "manufacturer": fake.company(),
                    "manufacturerBatchNumber": fake.bothify("MBN#########"),
                    "expiresOn": fake.future_datetime("+365d").strftime("%Y-%m-%dT%H:%M:%SZ"),
                },
            }
        )
        if len(entities) == 5000:
            (out / f"batch-{n}.json").write_bytes(
                orjson.dumps({"action": "UPSERT", "entityType": "INVENTORY", "entities": entities})
            )
            entities = []
    elapsed = time.perf_counter() - started
    shutil.rmtree(out)
    return records / elapsed


def run_generate(records: int) -> tuple[float, int, float, float]:
    """Seconds, records, parent and largest-child peak MB of a `generate` child process.

    More records means more locations for the same 9,400 products, so the world (the pools every
    record is drawn from) stays the same size and what grows is only what is streamed."""
    products = 9_400
    locations = max(1, round(records / RECORDS_PER_POSITION / products))
    out = Path(tempfile.mkdtemp(prefix="generate-"))
    script = (
        "import resource, sys, time, json\n"
        "from pathlib import Path\n"
        "from generators.dataset import DatasetSpec, generate\n"
        "t = time.perf_counter()\n"
        f"spec = DatasetSpec(seed=7, products={products}, locations={locations}, out=Path({str(out)!r}),\n"
        "                   formats=('batches',))\n"
        "m = generate(spec)\n"
        "print(json.dumps([time.perf_counter() - t, m['counts']['records'],\n"
        "    resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,\n"
        "    resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024]))\n"
    )
    try:
        output = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, text=True).stdout
    finally:
        shutil.rmtree(out)
    seconds, count, parent, child = orjson.loads(output.strip().splitlines()[-1])
    return seconds, count, parent, child


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--skip-10m", action="store_true", help="skip the 10,000,000-record memory check")
    args = parser.parse_args()

    seconds, count, parent, child = run_generate(1_000_000)
    fast = count / seconds
    print(
        f"invharness generate: {count:,} records as batch files in {seconds:.2f} s ({fast:,.0f} records/s)  goal <= 5 s"
    )
    slow = naive_rate()
    print(f"naive (Faker per field): {slow:,.0f} records/s; generate is x{fast / slow:,.0f} faster   goal >= 20x")
    print(f"peak memory, 1M: parent {parent:,.0f} MB, largest worker {child:,.0f} MB")
    if not args.skip_10m:
        seconds, count, parent10, child10 = run_generate(10_000_000)
        flat = child10 <= child * 1.1 and parent10 <= parent * 1.1
        print(
            f"peak memory, {count / 1e6:.0f}M ({seconds:.1f} s): parent {parent10:,.0f} MB, "
            f"largest worker {child10:,.0f} MB -> {'flat' if flat else 'GROWS'}"
        )


if __name__ == "__main__":
    main()
