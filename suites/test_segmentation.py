"""Stock-segmentation attributes and hierarchies (group segmentation)."""

import pytest

from invharness.suites.clients_helpers import (
    assert_filtered_by_each_field,
    assert_segments_stored,
    read_segments,
    segment_values,
)
from invharness.suites.helpers import CREATE_QUANTITY, UPDATE_QUANTITY, Position, bpp_pinned_on, forwarded

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


# ---------------------------------------------------------------- every field, every route (issue 14)


def two_segmented_quantities(client, ref, profile, route):
    """A position of this run holding two quantities whose segmentation fields differ in every field,
    written by ``route``: "batch", "create" (createInventoryQuantity) or "update" (updateInventoryQuantity)."""
    position = Position.new(ref, profile)
    refs = [f"{position.ref}:ON_ORDER:{n}" for n in (1, 2)]
    values = [segment_values(ref, 1), segment_values(ref, 2)]
    catalogue = {"ref": position.catalogue}
    if route == "batch":
        records = [position.record(5, type="ON_ORDER", ref=r, attributes=v) for r, v in zip(refs, values, strict=True)]
        forwarded(client, ref, records, position.retailer)
        return position, refs, values
    forwarded(client, ref, [position.record(10)], position.retailer)
    for quantity_ref, segment in zip(refs, values, strict=True):
        created = {
            "ref": quantity_ref,
            "catalogue": catalogue,
            "position": {"ref": position.ref, "catalogue": catalogue},
            "type": "ON_ORDER",
            "status": "ACTIVE",
            "quantity": 5,
        }
        if route == "create":
            client.data(CREATE_QUANTITY, input={**created, **segment})
        else:
            client.data(CREATE_QUANTITY, input=created)
            client.data(UPDATE_QUANTITY, input={"ref": quantity_ref, "catalogue": catalogue, **segment})
    return position, refs, values


@pytest.mark.parametrize(
    "route",
    [
        pytest.param("batch", marks=pytest.mark.clause("SEG-ATTR-01")),
        pytest.param("create", marks=pytest.mark.clause("SEG-GQL-01")),
        pytest.param("update", marks=pytest.mark.clause("SEG-GQL-02")),
    ],
)
def test_every_segmentation_field_is_stored_on_every_route(client, ref, profile, route):
    position, refs, values = two_segmented_quantities(client, ref, profile, route)
    for quantity_ref, sent in zip(refs, values, strict=True):
        assert_segments_stored(read_segments(client, quantity_ref, position.catalogue), sent, route)


@pytest.mark.clause("SEG-FILTER-02")
def test_inventory_quantities_filter_by_each_segmentation_field(client, ref, profile):
    position, refs, values = two_segmented_quantities(client, ref, profile, "batch")
    assert_filtered_by_each_field(client, position.catalogue, refs[0], refs[1], values[0])
    assert_filtered_by_each_field(client, position.catalogue, refs[1], refs[0], values[1])
