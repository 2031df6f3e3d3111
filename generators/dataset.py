"""The streaming dataset writer behind `invharness generate`.

Positions are cut into batch files (at most 5,000 records each) and files into shards. A shard is
generated from (seed, file index) alone, so shards run in parallel processes and the output is
the same bytes whatever the number of processes. Each shard writes its batch files, a part of the
NDJSON delta events and a part of the CSV / Parquet snapshots; memory stays flat however large
the world. A manifest records the parameters, the counts and a SHA-256 of every file.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import json
import math
import os
import random
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from invharness.generators.payloads import MAX_BATCH, batch, delta, delta_event
from invharness.generators.stock import PositionStock, stock_for
from invharness.generators.world import World, build_world

__all__ = ["FORMATS", "SNAPSHOT_COLUMNS", "DatasetSpec", "ShardResult", "generate", "plan"]

FORMATS = ("batches", "deltas", "csv", "parquet")
SEGMENT_COLUMNS = (
    "countryOfOrigin",
    "supplier",
    "manufacturer",
    "manufacturerBatchNumber",
    "expiresOn",
    "expectedOn",
    "condition",
    "channel",
    "associationType",
    "associationRef",
    "parentRef",
)
SNAPSHOT_COLUMNS = (
    "retailerId",
    "catalogueRef",
    "positionRef",
    "ref",
    "skuRef",
    "locationRef",
    "type",
    "status",
    "qty",
    *SEGMENT_COLUMNS,
)
_SCHEMA = pa.schema([(name, pa.int64() if name in ("retailerId", "qty") else pa.string()) for name in SNAPSHOT_COLUMNS])


@dataclass(slots=True, frozen=True)
class DatasetSpec:
    """What to generate, and where."""

    seed: int
    products: int
    locations: int
    out: Path
    depth: int = 3
    formats: tuple[str, ...] = FORMATS
    retailer_ids: tuple[int, ...] = (1,)
    positions_per_shard: int = 10_000

    def __post_init__(self) -> None:
        unknown = set(self.formats) - set(FORMATS)
        if unknown:
            raise ValueError(f"unknown format(s) {', '.join(sorted(unknown))}; choose from {', '.join(FORMATS)}")
        if not 1 <= self.depth <= MAX_BATCH - 2:
            raise ValueError("depth (segments per position) must be at least 1")
        if self.products < 1 or self.locations < 1:
            raise ValueError("products and locations must be at least 1")


@dataclass(slots=True)
class ShardResult:
    """What one shard wrote."""

    index: int
    positions: int = 0
    records: int = 0
    transients: int = 0
    delta_events: int = 0
    files: dict[str, str] = field(default_factory=dict)  # relative path -> sha256


@dataclass(slots=True, frozen=True)
class Plan:
    positions: int
    shards: int


def plan(spec: DatasetSpec) -> Plan:
    """How the positions are cut into shards (each of positions_per_shard positions)."""
    positions = spec.products * spec.locations
    return Plan(positions, math.ceil(positions / spec.positions_per_shard))


@functools.lru_cache(maxsize=4)
def _world(seed: int, products: int, locations: int, retailer_ids: tuple[int, ...]) -> World:
    return build_world(seed, products, locations, retailer_ids)


def _write(out: Path, relative: str, data: bytes, result: ShardResult) -> None:
    path = out / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    result.files[relative] = hashlib.sha256(data).hexdigest()


def _rows(stock: PositionStock) -> Iterable[tuple[Any, ...]]:
    retailer_id = stock.location.retailer_id
    base = stock.position_ref
    for record in stock.records:
        kind = record.get("type", "LAST_ON_HAND")
        attributes = record.get("attributes", {})
        ref = record.get("ref") or f"{base}:{kind}"
        yield (
            retailer_id,
            f"DEFAULT:{retailer_id}",
            base,
            ref,
            record["skuRef"],
            record["locationRef"],
            kind,
            record["status"],
            record["qty"],
            *(attributes.get(c) for c in SEGMENT_COLUMNS),
        )
    for transient in stock.transients:
        yield (
            retailer_id,
            f"DEFAULT:{retailer_id}",
            base,
            transient["ref"],
            stock.product.sku,
            stock.location.ref,
            transient["type"],
            transient["status"],
            transient["qty"],
            *(None for _ in SEGMENT_COLUMNS),
        )


def _shard(spec: DatasetSpec, shards: Plan, index: int) -> ShardResult:
    world = _world(spec.seed, spec.products, spec.locations, spec.retailer_ids)
    result = ShardResult(index)
    rng = random.Random(f"{spec.seed}:{index}")
    rows: list[tuple[Any, ...]] = []
    events: list[bytes] = []
    # one batch file holds one retailer's records (a job, and so a batch, belongs to one retailer)
    pending: dict[int, list[PositionStock]] = {}
    counts: dict[int, int] = {}
    files = 0

    def flush(retailer: int) -> None:
        nonlocal files, events
        stocks = pending.pop(retailer)
        counts.pop(retailer)
        records = [r for s in stocks for r in s.records]
        suffix = "" if len(spec.retailer_ids) == 1 else f"-r{retailer}"
        if "batches" in spec.formats:
            body = orjson.dumps(batch(records, source="invharness"))
            _write(spec.out, f"batches/batch-{index:05d}-{files:04d}{suffix}.json", body, result)
        if "deltas" in spec.formats:
            events += _delta_events(stocks, rng, spec, f"{index}-{files}")
        files += 1

    start = index * spec.positions_per_shard
    for position in range(start, min(start + spec.positions_per_shard, shards.positions)):
        stock = stock_for(world, position, rng, spec.depth)
        retailer = stock.location.retailer_id
        if counts.get(retailer, 0) + len(stock.records) > MAX_BATCH:
            flush(retailer)  # a position's records stay in one batch, so a parent travels with its children
        pending.setdefault(retailer, []).append(stock)
        counts[retailer] = counts.get(retailer, 0) + len(stock.records)
        result.positions += 1
        result.records += len(stock.records)
        result.transients += len(stock.transients)
        if "csv" in spec.formats or "parquet" in spec.formats:
            rows.extend(_rows(stock))
    for retailer in sorted(pending):
        flush(retailer)
    result.delta_events = len(events)
    if events:
        _write(spec.out, f"deltas/deltas-{index:05d}.ndjson", b"\n".join(events) + b"\n", result)
    if "csv" in spec.formats:
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(SNAPSHOT_COLUMNS)
        writer.writerows(rows)
        _write(spec.out, f"snapshot-csv/part-{index:05d}.csv", text.getvalue().encode(), result)
    if "parquet" in spec.formats:
        columns = list(zip(*rows, strict=True)) if rows else [[] for _ in SNAPSHOT_COLUMNS]
        table = pa.Table.from_arrays(
            [pa.array(c, type=t.type) for c, t in zip(columns, _SCHEMA, strict=True)], schema=_SCHEMA
        )
        sink = io.BytesIO()
        pq.write_table(table, sink, compression="zstd")
        _write(spec.out, f"snapshot-parquet/part-{index:05d}.parquet", sink.getvalue(), result)
    return result


def _delta_events(stocks: list[PositionStock], rng: random.Random, spec: DatasetSpec, tag: str) -> list[bytes]:
    """About one INVENTORY_DELTA event per 50 positions, each with 1-4 sales or returns."""
    events = []
    for n in range(max(1, len(stocks) // 50)):
        chosen = [stocks[rng.randrange(len(stocks))] for _ in range(rng.randint(1, 4))]
        deltas = [
            delta(s.product.sku, s.location.ref, rng.choice((-1, -1, -2, -3, 1)), f"D{spec.seed}-{tag}-{n}-{k}")
            for k, s in enumerate(chosen)
        ]
        events.append(orjson.dumps(delta_event(deltas, stocks[0].location.retailer_id)))
    return events


def generate(
    spec: DatasetSpec, processes: int | None = None, progress: Callable[[int, int], None] | None = None
) -> dict[str, Any]:
    """Write the dataset and its manifest.json; answer the manifest. ``progress(done, total)`` is
    called with positions as shards finish."""
    shards = plan(spec)
    spec.out.mkdir(parents=True, exist_ok=True)
    totals = ShardResult(-1)
    workers = max(1, min(processes or os.cpu_count() or 1, shards.shards))
    run = functools.partial(_shard, spec, shards)
    if workers == 1:
        results: Iterable[ShardResult] = map(run, range(shards.shards))
        pool = None
    else:
        pool = ProcessPoolExecutor(workers)
        results = pool.map(run, range(shards.shards), chunksize=1)
    try:
        for result in results:
            totals.positions += result.positions
            totals.records += result.records
            totals.transients += result.transients
            totals.delta_events += result.delta_events
            totals.files.update(result.files)
            if progress is not None:
                progress(totals.positions, shards.positions)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    manifest = {
        "generator": "invharness",
        "spec": {
            **{k: v for k, v in asdict(spec).items() if k != "out"},
            "formats": list(spec.formats),
            "retailer_ids": list(spec.retailer_ids),
        },
        "counts": {
            "positions": totals.positions,
            "records": totals.records,
            "transients": totals.transients,
            "deltaEvents": totals.delta_events,
            "batchFiles": sum(p.startswith("batches/") for p in totals.files),
            "files": len(totals.files),
        },
        "files": dict(sorted(totals.files.items())),
    }
    (spec.out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest
