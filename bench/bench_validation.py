"""Validation cost of one 5,000-record inventory batch: python-jsonschema against jsonschema-rs.

Run on demand: `python bench/bench_validation.py [--repeat N]`. Prints ms per batch for each way
of checking a batch, with orjson parsing as the same-run baseline, and the ratio of each to it.
Both validators are run with format assertion on (date-time), i.e. equally strict.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from importlib.metadata import version

import orjson

from invharness import contracts


def realistic_batch(records: int = 5000, seed: int = 7) -> dict:
    rng = random.Random(seed)
    entities = []
    for i in range(records):
        entity = {
            "retailerId": 1,
            "skuRef": f"SKU-{i // 4:06d}",
            "locationRef": f"LOC-{rng.randrange(300):04d}",
            "qty": rng.choice([0, 1, 2, 5, 12, 40, rng.randrange(1000)]),
            "correctedQty": 0,
            "status": "ACTIVE",
        }
        if i % 4:
            entity["ref"] = f"{entity['skuRef']}:{entity['locationRef']}:DEFAULT:LAST_ON_HAND:{i % 4}"
            entity["attributes"] = {
                "countryOfOrigin": rng.choice(["AU", "US", "CN", "DE"]),
                "manufacturerBatchNumber": f"MBN{rng.randrange(10**5)}",
                "expiresOn": f"2027-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}T23:59:59Z",
            }
        entities.append(entity)
    return {
        "action": "UPSERT",
        "entityType": "INVENTORY",
        "source": "ERP",
        "catalogueRef": "DEFAULT:1",
        "entities": entities,
    }


def measure(step: Callable[[], object], repeat: int) -> float:
    """Median milliseconds of ``repeat`` runs of ``step``."""
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        step()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement (median is shown)")
    args = parser.parse_args()

    batch = realistic_batch()
    body = orjson.dumps(batch)
    fast = contracts.validator("batch-create-request")
    envelope = contracts.validator("batch-envelope")
    entity = contracts.validator("inventory-entity")
    assert fast.is_valid(batch) and fast.is_valid_explained(batch)

    def per_record() -> bool:
        return envelope.is_valid(batch) and all(entity.is_valid(e) for e in batch["entities"])

    rows = [
        ("orjson.loads (baseline)", lambda: orjson.loads(body)),
        ("jsonschema-rs, whole batch", lambda: fast.is_valid(batch)),
        ("jsonschema-rs, envelope + each record", per_record),
        ("python-jsonschema, whole batch", lambda: fast.is_valid_explained(batch)),
    ]
    repeat = {"python-jsonschema, whole batch": max(2, args.repeat // 2)}
    print(
        f"one batch of {len(batch['entities']):,} records, {len(body) / 1e6:.2f} MB; "
        f"jsonschema {version('jsonschema')}, jsonschema-rs {version('jsonschema-rs')}"
    )
    baseline = None
    for label, step in rows:
        ms = measure(step, repeat.get(label, args.repeat))
        baseline = baseline or ms
        print(f"{label:40} {ms:9.2f} ms  {len(batch['entities']) / ms * 1000:12,.0f} records/s  x{ms / baseline:7.1f}")


if __name__ == "__main__":
    main()
