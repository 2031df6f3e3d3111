"""Stock-segmentation attributes and hierarchies (group segmentation).

Every field is read back from the stored quantity over GraphQL; searches are scoped by values that
only this check wrote (its own batch numbers), so a target's other data never shows.
"""

import pytest

from invharness.suites.clients_helpers import (
    assert_filtered_by_each_field,
    assert_segments_stored,
    read_segments,
    segment_values,
)
from invharness.suites.helpers import CREATE_QUANTITY, UPDATE_QUANTITY, Position, forwarded
from invharness.suites.readback import load, step_data

QUANTITY = """query($ref: String!, $cat: String!) { inventoryQuantity(ref: $ref, catalogue: {ref: $cat}) {
    ref quantity countryOfOrigin manufacturer manufacturerBatchNumber supplier expiresOn expectedOn condition channel
    storageAreaRef associationType associationRef segment1 segment2 segment3 parent { ref }
    attributes { name value } } }"""
SEARCH = """query($cat: String!, $origin: [String], $batch: [String]) {
    inventoryQuantities(catalogue: {ref: $cat}, countryOfOrigin: $origin, manufacturerBatchNumber: $batch, first: 50) {
    edges { node { ref } } } }"""


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
                "shelfLifeDays": 12,
            },
        ),
        position.record(
            50,
            ref=f"{base}:LAST_ON_HAND:2",
            attributes={
                "countryOfOrigin": "US",
                "manufacturerBatchNumber": batch_no + "B",
                "expiresOn": "2026-12-31T23:59:59Z",
                "storageAreaRef": f"{position.location}:SA1",
                "segment2": "CLEARANCE",
                "segment3": "B",
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


SEGMENT = (
    "countryOfOrigin",
    "manufacturer",
    "manufacturerBatchNumber",
    "supplier",
    "condition",
    "channel",
    "storageAreaRef",
    "associationType",
    "associationRef",
    "segment1",
    "segment2",
    "segment3",
)


def quantity(client, position, ref):
    found = step_data(client, "GQL-INV-01", f"inventoryQuantity {ref}", QUANTITY, ref=ref, cat=position.catalogue)
    stored = found["inventoryQuantity"]
    assert stored is not None, f"no quantity {ref} in {position.catalogue} after the batch"
    return stored


def sent_and_stored(record, stored):
    """(field, sent, stored) for every segmentation field the record carried or the quantity holds."""
    sent = record.get("attributes", {})
    fields = [f for f in SEGMENT if f in sent or stored.get(f) is not None]
    wrong = [(f, sent.get(f), stored.get(f)) for f in fields if sent.get(f) != stored.get(f)]
    for date in ("expiresOn", "expectedOn"):
        if (date in sent) != (stored.get(date) is not None) or (
            date in sent and not str(stored[date]).startswith(sent[date].removesuffix("Z"))
        ):
            wrong.append((date, sent.get(date), stored.get(date)))
    return wrong


@pytest.mark.clause("SEG-ATTR-01")
def test_segmentation_attributes_are_stored_on_the_quantity(client, ref, profile):
    position, records, _ = segmented(ref, profile)
    load(client, ref, records, position.retailer)
    for record in records:
        stored = quantity(client, position, record["ref"])
        assert sent_and_stored(record, stored) == [], f"{record['ref']}: (field, sent, stored)"
    child = quantity(client, position, f"{position.ref}:ON_ORDER:2")
    assert child["parent"] == {"ref": f"{position.ref}:ON_ORDER:1"}, f"parent of ON_ORDER:2: {child['parent']}"
    # a later record of the quantity carries new segment values: they are stored, not the first ones
    changed = {**records[0], "qty": 90, "attributes": {**records[0]["attributes"], "countryOfOrigin": "NZ"}}
    changed["attributes"]["channel"] = "STORE"
    load(client, ref, [changed], position.retailer)
    stored = quantity(client, position, changed["ref"])
    assert (stored["quantity"], stored["countryOfOrigin"], stored["channel"]) == (90, "NZ", "STORE"), (
        f"after a record with countryOfOrigin NZ, channel STORE: {stored}"
    )


@pytest.mark.clause("SEG-ATTR-02")
def test_other_attribute_keys_are_kept_as_custom_attributes(client, ref, profile):
    position, records, _ = segmented(ref, profile)
    load(client, ref, records, position.retailer)
    first = quantity(client, position, f"{position.ref}:LAST_ON_HAND:1")
    custom = {a["name"]: a["value"] for a in first["attributes"] or []}
    assert {k: custom.get(k) for k in ("palletColour", "shelfLifeDays")} == {
        "palletColour": "blue",
        "shelfLifeDays": 12,
    }, f"custom attributes stored: {custom}"
    assert set(custom) & set(SEGMENT) == set(), f"segmentation fields listed as custom attributes: {custom}"


@pytest.mark.clause("SEG-PARENT-01")
def test_a_parent_must_exist_in_the_same_position(client, ref, profile):
    position = Position.new(ref, profile)
    orphan = position.record(5, type="ON_ORDER", ref=ref("CHILD"), attributes={"parentRef": ref("NO-PARENT")})
    body = load(client, ref, [orphan], position.retailer)
    assert [r["index"] for r in body["results"]] == [0], f"results: {body['results']}"
    query = """query($ref: String!, $cat: String!) { inventoryQuantity(ref: $ref, catalogue: {ref: $cat}) { ref } }"""
    assert client.data(query, ref=orphan["ref"], cat=position.catalogue)["inventoryQuantity"] is None


def search(client, position, **filters):
    found = step_data(client, "GQL-INV-01", f"inventoryQuantities {filters}", SEARCH, cat=position.catalogue, **filters)
    return sorted(e["node"]["ref"] for e in found["inventoryQuantities"]["edges"])


@pytest.mark.clause("SEG-FILTER-01")
def test_segmentation_fields_match_exactly_only(client, ref, profile):
    position, records, batch_no = segmented(ref, profile)
    load(client, ref, records, position.retailer)
    first, second = f"{position.ref}:LAST_ON_HAND:1", f"{position.ref}:LAST_ON_HAND:2"
    cases = [
        ("exact", {"origin": None, "batch": [batch_no]}, [first]),
        ("a prefix", {"origin": None, "batch": [batch_no[:-2]]}, []),
        ("another case", {"origin": None, "batch": [batch_no.lower()]}, []),
        ("a longer value", {"origin": None, "batch": [batch_no + "BX"]}, []),
        ("two fields", {"origin": ["US"], "batch": [batch_no + "B"]}, [second]),
        ("two fields, one off", {"origin": ["AU"], "batch": [batch_no + "B"]}, []),
        ("either of two values", {"origin": None, "batch": [batch_no, batch_no + "B"]}, [first, second]),
    ]
    got = {name: search(client, position, **filters) for name, filters, _ in cases}
    assert got == {name: expected for name, _, expected in cases}, "refs found by each search"


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
