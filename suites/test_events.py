"""The Event API: sync, async, read and search (group events)."""

import time

import pytest

from invharness import contracts
from invharness.generators import payloads
from invharness.suites.helpers import Position, bpp_pinned_on, forwarded


def a_delta_for_a_stocked_position(client, ref, profile):
    """An INVENTORY_DELTA event of one sale at a position that exists (so it can be applied)."""
    bpp_pinned_on(client, profile)
    position = Position.new(ref, profile)
    forwarded(client, ref, [position.record(5)], position.retailer)
    return payloads.delta_event([payloads.delta(position.sku, position.location, -1, ref("d"))], str(position.retailer))


@pytest.mark.clause("EVT-SYNC-01")
def test_a_processed_sync_event_is_complete(client, ref, profile):
    answer = client.request("POST", "/api/v4.1/event/sync", json=a_delta_for_a_stocked_position(client, ref, profile))
    assert answer.status_code == 200
    body = answer.json()
    assert body["eventStatus"] == "COMPLETE" and body["eventId"]


@pytest.mark.clause("EVT-SYNC-02")
def test_a_failing_sync_event_says_why(client, ref, profile):
    answer = client.request(
        "POST",
        "/api/v4.1/event/sync",
        json=payloads.delta_event(
            [payloads.delta(ref("SKU"), ref("LOC"), -1, ref("d"))], str(profile.primary_retailer)
        ),
    )
    assert answer.status_code == 400
    body = answer.json()
    assert body["eventStatus"] == "FAILED" and body["errorMessage"]


@pytest.mark.clause("EVT-SYNC-03")
def test_an_unmatched_sync_event_is_no_match(client, ref, profile):
    answer = client.request(
        "POST", "/api/v4.1/event/sync", json={"name": ref("NoSuchRuleset"), "retailerId": str(profile.primary_retailer)}
    )
    assert answer.status_code == 400 and answer.json()["eventStatus"] == "NO_MATCH"


@pytest.mark.clause("EVT-ASYNC-01", "EVT-READ-01")
def test_an_async_event_answers_its_id_then_reads_its_end(client, ref, profile):
    answer = client.request("POST", "/api/v4.1/event/async", json=a_delta_for_a_stocked_position(client, ref, profile))
    assert answer.status_code == 200
    event_id = answer.json()[profile.value("event.async_id_field")]
    deadline = time.monotonic() + profile.batch_timeout_s
    while True:
        read = client.request("GET", f"/api/v4.1/event/{event_id}")
        assert read.status_code == 200
        if read.json()["eventStatus"] != "PENDING" or time.monotonic() > deadline:
            break
        time.sleep(profile.poll_interval_s)
    assert read.json()["eventStatus"] == "COMPLETE"
    assert client.request("GET", "/api/v4.1/event/00000000-0000-4000-8000-00000000dead").status_code == 404


@pytest.mark.clause("EVT-SEARCH-01", "EVT-SEARCH-02")
def test_search_by_name_context_and_time_paged(client, ref, profile):
    bpp_pinned_on(client, profile)
    positions = [Position.new(ref, profile) for _ in range(5)]
    name = ref("Ev")
    job_id = client.create_job(payloads.job(ref("job"), str(profile.primary_retailer)))
    client.wait_batch(job_id, client.create_batch(job_id, payloads.batch([p.record(1) for p in positions], event=name)))
    page = client.request("GET", "/api/v4.1/event", params={"name": name, "count": 2}).json()
    assert len(page["results"]) == 2 and page.get("hasMore") is True
    assert contracts.validator("event-search-response").is_valid(page)
    one = client.request(
        "GET",
        "/api/v4.1/event",
        params={"name": name, "context.entityRef": positions[3].ref, "context.entityType": "INVENTORY_POSITION"},
    ).json()
    assert [e["context"]["entityRef"] for e in one["results"]] == [positions[3].ref]
    future = client.request("GET", "/api/v4.1/event", params={"name": name, "from": "2099-01-01T00:00:00Z"}).json()
    assert future["results"] == []
