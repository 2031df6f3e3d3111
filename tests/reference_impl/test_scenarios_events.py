"""SPEC §12.5 (E1-E6): deltas over the Event API, and the Event API itself."""

import time

from invharness import contracts
from tests.support import record, unique


def delta_event(*deltas, catalogue="DEFAULT:1"):
    return {
        "name": "INVENTORY_DELTA",
        "accountId": "DEMO",
        "retailerId": "1",
        "entityRef": catalogue,
        "entityType": "INVENTORY_CATALOGUE",
        "entitySubtype": "DEFAULT",
        "rootEntityType": "INVENTORY_CATALOGUE",
        "rootEntityRef": catalogue,
        "attributes": {"deltas": list(deltas)},
    }


def delta(sku, qty, loc="LOC1", delta_id=None):
    return {"productRef": sku, "locationRef": loc, "qty": qty, "type": "DELTA", "deltaId": delta_id or unique("d")}


def test_e1_delta_makes_an_active_delta_quantity(api):
    sku = unique("E")
    api.run_batch([record(sku, 20)])
    answer = api.post("/api/v4.1/event/sync", delta_event(delta(sku, -5)))
    assert answer.status_code == 200
    assert answer.json()["eventStatus"] == "COMPLETE"
    assert contracts.validator("event-sync-response").errors(answer.json()) == []
    deltas = [q for q in api.quantities(sku).values() if q["type"] == "DELTA"]
    assert [(q["status"], q["quantity"]) for q in deltas] == [("ACTIVE", -5)]
    assert api.position(sku)["onHand"] == 15


def test_e2_documented_example_nets_per_position(api):
    sku = unique("E")
    api.run_batch([record(sku, 100, loc="LOC_MEL"), record(sku, 100, loc="LOC_SYD")])
    event = delta_event(delta(sku, -10, "LOC_MEL"), delta(sku, 20, "LOC_MEL"), delta(sku, -30, "LOC_SYD"))
    assert api.post("/api/v4.1/event/sync", event).status_code == 200
    assert api.position(sku, "LOC_MEL")["onHand"] == 110
    assert api.position(sku, "LOC_SYD")["onHand"] == 70
    assert len([q for q in api.quantities(sku, "LOC_MEL").values() if q["type"] == "DELTA"]) == 2


def test_e3_unknown_position_fails_the_whole_event(api):
    sku = unique("E")
    api.run_batch([record(sku, 20)])
    answer = api.post("/api/v4.1/event/sync", delta_event(delta(sku, -5), delta(sku, -1, loc="NOWHERE")))
    assert answer.status_code == 400
    body = answer.json()
    assert body["eventStatus"] == "FAILED" and "NOWHERE" in body["errorMessage"]
    assert api.position(sku)["onHand"] == 20
    assert [q for q in api.quantities(sku).values() if q["type"] == "DELTA"] == []


def test_e4_a_delta_id_is_applied_once(api):
    sku = unique("E")
    api.run_batch([record(sku, 20)])
    once = delta(sku, -5, delta_id="same")
    assert api.post("/api/v4.1/event/sync", delta_event(once)).status_code == 200
    assert api.post("/api/v4.1/event/sync", delta_event(once)).status_code == 200
    assert api.position(sku)["onHand"] == 15


def test_e5_batch_deactivates_every_delta(api):
    sku = unique("E")
    api.run_batch([record(sku, 20)])
    api.post("/api/v4.1/event/sync", delta_event(delta(sku, -5), delta(sku, -2)))
    api.add_quantity(sku, "RESERVED", -1)
    api.run_batch([record(sku, 30)])
    assert {q["status"] for q in api.quantities(sku).values() if q["type"] == "DELTA"} == {"INACTIVE"}
    assert api.position(sku)["onHand"] == 29


def test_e6_sync_event_without_a_ruleset_is_no_match(api):
    answer = api.post("/api/v4.1/event/sync", {"name": "SomethingElse", "retailerId": "1"})
    assert answer.status_code == 400
    assert answer.json()["eventStatus"] == "NO_MATCH"


def test_async_event_answers_pending_then_reads_complete(api):
    sku = unique("E")
    api.run_batch([record(sku, 20)])
    answer = api.post("/api/v4.1/event/async", delta_event(delta(sku, -4)))
    assert answer.status_code == 200
    assert contracts.validator("event-async-response").errors(answer.json()) == []
    event_id = answer.json()["id"]
    for _ in range(100):
        read = api.get(f"/api/v4.1/event/{event_id}").json()
        if read["eventStatus"] != "PENDING":
            break
        time.sleep(0.01)
    assert read["eventStatus"] == "COMPLETE"
    assert contracts.validator("event-read").errors(read) == []
    assert api.position(sku)["onHand"] == 16


def test_event_read_unknown_is_404(api):
    assert api.get("/api/v4.1/event/00000000-0000-4000-8000-000000000001").status_code == 404
    assert api.get("/api/v4.1/event/garbage").status_code == 404


def test_malformed_delta_event_is_400_naming_the_field(api):
    broken = delta_event({"productRef": "S", "locationRef": "L", "qty": "ten"})
    answer = api.post("/api/v4.1/event/sync", broken)
    assert answer.status_code == 400 and "qty" in answer.json()["errors"][0]["message"]


def test_search_by_name_context_and_time_with_paging(api, clock):
    sku = unique("S")
    name = unique("Ev")
    api.run_batch([record(f"{sku}-{i}", i + 1) for i in range(7)], event=name)
    body = api.get("/api/v4.1/event", name=name, count=3).json()
    assert contracts.validator("event-search-response").errors(body) == []
    assert len(body["results"]) == 3 and body["hasMore"] is True
    rest = api.get("/api/v4.1/event", name=name, start=6, count=3).json()
    assert len(rest["results"]) == 1 and rest["hasMore"] is False
    one = api.get(
        "/api/v4.1/event",
        **{"name": name, "context.entityRef": f"{sku}-3:LOC1:DEFAULT", "context.entityType": "INVENTORY_POSITION"},
    ).json()["results"]
    assert [e["attributes"]["qty"] for e in one] == [4]
    clock.advance(3600)
    since = "2099-01-01T00:00:00+00:00"
    assert api.get("/api/v4.1/event", name=name, **{"from": since}).json()["results"] == []
    assert api.get("/api/v4.1/event", name=name, **{"from": "yesterday"}).status_code == 400
    assert api.get("/api/v4.1/event", count=0).status_code == 400


def test_search_filters_by_event_type_retailer_and_status_and_refuses_unknown_parameters(server):
    from tests.support import Api

    api = Api(server)
    name = unique("EvF")
    for retailer in ("1", "2"):
        answer = api.post("/api/v4.1/event/sync", {"name": name, "retailerId": retailer, "entityRef": unique("E")})
        assert answer.json()["eventStatus"] == "NO_MATCH"

    def found(**params):
        answer = api.get("/api/v4.1/event", name=name, **params)
        assert answer.status_code == 200, answer.text
        return sorted((e["retailerId"], e["type"], e["eventStatus"]) for e in answer.json()["results"])

    assert found(retailerId="2") == [("2", "ORCHESTRATION", "NO_MATCH")]
    assert found(eventType="ORCHESTRATION") == [("1", "ORCHESTRATION", "NO_MATCH"), ("2", "ORCHESTRATION", "NO_MATCH")]
    assert found(eventType="ORCHESTRATION_AUDIT") == [] and found(eventStatus="COMPLETE") == []
    assert found(category="API", retailerId="1") == [("1", "ORCHESTRATION", "NO_MATCH")]
    refused = api.get("/api/v4.1/event", name=name, entitySubtype="DEFAULT")
    assert refused.status_code == 400 and "entitySubtype" in refused.json()["errors"][0]["message"]
