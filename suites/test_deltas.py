"""INVENTORY_DELTA events (group deltas).

Each check stocks positions of its own, sends deltas (sync, and async where the clause covers both
routes) and reads back the stored DELTA quantities and onHand of those positions.
"""

import pytest

from invharness.generators import payloads
from invharness.suites.client import StepFailed
from invharness.suites.helpers import Position
from invharness.suites.readback import add_quantity, eventually, load, read_position, stock, sync_deltas


def stocked(client, ref, profile, qty):
    position = Position.new(ref, profile)
    stock(client, ref, position, qty)
    return position


def sync(client, *deltas, retailer):
    return client.request("POST", "/api/v4.1/event/sync", json=payloads.delta_event(list(deltas), str(retailer)))


def delta_quantities(client, position):
    return sorted(
        (q["status"], q["quantity"]) for q in read_position(client, position)[1].values() if q["type"] == "DELTA"
    )


def on_hand(client, position):
    return read_position(client, position)[0]["onHand"]


def expected_deltas(profile, *qtys):
    """The DELTA quantities deltas of one position make, as the target declares (DELTA-PERIQ-01)."""
    return sorted(("ACTIVE", q) for q in qtys) if profile.value("delta.iq_per_delta") else [("ACTIVE", sum(qtys))]


@pytest.mark.clause("DELTA-APPLY-01", "DELTA-PERIQ-01")
def test_a_delta_makes_an_active_delta_quantity(client, ref, profile):
    position = stocked(client, ref, profile, 20)
    answer = sync(
        client,
        payloads.delta(position.sku, position.location, -5, ref("d")),
        payloads.delta(position.sku, position.location, -2, ref("d")),
        retailer=position.retailer,
    )
    assert (answer.status_code, answer.json().get("eventStatus")) == (200, "COMPLETE"), answer.text[:300]
    declared = f"delta.iq_per_delta: {profile.value('delta.iq_per_delta')}"
    assert delta_quantities(client, position) == expected_deltas(profile, -5, -2), f"DELTA quantities ({declared})"
    assert on_hand(client, position) == 13, "LOH 20, deltas -5 and -2"


@pytest.mark.clause("DELTA-APPLY-01")
def test_an_async_delta_is_applied_too(client, ref, profile):
    position = stocked(client, ref, profile, 20)
    event = payloads.delta_event(
        [payloads.delta(position.sku, position.location, -4, ref("d"))], str(position.retailer)
    )
    answer = client.request("POST", "/api/v4.1/event/async", json=event)
    event_id = answer.json().get(profile.value("event.async_id_field")) if answer.status_code == 200 else None
    if not event_id:
        raise StepFailed("EVT-ASYNC-01", f"an async INVENTORY_DELTA answered {answer.status_code} {answer.text[:200]}")

    def ended():
        read = client.request("GET", f"/api/v4.1/event/{event_id}")
        status = read.json().get("eventStatus") if read.status_code == 200 else None
        return status if status not in (None, "PENDING") else None

    status = eventually(ended, profile.batch_timeout_s, profile.poll_interval_s, f"async event {event_id} finished")
    assert status == "COMPLETE", f"async INVENTORY_DELTA at a stocked position: eventStatus {status}"
    assert delta_quantities(client, position) == [("ACTIVE", -4)], "DELTA quantities after the async delta"
    assert on_hand(client, position) == 16, "LOH 20, async delta -4"


@pytest.mark.clause("DELTA-APPLY-02")
def test_deltas_add_up_per_position(client, ref, profile):
    mel = stocked(client, ref, profile, 100)
    syd = stocked(client, ref, profile, 100)
    answer = sync(
        client,
        payloads.delta(mel.sku, mel.location, -10, ref("d")),
        payloads.delta(mel.sku, mel.location, 20, ref("d")),
        payloads.delta(syd.sku, syd.location, -30, ref("d")),
        retailer=mel.retailer,
    )
    assert answer.status_code == 200, answer.text[:300]
    assert (on_hand(client, mel), on_hand(client, syd)) == (110, 70), "onHand (MEL 100 -10 +20, SYD 100 -30)"
    assert delta_quantities(client, syd) == [("ACTIVE", -30)], "SYD's DELTA quantities"


@pytest.mark.clause("DELTA-ATOMIC-01")
def test_an_unknown_position_fails_the_whole_event(client, ref, profile):
    position = stocked(client, ref, profile, 20)
    answer = sync(
        client,
        payloads.delta(position.sku, position.location, -5, ref("d")),
        payloads.delta(position.sku, ref("NOWHERE"), -1, ref("d")),
        retailer=position.retailer,
    )
    assert (answer.status_code, answer.json().get("eventStatus")) == (400, "FAILED"), answer.text[:300]
    assert (on_hand(client, position), delta_quantities(client, position)) == (20, []), (
        "onHand and DELTA quantities of the known position after the failed event"
    )


@pytest.mark.clause("DELTA-IDEM-01")
def test_a_delta_id_sent_again_is_applied_as_declared(client, ref, profile):
    position = stocked(client, ref, profile, 20)
    once = payloads.delta(position.sku, position.location, -5, ref("same"))
    answers = [sync(client, once, retailer=position.retailer) for _ in range(2)]
    assert [(a.status_code, a.json().get("eventStatus")) for a in answers] == [(200, "COMPLETE")] * 2
    idempotent = profile.value("delta.idempotent_delta_id")
    declared = f"delta.idempotent_delta_id: {idempotent}"
    expected = (15, [("ACTIVE", -5)]) if idempotent else (10, expected_deltas(profile, -5, -5))
    assert (on_hand(client, position), delta_quantities(client, position)) == expected, f"onHand, DELTAs ({declared})"


@pytest.mark.clause("DELTA-LOH-01")
def test_a_loh_record_clears_every_delta(client, ref, profile):
    position = stocked(client, ref, profile, 20)
    sync_deltas(
        client,
        position.retailer,
        payloads.delta(position.sku, position.location, -5, ref("d")),
        payloads.delta(position.sku, position.location, -2, ref("d")),
    )
    add_quantity(client, position, ref("RES"), "RESERVED", -1)
    load(client, ref, [position.record(30)], position.retailer)
    deltas = delta_quantities(client, position)
    assert deltas and {status for status, _ in deltas} == {"INACTIVE"}, f"DELTA quantities after LOH 30: {deltas}"
    assert on_hand(client, position) == 29, "LOH 30 + RESERVED -1"
