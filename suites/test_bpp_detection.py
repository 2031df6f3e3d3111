"""Change detection and de-duplication of batch pre-processing (group bpp-detection).

Pre-processing is pinned on for the primary retailer (a RETAILER setting), so the precedence
checks, which move the ACCOUNT setting, cannot change what these see.
"""

import pytest

from invharness.generators import payloads
from invharness.suites.helpers import (
    Position,
    add_quantity,
    bpp_pinned_on,
    forwarded,
    position_state,
)


@pytest.fixture(autouse=True)
def _bpp_on(client, profile):
    bpp_pinned_on(client, profile)


def stored(client, make_ref, profile, qty=10, **fields):
    """A position with one ACTIVE LAST_ON_HAND quantity of ``qty``."""
    position = Position.new(make_ref, profile)
    forwarded(client, make_ref, [position.record(qty, status="ACTIVE", **fields)], position.retailer)
    return position


def send(client, ref, position, *records, **fields):
    return forwarded(client, ref, list(records), position.retailer, **fields)


@pytest.mark.clause("BPP-CHG-01", "BPP-OBS-01")
def test_a_new_record_is_forwarded_with_one_event_for_its_position(client, ref, profile):
    position = Position.new(ref, profile)
    assert send(client, ref, position, position.record(10)) == {position.ref: 1}
    event = client.events("InventoryChanged", position.ref) or []
    assert all(e["context"]["entityType"] == "INVENTORY_POSITION" for e in event)
    assert position_state(client, position)[0]["onHand"] == 10


@pytest.mark.clause("BPP-CHG-02", "BPP-OBS-02")
def test_an_unchanged_record_is_filtered_and_leaves_updated_on(client, ref, profile):
    position = stored(client, ref, profile)
    before = position_state(client, position)[1][position.quantity_ref()]["updatedOn"]
    assert send(client, ref, position, position.record(10, status="ACTIVE")) == {}
    assert position_state(client, position)[1][position.quantity_ref()]["updatedOn"] == before


@pytest.mark.clause("BPP-CHG-03")
def test_a_qty_change_is_forwarded(client, ref, profile):
    position = stored(client, ref, profile)
    assert send(client, ref, position, position.record(12)) == {position.ref: 1}


@pytest.mark.clause("BPP-CHG-04")
def test_a_status_change_is_forwarded(client, ref, profile):
    position = stored(client, ref, profile)
    assert send(client, ref, position, position.record(10, status="INACTIVE")) == {position.ref: 1}


@pytest.mark.clause("BPP-CHG-05")
def test_a_record_without_status_is_compared_as_declared(client, ref, profile):
    position = stored(client, ref, profile)
    counts = send(client, ref, position, position.record(10))
    assert counts == ({} if profile.value("bpp.absent_status") == "not_compared" else {position.ref: 1})


@pytest.mark.clause("BPP-CHG-06")
def test_a_default_transient_forces_forwarding_and_is_deactivated(client, ref, profile):
    pairs = [tuple(p) for p in profile.value("bpp.default_transients")]
    if ("SALE", "ACTIVE") not in pairs:
        pytest.skip("unsupported: SALE/ACTIVE is not a declared default transient")
    position = stored(client, ref, profile)
    sale = add_quantity(client, position, ref("SALE"), "SALE", -1)
    assert send(client, ref, position, position.record(10, status="ACTIVE")) == {position.ref: 1}
    node, quantities = position_state(client, position)
    assert quantities[sale]["status"] == "INACTIVE" and node["onHand"] == 10


@pytest.mark.clause("BPP-CHG-07")
def test_conditions_replace_or_extend_the_default_transients(client, ref, profile):
    position = stored(client, ref, profile, correctedQty=2)
    add_quantity(client, position, ref("COR"), "CORRECTION", -2)
    only_sale = [("SALE", "ACTIVE")]
    counts = send(client, ref, position, position.record(10, status="ACTIVE", correctedQty=2), conditions=only_sale)
    replaced = profile.value("bpp.conditions") == "replace"
    assert counts == ({} if replaced else {position.ref: 1})


@pytest.mark.clause("BPP-CHG-08")
def test_reserved_is_not_a_transient(client, ref, profile):
    if any(p[0] == "RESERVED" for p in profile.value("bpp.default_transients")):
        pytest.skip("unsupported: the target declares RESERVED a transient")
    position = stored(client, ref, profile)
    add_quantity(client, position, ref("RES"), "RESERVED", -3)
    assert send(client, ref, position, position.record(10, status="ACTIVE")) == {}
    assert position_state(client, position)[0]["onHand"] == 7


@pytest.mark.clause("BPP-CHG-09")
def test_an_attribute_only_change_is_filtered(client, ref, profile):
    position = stored(client, ref, profile, attributes={"expiresOn": "2026-12-31T00:00:00Z", "segment1": "A"})
    changed = position.record(10, status="ACTIVE", attributes={"expiresOn": "2027-06-30T00:00:00Z", "segment1": "B"})
    assert send(client, ref, position, changed) == {}


@pytest.mark.clause("BPP-CHG-10", "BPP-DEDUP-04")
def test_another_type_is_another_quantity(client, ref, profile):
    position = stored(client, ref, profile)
    assert send(client, ref, position, position.record(10, type="ON_ORDER")) == {position.ref: 1}
    both = send(client, ref, position, position.record(11), position.record(11, type="ON_ORDER"))
    assert both == {position.ref: 2}


@pytest.mark.clause("BPP-CHG-11", "BPP-DEDUP-06")
def test_records_are_identified_by_ref(client, ref, profile):
    position = stored(client, ref, profile, ref=ref("R1"))
    assert send(client, ref, position, position.record(10, ref=ref("R2"))) == {position.ref: 1}
    segments = send(
        client,
        ref,
        position,
        position.record(4, ref=f"{position.ref}:LAST_ON_HAND:1"),
        position.record(4, ref=f"{position.ref}:LAST_ON_HAND:2"),
    )
    assert segments == {position.ref: 2}


@pytest.mark.clause("BPP-CHG-12")
def test_corrected_qty_takes_part_as_declared(client, ref, profile):
    position = stored(client, ref, profile)
    correction = add_quantity(client, position, ref("COR"), "CORRECTION", -4)
    counts = send(
        client, ref, position, position.record(10, status="ACTIVE", correctedQty=0), conditions=[("SALE", "ACTIVE")]
    )
    if profile.value("bpp.compares_corrected_qty"):
        assert counts == {position.ref: 1}
        assert position_state(client, position)[1][correction]["status"] == "INACTIVE"
    else:
        assert counts == {}


@pytest.mark.clause("BPP-CHG-13")
def test_with_preprocessing_off_unchanged_records_are_forwarded(client, ref, profile):
    position = stored(client, ref, profile)
    counts = forwarded(
        client, ref, [position.record(10, status="ACTIVE")], position.retailer, {"preprocessing": "skip"}
    )
    assert counts == {position.ref: 1}


@pytest.mark.clause("BPP-DEDUP-01")
def test_duplicates_in_one_batch_are_processed_once(client, ref, profile):
    position = Position.new(ref, profile)
    assert send(client, ref, position, position.record(5), position.record(7)) == {position.ref: 1}
    winner = 7 if profile.value("bpp.dedup_winner") == "last" else 5
    assert position_state(client, position)[0]["onHand"] == winner


@pytest.mark.clause("BPP-DEDUP-02")
def test_duplicates_across_batches_of_one_job(client, ref, profile):
    position = Position.new(ref, profile)
    name = ref("Ev")
    job_id = client.create_job(payloads.job(ref("job"), str(position.retailer)))
    first = client.create_batch(job_id, payloads.batch([position.record(5)], event=name))
    second = client.create_batch(job_id, payloads.batch([position.record(7)], event=name))
    client.wait_batch(job_id, first)
    client.wait_batch(job_id, second)
    assert len(client.events(name, position.ref)) <= 2
    expected = 5 if profile.value("bpp.dedup_winner") == "first" and profile.value("bpp.dedup_scope") == "job" else 7
    assert position_state(client, position)[0]["onHand"] == expected


@pytest.mark.clause("BPP-DEDUP-03")
def test_an_identical_record_in_two_batches_is_forwarded_once(client, ref, profile):
    position = Position.new(ref, profile)
    job_id = client.create_job(payloads.job(ref("job"), str(position.retailer)))
    name = ref("Ev")
    for _ in range(2):
        client.wait_batch(job_id, client.create_batch(job_id, payloads.batch([position.record(5)], event=name)))
    assert len(client.events(name, position.ref)) == 1


@pytest.mark.clause("BPP-DEDUP-05")
def test_two_jobs_are_processed_independently(client, ref, profile):
    position = Position.new(ref, profile)
    assert send(client, ref, position, position.record(5)) == {position.ref: 1}
    assert send(client, ref, position, position.record(7)) == {position.ref: 1}
