"""Inventory quantities, positions, onHand and virtual positions (group inventory)."""

import pytest

from invharness.suites.helpers import (
    Position,
    add_quantity,
    bpp_pinned_on,
    forwarded,
    position_state,
    set_quantity_status,
)

VIRTUAL = """query($cat: String!, $p: [String]) { virtualPositions(catalogue: {ref: $cat}, productRef: $p) {
    edges { node { ref productRef groupRef quantity status } } } }"""


@pytest.fixture(autouse=True)
def _bpp_on(client, profile):
    bpp_pinned_on(client, profile)


def loaded(client, ref, profile, qty):
    position = Position.new(ref, profile)
    forwarded(client, ref, [position.record(qty, status="ACTIVE")], position.retailer)
    return position


@pytest.mark.clause("INV-IQ-01")
def test_a_record_writes_its_quantity_under_its_position(client, ref, profile):
    position = Position.new(ref, profile)
    forwarded(
        client, ref, [position.record(6, status="ACTIVE"), position.record(40, type="ON_ORDER")], position.retailer
    )
    node, quantities = position_state(client, position)
    assert node["ref"] == position.ref
    assert {(q["type"], q["status"], q["quantity"]) for q in quantities.values()} >= {
        ("LAST_ON_HAND", "ACTIVE", 6),
        ("ON_ORDER", "ACTIVE", 40),
    }


@pytest.mark.clause("INV-ONHAND-01")
def test_on_hand_sums_loh_and_active_transients(client, ref, profile):
    # SPEC 12.4 H1-H3: a reservation, a full pick, a short pick.
    position = loaded(client, ref, profile, 170)
    reserved = add_quantity(client, position, ref("RES"), "RESERVED", -3)
    assert position_state(client, position)[0]["onHand"] == 167
    set_quantity_status(client, position, reserved, "INACTIVE")
    add_quantity(client, position, ref("SALE"), "SALE", -3)
    assert position_state(client, position)[0]["onHand"] == 167
    add_quantity(client, position, ref("RES"), "RESERVED", -5, status="INACTIVE")
    add_quantity(client, position, ref("SALE"), "SALE", -1)
    add_quantity(client, position, ref("COR"), "CORRECTION", -4)
    add_quantity(client, position, ref("OLD"), "RESERVED", -100, status="INACTIVE")
    assert position_state(client, position)[0]["onHand"] == 162


@pytest.mark.clause("INV-ONHAND-02")
def test_a_loh_record_clears_sale_correction_delta_and_keeps_reserved(client, ref, profile):
    # SPEC 12.4 H5-H6
    position = loaded(client, ref, profile, 162)
    sale = add_quantity(client, position, ref("SALE"), "SALE", -1)
    correction = add_quantity(client, position, ref("COR"), "CORRECTION", -2)
    delta = add_quantity(client, position, ref("DELTA"), "DELTA", -10)
    reserved = [add_quantity(client, position, ref("RES"), "RESERVED", q) for q in (-7, -2)]
    assert position_state(client, position)[0]["onHand"] == 140
    forwarded(client, ref, [position.record(153)], position.retailer)
    node, quantities = position_state(client, position)
    assert {quantities[r]["status"] for r in (sale, correction, delta)} == {"INACTIVE"}
    assert {quantities[r]["status"] for r in reserved} == {"ACTIVE"}
    assert node["onHand"] == 144


@pytest.mark.clause("INV-ONHAND-03")
def test_other_types_upsert_only_their_own_quantity(client, ref, profile):
    position = loaded(client, ref, profile, 20)
    sale = add_quantity(client, position, ref("SALE"), "SALE", -2)
    forwarded(client, ref, [position.record(300, type="ON_ORDER")], position.retailer)
    node, quantities = position_state(client, position)
    assert quantities[sale]["status"] == "ACTIVE"
    assert node["onHand"] == 18


@pytest.mark.clause("INV-VP-01", "INV-VP-02")
def test_virtual_positions_follow_on_hand_and_never_go_negative(client, ref, profile):
    position = loaded(client, ref, profile, 4)
    catalogue = f"BASE:{position.retailer}"
    nodes = [e["node"] for e in client.data(VIRTUAL, cat=catalogue, p=[position.sku])["virtualPositions"]["edges"]]
    assert [(n["groupRef"], n["quantity"]) for n in nodes] == [(position.location, 4)]
    add_quantity(client, position, ref("RES"), "RESERVED", -9)
    nodes = [e["node"] for e in client.data(VIRTUAL, cat=catalogue, p=[position.sku])["virtualPositions"]["edges"]]
    assert nodes[0]["quantity"] == 0
