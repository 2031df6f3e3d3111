"""Batch create, read, status and validation (group batches)."""

import itertools
import re

import pytest

from invharness import contracts
from invharness.generators import payloads
from invharness.suites.helpers import Position, forwarded, position_state


def _job(client, ref, profile):
    return client.create_job(payloads.job(ref("job"), str(profile.primary_retailer)))


@pytest.mark.clause("BATCH-CREATE-01")
def test_create_answers_200_with_a_digit_id(client, ref, profile):
    position = Position.new(ref, profile)
    answer = client.post_batch(_job(client, ref, profile), payloads.batch([position.record(3)]))
    assert answer.status_code == 200 and re.fullmatch(r"\d+", answer.json()["id"])


@pytest.mark.clause("BATCH-CREATE-02")
def test_batch_to_an_unknown_job_is_404(client, ref, profile):
    position = Position.new(ref, profile)
    assert client.post_batch("999999999", payloads.batch([position.record(3)])).status_code == 404


@pytest.mark.clause("BATCH-READ-01", "BATCH-READ-02", "BATCH-STATUS-01")
def test_batch_read_and_its_status_moving_forward(client, ref, profile):
    job_id = _job(client, ref, profile)
    batch_id = client.create_batch(job_id, payloads.batch([Position.new(ref, profile).record(3)]))
    seen = []
    body = client.wait_batch(job_id, batch_id, seen.append)
    order = ["PENDING", "RUNNING", "COMPLETE"]
    assert all(order.index(a) <= order.index(b) for a, b in itertools.pairwise(seen)), seen
    assert body["batchId"] == batch_id and body["entityType"] == "INVENTORY"
    for name in ("start", "count", "total", "results", "createdOn"):
        assert name in body, name
    assert contracts.validator("batch").errors(body) == []
    listed = client.request("GET", f"/api/v4.1/job/{job_id}").json()["batch"]
    assert [(b["batchId"], b["status"]) for b in listed] == [(batch_id, "COMPLETE")]


@pytest.mark.clause("BATCH-STATUS-02", "BATCH-ENTITY-01")
def test_a_bad_record_is_ignored_and_the_batch_completes(client, ref, profile):
    good, also_good = Position.new(ref, profile), Position.new(ref, profile)
    bad = {**good.record(1), "qty": -5}
    _, body = client.run_batch(
        payloads.job(ref("job"), str(profile.primary_retailer)),
        payloads.batch([good.record(4), bad, also_good.record(6)]),
    )
    assert body["status"] == "COMPLETE"
    assert position_state(client, good)[0]["onHand"] == 4
    assert position_state(client, also_good)[0]["onHand"] == 6


@pytest.mark.clause("BATCH-ENTITY-02")
def test_results_report_each_ignored_record(client, ref, profile):
    if profile.value("batch.results") != "per_record_errors":
        pytest.skip("unsupported: the target declares no per-record results")
    position = Position.new(ref, profile)
    records = [position.record(1), {"skuRef": "x", "retailerId": profile.primary_retailer}, position.record(-1)]
    _, body = client.run_batch(payloads.job(ref("job"), str(profile.primary_retailer)), payloads.batch(records))
    assert [r["index"] for r in body["results"]] == [1, 2]
    assert all(r["code"] and r["message"] for r in body["results"])


@pytest.mark.clause("BATCH-PAGE-01")
def test_start_count_total_page_over_results(client, ref, profile):
    bad = [{"skuRef": f"x{i}", "retailerId": profile.primary_retailer} for i in range(12)]
    job_id = _job(client, ref, profile)
    batch_id = client.create_batch(job_id, payloads.batch([Position.new(ref, profile).record(1), *bad]))
    client.wait_batch(job_id, batch_id)
    page = client.read_batch(job_id, batch_id, start=11, count=5).json()
    assert (page["start"], page["count"], page["total"]) == (11, 5, 12)
    assert len(page["results"]) == 2


@pytest.mark.clause("BATCH-LIMIT-01")
def test_a_batch_of_exactly_the_limit_is_processed(client, ref, profile):
    limit = int(profile.value("batch.max_records"))
    sku = ref("SKU")
    records = [payloads.record(sku, f"L{i:05d}", 1, profile.primary_retailer) for i in range(limit)]
    _, body = client.run_batch(payloads.job(ref("job"), str(profile.primary_retailer)), payloads.batch(records))
    assert body["status"] == "COMPLETE" and body["total"] == 0
    assert position_state(client, Position(sku, f"L{limit - 1:05d}", profile.primary_retailer))[0]["onHand"] == 1


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
        assert answer.status_code == 200
        return
    assert answer.status_code == int(declared)
    assert answer.json()["errors"][0]["message"]
    assert client.request("GET", f"/api/v4.1/job/{job_id}").json()["batch"] == []


@pytest.mark.clause("BATCH-VALID-01")
@pytest.mark.parametrize("broken", ["action", "entityType", "entities"])
def test_bad_batch_level_fields_are_answered_as_declared(client, ref, profile, broken):
    declared = profile.value("batch.invalid_envelope_status")
    job_id = _job(client, ref, profile)
    body = payloads.batch([Position.new(ref, profile).record(1)])
    if broken == "entities":
        del body["entities"]
    else:
        body[broken] = "NOT_" + body[broken]
    answer = client.post_batch(job_id, body)
    if declared == "accepted":
        assert answer.status_code == 200
        return
    assert answer.status_code == int(declared)
    assert client.request("GET", f"/api/v4.1/job/{job_id}").json()["batch"] == []


@pytest.mark.clause("BATCH-DEFAULT-01", "BATCH-DEFAULT-02", "BATCH-DEFAULT-04", "BATCH-REF-01")
def test_defaults_type_catalogue_corrected_qty_and_ref(client, ref, profile):
    position = Position.new(ref, profile)
    client.run_batch(payloads.job(ref("job"), str(profile.primary_retailer)), payloads.batch([position.record(9)]))
    node, quantities = position_state(client, position)
    assert node is not None, f"no position {position.ref} in {position.catalogue}"
    stored = quantities[position.quantity_ref("LAST_ON_HAND")]
    assert (stored["type"], stored["quantity"], stored["correctedQty"]) == ("LAST_ON_HAND", 9, 0)


@pytest.mark.clause("BATCH-DEFAULT-03")
def test_default_event_name(client, ref, profile):
    position = Position.new(ref, profile)
    job_id = _job(client, ref, profile)
    client.wait_batch(job_id, client.create_batch(job_id, payloads.batch([position.record(2)])))
    assert len(client.events("InventoryChanged", position.ref)) == 1


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
