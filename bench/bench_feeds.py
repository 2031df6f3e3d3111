"""Feed export speed: `python bench/bench_feeds.py [--positions 1000000]`.

Loads the positions into an in-process reference backend, then times one FULL run of an
INVENTORY_POSITION feed without filters: selecting the rows, writing the Parquet file, putting it
in the source bucket and replicating it to the destination, on moto's S3 over loopback.
Goal (issue 4): 1,000,000 positions in <= 10 s. Baseline printed in the same run: pyarrow alone
writing the same number of rows from ready-made columns.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import time

import boto3
import pyarrow as pa
import pyarrow.parquet as pq

from invharness.reference_impl.backend import Backend
from invharness.reference_impl.config import ServerConfig
from invharness.reference_impl.local_s3 import LocalS3
from invharness.reference_impl.services.access import Principal
from invharness.reference_impl.services.feeds import feed_policy


def load(backend: Backend, positions: int) -> None:
    admin = Principal(backend.config.account.users[0])

    async def run() -> None:
        await backend.worker.start()
        job = backend.jobs.create_job(admin, {"name": "bench", "retailerId": 1})
        for start in range(0, positions, 5000):
            entities = [
                {"retailerId": 1, "skuRef": f"SKU-{n // 100:07d}", "locationRef": f"LOC-{n % 100:03d}", "qty": n % 17}
                for n in range(start, min(start + 5000, positions))
            ]
            backend.batches.accept_batch(
                admin, job.id, {"action": "UPSERT", "entityType": "INVENTORY", "entities": entities}
            )
            await backend.worker.drain()
        await backend.worker.stop()

    asyncio.run(run())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--positions", type=int, default=1_000_000)
    args = parser.parse_args()
    with LocalS3() as s3:
        backend = Backend(ServerConfig(processing_window_s=0, s3_endpoint=s3.url))
        print(f"loading {args.positions:,} positions...", flush=True)
        load(backend, args.positions)
        client = boto3.client(
            "s3", endpoint_url=s3.url, region_name="us-east-1", aws_access_key_id="b", aws_secret_access_key="b"
        )
        client.create_bucket(Bucket="bench-destination")
        client.put_bucket_policy(Bucket="bench-destination", Policy=feed_policy("bench-destination"))
        feeds = backend.feeds
        admin = Principal(backend.config.account.users[0])
        destination = {
            "type": "AWS_S3",
            "destinationAttributes": [
                {"key": "AWS_ACCOUNT_ID", "value": "1"},
                {"key": "AWS_S3_BUCKET_NAME", "value": "bench-destination"},
            ],
        }
        filters = [{"name": "REF", "operator": "EQUAL_TO", "value": "SKU-0000000:LOC-000:DEFAULT"}]
        warm = feeds.create(
            admin,
            {
                "ref": "warm-up",
                "source": {"type": "INVENTORY_POSITION", "filters": filters},
                "destination": destination,
            },
        )
        feeds.update(admin, {"ref": "warm-up", "status": "ACTIVE"})
        feeds.run_now(warm)  # creates the source bucket, loads pyarrow's writer
        feed = feeds.create(
            admin, {"ref": "bench", "source": {"type": "INVENTORY_POSITION"}, "destination": destination}
        )
        feeds.update(admin, {"ref": "bench", "status": "ACTIVE"})
        started = time.perf_counter()
        run, rows = feeds.start_run_all(feed)
        selected = time.perf_counter()
        feeds.finish_run(run, rows)
        done = time.perf_counter()
        assert run.status == "SUCCESS", run.error_message
        key = run.file_location.removeprefix("s3://bench-destination/")
        size = client.head_object(Bucket="bench-destination", Key=key)["ContentLength"]

    total = done - started
    print(f"export of {run.record_count:,} positions ({run.run_type}): {total:.2f} s   goal <= 10 s")
    print(
        f"  select rows {selected - started:.2f} s, Parquet + put + replicate {done - selected:.2f} s, "
        f"file {size / 1e6:.1f} MB"
    )
    columns = {
        "ref": pa.array([f"SKU-{n:07d}:LOC:DEFAULT" for n in range(len(rows))]),
        "quantity": pa.array(range(len(rows)), pa.int64()),
    }
    started = time.perf_counter()
    pq.write_table(pa.table(columns), io.BytesIO(), compression="zstd")
    print(f"baseline: pyarrow alone writes {len(rows):,} two-column rows in {time.perf_counter() - started:.2f} s")
    print(json.dumps({"positions": run.record_count, "seconds": round(total, 2)}))


if __name__ == "__main__":
    main()
