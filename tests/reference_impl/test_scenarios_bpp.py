"""SPEC §12.1-12.3: pre-processing precedence, change detection and de-duplication, over HTTP.

"Forwarded" is observed as an event of the batch's own event name for the position (SPEC §15);
"filtered" as no such event and an unchanged updatedOn.
"""

import pytest

from tests.support import record, unique

OMIT = object()


def forwarded(api, entities, meta=OMIT, job_id=None, **fields) -> dict[str, int]:
    """Run a batch under its own event name; how many events each position ref got."""
    name = unique("Ev")
    if job_id is None:
        job_id = api.job(**({} if meta is OMIT else {"meta": meta}))
    api.run_batch(entities, job_id=job_id, event=name, **fields)
    counts: dict[str, int] = {}
    for event in api.events(name):
        counts[event["context"]["entityRef"]] = counts.get(event["context"]["entityRef"], 0) + 1
    return counts


def bpp_applies(api, meta=OMIT) -> bool:
    """SPEC §12.1: send one unchanged record again in a second job; filtered means BPP is on."""
    sku = unique("P")
    api.run_batch([record(sku, 5)])
    return forwarded(api, [record(sku, 5)], meta) == {}


# ---------------------------------------------------------------- 12.1 precedence


@pytest.mark.parametrize(
    ("account", "retailer", "meta", "expected"),
    [
        ("TRUE", None, OMIT, True),  # P1
        ("TRUE", None, {"preprocessing": "skip"}, False),  # P2
        ("TRUE", None, {"preprocessing": "enabled"}, True),  # P3
        ("TRUE", None, {"preprocessing": "anything"}, True),  # P4
        ("TRUE", None, None, True),  # P5 null
        ("TRUE", None, {}, True),  # P5 {}
        ("FALSE", None, {"preprocessing": "enabled"}, False),  # P6
        ("FALSE", None, {"preprocessing": "skip"}, False),  # P7
        ("TRUE", "FALSE", OMIT, False),  # P8
        ("FALSE", "TRUE", OMIT, True),  # P9
        ("FALSE", "TRUE", {"preprocessing": "skip"}, False),  # P10
        (None, None, OMIT, True),  # P11 (decision 9)
        ("TRUE", None, {"preprocessing": "SKIP"}, True),  # P12 (decision 10: only exact "skip")
        ("true", None, {"preprocessing": "enabled"}, True),  # decision 9: case-insensitive value
        ("false", None, OMIT, False),
    ],
    ids=[
        "P1",
        "P2",
        "P3",
        "P4",
        "P5-null",
        "P5-empty",
        "P6",
        "P7",
        "P8",
        "P9",
        "P10",
        "P11",
        "P12",
        "lower-true",
        "lower-false",
    ],
)
def test_precedence(api, account, retailer, meta, expected):
    if account is not None:
        api.setting("ACCOUNT", account)
    if retailer is not None:
        api.setting("RETAILER", retailer, context_id=1)
    assert bpp_applies(api, meta) is expected


def test_setting_is_read_when_the_batch_is_processed(api):
    # Decision 11: a job created while the setting was TRUE follows a later FALSE.
    sku = unique("P")
    api.run_batch([record(sku, 5)])
    job_id = api.job()
    api.setting("ACCOUNT", "FALSE")
    assert forwarded(api, [record(sku, 5)], job_id=job_id) == {f"{sku}:LOC1:DEFAULT": 1}


def test_skip_covers_every_batch_of_the_job(api):
    sku = unique("P")
    api.run_batch([record(sku, 5)])
    job_id = api.job(meta={"preprocessing": "skip"})
    for _ in range(2):
        assert forwarded(api, [record(sku, 5)], job_id=job_id) == {f"{sku}:LOC1:DEFAULT": 1}


# ---------------------------------------------------------------- 12.2 change detection


def _stored(api, sku, qty=10, **fields):
    api.run_batch([record(sku, qty, status="ACTIVE", **fields)])
    return api.position(sku)


def test_c1_new_record_is_forwarded(api):
    sku = unique("C")
    assert forwarded(api, [record(sku, 10)]) == {f"{sku}:LOC1:DEFAULT": 1}
    assert api.position(sku)["onHand"] == 10


def test_c2_unchanged_record_is_filtered_and_updated_on_kept(api):
    sku = unique("C")
    before = _stored(api, sku)
    assert forwarded(api, [record(sku, 10, status="ACTIVE")]) == {}
    assert api.position(sku)["updatedOn"] == before["updatedOn"]


@pytest.mark.parametrize(
    ("incoming", "expect_forwarded"),
    [
        ({"qty": 12}, True),  # C3
        ({"status": "INACTIVE"}, True),  # C4
        ({}, False),  # C5: no status, not compared
        ({"attributes": {"expiresOn": "2027-01-01T00:00:00Z"}}, False),  # C9
        ({"type": "ON_ORDER"}, True),  # C10
        ({"correctedQty": 2}, True),  # decision 13
    ],
)
def test_c3_to_c10_comparison(api, incoming, expect_forwarded):
    incoming = dict(incoming)  # the parameter is shared by both stores' runs: pop from a copy
    sku = unique("C")
    _stored(api, sku, attributes={"expiresOn": "2026-12-31T00:00:00Z"})
    entity = record(sku, incoming.pop("qty", 10), **incoming)
    assert bool(forwarded(api, [entity])) is expect_forwarded


def test_c6_transient_sale_forces_forwarding_and_is_deactivated(api):
    sku = unique("C")
    _stored(api, sku)
    sale = api.add_quantity(sku, "SALE", -1)
    assert api.position(sku)["onHand"] == 9
    assert forwarded(api, [record(sku, 10)]) == {f"{sku}:LOC1:DEFAULT": 1}
    assert api.quantities(sku)[sale]["status"] == "INACTIVE"
    assert api.position(sku)["onHand"] == 10


def test_c7_conditions_replace_the_default_transients(api):
    sku = unique("C")
    # correctedQty 2 keeps decision 13 out of the way: only the transient check is under test.
    _stored(api, sku, correctedQty=2)
    api.add_quantity(sku, "CORRECTION", -2)
    conditions = {"hasRelatedInventoryQuantities": [{"type": "SALE", "status": "ACTIVE"}]}
    assert forwarded(api, [record(sku, 10, correctedQty=2)], conditions=conditions) == {}
    assert forwarded(api, [record(sku, 10, correctedQty=2)]) == {f"{sku}:LOC1:DEFAULT": 1}


def test_c8_reserved_is_not_a_transient(api):
    sku = unique("C")
    _stored(api, sku)
    api.add_quantity(sku, "RESERVED", -3)
    assert forwarded(api, [record(sku, 10)]) == {}
    assert api.position(sku)["onHand"] == 7


def test_c11_a_new_explicit_ref_is_a_new_quantity(api):
    sku = unique("C")
    _stored(api, sku, ref=f"{sku}-R1")
    assert forwarded(api, [record(sku, 10, ref=f"{sku}-R2")]) == {f"{sku}:LOC1:DEFAULT": 1}


def test_c12_corrected_qty_zero_over_active_correction(api):
    sku = unique("C")
    _stored(api, sku)
    correction = api.add_quantity(sku, "CORRECTION", -4)
    conditions = {"hasRelatedInventoryQuantities": [{"type": "SALE", "status": "ACTIVE"}]}
    assert forwarded(api, [record(sku, 10, correctedQty=0)], conditions=conditions) == {f"{sku}:LOC1:DEFAULT": 1}
    assert api.quantities(sku)[correction]["status"] == "INACTIVE"


def test_c13_bpp_off_forwards_unchanged_records(api):
    sku = unique("C")
    _stored(api, sku)
    assert forwarded(api, [record(sku, 10, status="ACTIVE")], meta={"preprocessing": "skip"}) == {
        f"{sku}:LOC1:DEFAULT": 1
    }


# ---------------------------------------------------------------- 12.3 de-duplication


def test_d1_duplicates_in_one_batch_last_wins(api):
    sku = unique("D")
    assert forwarded(api, [record(sku, 5), record(sku, 7)]) == {f"{sku}:LOC1:DEFAULT": 1}
    assert api.position(sku)["onHand"] == 7


def test_d1_without_bpp_every_record_is_processed(api):
    sku = unique("D")
    assert forwarded(api, [record(sku, 5), record(sku, 7)], meta={"preprocessing": "skip"}) == {
        f"{sku}:LOC1:DEFAULT": 2
    }
    assert api.position(sku)["onHand"] == 7


def test_d2_duplicates_across_batches_of_one_job_last_wins(api, server):
    sku = unique("D")
    name = unique("Ev")
    job_id = api.job()
    server.run_on_loop(server.backend.worker.pause)
    first = api.batch(job_id, [record(sku, 5)], event=name)
    second = api.batch(job_id, [record(sku, 7)], event=name)
    server.run_on_loop(server.backend.worker.resume)
    api.wait_batch(job_id, first)
    api.wait_batch(job_id, second)
    assert len(api.events(name)) == 1
    assert api.position(sku)["onHand"] == 7


def test_d3_identical_record_in_two_batches_forwarded_once(api):
    sku = unique("D")
    name = unique("Ev")
    job_id = api.job()
    api.run_batch([record(sku, 5)], job_id=job_id, event=name)
    api.run_batch([record(sku, 5)], job_id=job_id, event=name)
    assert len(api.events(name)) == 1


def test_d4_types_and_d6_segments_are_distinct_items(api):
    sku = unique("D")
    entities = [
        record(sku, 5),
        record(sku, 9, type="ON_ORDER"),
        record(sku, 100, ref=f"{sku}:LOC1:DEFAULT:LAST_ON_HAND:1"),
        record(sku, 50, ref=f"{sku}:LOC1:DEFAULT:LAST_ON_HAND:2"),
    ]
    assert forwarded(api, entities) == {f"{sku}:LOC1:DEFAULT": 4}
    assert len(api.quantities(sku)) == 4


def test_d5_two_jobs_are_processed_independently(api):
    sku = unique("D")
    assert forwarded(api, [record(sku, 5)]) == {f"{sku}:LOC1:DEFAULT": 1}
    assert forwarded(api, [record(sku, 7)]) == {f"{sku}:LOC1:DEFAULT": 1}
