"""The streaming dataset writer behind `invharness generate`.

Positions are cut into batch files (at most 5,000 records each) and files into shards. A shard is
generated from (seed, file index) alone, so shards run in parallel processes and the output is
the same bytes whatever the number of processes. Each shard writes its batch files, a part of the
NDJSON delta events and a part of the CSV / Parquet snapshots; memory stays flat however large
the world. A manifest records the parameters, the counts and a SHA-256 of every file.

Because a shard depends on nothing but (spec, index), a dataset too large for one machine is
written in parts: part K of N (``Part(K, N)``) writes a contiguous run of shards and its own
manifest (``manifest.part-K-of-N.json``); the N parts hold exactly the files, byte for byte, of
the one-machine run, and ``merge_manifests`` joins their manifests into the one-machine manifest.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import hashlib
import io
import json
import math
import os
import random
import signal
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

__all__ = [
    "FORMATS",
    "SNAPSHOT_COLUMNS",
    "DatasetSpec",
    "ManifestError",
    "Part",
    "ShardResult",
    "generate",
    "merge_manifests",
    "part_manifests",
    "plan",
]

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


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


class ManifestError(ValueError):
    """Part manifests that do not join into one dataset; the message says which and why."""


@dataclass(slots=True, frozen=True)
class DatasetSpec:
    """What to generate, and where. ``as_of`` is the day the stock is current on (expiry and
    expected dates follow it); the same spec gives the same bytes."""

    seed: int
    products: int
    locations: int
    out: Path
    depth: int = 3
    formats: tuple[str, ...] = FORMATS
    retailer_ids: tuple[int, ...] = (1,)
    positions_per_shard: int = 10_000
    as_of: dt.date = field(default_factory=_today)

    def __post_init__(self) -> None:
        unknown = set(self.formats) - set(FORMATS)
        if unknown:
            raise ValueError(f"unknown format(s) {', '.join(sorted(unknown))}; choose from {', '.join(FORMATS)}")
        if not 1 <= self.depth <= MAX_BATCH - 2:
            raise ValueError("depth (segments per position) must be at least 1")
        if self.products < 1 or self.locations < 1:
            raise ValueError("products and locations must be at least 1")


@dataclass(slots=True, frozen=True)
class Part:
    """Part ``number`` (1-based) of ``of`` disjoint parts of one dataset."""

    number: int
    of: int

    def __post_init__(self) -> None:
        if not 1 <= self.number <= self.of:
            raise ValueError(f"a part is K/N with 1 <= K <= N, not {self.number}/{self.of}")

    @classmethod
    def parse(cls, text: str) -> Part:
        """``"2/4"`` -> Part(2, 4)."""
        number, slash, of = text.partition("/")
        if not slash or not number.strip().isdigit() or not of.strip().isdigit():
            raise ValueError(f"a shard is written K/N, e.g. 2/4 (the second of four parts), not {text!r}")
        return cls(int(number), int(of))

    def shards(self, total: int) -> range:
        """The contiguous shard indices of this part, out of ``total``; parts differ by at most one shard,
        the first ones having the more."""
        return range(-(-(self.number - 1) * total // self.of), -(-self.number * total // self.of))  # ceil, exactly

    @property
    def manifest_name(self) -> str:
        return f"manifest.part-{self.number}-of-{self.of}.json"


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
def _world(seed: int, products: int, locations: int, retailer_ids: tuple[int, ...], as_of: dt.date) -> World:
    midnight = dt.datetime(as_of.year, as_of.month, as_of.day, tzinfo=dt.UTC)
    return build_world(seed, products, locations, retailer_ids, as_of=midnight)


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
    world = _world(spec.seed, spec.products, spec.locations, spec.retailer_ids, spec.as_of)
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
    spec: DatasetSpec,
    processes: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    part: Part | None = None,
) -> dict[str, Any]:
    """Write the dataset (or one ``part`` of it) and its manifest; answer the manifest.
    ``progress(done, total)`` is called with positions as shards finish."""
    shards = plan(spec)
    indices = range(shards.shards) if part is None else part.shards(shards.shards)
    expected = sum(_positions_of(spec, shards, i) for i in indices)
    spec.out.mkdir(parents=True, exist_ok=True)
    totals = ShardResult(-1)
    workers = max(1, min(processes or os.cpu_count() or 1, len(indices)))
    run = functools.partial(_shard, spec, shards)
    if workers == 1:
        results: Iterable[ShardResult] = map(run, indices)
        pool = None
    else:
        # Ctrl-C is the parent's to handle: it stops handing out shards and waits for the running ones
        pool = ProcessPoolExecutor(workers, initializer=signal.signal, initargs=(signal.SIGINT, signal.SIG_IGN))
        results = pool.map(run, indices, chunksize=1)
    try:
        for result in results:
            totals.positions += result.positions
            totals.records += result.records
            totals.transients += result.transients
            totals.delta_events += result.delta_events
            totals.files.update(result.files)
            if progress is not None:
                progress(totals.positions, expected)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    manifest = {"generator": "invharness", "spec": _spec_dict(spec), **_totals(totals)}
    if part is not None:
        manifest["part"] = {"number": part.number, "of": part.of, "shards": [indices.start, indices.stop]}
    name = "manifest.json" if part is None else part.manifest_name
    (spec.out / name).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def _positions_of(spec: DatasetSpec, shards: Plan, index: int) -> int:
    return max(0, min(spec.positions_per_shard, shards.positions - index * spec.positions_per_shard))


def _spec_dict(spec: DatasetSpec) -> dict[str, Any]:
    return {
        **{k: v for k, v in asdict(spec).items() if k != "out"},
        "formats": list(spec.formats),
        "retailer_ids": list(spec.retailer_ids),
        "as_of": spec.as_of.isoformat(),
    }


def _totals(totals: ShardResult) -> dict[str, Any]:
    return {
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


def part_manifests(paths: Iterable[Path]) -> list[Path]:
    """The part manifests in ``paths``: each a manifest.part-K-of-N.json file or a directory holding them."""
    found: list[Path] = []
    for path in paths:
        found += sorted(path.glob("manifest.part-*-of-*.json")) if path.is_dir() else [path]
    return found


def merge_manifests(paths: Iterable[Path]) -> dict[str, Any]:
    """One manifest from the manifests of parts 1..N of one dataset: the manifest the one-machine
    run writes. ManifestError when they are of different datasets, or a part is missing or twice."""
    parts: dict[int, dict[str, Any]] = {}
    first: dict[str, Any] | None = None
    for path in paths:
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ManifestError(f"{path}: cannot read a manifest: {exc}") from None
        if not isinstance(manifest, dict) or "part" not in manifest:
            raise ManifestError(f"{path}: not the manifest of a part (written by generate --shard K/N)")
        first = first or manifest
        number, of = manifest["part"]["number"], manifest["part"]["of"]
        if manifest["spec"] != first["spec"] or of != first["part"]["of"]:
            raise ManifestError(f"{path}: part {number}/{of} is of another dataset (seed, sizes, as-of or N differ)")
        if number in parts:
            raise ManifestError(f"{path}: part {number}/{of} is given twice")
        parts[number] = manifest
    if first is None:
        raise ManifestError("no part manifests (manifest.part-K-of-N.json) found")
    missing = sorted(set(range(1, first["part"]["of"] + 1)) - set(parts))
    if missing:
        raise ManifestError(f"parts {', '.join(map(str, missing))} of {first['part']['of']} are missing")
    totals = ShardResult(-1)
    for manifest in parts.values():
        counts = manifest["counts"]
        totals.positions += counts["positions"]
        totals.records += counts["records"]
        totals.transients += counts["transients"]
        totals.delta_events += counts["deltaEvents"]
        totals.files.update(manifest["files"])
    return {"generator": "invharness", "spec": first["spec"], **_totals(totals)}
