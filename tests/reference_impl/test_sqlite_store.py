"""The SQLite store (`invharness serve --data-dir`): a restart keeps every aggregate and the tokens, a batch
accepted but not processed is processed after a restart, and a server killed mid-ingestion loses no batch it
answered 200 and applies none twice (once here; 20 times in a row with -m sqlite)."""

import gc
import json
import os
import random
import sqlite3

import boto3
import pytest
import yaml

from invharness.cli import main
from invharness.embedded import embedded_target
from invharness.reference_impl.backend import Backend
from invharness.reference_impl.config import ServerConfig
from invharness.reference_impl.server import EmbeddedServer
from invharness.reference_impl.services.preprocessing import resolve_records
from invharness.reference_impl.stores.events import EventBlock
from invharness.reference_impl.stores.inventory import Position, Quantity
from invharness.reference_impl.stores.sqlite import db as db_module
from invharness.reference_impl.stores.sqlite import events as sqlite_events
from invharness.reference_impl.stores.sqlite.db import Database
from tests.reference_impl.crash import crash_once
from tests.reference_impl.test_feeds import CREATE as CREATE_FEED
from tests.reference_impl.test_feeds import bucket, feed_input
from tests.reference_impl.test_graphql import CREATE as CREATE_SETTING
from tests.support import Api, record, unique

QUANTITY = """query($c: String!, $r: String!) { inventoryQuantity(catalogue: {ref: $c}, ref: $r) { quantity } }"""


@pytest.fixture
def config(local_s3, tmp_path):
    return ServerConfig(processing_window_s=0, s3_endpoint=local_s3.url, feed_interval_s=3600, data_dir=str(tmp_path))


def test_a_restart_keeps_jobs_batches_inventory_events_settings_feeds_and_tokens(config, clock, local_s3):
    s3 = boto3.client(
        "s3", endpoint_url=local_s3.url, region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t"
    )
    sku, setting, feed = unique("RS-"), unique("restart."), unique("feed-")
    with EmbeddedServer(config, clock=clock) as server:
        api = Api(server)
        job = api.job()
        done = api.run_batch([record(sku, 5), record(sku, 6, loc="L2"), {"skuRef": sku}], job_id=job)
        api.gql(
            CREATE_SETTING,
            input={"name": setting, "valueType": "STRING", "value": "kept", "context": "ACCOUNT", "contextId": 0},
        )
        api.gql(CREATE_FEED, input=feed_input(feed, "INVENTORY_POSITION", bucket(s3)))
        before = api.events("InventoryChanged", f"{sku}:LOC1:DEFAULT")
    with EmbeddedServer(config, clock=clock) as server:
        again = Api(server)
        again.session.headers["Authorization"] = api.session.headers["Authorization"]  # issued before the restart
        assert again.get(f"/api/v4.1/job/{job}").json()["batch"][0]["status"] == "COMPLETE"
        assert again.wait_batch(job, done["batchId"])["results"] == done["results"] != []
        assert again.gql(QUANTITY, c="DEFAULT:1", r=f"{sku}:L2:DEFAULT:LAST_ON_HAND")["inventoryQuantity"] == {
            "quantity": 6
        }
        assert again.events("InventoryChanged", f"{sku}:LOC1:DEFAULT") == before != []
        event_id = before[0]["id"]
        assert again.get(f"/api/v4.1/event/{event_id}").json()["id"] == event_id
        found = again.gql("""query($n: [String]) { settings(name: $n) { edges { node { value } } } }""", n=[setting])
        assert found["settings"]["edges"] == [{"node": {"value": "kept"}}]
        feeds = again.gql("""query($r: [String!]) { inventoryFeeds(ref: $r) { edges { node { ref } } } }""", r=[feed])
        assert feeds["inventoryFeeds"]["edges"] == [{"node": {"ref": feed}}]
        assert again.job() != job  # ids go on from where they were


def test_a_batch_accepted_but_not_processed_is_processed_after_a_restart(config, clock):
    backend = Backend(config, clock)  # no worker runs: the batch stays PENDING, as if killed after its 200
    job = backend.stores.jobs.create_job("pending", 1, None)
    batch = backend.stores.jobs.add_batch(
        job,
        pending=resolve_records([record("PEND", 4)], (), "DEFAULT:1"),
        size=1,
        catalogue_ref="DEFAULT:1",
        event="InventoryChanged",
        source="batch",
        transients=None,
        invalid={},
        submitted_by="admin",
    )
    backend.stores.close()
    with EmbeddedServer(config, clock=clock) as server:
        api = Api(server)
        assert api.wait_batch(job.id, batch.id)["status"] == "COMPLETE"
        assert api.gql(QUANTITY, c="DEFAULT:1", r="PEND:LOC1:DEFAULT:LAST_ON_HAND")["inventoryQuantity"] == {
            "quantity": 4
        }
        assert len(api.events("InventoryChanged", "PEND:LOC1:DEFAULT")) == 1


def test_a_store_heavy_verify_group_passes_against_the_sqlite_store(tmp_path):
    with embedded_target(data_dir=str(tmp_path / "data")) as (url, overrides):
        profile = tmp_path / "profile.yaml"
        profile.write_text(yaml.safe_dump({**overrides, "credentials": {"client_secret": "demo-secret"}}))
        groups = ["--group", "bpp-detection"]
        code = main(["verify", "--target-url", url, "--profile", str(profile), *groups, "--report-dir", str(tmp_path)])
    checks = json.loads((tmp_path / "results.json").read_text())["checks"]
    assert code == 4 and checks, "INCOMPLETE (other groups not selected), no MUST clause failing"
    assert {c["verdict"] for c in checks} == {"pass"}, [c for c in checks if c["verdict"] != "pass"]


def test_a_killed_server_loses_no_acknowledged_batch_and_applies_none_twice(tmp_path):
    seed = random.randrange(2**32)
    outcome = crash_once(tmp_path / "data", seed)
    assert outcome.problems == [], f"seed {seed}: {outcome}"


@pytest.mark.sqlite
def test_twenty_crashes_in_a_row(tmp_path):
    for iteration in range(20):
        outcome = crash_once(tmp_path / f"data{iteration}", iteration)
        assert outcome.problems == [], f"iteration {iteration}: {outcome}"


def test_positions_dropped_from_the_cache_are_freed_unless_something_else_holds_them(tmp_path):
    stores = Backend(ServerConfig(data_dir=str(tmp_path))).stores
    inventory = stores.inventory
    catalogue = inventory.ensure_catalogue("DEFAULT:1", 1, 0.0)
    for n in range(6):  # P0, P2, P4 hold one quantity; P1, P3, P5 two
        position = Position(f"P{n}:L:DEFAULT", catalogue, f"P{n}", "L", "DEFAULT", 0.0)
        for kind in ("LAST_ON_HAND", "SALE")[: n % 2 + 1]:
            position.add(Quantity(None, position, kind, "ACTIVE", n, 0.0, 0.0))
        inventory.add(position)
    del position
    inventory.flush()
    held_position = inventory.load("DEFAULT:1", "P0:L:DEFAULT")
    held_quantity = inventory.load("DEFAULT:1", "P1:L:DEFAULT").quantity("P1:L:DEFAULT:SALE")
    held_alone = inventory.load("DEFAULT:1", "P2:L:DEFAULT").quantity("P2:L:DEFAULT:LAST_ON_HAND")
    held_mapping = inventory.load("DEFAULT:1", "P3:L:DEFAULT").quantities  # a reader keeping only this
    gc.disable()  # what is freed must be freed without the collector
    try:
        inventory._drop_cache()
        alive = {o.ref.split(":")[0] for o in gc.get_objects() if type(o) is Position and o.catalogue is catalogue}
    finally:
        gc.enable()
    assert alive == {"P0", "P1", "P2", "P3"}, "P4 and P5 (nothing held them) were freed at once"
    assert held_position.quantity("P0:L:DEFAULT:LAST_ON_HAND").quantity == 0
    assert held_quantity.position.quantity("P1:L:DEFAULT:LAST_ON_HAND") is not None, "a held one is left whole"
    assert held_alone.position.quantity("P2:L:DEFAULT:LAST_ON_HAND") is held_alone, "left whole"
    position_read = next(iter(held_mapping.values())).position
    assert sorted(position_read.quantities) == ["P3:L:DEFAULT:LAST_ON_HAND", "P3:L:DEFAULT:SALE"], "left whole"
    assert inventory.load("DEFAULT:1", "P5:L:DEFAULT").quantity("P5:L:DEFAULT:SALE").quantity == 5, "reloaded"
    stores.close()


@pytest.mark.parametrize("count", [0, 1, 5, 512, 700, 1_300])
def test_insert_rows_writes_every_row_in_pieces_of_few_statement_shapes(tmp_path, count):
    db = Database(tmp_path / "t.sqlite3", "CREATE TABLE IF NOT EXISTS t (a INTEGER PRIMARY KEY, b TEXT, c BLOB);")
    rows = [(n, f"row {n}", None if n % 3 else bytes([n % 256])) for n in range(count)]
    db.insert_rows("INSERT INTO t VALUES", 3, rows)
    assert db.all("SELECT a, b, c FROM t ORDER BY a") == rows
    assert len(db._statements) <= 10, "pieces of 512, 256, ..., 1 rows: at most ten statements per table"
    db.close()


def test_the_wal_is_started_over_while_groups_follow_each_other(tmp_path, monkeypatch):
    monkeypatch.setattr(db_module, "WAL_RESTART_BYTES", 256 * 1024)
    db = Database(tmp_path / "w.sqlite3", "CREATE TABLE IF NOT EXISTS t (a INTEGER PRIMARY KEY, b BLOB);")
    wal = tmp_path / "w.sqlite3-wal"
    sizes = []
    for group in range(40):  # back to back: no moment when the checkpointer has copied everything
        db.begin_group()
        db.insert_rows("INSERT INTO t VALUES", 2, [(group * 100 + n, os.urandom(1000)) for n in range(100)])
        db.commit_group()
        sizes.append(wal.stat().st_size)
    db.close()
    assert max(sizes) < 1024 * 1024, f"the WAL grew to {max(sizes):,} bytes for 4 MB written"


def test_a_failed_checkpointer_hands_checkpoints_back_to_the_database(tmp_path):
    db = Database(tmp_path / "c.sqlite3", "")
    failed = db_module.Checkpointer(tmp_path / "missing" / "c.sqlite3")  # its connection cannot open
    failed.close()
    assert failed.failed
    db._checkpointer.close()
    db._checkpointer = failed
    assert db.one("PRAGMA wal_autocheckpoint") == (0,)
    db.begin_group()
    db.commit_group()
    assert db.one("PRAGMA wal_autocheckpoint") == (1000,), "SQLite checkpoints at commit again"
    db.close()


def test_the_sqlite_event_log_goes_on_after_a_restart(tmp_path):
    def opened() -> sqlite_events.SqliteEventLog:
        return sqlite_events.SqliteEventLog(Database(tmp_path / "e.sqlite3", sqlite_events.SCHEMA), retention=100)

    log = opened()
    block = EventBlock("InventoryChanged", 5.0, 1, "INVENTORY_POSITION", None, None, None, "u")
    log.append_records([(block, f"P{n}", None, "LAST_ON_HAND", n) for n in range(60)])
    first = log.event_id(log.append("Other", 6.0, retailer_id=1, entity_type="X", entity_ref="P1"))
    log._db.close()
    log = opened()
    later = log.append("Other", 7.0, retailer_id=1, entity_type="X", entity_ref="P1")
    assert log.event_id(later) > first and log.get(first).generated_on == 6.0, "seqs go on; old ids read"
    log.append_records([(block, f"Q{n}", None, "LAST_ON_HAND", n) for n in range(50)])
    log.trim()  # 112 events, over 100: the oldest 11 dropped
    assert log.get(first) is not None and log.search({"entity_ref": "P5"}, 0.0, 9.0, 0, 5, lambda e: True)[0] == []
    log._db.close()
    log = opened()
    assert log.search({"entity_ref": "P5"}, 0.0, 9.0, 0, 5, lambda e: True)[0] == [], "the trim was kept"
    assert [e.generated_on for e in log.search({"entity_ref": "P1"}, 0.0, 9.0, 0, 5, lambda e: True)[0]] == [7.0, 6.0]
    newest, _ = log.search({}, 6.5, 9.0, 0, 3, lambda e: True)
    assert [e.generated_on for e in newest] == [7.0], "record events of 5.0 arrived before the window"
    log._db.close()


def test_an_event_is_stored_with_its_index_entry_or_not_at_all(tmp_path):
    db = Database(tmp_path / "a.sqlite3", sqlite_events.SCHEMA)
    log = sqlite_events.SqliteEventLog(db)
    log.append("Kept", 1.0, retailer_id=1, entity_type="X", entity_ref="E1")
    db.execute("DROP TABLE event_entities")  # the index entry's insert fails from now on
    with pytest.raises(sqlite3.OperationalError):
        log.append("Lost", 2.0, retailer_id=1, entity_type="X", entity_ref="E2")
    assert db.all("SELECT name FROM events") == [("Kept",)], "no event left without its index entry"
    db.close()
