"""Unit tests of the reference server's concepts, below HTTP."""

import asyncio
import json
import random
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from invharness.reference_impl.clock import ManualClock, fluent_timestamp, iso_timestamp, next_midnight_utc
from invharness.reference_impl.config import ServerConfig, load_config
from invharness.reference_impl.errors import ApiError
from invharness.reference_impl.services.auth import Authenticator, TokenError
from invharness.reference_impl.services.deltas import apply_deltas
from invharness.reference_impl.services.preprocessing import DEFAULT_TRANSIENTS, preprocessing_applies
from invharness.reference_impl.services.settings import SettingsService, parse_bool
from invharness.reference_impl.stores.events import EventBlock, InMemoryEventLog, _SeqRuns
from invharness.reference_impl.stores.inventory import Catalogue, InMemoryInventory, Position, Quantity
from invharness.reference_impl.stores.jobs import InMemoryJobStore, JobClosed
from invharness.reference_impl.stores.settings import ConstraintViolation, InMemorySettingsStore
from invharness.reference_impl.stores.sqlite import events as sqlite_events
from invharness.reference_impl.stores.sqlite.db import Database
from invharness.reference_impl.transport.http_api import _event_json
from invharness.reference_impl.vocabulary import catalogue_type, position_ref


def at(*parts):
    return datetime(*parts, tzinfo=UTC).timestamp()


# ---------------------------------------------------------------- clock


def test_timestamps_have_the_documented_forms():
    moment = at(2022, 10, 6, 0, 31, 8) + 0.104
    assert fluent_timestamp(moment) == "2022-10-06T00:31:08.104+0000"
    assert iso_timestamp(moment) == "2022-10-06T00:31:08.104Z"


@pytest.mark.parametrize(
    ("now", "midnight"),
    [
        (at(2026, 11, 23, 12, 0), at(2026, 11, 24)),
        (at(2026, 11, 23, 0, 0), at(2026, 11, 24)),
        (at(2026, 12, 31, 23, 59, 59), at(2027, 1, 1)),
    ],
)
def test_next_midnight_is_strictly_after(now, midnight):
    assert next_midnight_utc(now) == midnight


# ---------------------------------------------------------------- precedence (SPEC 5.2 table)


@pytest.mark.parametrize(
    ("setting", "meta", "expected"),
    [
        (True, {"preprocessing": "skip"}, False),
        (True, {"preprocessing": "enabled"}, True),
        (True, {"preprocessing": "SKIP"}, True),
        (True, None, True),
        (True, {}, True),
        (True, {"preprocessing": None}, True),
        (False, {"preprocessing": "enabled"}, False),
        (False, None, False),
        (None, None, True),
        (None, {"preprocessing": "skip"}, False),
    ],
)
def test_preprocessing_applies(setting, meta, expected):
    assert preprocessing_applies(setting, meta) is expected


def test_no_setting_follows_the_declared_default():
    assert preprocessing_applies(None, None, default=False) is False


def test_default_transients_are_decision_7():
    assert {("SALE", "CREATED"), ("CORRECTION", "ACTIVE"), ("DELTA", "ACTIVE")} <= DEFAULT_TRANSIENTS
    assert ("RESERVED", "ACTIVE") not in DEFAULT_TRANSIENTS and len(DEFAULT_TRANSIENTS) == 6


# ---------------------------------------------------------------- settings


def test_retailer_setting_wins_and_values_are_read_without_case():
    store = InMemorySettingsStore()
    settings = SettingsService(store)
    assert settings.preprocessing(1) is None
    store.create("fc.enable.batch.preprocessing", "BOOLEAN", "true", None, "ACCOUNT", 0)
    assert settings.preprocessing(1) is True
    store.create("fc.enable.batch.preprocessing", "BOOLEAN", "FALSE", None, "RETAILER", 1)
    assert settings.preprocessing(1) is False and settings.preprocessing(2) is True


def test_unreadable_value_falls_through_to_the_next_context():
    store = InMemorySettingsStore()
    store.create("fc.enable.batch.preprocessing", "BOOLEAN", "FALSE", None, "ACCOUNT", 0)
    store.create("fc.enable.batch.preprocessing", "STRING", "maybe", None, "RETAILER", 1)
    assert SettingsService(store).preprocessing(1) is False
    assert parse_bool(" True ") is True and parse_bool("yes") is None and parse_bool(None) is None


def test_settings_are_unique_by_name_context_and_id():
    store = InMemorySettingsStore()
    first = store.create("a", "STRING", "1", None, "ACCOUNT", 0)
    store.create("a", "STRING", "1", None, "RETAILER", 1)
    with pytest.raises(ConstraintViolation, match="ConstraintViolationException"):
        store.create("a", "STRING", "2", None, "ACCOUNT", 0)
    with pytest.raises(ConstraintViolation):
        store.update(first.id, context="RETAILER", context_id=1)
    assert store.update(first.id, value="3").value == "3"
    assert [s.value for s in store.search(name=["a"], context=["ACCOUNT"])] == ["3"]


# ---------------------------------------------------------------- auth


def test_tokens_expire_and_refresh_tokens_are_single_use():
    clock = ManualClock(at(2026, 1, 1))
    auth = Authenticator(ServerConfig(token_ttl_s=60), clock)
    base = {"client_id": "DEMO", "client_secret": "demo-secret"}
    granted = auth.issue({**base, "grant_type": "password", "username": "admin", "password": "admin"})
    assert auth.authenticate(f"bEaReR {granted['access_token']}").username == "admin"
    clock.advance(61)
    with pytest.raises(ApiError) as refused:
        auth.authenticate(f"Bearer {granted['access_token']}")
    assert refused.value.status == 401
    renewed = auth.issue({**base, "grant_type": "refresh_token", "refresh_token": granted["refresh_token"]})
    assert auth.authenticate(f"Bearer {renewed['access_token']}").username == "admin"
    with pytest.raises(TokenError, match="Invalid refresh token"):
        auth.issue({**base, "grant_type": "refresh_token", "refresh_token": granted["refresh_token"]})


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer  ", "Token abc", "Bearer unknown"])
def test_malformed_authorization_is_401(header):
    auth = Authenticator(ServerConfig(), ManualClock())
    with pytest.raises(ApiError) as refused:
        auth.authenticate(header)
    assert refused.value.status == 401


# ---------------------------------------------------------------- jobs


def test_job_lifetimes():
    clock = ManualClock(at(2026, 11, 23, 10, 0))
    midnight, day = InMemoryJobStore(clock, "midnight_utc"), InMemoryJobStore(clock, "24h")
    a, b = midnight.create_job("a", 1, None), day.create_job("b", 1, None)
    clock.advance(14 * 3600)
    assert (a.status(clock.now()), b.status(clock.now())) == ("CLOSED", "OPEN")
    clock.advance(10 * 3600)
    assert b.status(clock.now()) == "CLOSED"
    with pytest.raises(JobClosed, match=f"Job {a.id} is closed"):
        midnight.add_batch(
            a,
            pending=[],
            catalogue_ref="DEFAULT:1",
            event="e",
            source="s",
            transients=None,
            invalid={},
            submitted_by="admin",
        )
    with pytest.raises(ValueError, match="job lifetime"):
        InMemoryJobStore(clock, "forever")


# ---------------------------------------------------------------- inventory and deltas


def _inventory_with(on_hand: int) -> tuple[InMemoryInventory, Position]:
    inventory = InMemoryInventory()
    catalogue = inventory.ensure_catalogue("DEFAULT:1", 1, 0.0)
    position = catalogue.positions["S:L:DEFAULT"] = Position("S:L:DEFAULT", catalogue, "S", "L", "DEFAULT", 0.0)
    catalogue.add_quantity(
        Quantity("S:L:DEFAULT:LAST_ON_HAND", position, "LAST_ON_HAND", "ACTIVE", on_hand, 0.0, 0.0)
    )
    position.recompute(0.0)
    return inventory, position


def test_on_hand_counts_only_active_quantities_of_the_on_hand_types():
    inventory, position = _inventory_with(162)
    catalogue = inventory.catalogue("DEFAULT:1")
    for ref, kind, status, qty in (
        ("r1", "RESERVED", "ACTIVE", -7),
        ("r2", "RESERVED", "INACTIVE", -100),
        ("o1", "ON_ORDER", "ACTIVE", 500),
        ("d1", "DELTA", "ACTIVE", -10),
    ):
        catalogue.add_quantity(Quantity(ref, position, kind, status, qty, 0.0, 0.0))
    position.recompute(1.0)
    assert (position.on_hand, position.status) == (145, "ACTIVE")


def test_quantities_are_found_by_ref_whether_default_or_not():
    inventory, position = _inventory_with(1)
    catalogue = inventory.catalogue("DEFAULT:1")
    catalogue.add_quantity(Quantity("custom-ref", position, "ON_ORDER", "ACTIVE", 3, 0.0, 0.0))
    assert catalogue.find_quantity("S:L:DEFAULT:LAST_ON_HAND").quantity == 1
    assert catalogue.find_quantity("custom-ref").quantity == 3
    assert catalogue.find_quantity("S:L:DEFAULT:ON_ORDER") is None
    assert catalogue.other_refs.keys() == {"custom-ref"}
    assert sorted(q.ref for q in catalogue.quantities()) == ["S:L:DEFAULT:LAST_ON_HAND", "custom-ref"]


def test_a_position_holds_its_quantities_by_ref_one_or_many_and_a_retyped_quantity_keeps_its_ref():
    _, position = _inventory_with(4)
    one = position.quantity("S:L:DEFAULT:LAST_ON_HAND")
    assert one is not None and not position.several() and list(position.quantities) == [one.ref]
    replacement = Quantity(one.ref, position, "LAST_ON_HAND", "ACTIVE", 9, 0.0, 0.0)
    position.add(replacement)
    assert position.quantities == {one.ref: replacement} and not position.several()
    position.add(Quantity("S:L:DEFAULT:ON_ORDER", position, "ON_ORDER", "ACTIVE", 2, 0.0, 0.0))
    assert list(position.quantities) == ["S:L:DEFAULT:LAST_ON_HAND", "S:L:DEFAULT:ON_ORDER"] and position.several()
    replacement.set_type("SALE")  # a record may name a default ref with another type: the ref stays
    assert (replacement.ref, replacement.type) == ("S:L:DEFAULT:LAST_ON_HAND", "SALE")
    assert position.quantity("S:L:DEFAULT:SALE") is None


@pytest.fixture(params=["memory", "sqlite"])
def event_log(request, tmp_path):
    """Makes an event log of either store, given its retention."""
    if request.param == "memory":
        return InMemoryEventLog
    return lambda retention=2_000_000: sqlite_events.SqliteEventLog(
        Database(tmp_path / "state.sqlite3", sqlite_events.SCHEMA), retention
    )


def test_record_events_read_back_their_quantity_refs_default_or_not(event_log):
    log = event_log()
    block = EventBlock("InventoryChanged", 5.0, 1, "INVENTORY_POSITION", None, None, None, "admin")
    other = EventBlock("Other", 5.0, 1, "INVENTORY_POSITION", None, None, None, "admin")
    log.append_records([(block, "P:L:DEFAULT", "P:L:DEFAULT:LAST_ON_HAND", "LAST_ON_HAND", 3)])
    log.append_records(
        [(block, "P:L:DEFAULT", "mine", "LAST_ON_HAND", 4), (other, "Q:L:DEFAULT", "Q:L:DEFAULT:SALE", "SALE", -1)]
    )
    events, more = log.search({}, 0.0, 10.0, 0, 10, lambda e: True)
    assert not more
    assert [(e.name, e.entity_ref, e.attributes) for e in events] == [
        ("Other", "Q:L:DEFAULT", {"quantityRef": "Q:L:DEFAULT:SALE", "type": "SALE", "qty": -1}),
        ("InventoryChanged", "P:L:DEFAULT", {"quantityRef": "mine", "type": "LAST_ON_HAND", "qty": 4}),
        (
            "InventoryChanged",
            "P:L:DEFAULT",
            {"quantityRef": "P:L:DEFAULT:LAST_ON_HAND", "type": "LAST_ON_HAND", "qty": 3},
        ),
    ]
    assert [e.name for e in log.search({"entity_ref": "P:L:DEFAULT"}, 0.0, 10.0, 0, 10, lambda e: True)[0]] == [
        "InventoryChanged",
        "InventoryChanged",
    ]


def test_refs_and_catalogue_types():
    assert catalogue_type("FUTURE:2") == "FUTURE" and catalogue_type("PLAIN") == "PLAIN"
    assert position_ref("SKU1", "LOC1", "DEFAULT:1") == "SKU1:LOC1:DEFAULT"
    assert Catalogue("BASE:1", 1, 0.0, 0.0).type == "BASE"


def test_deltas_are_all_or_nothing_and_replays_are_skipped():
    inventory, position = _inventory_with(20)
    failed = apply_deltas(
        inventory,
        "DEFAULT:1",
        [{"productRef": "S", "locationRef": "L", "qty": -1}, {"productRef": "S", "locationRef": "X", "qty": -1}],
        1.0,
    )
    assert failed.status == "FAILED" and "S:X:DEFAULT" in failed.error and position.on_hand == 20
    delta = {"productRef": "S", "locationRef": "L", "qty": -5, "deltaId": "d1"}
    assert apply_deltas(inventory, "DEFAULT:1", [delta, {**delta, "deltaId": "d2"}], 2.0).applied == 2
    again = apply_deltas(inventory, "DEFAULT:1", [delta], 3.0)
    assert (again.applied, again.replayed, position.on_hand) == (0, 1, 10)


# ---------------------------------------------------------------- events


def test_event_log_reads_searches_pages_and_forgets_the_oldest(event_log):
    log = event_log(retention=50)
    ids = [
        log.event_id(
            log.append("A" if i % 2 else "B", float(i), retailer_id=1, entity_type="X", entity_ref=f"r{i % 3}")
        )
        for i in range(60)
    ]
    assert log.get(ids[0]) is None, "the oldest were forgotten"
    assert log.get(ids[-1]).name == "A"
    assert log.get("garbage") is None and log.get(ids[-1].replace(ids[-1][:8], "00000000")) is None
    page, more = log.search({"name": "A", "entity_ref": "r1"}, 0.0, 100.0, 0, 3, lambda e: True)
    assert [e.generated_on for e in page] == [55.0, 49.0, 43.0] and more
    newest_first, _ = log.search({}, 57.5, 100.0, 0, 10, lambda e: True)
    assert [e.generated_on for e in newest_first] == [59.0, 58.0]
    events = SimpleNamespace(event_id=log.event_id, account_id="DEMO")
    assert json.loads(json.dumps(_event_json(events, page[0])))["context"]["entityRef"] == "r1"


def test_seq_runs_read_as_the_list_of_seqs_they_hold():
    rng = random.Random(5)
    runs, expected, seq = _SeqRuns(), [], 1
    for _ in range(300):
        seq += rng.choice((0, 0, 1, 7))  # mostly contiguous: runs that continue the last one
        count = rng.randint(1, 9)
        runs.add(seq, count)
        expected += range(seq, seq + count)
        seq += count
        if rng.random() < 0.1:
            below = rng.randint(expected[0], seq) if expected else seq
            runs.drop_below(below)
            expected = [s for s in expected if s >= below]
        assert len(runs) == len(expected) and list(runs) == expected
        assert [runs[i] for i in (0, len(expected) // 2, -1)] == [expected[i] for i in (0, len(expected) // 2, -1)]
    assert len(runs._firsts) < len(expected) / 3, "contiguous seqs share a run"


def test_record_events_are_read_back_from_their_chunks_and_trimmed_by_chunk(event_log):
    log = event_log(retention=1_000)
    block = EventBlock("InventoryChanged", 5.0, 1, "INVENTORY_POSITION", "INVENTORY_CATALOGUE", "DEFAULT:1", "b", "u")
    for chunk in range(4):
        log.append_records([(block, f"P{chunk}-{i}", None, "LAST_ON_HAND", i) for i in range(300)])
        log.append("Other", 6.0 + chunk, retailer_id=2, entity_type="X", entity_ref=f"P{chunk}-0")
    event = log.search({"entity_ref": "P3-7"}, 0.0, 100.0, 0, 5, lambda e: True)[0]
    assert [(e.entity_ref, e.attributes) for e in event] == [
        ("P3-7", {"quantityRef": "P3-7:LAST_ON_HAND", "type": "LAST_ON_HAND", "qty": 7})
    ]
    both, _ = log.search({"entity_ref": "P3-0"}, 0.0, 100.0, 0, 5, lambda e: True)
    assert [e.name for e in both] == ["Other", "InventoryChanged"]
    assert log.get(log.event_id(event[0])).attributes["qty"] == 7
    first_chunk = log.search({"entity_ref": "P0-5"}, 0.0, 100.0, 0, 5, lambda e: True)[0]
    assert first_chunk == [], "over retention, the oldest tenth was dropped"
    named, _ = log.search({"name": "InventoryChanged"}, 0.0, 100.0, 0, 2_000, lambda e: True)
    # 1,204 events, over 1,000: the oldest tenth (120 record events, seqs 1-120) dropped
    assert len(named) == 1_200 - 120 and named[0].entity_ref == "P3-299" and named[-1].entity_ref == "P0-120"
    others, _ = log.search({}, 0.0, 100.0, 0, 10, lambda e: True, retailers=[2])  # the store reads only theirs
    assert [e.generated_on for e in others] == [9.0, 8.0, 7.0, 6.0]
    log.append("Unowned", 10.0, retailer_id=None, entity_type="X", entity_ref="Z")
    others, _ = log.search({}, 0.0, 100.0, 0, 10, lambda e: True, retailers=[2, None])
    assert [e.generated_on for e in others] == [10.0, 9.0, 8.0, 7.0, 6.0]
    assert log.search({"name": "Other"}, 0.0, 100.0, 0, 10, lambda e: True, retailers=[3])[0] == []


def test_config_file_and_environment_override_the_demo_account(tmp_path):
    path = tmp_path / "server.yaml"
    path.write_text(
        "account:\n  retailers: [1, 2, 3]\n  users:\n    - {username: u, password: p, retailer_id: 3}\n"
        "token_ttl_s: 60\n"
    )
    config = load_config(
        path, environ={"INVHARNESS_ACCOUNT_ID": "ACME", "INVHARNESS_CLIENT_ID": "c", "INVHARNESS_CLIENT_SECRET": "s"}
    )
    assert config.account.account_id == "ACME" and config.account.retailers == (1, 2, 3)
    assert config.account.clients == {"c": "s"} and config.account.users[0].username == "u"
    assert config.token_ttl_s == 60
    path.write_text("colour: blue\n")
    with pytest.raises(ValueError, match="unknown server settings: colour"):
        load_config(path, environ={})
    path.write_text("- a list\n")
    with pytest.raises(ValueError, match="expected a mapping"):
        load_config(path, environ={})


def test_worker_groups_pending_batches_of_a_job():
    from invharness.reference_impl.backend import Backend
    from invharness.reference_impl.services.access import Principal

    backend = Backend(ServerConfig(processing_window_s=0))
    admin = Principal(backend.config.account.users[0])

    async def scenario():
        await backend.worker.start()
        backend.worker.pause()
        job = backend.jobs.create_job(admin, {"name": "j", "retailerId": 1})
        record = {"skuRef": "S", "locationRef": "L", "qty": 1, "retailerId": 1}
        first = backend.batches.accept_batch(
            admin, job.id, {"action": "UPSERT", "entityType": "INVENTORY", "entities": [record]}
        )
        second = backend.batches.accept_batch(
            admin, job.id, {"action": "UPSERT", "entityType": "INVENTORY", "entities": [{**record, "qty": 2}]}
        )
        assert (first.status, second.status) == ("PENDING", "PENDING")
        backend.worker.resume()
        await backend.worker.stop()
        return first, second

    first, second = asyncio.run(scenario())
    assert (first.status, second.status) == ("COMPLETE", "COMPLETE")
    assert backend.stores.inventory.find_position("DEFAULT:1", "S:L:DEFAULT").on_hand == 2
    raised, _ = backend.events.search(admin, {"name": "InventoryChanged"}, 0.0, float("inf"), 0, 10)
    assert len(raised) == 1, "de-duplicated across the two batches"
