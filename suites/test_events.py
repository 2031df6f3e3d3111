"""The Event API: sync, async, read and search (group events).

Events a check sends are read back by their id, and what an INVENTORY_DELTA does is read back from
the position; searches are scoped by an event name only this check uses.
"""

import datetime as dt

import pytest

from invharness import contracts
from invharness.generators import payloads
from invharness.suites.clients_helpers import event_field, search_events
from invharness.suites.helpers import Position
from invharness.suites.readback import eventually, load, read_position, stock

NOT_AN_EVENT = "00000000-0000-4000-8000-00000000dead"


def a_delta_for_a_stocked_position(client, ref, profile):
    """A stocked position (LOH 5) and an INVENTORY_DELTA event of one sale there (so it can be applied)."""
    position = Position.new(ref, profile)
    stock(client, ref, position, 5)
    event = payloads.delta_event(
        [payloads.delta(position.sku, position.location, -1, ref("d"))], str(position.retailer)
    )
    return position, event


def on_hand(client, position):
    return read_position(client, position)[0]["onHand"]


def read_event(client, event_id):
    answer = client.request("GET", f"/api/v4.1/event/{event_id}")
    assert answer.status_code == 200, f"GET event {event_id} answered {answer.status_code}: {answer.text[:200]}"
    return answer.json()


@pytest.mark.clause("EVT-SYNC-01")
def test_a_processed_sync_event_is_complete(client, ref, profile):
    position, event = a_delta_for_a_stocked_position(client, ref, profile)
    answer = client.request("POST", "/api/v4.1/event/sync", json=event)
    body = answer.json()
    assert (answer.status_code, body.get("eventStatus")) == (200, "COMPLETE"), answer.text[:300]
    assert body.get("eventId"), f"no eventId in {body}"
    stored = read_event(client, body["eventId"])
    assert (stored["name"], stored["eventStatus"]) == ("INVENTORY_DELTA", "COMPLETE"), "the event read by its eventId"
    assert on_hand(client, position) == 4, "onHand after the processed sync delta (LOH 5, delta -1)"


@pytest.mark.clause("EVT-SYNC-02")
def test_a_failing_sync_event_says_why(client, ref, profile):
    answer = client.request(
        "POST",
        "/api/v4.1/event/sync",
        json=payloads.delta_event(
            [payloads.delta(ref("SKU"), ref("LOC"), -1, ref("d"))], str(profile.primary_retailer)
        ),
    )
    body = answer.json()
    assert (answer.status_code, body.get("eventStatus")) == (400, "FAILED"), answer.text[:300]
    assert isinstance(body.get("errorMessage"), str) and body["errorMessage"].strip(), f"errorMessage in {body}"


@pytest.mark.clause("EVT-SYNC-03")
def test_an_unmatched_sync_event_is_no_match(client, ref, profile):
    answer = client.request(
        "POST", "/api/v4.1/event/sync", json={"name": ref("NoSuchRuleset"), "retailerId": str(profile.primary_retailer)}
    )
    assert (answer.status_code, answer.json().get("eventStatus")) == (400, "NO_MATCH"), answer.text[:300]


@pytest.mark.clause("EVT-ASYNC-01", "EVT-READ-01")
def test_an_async_event_answers_its_id_then_reads_its_end(client, ref, profile):
    position, event = a_delta_for_a_stocked_position(client, ref, profile)
    answer = client.request("POST", "/api/v4.1/event/async", json=event)
    field = profile.value("event.async_id_field")
    assert answer.status_code == 200, answer.text[:300]
    event_id = answer.json().get(field)
    assert event_id, f"no id in the declared field {field!r} (event.async_id_field) of {answer.text[:200]}"

    def ended():
        status = read_event(client, event_id).get("eventStatus")
        return None if status == "PENDING" else status

    status = eventually(ended, profile.batch_timeout_s, profile.poll_interval_s, f"async event {event_id} finished")
    assert status == "COMPLETE", f"the async delta's eventStatus: {status}"
    stored = read_event(client, event_id)
    assert (stored["id"], stored["name"], stored["context"]["entityRef"], stored["retailerId"]) == (
        event_id,
        "INVENTORY_DELTA",
        event["entityRef"],
        event["retailerId"],
    ), "(id, name, context.entityRef, retailerId) read back"
    assert on_hand(client, position) == 4, "onHand after the async delta (LOH 5, delta -1)"
    missing = client.request("GET", f"/api/v4.1/event/{NOT_AN_EVENT}")
    assert missing.status_code == 404, f"GET an unknown event answered {missing.status_code}"


def _iso(moment):
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _when(event):
    text = event["generatedOn"]
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace("+0000", "+00:00"))


@pytest.mark.clause("EVT-SEARCH-01", "EVT-SEARCH-02")
def test_search_by_name_context_and_time_paged(client, ref, profile):
    positions = [Position.new(ref, profile) for _ in range(5)]
    name = ref("Ev")
    load(client, ref, [p.record(1) for p in positions], profile.primary_retailer, event=name)

    def search(**params):
        answer = client.request("GET", "/api/v4.1/event", params={"name": name, **params})
        assert answer.status_code == 200, f"search {params} answered {answer.status_code}: {answer.text[:200]}"
        return answer.json()

    everything = search(count=100)
    mine = sorted(p.ref for p in positions)
    assert sorted(e["context"]["entityRef"] for e in everything["results"]) == mine, "events found by name"
    assert {e["name"] for e in everything["results"]} == {name}, "names of the events found by name"
    page = search(count=2)
    assert (len(page["results"]), page.get("hasMore")) == (2, True), "a page of 2 of 5 events: (size, hasMore)"
    assert contracts.validator("event-search-response").is_valid(page)
    one = search(**{"context.entityRef": positions[3].ref, "context.entityType": "INVENTORY_POSITION"})
    assert [e["context"]["entityRef"] for e in one["results"]] == [positions[3].ref], "search by context.entityRef"
    other_type = search(**{"context.entityRef": positions[3].ref, "context.entityType": "INVENTORY_QUANTITY"})
    assert other_type["results"] == [], "search by the right entityRef and another entityType"
    moments = [_when(e) for e in everything["results"]]
    around = search(
        **{"from": _iso(min(moments) - dt.timedelta(minutes=5)), "to": _iso(max(moments) + dt.timedelta(minutes=5))}
    )
    assert len(around["results"]) == 5, "from/to around the events' generatedOn"
    assert search(**{"from": "2099-01-01T00:00:00Z"})["results"] == [], "from in the future"
    assert search(**{"to": _iso(min(moments) - dt.timedelta(minutes=5))})["results"] == [], "to before the events"


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
