"""The Event API: sync, async, read and search (group events)."""

import time

import pytest

from invharness import contracts
from invharness.generators import payloads
from invharness.suites.clients_helpers import event_field, search_events
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


# ---------------------------------------------------------------- every documented search filter (issue 14)

# The filters Fluent's "Using the Event API" page documents (from/to are checked by EVT-SEARCH-01),
# each with a value no event of this run carries, for the answer that must leave the run's event out.
FILTERS = {
    "name": None,
    "eventType": "ORCHESTRATION_AUDIT",
    "eventStatus": "COMPLETE",
    "category": "exception",
    "retailerId": None,
    "context.entityType": None,
    "context.entityId": None,
    "context.entityRef": None,
    "context.rootEntityType": None,
    "context.rootEntityId": None,
    "context.rootEntityRef": None,
}


@pytest.fixture
def two_run_events(client, ref, profile):
    """Two unmatched sync events of this run under one name, differing in every context field and the
    retailer: the first (as read back) and the second."""
    name = ref("EvSearch")
    bodies = [
        {
            "name": name,
            "retailerId": str(retailer),
            "entityType": entity_type,
            "entityId": ref("EID"),
            "entityRef": ref("ER"),
            "rootEntityType": root_type,
            "rootEntityId": ref("RID"),
            "rootEntityRef": ref("RR"),
        }
        for retailer, entity_type, root_type in (
            (profile.primary_retailer, "INVENTORY_POSITION", "INVENTORY_CATALOGUE"),
            (profile.secondary_retailer, "INVENTORY_QUANTITY", "VIRTUAL_CATALOGUE"),
        )
    ]
    ids = []
    for body in bodies:
        answer = client.request("POST", "/api/v4.1/event/sync", json=body)
        assert answer.status_code in (200, 400) and answer.json().get("eventId"), answer.text[:300]
        ids.append(answer.json()["eventId"])
    events = {e["id"]: e for e in search_events(client, name=name)}
    assert set(ids) <= set(events), f"the run's events {ids} are not found by name {name}"
    return [events[i] for i in ids]


@pytest.mark.clause("EVT-SEARCH-03")
@pytest.mark.parametrize("param", list(FILTERS))
def test_each_documented_search_filter_filters(client, ref, two_run_events, param):
    first, second = two_run_events
    # Narrowed to this run: by the run's name, or (to judge name itself) by the first event's entityRef.
    narrow = {"context.entityRef": first["context"]["entityRef"]} if param == "name" else {"name": first["name"]}
    value = event_field(first, param)
    assert value is not None, f"the run's event carries no {param}: {first}"
    found = search_events(client, **narrow, **{param: value})
    assert {event_field(e, param) for e in found} == {value}, f"{param}={value} answered {found}"
    assert first["id"] in {e["id"] for e in found}, f"{param}={value} left out the run's matching event"
    other = FILTERS[param] or (ref("none") if param == "name" else event_field(second, param))
    if other == value:
        other = ref("none")
    found = search_events(client, **narrow, **{param: other})
    assert first["id"] not in {e["id"] for e in found}, f"{param}={other} answered an event whose {param} is {value}"
    assert all(event_field(e, param) == other for e in found), f"{param}={other} answered {found}"


@pytest.mark.clause("EVT-SEARCH-04")
def test_an_unknown_search_parameter_is_refused(client, ref):
    answer = client.request("GET", "/api/v4.1/event", params={"name": ref("Ev"), "invharnessNoSuchFilter": "x"})
    assert answer.status_code == 400, f"an unknown filter answered {answer.status_code}: {answer.text[:200]}"
    assert answer.json().get("errors"), answer.text[:200]
