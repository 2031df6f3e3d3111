"""Stock-segmentation attributes and hierarchies (group segmentation)."""

import pytest

from invharness.suites.helpers import Position, bpp_pinned_on, forwarded

QUANTITY = """query($ref: String!, $cat: String!) { inventoryQuantity(ref: $ref, catalogue: {ref: $cat}) {
    ref quantity countryOfOrigin manufacturer manufacturerBatchNumber supplier expiresOn expectedOn condition channel
    associationType associationRef segment1 parent { ref } attributes { name value } } }"""
SEARCH = """query($cat: String!, $origin: [String], $batch: [String]) {
    inventoryQuantities(catalogue: {ref: $cat}, countryOfOrigin: $origin, manufacturerBatchNumber: $batch, first: 500) {
    edges { node { ref } } } }"""


@pytest.fixture(autouse=True)
def _bpp_on(client, profile):
    bpp_pinned_on(client, profile)


def segmented(ref, profile):
    """SPEC 4.5's segmented example, with refs of this run."""
    position = Position.new(ref, profile)
    base = position.ref
    batch_no = ref("MBN")
    records = [
        position.record(
            100,
            ref=f"{base}:LAST_ON_HAND:1",
            attributes={
                "countryOfOrigin": "AU",
                "manufacturerBatchNumber": batch_no,
                "expiresOn": "2026-09-30T23:59:59Z",
                "supplier": "SUPREF1",
                "manufacturer": "MANREF1",
                "condition": "NEW",
                "channel": "ONLINE",
                "segment1": "PROMO",
                "palletColour": "blue",
            },
        ),
        position.record(
            50,
            ref=f"{base}:LAST_ON_HAND:2",
            attributes={
                "countryOfOrigin": "US",
                "manufacturerBatchNumber": batch_no + "B",
                "expiresOn": "2026-12-31T23:59:59Z",
            },
        ),
        position.record(
            300,
            type="ON_ORDER",
            ref=f"{base}:ON_ORDER:1",
            attributes={
                "associationType": "PURCHASE_ORDER",
                "associationRef": ref("PO"),
                "expectedOn": "2026-06-01T00:00:00Z",
            },
        ),
        position.record(
            150,
            type="ON_ORDER",
            ref=f"{base}:ON_ORDER:2",
            attributes={
                "parentRef": f"{base}:ON_ORDER:1",
                "associationType": "IN_TRANSIT",
                "associationRef": ref("IT"),
                "expectedOn": "2026-03-01T00:00:00Z",
            },
        ),
    ]
    return position, records, batch_no


@pytest.mark.clause("SEG-ATTR-01", "SEG-ATTR-02")
def test_segmentation_and_custom_attributes_are_stored(client, ref, profile):
    position, records, batch_no = segmented(ref, profile)
    forwarded(client, ref, records, position.retailer)
    first = client.data(QUANTITY, ref=f"{position.ref}:LAST_ON_HAND:1", cat=position.catalogue)["inventoryQuantity"]
    expected = {
        "countryOfOrigin": "AU",
        "manufacturerBatchNumber": batch_no,
        "supplier": "SUPREF1",
        "manufacturer": "MANREF1",
        "condition": "NEW",
        "channel": "ONLINE",
        "segment1": "PROMO",
    }
    assert {k: first[k] for k in expected} == expected
    assert first["expiresOn"].startswith("2026-09-30T23:59:59")
    assert {"name": "palletColour", "value": "blue"} in first["attributes"]
    child = client.data(QUANTITY, ref=f"{position.ref}:ON_ORDER:2", cat=position.catalogue)["inventoryQuantity"]
    assert child["parent"] == {"ref": f"{position.ref}:ON_ORDER:1"} and child["associationType"] == "IN_TRANSIT"


@pytest.mark.clause("SEG-PARENT-01")
def test_a_parent_must_exist_in_the_same_position(client, ref, profile):
    position = Position.new(ref, profile)
    orphan = position.record(5, type="ON_ORDER", ref=ref("CHILD"), attributes={"parentRef": ref("NO-PARENT")})
    _, body = client.run_batch(
        {"name": ref("job"), "retailerId": str(position.retailer)},
        {"action": "UPSERT", "entityType": "INVENTORY", "entities": [orphan]},
    )
    assert [r["index"] for r in body["results"]] == [0]
    query = """query($ref: String!, $cat: String!) { inventoryQuantity(ref: $ref, catalogue: {ref: $cat}) { ref } }"""
    assert client.data(query, ref=orphan["ref"], cat=position.catalogue)["inventoryQuantity"] is None


@pytest.mark.clause("SEG-FILTER-01")
def test_segmentation_fields_match_exactly_only(client, ref, profile):
    position, records, batch_no = segmented(ref, profile)
    forwarded(client, ref, records, position.retailer)
    exact = client.data(SEARCH, cat=position.catalogue, origin=None, batch=[batch_no])["inventoryQuantities"]
    assert [e["node"]["ref"] for e in exact["edges"]] == [f"{position.ref}:LAST_ON_HAND:1"]
    partial = client.data(SEARCH, cat=position.catalogue, origin=None, batch=[batch_no[:-2]])["inventoryQuantities"]
    assert partial["edges"] == []
    both = client.data(SEARCH, cat=position.catalogue, origin=["US"], batch=[batch_no + "B"])["inventoryQuantities"]
    assert [e["node"]["ref"] for e in both["edges"]] == [f"{position.ref}:LAST_ON_HAND:2"]
