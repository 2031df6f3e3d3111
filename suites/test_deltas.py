"""INVENTORY_DELTA events (group deltas)."""

import pytest

from invharness.generators import payloads
from invharness.suites.helpers import Position, add_quantity, bpp_pinned_on, forwarded, position_state


@pytest.fixture(autouse=True)
def _bpp_on(client, profile):
    bpp_pinned_on(client, profile)


def loaded(client, ref, profile, qty, location=None):
    position = Position.new(ref, profile)
    if location is not None:
        position = Position(position.sku, location, position.retailer)
    forwarded(client, ref, [position.record(qty, status="ACTIVE")], position.retailer)
    return position


def sync(client, *deltas, retailer):
    return client.request("POST", "/api/v4.1/event/sync", json=payloads.delta_event(list(deltas), str(retailer)))


def delta_quantities(client, position):
    return [q for q in position_state(client, position)[1].values() if q["type"] == "DELTA"]


@pytest.mark.clause("DELTA-APPLY-01", "DELTA-PERIQ-01")
def test_a_delta_makes_an_active_delta_quantity(client, ref, profile):
    position = loaded(client, ref, profile, 20)
    answer = sync(
        client,
        payloads.delta(position.sku, position.location, -5, ref("d")),
        payloads.delta(position.sku, position.location, -2, ref("d")),
        retailer=position.retailer,
    )
    assert answer.status_code == 200 and answer.json()["eventStatus"] == "COMPLETE"
    deltas = delta_quantities(client, position)
    if profile.value("delta.iq_per_delta"):
        assert sorted((q["status"], q["quantity"]) for q in deltas) == [("ACTIVE", -5), ("ACTIVE", -2)]
    else:
        assert [(q["status"], q["quantity"]) for q in deltas] == [("ACTIVE", -7)]
    assert position_state(client, position)[0]["onHand"] == 13


@pytest.mark.clause("DELTA-APPLY-02")
def test_deltas_add_up_per_position(client, ref, profile):
    mel = loaded(client, ref, profile, 100)
    syd = loaded(client, ref, profile, 100)
    answer = sync(
        client,
        payloads.delta(mel.sku, mel.location, -10, ref("d")),
        payloads.delta(mel.sku, mel.location, 20, ref("d")),
        payloads.delta(syd.sku, syd.location, -30, ref("d")),
        retailer=mel.retailer,
    )
    assert answer.status_code == 200
    assert position_state(client, mel)[0]["onHand"] == 110
    assert position_state(client, syd)[0]["onHand"] == 70


@pytest.mark.clause("DELTA-ATOMIC-01")
def test_an_unknown_position_fails_the_whole_event(client, ref, profile):
    position = loaded(client, ref, profile, 20)
    answer = sync(
        client,
        payloads.delta(position.sku, position.location, -5, ref("d")),
        payloads.delta(position.sku, ref("NOWHERE"), -1, ref("d")),
        retailer=position.retailer,
    )
    assert answer.status_code == 400 and answer.json()["eventStatus"] == "FAILED"
    assert position_state(client, position)[0]["onHand"] == 20 and delta_quantities(client, position) == []


@pytest.mark.clause("DELTA-IDEM-01")
def test_a_delta_id_sent_again_is_applied_as_declared(client, ref, profile):
    position = loaded(client, ref, profile, 20)
    once = payloads.delta(position.sku, position.location, -5, ref("same"))
    for _ in range(2):
        assert sync(client, once, retailer=position.retailer).status_code == 200
    expected = 15 if profile.value("delta.idempotent_delta_id") else 10
    assert position_state(client, position)[0]["onHand"] == expected


@pytest.mark.clause("DELTA-LOH-01")
def test_a_loh_record_clears_every_delta(client, ref, profile):
    position = loaded(client, ref, profile, 20)
    sync(
        client,
        payloads.delta(position.sku, position.location, -5, ref("d")),
        payloads.delta(position.sku, position.location, -2, ref("d")),
        retailer=position.retailer,
    )
    add_quantity(client, position, ref("RES"), "RESERVED", -1)
    forwarded(client, ref, [position.record(30)], position.retailer)
    assert {q["status"] for q in delta_quantities(client, position)} == {"INACTIVE"}
    assert position_state(client, position)[0]["onHand"] == 29
