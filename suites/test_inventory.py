"""Inventory quantities, positions, onHand and virtual positions (group inventory).

Stock is loaded by batches and changed through GraphQL; what each check judges is read back from
the target (stored quantities, statuses, onHand, virtual positions), scoped to the check's own
positions. Pre-processing is not pinned: every record a check sends is a change, so whether the
target pre-processes does not matter here (and the checks never race the settings checks).
"""

import pytest

from invharness.suites.client import StepFailed
from invharness.suites.helpers import Position
from invharness.suites.inventory_writes import UPDATE_POSITION, set_position_status
from invharness.suites.readback import (
    add_quantity,
    load,
    read_position,
    set_quantity_status,
    step_data,
    stock,
)

VIRTUAL = """query($cat: String!, $p: [String]) { virtualPositions(catalogue: {ref: $cat}, productRef: $p, first: 50) {
    edges { node { ref productRef groupRef quantity status } } } }"""


def stocked(client, ref, profile, qty):
    position = Position.new(ref, profile)
    stock(client, ref, position, qty)
    return position


def on_hand(client, position):
    node, _ = read_position(client, position)
    assert node is not None, f"position {position.ref} is gone"
    return node["onHand"]


def kinds(quantities):
    return sorted((q["type"], q["status"], q["quantity"]) for q in quantities.values())


@pytest.mark.clause("INV-IQ-01")
def test_a_record_writes_its_quantity_under_its_position(client, ref, profile):
    position = Position.new(ref, profile)
    load(
        client,
        ref,
        [position.record(6, status="ACTIVE"), position.record(40, type="ON_ORDER", status="CREATED")],
        position.retailer,
    )
    node, quantities = read_position(client, position)
    assert node is not None, f"no position {position.ref} in {position.catalogue} after the batch"
    assert node["ref"] == position.ref
    assert kinds(quantities) == [("LAST_ON_HAND", "ACTIVE", 6), ("ON_ORDER", "CREATED", 40)], (
        f"stored (type, status, qty) {kinds(quantities)}"
    )
    # a later record of the same quantity writes over it: qty and status are stored, not kept
    load(client, ref, [position.record(9, status="INACTIVE")], position.retailer)
    stored = kinds(read_position(client, position)[1])
    assert stored == [("LAST_ON_HAND", "INACTIVE", 9), ("ON_ORDER", "CREATED", 40)], f"after LOH 9 INACTIVE: {stored}"
    # a batch for another catalogue writes under that catalogue's position, not under DEFAULT's
    other = f"{ref('CAT')}:{position.retailer}"
    load(client, ref, [position.record(3, status="ACTIVE")], position.retailer, catalogue_ref=other)
    there_ref = f"{position.sku}:{position.location}:{other.split(':', 1)[0]}"
    there = step_data(
        client,
        "GQL-INV-01",
        "inventoryPosition",
        """query($r: String!, $c: String!) { inventoryPosition(ref: $r, catalogue: {ref: $c}) {
            ref quantities(first: 50) { edges { node { type status quantity } } } } }""",
        r=there_ref,
        c=other,
    )["inventoryPosition"]
    assert there is not None, f"no position {there_ref} in catalogue {other}"
    assert [(e["node"]["type"], e["node"]["quantity"]) for e in there["quantities"]["edges"]] == [("LAST_ON_HAND", 3)]
    assert kinds(read_position(client, position)[1]) == stored, "a record for another catalogue changed DEFAULT's"


@pytest.mark.clause("INV-ONHAND-01")
def test_on_hand_sums_loh_and_active_transients(client, ref, profile):
    # SPEC 12.4 H1-H3: a reservation, a full pick, a short pick.
    position = stocked(client, ref, profile, 170)
    reserved = add_quantity(client, position, ref("RES"), "RESERVED", -3)
    assert on_hand(client, position) == 167, "LOH 170 + RESERVED -3"
    set_quantity_status(client, position, reserved, "INACTIVE")
    add_quantity(client, position, ref("SALE"), "SALE", -3)
    assert on_hand(client, position) == 167, "LOH 170 + SALE -3 (RESERVED -3 INACTIVE)"
    add_quantity(client, position, ref("RES"), "RESERVED", -5, status="INACTIVE")
    add_quantity(client, position, ref("SALE"), "SALE", -1)
    add_quantity(client, position, ref("COR"), "CORRECTION", -4)
    add_quantity(client, position, ref("OLD"), "RESERVED", -100, status="INACTIVE")
    add_quantity(client, position, ref("DELTA"), "DELTA", -2)
    add_quantity(client, position, ref("ORDER"), "ON_ORDER", 50)  # not a type onHand counts
    add_quantity(client, position, ref("SALE"), "SALE", -20, status="CREATED")  # not ACTIVE
    assert on_hand(client, position) == 160, "LOH 170 + SALE -3 -1 + CORRECTION -4 + DELTA -2"


@pytest.mark.clause("INV-ONHAND-02")
def test_a_loh_record_clears_sale_correction_delta_and_keeps_reserved(client, ref, profile):
    # SPEC 12.4 H5-H6
    position = stocked(client, ref, profile, 162)
    sale = add_quantity(client, position, ref("SALE"), "SALE", -1)
    correction = add_quantity(client, position, ref("COR"), "CORRECTION", -2)
    delta = add_quantity(client, position, ref("DELTA"), "DELTA", -10)
    reserved = [add_quantity(client, position, ref("RES"), "RESERVED", q) for q in (-7, -2)]
    assert on_hand(client, position) == 140, "LOH 162 - 1 - 2 - 10 - 7 - 2"
    load(client, ref, [position.record(153)], position.retailer)
    node, quantities = read_position(client, position)
    statuses = {r: quantities[r]["status"] for r in (sale, correction, delta, *reserved)}
    assert {statuses[r] for r in (sale, correction, delta)} == {"INACTIVE"}, f"after LOH 153: {statuses}"
    assert {statuses[r] for r in reserved} == {"ACTIVE"}, f"RESERVED after LOH 153: {statuses}"
    assert node["onHand"] == 144, "LOH 153 + RESERVED -7 -2"


@pytest.mark.clause("INV-ONHAND-03")
def test_other_types_upsert_only_their_own_quantity(client, ref, profile):
    position = stocked(client, ref, profile, 20)
    sale = add_quantity(client, position, ref("SALE"), "SALE", -2)
    delta = add_quantity(client, position, ref("DELTA"), "DELTA", -1)
    load(client, ref, [position.record(300, type="ON_ORDER"), position.record(5, type="FUTURE")], position.retailer)
    node, quantities = read_position(client, position)
    assert (quantities[sale]["status"], quantities[delta]["status"]) == ("ACTIVE", "ACTIVE"), (
        f"SALE and DELTA after ON_ORDER and FUTURE records: {quantities[sale]['status']}, {quantities[delta]['status']}"
    )
    loh = [q for q in quantities.values() if q["type"] == "LAST_ON_HAND"]
    assert [(q["quantity"], q["status"]) for q in loh] == [(20, "ACTIVE")], f"LAST_ON_HAND: {loh}"
    assert {("ON_ORDER", 300), ("FUTURE", 5)} <= {(q["type"], q["quantity"]) for q in quantities.values()}
    assert node["onHand"] == 17, "LOH 20 + SALE -2 + DELTA -1 (ON_ORDER and FUTURE do not count)"


def virtual(client, position):
    catalogue = f"BASE:{position.retailer}"
    found = step_data(
        client, "GQL-VP-01", f"virtualPositions of {position.sku}", VIRTUAL, cat=catalogue, p=[position.sku]
    )
    return [(n["groupRef"], n["quantity"]) for n in (e["node"] for e in found["virtualPositions"]["edges"])]


@pytest.mark.clause("INV-VP-01", "INV-VP-02")
def test_virtual_positions_follow_on_hand_and_never_go_negative(client, ref, profile):
    position = stocked(client, ref, profile, 4)
    assert virtual(client, position) == [(position.location, 4)], "BASE virtual position of LOH 4"
    add_quantity(client, position, ref("RES"), "RESERVED", -1)
    assert virtual(client, position) == [(position.location, 3)], "after RESERVED -1 (onHand 3)"
    add_quantity(client, position, ref("RES"), "RESERVED", -8)
    assert virtual(client, position) == [(position.location, 0)], "onHand -5: the virtual quantity floors at 0"


# ---------------------------------------------------------------- H7: an inactive product or location


def deactivation_input(profile):
    """The input that makes a position's product or location inactive (inventory.deactivation_input)."""
    declared = profile.value("inventory.deactivation_input")
    if declared == "none":
        pytest.skip("unsupported: inventory.deactivation_input none - product and location status come from outside")
    return declared


@pytest.mark.clause("INV-INACTIVE-01")
def test_an_inactive_product_or_location_makes_the_position_inactive(client, ref, profile):
    deactivation_input(profile)  # position_status: updateInventoryPosition with status INACTIVE
    position = stocked(client, ref, profile, 8)
    change = {"ref": position.ref, "catalogue": {"ref": position.catalogue}, "status": "INACTIVE"}
    step_data(client, "INV-INACTIVE-01", "updateInventoryPosition status INACTIVE", UPDATE_POSITION, input=change)
    node, _ = read_position(client, position)
    assert node["status"] == "INACTIVE", f"the position's status after its product or location went inactive: {node}"
    load(client, ref, [position.record(20, status="ACTIVE")], position.retailer)
    node, _ = read_position(client, position)
    assert (node["onHand"], node["status"]) == (20, "INACTIVE"), (
        f"(onHand, status) after LOH 20 with the product or location still inactive: {node}"
    )


@pytest.mark.clause("INV-INACTIVE-02")
def test_an_inactive_position_offers_nothing(client, ref, profile):
    deactivation_input(profile)
    position = stocked(client, ref, profile, 6)
    if virtual(client, position) != [(position.location, 6)]:
        raise StepFailed("INV-VP-02", f"BASE virtual position of LOH 6 at {position.ref}: {virtual(client, position)}")
    set_position_status(client, position.ref, position.catalogue, "INACTIVE")
    assert virtual(client, position) == [(position.location, 0)], "an INACTIVE position with onHand 6 offers 0"
    load(client, ref, [position.record(30, status="ACTIVE")], position.retailer)
    assert virtual(client, position) == [(position.location, 0)], "still 0 after LOH 30 (position INACTIVE)"
