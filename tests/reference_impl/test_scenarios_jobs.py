"""SPEC §12.6 (J1-J10): the Job and Batch API over HTTP, with decisions 1-6."""

import re
from datetime import UTC, datetime

from invharness import contracts
from tests.support import record, unique

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$")


def test_j1_job_without_name(api):
    answer = api.post("/api/v4.1/job", {"retailerId": "1"})
    assert answer.status_code == 400
    assert answer.json() == {"errors": [{"code": "400", "message": "'name' is required"}]}


def test_j2_job_without_retailer(api):
    answer = api.post("/api/v4.1/job", {"name": "x"})
    assert answer.status_code == 400
    assert answer.json() == {"errors": [{"code": "NotNull", "message": "'retailerId' is required"}]}


def test_j3_valid_job_answers_200_with_a_digit_id_for_string_and_integer_retailers(api):
    for retailer in ("1", 1):
        answer = api.post("/api/v4.1/job", {"name": "x", "retailerId": retailer, "meta": None})
        assert answer.status_code == 200
        assert re.fullmatch(r"\d+", answer.json()["id"])
        assert contracts.validator("id-response").is_valid(answer.json())
    assert api.post("/api/v4.1/job", {"name": "x", "retailerId": 1, "meta": {}}).status_code == 200


def test_j4_job_read(api):
    job_id = api.job()
    batch_id = api.batch(job_id, [record(unique("S"), 1)])
    api.server.drain()
    body = api.get(f"/api/v4.1/job/{job_id}").json()
    assert body["jobId"] == job_id and body["status"] == "OPEN"
    assert body["batch"] == [{"batchId": batch_id, "status": "COMPLETE", "createdOn": body["batch"][0]["createdOn"]}]
    assert TIMESTAMP.match(body["createdOn"]) and TIMESTAMP.match(body["batch"][0]["createdOn"])
    assert contracts.validator("job").errors(body) == []


def test_j5_unknown_job_and_batch_are_404(api):
    assert api.get("/api/v4.1/job/999999").status_code == 404
    job_id = api.job()
    assert api.get(f"/api/v4.1/job/{job_id}/batch/999999").status_code == 404
    answer = api.post(
        "/api/v4.1/job/999999/batch", {"action": "UPSERT", "entityType": "INVENTORY", "entities": [record("S", 1)]}
    )
    assert answer.status_code == 404 and answer.json()["errors"][0]["code"] == "404"


def test_j7_batch_over_5000_is_refused_and_nothing_stored(api):
    job_id = api.job()
    sku = unique("BIG")
    entities = [record(f"{sku}-{i}", 1) for i in range(5001)]
    answer = api.post(
        f"/api/v4.1/job/{job_id}/batch", {"action": "UPSERT", "entityType": "INVENTORY", "entities": entities}
    )
    assert answer.status_code == 400
    assert "entities" in answer.json()["errors"][0]["message"]
    assert len(answer.text) < 1000, "the message names the field without echoing 5,001 records"
    assert api.get(f"/api/v4.1/job/{job_id}").json()["batch"] == []
    exactly = api.run_batch(entities[:5000], job_id=job_id)
    assert exactly["status"] == "COMPLETE" and exactly["total"] == 0
    assert api.position(f"{sku}-4999")["onHand"] == 1


def test_batch_level_fields_are_validated_and_nothing_stored(api):
    job_id = api.job()
    base = {"action": "UPSERT", "entityType": "INVENTORY", "entities": [record("S", 1)]}
    for broken, field in (
        ({**base, "action": "DELETE"}, "action"),
        ({**base, "entityType": "PRODUCT"}, "entityType"),
        ({"action": "UPSERT", "entityType": "INVENTORY"}, "entities"),
        ({**base, "entities": []}, "entities"),
        ([base], "object"),
    ):
        answer = api.post(f"/api/v4.1/job/{job_id}/batch", broken)
        assert answer.status_code == 400, broken
        assert field in answer.json()["errors"][0]["message"]
    assert api.get(f"/api/v4.1/job/{job_id}").json()["batch"] == []


def test_j8_nonconforming_record_is_ignored_and_reported(api):
    sku = unique("J8")
    body = api.run_batch(
        [record(sku, 4), {"skuRef": sku, "qty": -1, "retailerId": 1}, "not a record", record(sku, 5, loc="LOC2")]
    )
    assert body["status"] == "COMPLETE" and body["total"] == 2
    assert [r["index"] for r in body["results"]] == [1, 2]
    assert body["results"][0]["code"] == "INVALID_RECORD"
    assert "$.entities[1]" in body["results"][0]["message"]
    assert api.position(sku)["onHand"] == 4 and api.position(sku, "LOC2")["onHand"] == 5
    assert contracts.validator("batch").errors(body) == []


def test_batch_results_page_with_start_and_count(api):
    bad = [{"skuRef": "x", "retailerId": 1}] * 25
    job_id = api.job()
    batch_id = api.batch(job_id, [record(unique("P"), 1), *bad])
    api.wait_batch(job_id, batch_id)
    page = api.get(f"/api/v4.1/job/{job_id}/batch/{batch_id}").json()
    assert (page["start"], page["count"], page["total"], len(page["results"])) == (1, 10, 25, 10)
    last = api.get(f"/api/v4.1/job/{job_id}/batch/{batch_id}", start=21, count=10).json()
    assert [r["index"] for r in last["results"]] == [21, 22, 23, 24, 25]
    assert api.get(f"/api/v4.1/job/{job_id}/batch/{batch_id}", start=0).status_code == 400


def test_j9_batch_moves_pending_running_complete(api, server):
    server.run_on_loop(server.backend.worker.pause)
    job_id = api.job()
    batch_id = api.batch(job_id, [record(unique("J9"), 1)])
    assert api.get(f"/api/v4.1/job/{job_id}/batch/{batch_id}").json()["status"] == "PENDING"
    server.run_on_loop(server.backend.worker.resume)
    assert api.wait_batch(job_id, batch_id)["status"] == "COMPLETE"


def test_j10_job_closes_at_the_next_midnight_utc(api, clock):
    clock.set(datetime(2026, 11, 23, 23, 59, 0, tzinfo=UTC).timestamp())
    job_id = api.job()
    assert api.get(f"/api/v4.1/job/{job_id}").json()["status"] == "OPEN"
    clock.advance(59)
    assert api.get(f"/api/v4.1/job/{job_id}").json()["status"] == "OPEN"
    clock.advance(1)
    assert api.get(f"/api/v4.1/job/{job_id}").json()["status"] == "CLOSED"


def test_batch_to_a_closed_job_is_400_and_nothing_stored(api, clock):
    clock.set(datetime(2026, 11, 23, 23, 0, 0, tzinfo=UTC).timestamp())
    job_id = api.job()
    clock.advance(3600)
    answer = api.post(
        f"/api/v4.1/job/{job_id}/batch", {"action": "UPSERT", "entityType": "INVENTORY", "entities": [record("S", 1)]}
    )
    assert answer.status_code == 400
    assert answer.json() == {"errors": [{"code": "400", "message": f"Job {job_id} is closed"}]}
    assert api.get(f"/api/v4.1/job/{job_id}").json()["batch"] == []


def test_defaults_ref_type_catalogue_event_corrected_qty(api):
    sku = unique("DEF")
    api.run_batch([record(sku, 3)])
    quantities = api.quantities(sku)
    assert list(quantities) == [f"{sku}:LOC1:DEFAULT:LAST_ON_HAND"]
    stored = quantities[f"{sku}:LOC1:DEFAULT:LAST_ON_HAND"]
    assert (stored["type"], stored["quantity"], stored["correctedQty"]) == ("LAST_ON_HAND", 3, 0)
    events = api.events("InventoryChanged", f"{sku}:LOC1:DEFAULT")
    assert len(events) == 1 and events[0]["context"]["rootEntityRef"] == "DEFAULT:1"


def test_supplied_ref_is_taken_as_given_and_catalogue_type_is_the_prefix(api):
    sku = unique("REF")
    api.run_batch(
        [record(sku, 350, type="FUTURE", ref="24-MG02:LOC_MELB_RET2:FUTURE"), record(sku, 7, type="ON_ORDER")],
        catalogueRef="FUTURE:1",
    )
    quantities = api.quantities(sku, catalogue="FUTURE:1")
    assert set(quantities) == {"24-MG02:LOC_MELB_RET2:FUTURE", f"{sku}:LOC1:FUTURE:ON_ORDER"}
