"""Change detection and de-duplication of batch pre-processing (group bpp-detection).

Pre-processing is pinned on for the primary retailer (a RETAILER setting), so the precedence
checks, which move the ACCOUNT setting, cannot change what these see. Each check reads back the
stored effect (quantities, statuses, updatedOn, onHand over GraphQL) besides the events.
"""

import itertools
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from invharness.generators import payloads
from invharness.suites.client import StepFailed
from invharness.suites.helpers import (
    Position,
    add_quantity,
    bpp_pinned_on,
    events_named,
    forwarded,
    new_batch,
    new_job,
    position_state,
    wait_batch,
)


@pytest.fixture(autouse=True)
def _bpp_on(client, profile):
    bpp_pinned_on(client, profile)


def stored(client, make_ref, profile, qty=10, status="ACTIVE", **fields):
    """A position with one LAST_ON_HAND quantity of ``qty`` in ``status``."""
    position = Position.new(make_ref, profile)
    counts = forwarded(client, make_ref, [position.record(qty, status=status, **fields)], position.retailer)
    if counts != {position.ref: 1}:
        raise StepFailed("BPP-OBS-01", f"a new record: expected one event for {position.ref}, got {counts}")
    return position


def send(client, ref, position, *records, **fields):
    return forwarded(client, ref, list(records), position.retailer, **fields)


def loh(client, position):
    """The position and its LAST_ON_HAND quantity (None when absent)."""
    node, quantities = position_state(client, position)
    return node, quantities.get(position.quantity_ref())


def expect(counts, forwarded_: bool, position, situation: str) -> None:
    wanted = {position.ref: 1} if forwarded_ else {}
    word = "forwarded (one event)" if forwarded_ else "filtered (no event)"
    assert counts == wanted, f"{situation}: expected {word} {wanted}, got events {counts}"


@pytest.mark.clause("BPP-CHG-01", "BPP-OBS-01")
def test_a_new_record_is_forwarded_with_one_event_for_its_position(client, ref, profile):
    position = Position.new(ref, profile)
    name = ref("Ev")
    job_id = new_job(client, ref, position.retailer)
    wait_batch(client, job_id, new_batch(client, job_id, payloads.batch([position.record(10)], event=name)))
    everything = events_named(client, name)
    assert len(everything) == 1, f"events named {name}: expected 1, got {len(everything)}: {everything}"
    context = everything[0].get("context") or {}
    assert (everything[0].get("name"), context.get("entityType"), context.get("entityRef")) == (
        name,
        "INVENTORY_POSITION",
        position.ref,
    ), f"the event: expected name {name}, INVENTORY_POSITION {position.ref}, got {everything[0]}"
    by_ref = events_named(client, name, position.ref)
    assert len(by_ref) == 1, f"search by context.entityRef={position.ref}: expected 1 event, got {len(by_ref)}"
    node, quantity = loh(client, position)
    assert quantity is not None, f"the new record: expected quantity {position.quantity_ref()}, none stored"
    assert (quantity["quantity"], node["onHand"]) == (10, 10), f"(quantity, onHand): expected (10, 10), got {node}"


@pytest.mark.clause("BPP-CHG-02", "BPP-OBS-02")
def test_an_unchanged_record_is_filtered_and_leaves_updated_on(client, ref, profile):
    position = stored(client, ref, profile)
    before = loh(client, position)[1]
    expect(send(client, ref, position, position.record(10, status="ACTIVE")), False, position, "qty and status equal")
    after = loh(client, position)[1]
    assert after == before, f"the filtered record's quantity: expected unchanged {before}, got {after}"


@pytest.mark.clause("BPP-CHG-03")
def test_a_qty_change_is_forwarded(client, ref, profile):
    position = stored(client, ref, profile)
    expect(send(client, ref, position, position.record(12, status="ACTIVE")), True, position, "qty 10 -> 12")
    node, quantity = loh(client, position)
    assert (quantity["quantity"], node["onHand"]) == (12, 12), f"(quantity, onHand): expected (12, 12), got {node}"


@pytest.mark.clause("BPP-CHG-04")
def test_a_status_change_is_forwarded(client, ref, profile):
    position = stored(client, ref, profile)
    expect(send(client, ref, position, position.record(10, status="INACTIVE")), True, position, "ACTIVE -> INACTIVE")
    quantity = loh(client, position)[1]
    assert quantity["status"] == "INACTIVE", f"stored status: expected INACTIVE, got {quantity['status']}"


@pytest.mark.clause("BPP-CHG-05")
def test_a_record_without_status_is_compared_as_declared(client, ref, profile):
    # stored INACTIVE: a target that compares an absent status as ACTIVE (or as "absent") sees a change
    position = stored(client, ref, profile, status="INACTIVE")
    declared = profile.value("bpp.absent_status")
    counts = send(client, ref, position, position.record(10))
    expect(
        counts, declared != "not_compared", position, f"no status, equal qty, declared bpp.absent_status {declared!r}"
    )
    if declared == "not_compared":
        status = loh(client, position)[1]["status"]
        assert status == "INACTIVE", f"stored status after a filtered record: expected INACTIVE, got {status}"


@pytest.mark.clause("BPP-CHG-06")
def test_a_default_transient_forces_forwarding_and_is_deactivated(client, ref, profile):
    pairs = [tuple(p) for p in profile.value("bpp.default_transients")]
    if ("SALE", "ACTIVE") not in pairs:
        pytest.skip("unsupported: SALE/ACTIVE is not a declared default transient")
    position = stored(client, ref, profile)
    sale = add_quantity(client, position, ref("SALE"), "SALE", -1)
    expect(send(client, ref, position, position.record(10, status="ACTIVE")), True, position, "over an ACTIVE SALE")
    node, quantities = position_state(client, position)
    got = (quantities[sale]["status"], node["onHand"])
    assert got == ("INACTIVE", 10), f"(SALE status, onHand): expected (INACTIVE, 10), got {got}"


@pytest.mark.clause("BPP-CHG-07")
def test_conditions_replace_or_extend_the_default_transients(client, ref, profile):
    position = stored(client, ref, profile, correctedQty=2)
    correction = add_quantity(client, position, ref("COR"), "CORRECTION", -2)
    declared = profile.value("bpp.conditions")
    counts = send(
        client, ref, position, position.record(10, status="ACTIVE", correctedQty=2), conditions=[("SALE", "ACTIVE")]
    )
    situation = f"over an ACTIVE CORRECTION, conditions list only SALE/ACTIVE, declared bpp.conditions {declared!r}"
    expect(counts, declared != "replace", position, situation)
    status = position_state(client, position)[1][correction]["status"]
    wanted = "ACTIVE" if declared == "replace" else "INACTIVE"
    assert status == wanted, f"{situation}: CORRECTION status expected {wanted}, got {status}"


@pytest.mark.clause("BPP-CHG-08")
def test_reserved_is_a_transient_only_where_declared(client, ref, profile):
    transient = ["RESERVED", "ACTIVE"] in [list(p) for p in profile.value("bpp.default_transients")]
    position = stored(client, ref, profile)
    reserved = add_quantity(client, position, ref("RES"), "RESERVED", -3)
    situation = f"over an ACTIVE RESERVED, declared {'a' if transient else 'no'} default transient"
    expect(send(client, ref, position, position.record(10, status="ACTIVE")), transient, position, situation)
    # forwarded or not, a LAST_ON_HAND record never deactivates a RESERVED quantity
    node, quantities = position_state(client, position)
    got = (quantities[reserved]["status"], node["onHand"])
    assert got == ("ACTIVE", 7), f"(RESERVED status, onHand): expected (ACTIVE, 7), got {got}"


@pytest.mark.clause("BPP-CHG-09")
@pytest.mark.parametrize(
    ("before", "after"),
    [
        (
            {"expiresOn": "2026-12-31T00:00:00Z", "segment1": "A"},
            {"expiresOn": "2027-06-30T00:00:00Z", "segment1": "B"},
        ),
        ({"colour": "red"}, {"colour": "blue"}),
    ],
    ids=["segmentation", "custom"],
)
def test_an_attribute_only_change_is_filtered(client, ref, profile, before, after):
    position = stored(client, ref, profile, attributes=before)
    kept = loh(client, position)[1]
    changed = position.record(10, status="ACTIVE", attributes=after)
    expect(send(client, ref, position, changed), False, position, f"attributes {before} -> {after} only")
    now = loh(client, position)[1]
    assert now == kept, f"the filtered record's quantity: expected unchanged {kept}, got {now}"


@pytest.mark.clause("BPP-CHG-10", "BPP-DEDUP-04")
def test_another_type_is_another_quantity(client, ref, profile):
    position = stored(client, ref, profile)
    expect(send(client, ref, position, position.record(10, type="ON_ORDER")), True, position, "type ON_ORDER")
    both = send(client, ref, position, position.record(11), position.record(11, type="ON_ORDER"))
    assert both == {position.ref: 2}, f"LAST_ON_HAND and ON_ORDER in one batch: expected 2 events, got {both}"
    quantities = position_state(client, position)[1]
    got = {q: quantities.get(position.quantity_ref(q), {}).get("quantity") for q in ("LAST_ON_HAND", "ON_ORDER")}
    assert got == {"LAST_ON_HAND": 11, "ON_ORDER": 11}, f"stored quantities: expected 11 each, got {got}"


@pytest.mark.clause("BPP-CHG-11", "BPP-DEDUP-06")
def test_records_are_identified_by_ref(client, ref, profile):
    position = stored(client, ref, profile, ref=ref("R1"))
    expect(send(client, ref, position, position.record(10, ref=ref("R2"))), True, position, "a new explicit ref")
    segments = send(
        client,
        ref,
        position,
        position.record(4, ref=f"{position.ref}:LAST_ON_HAND:1"),
        position.record(4, ref=f"{position.ref}:LAST_ON_HAND:2"),
    )
    assert segments == {position.ref: 2}, f"two segment refs in one batch: expected 2 events, got {segments}"


@pytest.mark.clause("BPP-CHG-12")
def test_a_differing_corrected_qty_is_a_change_as_declared(client, ref, profile):
    position = stored(client, ref, profile)  # correctedQty 0
    compares = profile.value("bpp.compares_corrected_qty")
    counts = send(client, ref, position, position.record(10, status="ACTIVE", correctedQty=3))
    expect(counts, compares, position, f"correctedQty 0 -> 3, declared bpp.compares_corrected_qty {compares}")
    stored_corrected = loh(client, position)[1]["correctedQty"]
    wanted = 3 if compares else 0
    assert stored_corrected == wanted, f"stored correctedQty: expected {wanted}, got {stored_corrected}"


@pytest.mark.clause("BPP-CHG-12")
def test_corrected_qty_zero_clears_an_active_correction_as_declared(client, ref, profile):
    position = stored(client, ref, profile)
    correction = add_quantity(client, position, ref("COR"), "CORRECTION", -4)
    compares = profile.value("bpp.compares_corrected_qty")
    # conditions list only SALE: the CORRECTION is no transient, so only correctedQty 0 can make it a change
    counts = send(
        client, ref, position, position.record(10, status="ACTIVE", correctedQty=0), conditions=[("SALE", "ACTIVE")]
    )
    situation = f"correctedQty 0 over an ACTIVE CORRECTION -4, declared bpp.compares_corrected_qty {compares}"
    expect(counts, compares, position, situation)
    node, quantities = position_state(client, position)
    got = (quantities[correction]["status"], node["onHand"])
    wanted = ("INACTIVE", 10) if compares else ("ACTIVE", 6)
    assert got == wanted, f"{situation}: (CORRECTION status, onHand) expected {wanted}, got {got}"


@pytest.mark.clause("BPP-CHG-13")
def test_with_preprocessing_off_unchanged_records_are_forwarded(client, ref, profile):
    position = stored(client, ref, profile)
    before = loh(client, position)[1]["updatedOn"]
    counts = forwarded(
        client, ref, [position.record(10, status="ACTIVE")], position.retailer, {"preprocessing": "skip"}
    )
    expect(counts, True, position, 'an unchanged record in a job with meta "skip"')
    after = loh(client, position)[1]["updatedOn"]
    assert after is not None and after >= before, f"updatedOn: expected written again (>= {before}), got {after}"


@pytest.mark.clause("BPP-DEDUP-01")
def test_duplicates_in_one_batch_are_processed_once(client, ref, profile):
    position = Position.new(ref, profile)
    declared = profile.value("bpp.dedup_winner")
    counts = send(client, ref, position, position.record(5), position.record(7))
    expect(counts, True, position, "qty 5 then qty 7 in one batch")
    winner = 7 if declared == "last" else 5
    node, quantity = loh(client, position)
    got = (quantity["quantity"], node["onHand"])
    assert got == (winner, winner), (
        f"qty 5 then 7 in one batch, declared bpp.dedup_winner {declared!r}: (quantity, onHand) "
        f"expected ({winner}, {winner}), got {got}"
    )


def pending_together(client, ref, profile, first: int, second: Callable[[Position], dict]) -> tuple:
    """Two batches of one job, the second posted while the first is still PENDING (seen after the
    second was accepted, so both wait in one group); a few fresh attempts. (position, events)."""
    for _ in range(4):
        position = Position.new(ref, profile)
        name = ref("Ev")
        job_id = new_job(client, ref, position.retailer)
        a = new_batch(client, job_id, payloads.batch([position.record(first)], event=name))
        b = new_batch(client, job_id, payloads.batch([second(position)], event=name))
        answer = client.read_batch(job_id, a)
        together = answer.status_code == 200 and answer.json().get("status") == "PENDING"
        wait_batch(client, job_id, a)
        wait_batch(client, job_id, b)
        if together:
            return position, events_named(client, name, position.ref)
    pytest.skip("could not observe two batches of one job pending together: the target starts each batch at once")


@pytest.mark.clause("BPP-DEDUP-02")
def test_duplicates_across_batches_of_one_job(client, ref, profile):
    scope, winner = profile.value("bpp.dedup_scope"), profile.value("bpp.dedup_winner")
    situation = f"qty 5 then 7 in two batches of one job, pending together, declared bpp.dedup_scope {scope!r}"
    position, events = pending_together(client, ref, profile, 5, lambda p: p.record(7))
    if scope == "batch":  # each batch de-duplicated alone: both records are changes
        assert len(events) == 2, f"{situation}: expected each forwarded (2 events), got {len(events)}"
        expected = 7
    else:
        assert len(events) == 1, f"{situation}, winner {winner!r}: expected 1 event, got {len(events)}"
        expected = 7 if winner == "last" else 5
    node, quantity = loh(client, position)
    got = (quantity["quantity"], node["onHand"])
    assert got == (expected, expected), f"{situation}: (quantity, onHand) expected ({expected}, {expected}), got {got}"


WITHIN_WINDOW_MIN_S = 0.4
LOAD_POSTERS = 3  # concurrent posts of the load that keeps a target busy


def pending_apart(client, ref, profile, first: int, second: int, gap_s: float) -> tuple:
    """Two batches of one job posted ``gap_s`` apart, the first still PENDING when the second is accepted:
    the target is kept busy first by a load of records in a job of its own (more on each of a few
    attempts). (position, events)."""
    limit = int(profile.value("batch.max_records"))
    for attempt in range(4):
        load_job = new_job(client, ref, profile.primary_retailer)
        sku = ref("LOAD")
        # built before any is posted, and posted three at a time: they pile up PENDING faster than a target
        # processes them (one by one, a fast target processes each before the next is posted)
        loads = [
            payloads.batch([payloads.record(sku, f"B{b}L{i}", 1, profile.primary_retailer) for i in range(limit)])
            for b in range(max(6, int(gap_s * 20)) * 2**attempt)  # about 0.1 s of work per 2 batches on the reference
        ]
        with ThreadPoolExecutor(max_workers=LOAD_POSTERS) as posters:
            list(posters.map(new_batch, itertools.repeat(client), itertools.repeat(load_job), loads))
        position = Position.new(ref, profile)
        name = ref("Ev")
        job_id = new_job(client, ref, position.retailer)
        a = new_batch(client, job_id, payloads.batch([position.record(first)], event=name))
        time.sleep(gap_s)
        b = new_batch(client, job_id, payloads.batch([position.record(second)], event=name))
        answer = client.read_batch(job_id, a)
        pending = answer.status_code == 200 and answer.json().get("status") == "PENDING"
        wait_batch(client, job_id, a)
        wait_batch(client, job_id, b)
        if pending:
            return position, events_named(client, name, position.ref)
    pytest.skip(f"could not keep a batch PENDING for {gap_s:.2f} s: the target processed it before the next came")


@pytest.mark.clause("BPP-DEDUP-02", "BPP-DEDUP-07")
def test_batches_further_apart_than_the_window_are_grouped_as_the_scope_says(client, ref, profile):
    scope, window = profile.value("bpp.dedup_scope"), float(profile.value("bpp.processing_window_s"))
    winner = 7 if profile.value("bpp.dedup_winner") == "last" else 5
    # Within the window too, where it is long enough that posting the second batch (slow on a busy target)
    # cannot carry its arrival out of the window.
    within = scope == "processing_window" and window >= WITHIN_WINDOW_MIN_S
    gaps = ([window / 4] if within else []) + [window + 0.25]  # the short one first: it needs less load
    for gap in gaps:
        position, events = pending_apart(client, ref, profile, 5, 7, gap)
        # job: every PENDING batch together; processing_window: together only within the window; batch: alone
        together = scope == "job" or (scope == "processing_window" and gap < window)
        situation = (
            f"qty 5 then 7 in two batches of one job {gap:.2f} s apart, both PENDING, declared bpp.dedup_scope "
            f"{scope!r}, bpp.processing_window_s {window}"
        )
        wanted = 1 if together else 2
        assert len(events) == wanted, f"{situation}: expected {wanted} event(s), got {len(events)}"
        expected = winner if together else 7  # apart: the second batch's record is processed last
        assert loh(client, position)[1]["quantity"] == expected, f"{situation}: expected quantity {expected}"


@pytest.mark.clause("BPP-DEDUP-03")
def test_an_identical_record_in_two_batches_is_forwarded_once(client, ref, profile):
    # both pending together: change detection against what was stored before cannot filter the second
    position, events = pending_together(client, ref, profile, 5, lambda p: p.record(5))
    assert len(events) == 1, f"qty 5 in two batches of one job, pending together: expected 1 event, got {len(events)}"
    node, quantity = loh(client, position)
    assert (quantity["quantity"], node["onHand"]) == (5, 5), f"(quantity, onHand): expected (5, 5), got {node}"


@pytest.mark.clause("BPP-DEDUP-05")
def test_two_jobs_are_processed_independently(client, ref, profile):
    position = Position.new(ref, profile)
    expect(send(client, ref, position, position.record(5)), True, position, "qty 5 in a first job")
    expect(send(client, ref, position, position.record(7)), True, position, "qty 7 in a second job")
    assert loh(client, position)[1]["quantity"] == 7
