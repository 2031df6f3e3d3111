"""Batch create, read, status and validation (group batches)."""

import itertools
import re
import time

import pytest

from invharness import contracts
from invharness.generators import payloads
from invharness.suites.helpers import (
    Position,
    events_named,
    forwarded,
    new_batch,
    new_job,
    position_state,
    settle,
    wait_batch,
)

STATUSES = ["PENDING", "RUNNING", "COMPLETE"]


def _job(client, ref, profile):
    return new_job(client, ref, profile.primary_retailer)


def on_hand(client, position):
    node = position_state(client, position)[0]
    return None if node is None else node["onHand"]


def nothing_stored(client, job_id, position, what: str) -> None:
    """A refused batch is not listed and (given time to show, had it been queued) stores nothing."""
    listed = client.request("GET", f"/api/v4.1/job/{job_id}").json().get("batch")
    assert listed == [], f"{what}: refused, yet the job lists batches {listed}"
    time.sleep(client.profile.poll_interval_s * 4)
    assert position_state(client, position)[0] is None, f"{what}: refused, yet its record was stored"


@pytest.mark.clause("BATCH-CREATE-01")
def test_create_answers_200_with_a_digit_id(client, ref, profile):
    position = Position.new(ref, profile)
    job_id = _job(client, ref, profile)
    answer = client.post_batch(job_id, payloads.batch([position.record(3)]))
    assert answer.status_code == 200, f"expected 200, got {answer.status_code}: {answer.text[:200]}"
    batch_id = answer.json().get("id")
    assert isinstance(batch_id, str) and re.fullmatch(r"\d+", batch_id), f"id: expected digits, got {batch_id!r}"
    settle(client, job_id, batch_id)
    assert on_hand(client, position) == 3, (
        f"the accepted batch's record: expected onHand 3, got {on_hand(client, position)}"
    )


@pytest.mark.clause("BATCH-CREATE-02")
def test_batch_to_an_unknown_job_is_404(client, ref, profile):
    position = Position.new(ref, profile)
    answer = client.post_batch("987654321987654321", payloads.batch([position.record(3)]))
    assert answer.status_code == 404, f"expected 404, got {answer.status_code}"


@pytest.mark.clause("BATCH-READ-01", "BATCH-READ-02", "BATCH-STATUS-01")
def test_batch_read_and_its_status_moving_forward(client, ref, profile):
    job_id = _job(client, ref, profile)
    position = Position.new(ref, profile)
    batch_id = new_batch(client, job_id, payloads.batch([position.record(3)]))
    seen = []
    body = settle(client, job_id, batch_id, seen.append)
    assert set(seen) <= set(STATUSES), f"statuses: expected only {STATUSES}, saw {seen}"
    moving = all(STATUSES.index(a) <= STATUSES.index(b) for a, b in itertools.pairwise(seen))
    assert moving and body["status"] == "COMPLETE", f"statuses: expected forward to COMPLETE, saw {seen}"
    # COMPLETE means processed: the record is stored by now
    assert on_hand(client, position) == 3, f"once COMPLETE: expected onHand 3, got {on_hand(client, position)}"
    got = (body.get("batchId"), body.get("entityType"))
    assert got == (batch_id, "INVENTORY"), f"(batchId, entityType): expected ({batch_id}, INVENTORY), got {got}"
    missing = [n for n in ("start", "count", "total", "results", "createdOn") if n not in body]
    assert not missing, f"the batch read lacks {missing}: {body}"
    assert contracts.validator("batch").errors(body) == []
    listed = client.request("GET", f"/api/v4.1/job/{job_id}").json()["batch"]
    got_list = [(b.get("batchId"), b.get("status"), bool(b.get("createdOn"))) for b in listed]
    assert got_list == [(batch_id, "COMPLETE", True)], (
        f"the job lists: expected [({batch_id}, COMPLETE, createdOn)], got {listed}"
    )


@pytest.mark.clause("BATCH-STATUS-02", "BATCH-ENTITY-01")
def test_a_bad_record_is_ignored_and_the_batch_completes(client, ref, profile):
    good, also_good = Position.new(ref, profile), Position.new(ref, profile)
    bad = {**good.record(1), "qty": -5}
    job_id = _job(client, ref, profile)
    answer = client.post_batch(job_id, payloads.batch([good.record(4), bad, also_good.record(6)]))
    assert answer.status_code == 200, f"a batch with one bad record: expected 200, got {answer.status_code}"
    body = settle(client, job_id, answer.json()["id"])
    assert body["status"] == "COMPLETE", f"a batch with one bad record: expected COMPLETE, got {body['status']}"
    got = (on_hand(client, good), on_hand(client, also_good))
    assert got == (4, 6), f"onHand of the good records around the bad one: expected (4, 6), got {got}"


@pytest.mark.clause("BATCH-ENTITY-02")
def test_results_report_each_ignored_record(client, ref, profile):
    declared = profile.value("batch.results")
    position = Position.new(ref, profile)
    records = [position.record(1), {"skuRef": "x", "retailerId": profile.primary_retailer}, position.record(-1)]
    job_id = _job(client, ref, profile)
    body = wait_batch(client, job_id, new_batch(client, job_id, payloads.batch(records)))
    results = body.get("results") or []
    if declared == "empty":
        got = (results, body.get("total"))
        assert got == ([], 0), f"results and total, declared batch.results empty: expected ([], 0), got {got}"
        assert on_hand(client, position) == 1, "the good record was not stored"
        return
    assert [r.get("index") for r in results] == [1, 2], f"results: expected indexes [1, 2], got {results}"
    assert all(r.get("code") and r.get("message") and "entityRef" in r for r in results), f"results: {results}"
    assert body.get("total") == 2, f"total: expected 2, got {body.get('total')}"
    assert on_hand(client, position) == 1, "the good record was not stored"


@pytest.mark.clause("BATCH-PAGE-01")
def test_start_count_total_page_over_results(client, ref, profile):
    bad = [{"skuRef": f"x{i}", "retailerId": profile.primary_retailer} for i in range(12)]
    job_id = _job(client, ref, profile)
    batch_id = new_batch(client, job_id, payloads.batch([Position.new(ref, profile).record(1), *bad]))
    wait_batch(client, job_id, batch_id)
    page = client.read_batch(job_id, batch_id, start=11, count=5).json()
    assert (page["start"], page["count"], page["total"]) == (11, 5, 12)
    assert len(page["results"]) == 2


@pytest.mark.clause("BATCH-LIMIT-01")
def test_a_batch_of_exactly_the_limit_is_processed(client, ref, profile):
    limit = int(profile.value("batch.max_records"))
    sku = ref("SKU")
    records = [payloads.record(sku, f"L{i:05d}", i % 7 + 1, profile.primary_retailer) for i in range(limit)]
    job_id = _job(client, ref, profile)
    answer = client.post_batch(job_id, payloads.batch(records))
    assert answer.status_code == 200, f"{limit} records: expected 200, got {answer.status_code}: {answer.text[:200]}"
    body = wait_batch(client, job_id, answer.json()["id"])
    assert body["total"] == 0, f"{limit} good records: expected no results, got {body['results'][:3]}"
    for i in (0, limit // 2, limit - 1):
        got = on_hand(client, Position(sku, f"L{i:05d}", profile.primary_retailer))
        assert got == i % 7 + 1, f"record {i} of {limit}: expected onHand {i % 7 + 1}, got {got}"


@pytest.mark.clause("BATCH-LIMIT-02")
def test_a_batch_over_the_limit_is_answered_as_declared(client, ref, profile):
    limit = int(profile.value("batch.max_records"))
    declared = profile.value("batch.oversize_status")
    job_id = _job(client, ref, profile)
    sku = ref("SKU")
    records = [payloads.record(sku, f"L{i:05d}", 1, profile.primary_retailer) for i in range(limit + 1)]
    body = {"action": "UPSERT", "entityType": "INVENTORY", "entities": records}
    answer = client.post_batch(job_id, body)
    if declared == "accepted":
        assert answer.status_code == 200, f"{limit + 1} records, declared accepted: got {answer.status_code}"
        return
    assert answer.status_code == int(declared), (
        f"{limit + 1} records: expected declared {declared}, got {answer.status_code}"
    )
    assert (answer.json().get("errors") or [{}])[0].get("message"), (
        f"expected the errors envelope, got {answer.text[:200]}"
    )
    nothing_stored(client, job_id, Position(sku, "L00000", profile.primary_retailer), f"{limit + 1} records")


@pytest.mark.clause("BATCH-VALID-01")
@pytest.mark.parametrize("broken", ["action", "entityType", "entities"])
def test_bad_batch_level_fields_are_answered_as_declared(client, ref, profile, broken):
    declared = profile.value("batch.invalid_envelope_status")
    job_id = _job(client, ref, profile)
    position = Position.new(ref, profile)
    body = payloads.batch([position.record(1)])
    if broken == "entities":
        del body["entities"]
    else:
        body[broken] = "NOT_" + body[broken]
    answer = client.post_batch(job_id, body)
    if declared == "accepted":
        assert answer.status_code == 200, f"a bad {broken}, declared accepted: got {answer.status_code}"
        return
    assert answer.status_code == int(declared), (
        f"a bad {broken}: expected declared {declared}, got {answer.status_code}"
    )
    nothing_stored(client, job_id, position, f"a batch with a bad {broken}")


def _stored_plainly(client, ref, profile, *records):
    """One batch of records without type, ref, catalogueRef or correctedQty; the position's quantities."""
    position = Position.new(ref, profile)
    job_id = _job(client, ref, profile)
    wait_batch(client, job_id, new_batch(client, job_id, payloads.batch([position.record(q) for q in records])))
    node, quantities = position_state(client, position)
    assert node is not None, f"a batch without catalogueRef: no position {position.ref} in {position.catalogue}"
    return position, quantities


@pytest.mark.clause("BATCH-DEFAULT-01")
def test_a_record_without_type_is_last_on_hand(client, ref, profile):
    _, quantities = _stored_plainly(client, ref, profile, 9)
    got = sorted((q["type"], q["quantity"]) for q in quantities.values())
    assert got == [("LAST_ON_HAND", 9)], (
        f"(type, quantity) of the stored quantities: expected [(LAST_ON_HAND, 9)], got {got}"
    )


@pytest.mark.clause("BATCH-DEFAULT-02")
def test_a_batch_without_catalogue_writes_the_retailers_default_catalogue(client, ref, profile):
    position, _ = _stored_plainly(client, ref, profile, 9)
    assert on_hand(client, position) == 9, f"onHand in {position.catalogue}: expected 9"


@pytest.mark.clause("BATCH-DEFAULT-04")
def test_a_record_without_corrected_qty_stores_zero(client, ref, profile):
    _, quantities = _stored_plainly(client, ref, profile, 9)
    got = [q["correctedQty"] for q in quantities.values()]
    assert got == [0], f"correctedQty: expected [0], got {got}"


@pytest.mark.clause("BATCH-REF-01")
def test_a_record_without_ref_gets_the_built_ref(client, ref, profile):
    position = Position.new(ref, profile)
    job_id = _job(client, ref, profile)
    records = [position.record(9), position.record(4, type="ON_ORDER")]
    wait_batch(client, job_id, new_batch(client, job_id, payloads.batch(records)))
    got = sorted(position_state(client, position)[1])
    expected = sorted([position.quantity_ref("LAST_ON_HAND"), position.quantity_ref("ON_ORDER")])
    assert got == expected, f"quantity refs: expected {expected}, got {got}"


@pytest.mark.clause("BATCH-DEFAULT-03")
def test_default_event_name(client, ref, profile):
    position = Position.new(ref, profile)
    job_id = _job(client, ref, profile)
    wait_batch(client, job_id, new_batch(client, job_id, payloads.batch([position.record(2)])))
    found = events_named(client, "InventoryChanged", position.ref)
    assert len(found) == 1, f"events named InventoryChanged for {position.ref}: expected 1, got {len(found)}"


@pytest.mark.clause("BATCH-REF-02")
def test_a_supplied_ref_is_taken_as_given_and_the_catalogue_type_is_the_prefix(client, ref, profile):
    position = Position.new(ref, profile)
    given = ref("GIVEN")
    catalogue = f"FUTURE:{profile.primary_retailer}"
    counts = forwarded(
        client,
        ref,
        [position.record(5, type="FUTURE", ref=given), position.record(2, type="ON_ORDER")],
        profile.primary_retailer,
        catalogue_ref=catalogue,
    )
    assert counts == {f"{position.sku}:{position.location}:FUTURE": 2}
    query = (
        """query($ref: String!, $cat: String!) { inventoryQuantity(ref: $ref, catalogue: {ref: $cat}) { quantity } }"""
    )
    assert client.data(query, ref=given, cat=catalogue)["inventoryQuantity"] == {"quantity": 5}
    built = f"{position.sku}:{position.location}:FUTURE:ON_ORDER"
    assert client.data(query, ref=built, cat=catalogue)["inventoryQuantity"] == {"quantity": 2}
