"""SPEC §12.4 (H1-H6): onHand arithmetic, and the stock-segmentation model, over HTTP."""

from tests.support import record, unique


def test_h1_reservation_lowers_on_hand(api):
    sku = unique("H")
    api.run_batch([record(sku, 170)])
    reserved = api.add_quantity(sku, "RESERVED", -3)
    assert api.quantities(sku)[reserved]["status"] == "ACTIVE"
    assert api.position(sku)["onHand"] == 167


def test_h2_full_pick_turns_the_reservation_into_a_sale(api):
    sku = unique("H")
    api.run_batch([record(sku, 170)])
    reserved = api.add_quantity(sku, "RESERVED", -3)
    api.set_status(reserved, "INACTIVE")
    sale = api.add_quantity(sku, "SALE", -3)
    quantities = api.quantities(sku)
    assert quantities[reserved]["status"] == "INACTIVE" and quantities[sale]["status"] == "ACTIVE"
    assert api.position(sku)["onHand"] == 167


def test_h3_short_pick_then_h4_batch_clears_sale_and_correction(api):
    sku = unique("H")
    api.run_batch([record(sku, 167)])
    reserved = api.add_quantity(sku, "RESERVED", -5)
    assert api.position(sku)["onHand"] == 162
    api.set_status(reserved, "INACTIVE")
    sale = api.add_quantity(sku, "SALE", -1)
    correction = api.add_quantity(sku, "CORRECTION", -4)
    assert api.position(sku)["onHand"] == 162
    api.run_batch([record(sku, 162)])
    quantities = api.quantities(sku)
    assert quantities[sale]["status"] == quantities[correction]["status"] == "INACTIVE"
    assert api.position(sku)["onHand"] == 162


def test_h5_deltas_and_reservations_then_h6_batch_keeps_reservations(api):
    sku = unique("H")
    api.run_batch([record(sku, 162)])
    delta = {
        "name": "INVENTORY_DELTA",
        "retailerId": "1",
        "entityRef": "DEFAULT:1",
        "entityType": "INVENTORY_CATALOGUE",
        "attributes": {"deltas": [{"productRef": sku, "locationRef": "LOC1", "qty": -10, "deltaId": unique("d")}]},
    }
    assert api.post("/api/v4.1/event/sync", delta).status_code == 200
    reservations = [api.add_quantity(sku, "RESERVED", -7), api.add_quantity(sku, "RESERVED", -2)]
    assert api.position(sku)["onHand"] == 143
    api.run_batch([record(sku, 153)])
    quantities = api.quantities(sku)
    assert [q["status"] for q in quantities.values() if q["type"] == "DELTA"] == ["INACTIVE"]
    assert all(quantities[r]["status"] == "ACTIVE" for r in reservations)
    assert api.position(sku)["onHand"] == 144


def test_non_loh_records_update_only_their_own_quantity(api):
    sku = unique("H")
    api.run_batch([record(sku, 20)])
    sale = api.add_quantity(sku, "SALE", -2)
    api.run_batch([record(sku, 300, type="ON_ORDER")])
    quantities = api.quantities(sku)
    assert quantities[sale]["status"] == "ACTIVE"
    assert quantities[f"{sku}:LOC1:DEFAULT:ON_ORDER"]["quantity"] == 300
    assert api.position(sku)["onHand"] == 18, "ON_ORDER is not on hand"


def test_virtual_position_floors_at_zero(api):
    sku = unique("V")
    api.run_batch([record(sku, 2)])
    api.add_quantity(sku, "RESERVED", -5)
    query = """query($p: [String!]) { virtualPositions(catalogue: {ref: "BASE:1"}, productRef: $p) {
        edges { node { ref productRef groupRef quantity status } } } }"""
    nodes = [e["node"] for e in api.gql(query, p=[sku])["virtualPositions"]["edges"]]
    assert nodes == [
        {"ref": f"{sku}:LOC1", "productRef": sku, "groupRef": "LOC1", "quantity": 0, "status": "OUT_OF_STOCK"}
    ]
    assert api.position(sku)["onHand"] == -3


SEGMENTED = [
    {
        "retailerId": 1,
        "skuRef": "{sku}",
        "locationRef": "LOCREF1",
        "ref": "{sku}:LOCREF1:DEFAULT:LAST_ON_HAND:1",
        "qty": 100,
        "attributes": {
            "countryOfOrigin": "AU",
            "manufacturerBatchNumber": "MBN1",
            "expiresOn": "2026-09-30T23:59:59Z",
            "warehouseZone": {"aisle": 4},
        },
    },
    {
        "retailerId": 1,
        "skuRef": "{sku}",
        "locationRef": "LOCREF1",
        "ref": "{sku}:LOCREF1:DEFAULT:LAST_ON_HAND:2",
        "qty": 50,
        "attributes": {"countryOfOrigin": "US", "manufacturerBatchNumber": "MBN2", "expiresOn": "2026-12-31T23:59:59Z"},
    },
    {
        "retailerId": 1,
        "skuRef": "{sku}",
        "locationRef": "LOCREF1",
        "type": "ON_ORDER",
        "ref": "{sku}:LOCREF1:DEFAULT:ON_ORDER:1",
        "qty": 300,
        "attributes": {
            "associationType": "PURCHASE_ORDER",
            "associationRef": "POREF1",
            "expectedOn": "2026-06-01T00:00:00Z",
        },
    },
    {
        "retailerId": 1,
        "skuRef": "{sku}",
        "locationRef": "LOCREF1",
        "type": "ON_ORDER",
        "ref": "{sku}:LOCREF1:DEFAULT:ON_ORDER:2",
        "qty": 150,
        "attributes": {
            "parentRef": "{sku}:LOCREF1:DEFAULT:ON_ORDER:1",
            "associationType": "IN_TRANSIT",
            "associationRef": "ITREF1",
            "expectedOn": "2026-03-01T00:00:00Z",
        },
    },
]


def _segmented(sku):
    import json

    return json.loads(json.dumps(SEGMENTED).replace("{sku}", sku))


def test_segmented_batch_stores_segments_tree_and_custom_attributes(api):
    sku = unique("SEG")
    assert api.run_batch(_segmented(sku))["total"] == 0
    query = """query($ref: String!) { inventoryQuantity(ref: $ref, catalogue: {ref: "DEFAULT:1"}) {
        ref quantity countryOfOrigin manufacturerBatchNumber expiresOn associationType associationRef expectedOn
        parent { ref } attributes { name type value } } }"""
    first = api.gql(query, ref=f"{sku}:LOCREF1:DEFAULT:LAST_ON_HAND:1")["inventoryQuantity"]
    assert (first["countryOfOrigin"], first["manufacturerBatchNumber"]) == ("AU", "MBN1")
    assert first["expiresOn"] == "2026-09-30T23:59:59Z"
    assert first["attributes"] == [{"name": "warehouseZone", "type": "JSON", "value": {"aisle": 4}}]
    child = api.gql(query, ref=f"{sku}:LOCREF1:DEFAULT:ON_ORDER:2")["inventoryQuantity"]
    assert child["parent"] == {"ref": f"{sku}:LOCREF1:DEFAULT:ON_ORDER:1"}
    assert child["associationType"] == "IN_TRANSIT"
    assert api.position(sku, "LOCREF1")["onHand"] == 150


def test_parent_must_exist_in_the_same_position(api):
    sku = unique("SEG")
    orphan = record(sku, 5, type="ON_ORDER", attributes={"parentRef": f"{sku}:LOC1:DEFAULT:ON_ORDER:missing"})
    body = api.run_batch([orphan, record(sku, 3)])
    assert [(r["index"], r["code"]) for r in body["results"]] == [(0, "PARENT_NOT_FOUND")]
    assert list(api.quantities(sku)) == [f"{sku}:LOC1:DEFAULT:LAST_ON_HAND"]


def test_segmentation_fields_filter_by_exact_match_only(api):
    sku = unique("SEG")
    api.run_batch(_segmented(sku))
    query = """query($sku: String!, $origin: [String], $mbn: [String]) {
        inventoryQuantities(catalogue: {ref: "DEFAULT:1"}, countryOfOrigin: $origin, manufacturerBatchNumber: $mbn,
                            ref: [$sku]) { edges { node { ref } } } }"""
    ref1 = f"{sku}:LOCREF1:DEFAULT:LAST_ON_HAND:1"
    exact = api.gql(query, sku=ref1, origin=["AU"], mbn=None)["inventoryQuantities"]["edges"]
    assert [e["node"]["ref"] for e in exact] == [ref1]
    partial = api.gql(query, sku=ref1, origin=["A"], mbn=None)["inventoryQuantities"]["edges"]
    assert partial == []
    by_batch = (
        """query($mbn: [String]) { inventoryQuantities(manufacturerBatchNumber: $mbn) { edges { node { ref } } } }"""
    )
    assert [e["node"]["ref"] for e in api.gql(by_batch, mbn=["MBN2"])["inventoryQuantities"]["edges"]] == [
        f"{sku}:LOCREF1:DEFAULT:LAST_ON_HAND:2"
    ]


def test_ref_reused_for_another_position_is_refused(api):
    sku = unique("R")
    ref = f"{sku}-shared"
    api.run_batch([record(sku, 1, ref=ref)])
    body = api.run_batch([record(sku, 2, loc="LOC2", ref=ref)])
    assert [r["code"] for r in body["results"]] == ["REF_CONFLICT"]
    assert api.position(sku, "LOC2") is None
