"""The inventory mutations of issue 10 (createInventoryPosition ... updateVirtualPosition) on the
reference server: what each stores, what it refuses, and H7 (an INACTIVE position holds)."""

from tests.support import Api, record, unique

CREATE_POSITION = """mutation($input: CreateInventoryPositionInput) {
    createInventoryPosition(input: $input) { ref status type productRef locationRef onHand catalogue { ref } } }"""
UPDATE_POSITION = """mutation($input: UpdateInventoryPositionInput) {
    updateInventoryPosition(input: $input) { ref status type onHand } }"""
CREATE_CATALOGUE = """mutation($input: CreateVirtualCatalogueInput) { createVirtualCatalogue(input: $input) {
    ref type status name inventoryCatalogueRef productCatalogueRef retailerRefs workflowRef
    attributes { name value } } }"""
UPDATE_CATALOGUE = """mutation($input: UpdateVirtualCatalogueInput) {
    updateVirtualCatalogue(input: $input) { ref status name } }"""
CREATE_VP = """mutation($input: CreateVirtualPositionInput) {
    createVirtualPosition(input: $input) { ref status type quantity productRef groupRef catalogue { ref } } }"""
UPDATE_VP = """mutation($input: UpdateVirtualPositionInput) {
    updateVirtualPosition(input: $input) { ref status quantity } }"""
VIRTUAL = """query($cat: String!, $p: [String]) { virtualPositions(catalogue: {ref: $cat}, productRef: $p) {
    edges { node { ref quantity status } } } }"""


def a_catalogue(api: Api, ref: str, **fields):
    body = {
        "ref": ref,
        "type": "BASE",
        "name": "n",
        "inventoryCatalogueRef": "DEFAULT:1",
        "productCatalogueRef": "PC:1",
    }
    return api.gql(CREATE_CATALOGUE, input={**body, **fields})["createVirtualCatalogue"]


def test_create_and_update_an_inventory_position(api):
    sku = unique("SKU")
    ref = f"{sku}:L1:DEFAULT"
    key = {"ref": ref, "catalogue": {"ref": "DEFAULT:1"}}
    made = api.gql(CREATE_POSITION, input={**key, "type": "DEFAULT", "productRef": sku, "locationRef": "L1"})
    assert made["createInventoryPosition"] == {
        "ref": ref,
        "status": "CREATED",
        "type": "DEFAULT",
        "productRef": sku,
        "locationRef": "L1",
        "onHand": 0,
        "catalogue": {"ref": "DEFAULT:1"},
    }
    assert api.position(sku, "L1")["status"] == "CREATED"
    errors = api.gql_errors(CREATE_POSITION, input={**key, "type": "DEFAULT", "productRef": sku, "locationRef": "L1"})
    assert "ConstraintViolationException" in errors[0]["message"]
    api.run_batch([record(sku, 5, "L1")])  # a batch writes into the created position
    assert (api.position(sku, "L1")["onHand"], api.position(sku, "L1")["status"]) == (5, "ACTIVE")
    assert api.gql(UPDATE_POSITION, input={**key, "type": "STORE"})["updateInventoryPosition"]["type"] == "STORE"


def test_a_position_in_an_unknown_catalogue_is_refused(api):
    body = {"ref": "X:L:DEFAULT", "catalogue": {"ref": "NOPE:1"}, "type": "DEFAULT", "productRef": "X"}
    errors = api.gql_errors(CREATE_POSITION, input={**body, "locationRef": "L"})
    assert "no inventory catalogue NOPE:1" in errors[0]["message"]


def test_h7_an_inactive_position_stays_inactive_and_offers_nothing(api):
    sku = unique("SKU")
    api.run_batch([record(sku, 8, "L1")])
    key = {"ref": f"{sku}:L1:DEFAULT", "catalogue": {"ref": "DEFAULT:1"}}
    answer = api.gql(UPDATE_POSITION, input={**key, "status": "INACTIVE"})["updateInventoryPosition"]
    assert (answer["status"], answer["onHand"]) == ("INACTIVE", 8)
    assert api.gql(VIRTUAL, cat="BASE:1", p=[sku])["virtualPositions"]["edges"][0]["node"]["quantity"] == 0
    api.run_batch([record(sku, 20, "L1")])
    assert (api.position(sku, "L1")["status"], api.position(sku, "L1")["onHand"]) == ("INACTIVE", 20)
    api.gql(UPDATE_POSITION, input={**key, "status": "ACTIVE"})
    api.run_batch([record(sku, 0, "L1")])
    assert api.position(sku, "L1")["status"] == "OUT_OF_STOCK", "once lifted, stock changes drive the status again"


def test_create_and_update_a_virtual_catalogue_and_positions(api):
    ref = unique("VC") + ":1"
    attribute = {"name": "controlGroups", "type": "JSON", "value": ["CG"]}
    made = a_catalogue(api, ref, attributes=[attribute])
    assert made == {
        "ref": ref,
        "type": "BASE",
        "status": "CREATED",
        "name": "n",
        "inventoryCatalogueRef": "DEFAULT:1",
        "productCatalogueRef": "PC:1",
        "retailerRefs": ["1"],
        "workflowRef": "VIRTUAL_CATALOGUE::BASE",
        "attributes": [{"name": "controlGroups", "value": ["CG"]}],
    }
    duplicate = api.gql_errors(CREATE_CATALOGUE, input=_input(ref))
    assert "ConstraintViolationException" in duplicate[0]["message"]
    updated = api.gql(UPDATE_CATALOGUE, input={"ref": ref, "status": "ACTIVE"})["updateVirtualCatalogue"]
    assert updated == {"ref": ref, "status": "ACTIVE", "name": "n"}
    key = {"ref": "P1:L1", "catalogue": {"ref": ref}}
    vp = api.gql(CREATE_VP, input={**key, "type": "BASE", "productRef": "P1", "groupRef": "L1", "quantity": -3})
    assert vp["createVirtualPosition"] == {
        "ref": "P1:L1",
        "status": "CREATED",
        "type": "BASE",
        "quantity": 0,
        "productRef": "P1",
        "groupRef": "L1",
        "catalogue": {"ref": ref},
    }
    api.gql(UPDATE_VP, input={**key, "status": "AT_RISK", "quantity": 2})
    nodes = api.gql(VIRTUAL, cat=ref, p=["P1"])["virtualPositions"]["edges"]
    assert [n["node"] for n in nodes] == [{"ref": "P1:L1", "quantity": 2, "status": "AT_RISK"}]


def test_derived_and_foreign_virtual_catalogues_are_not_writable(api, server):
    api.run_batch([record(unique("SKU"), 1, "L1")])  # DEFAULT:1 exists, so BASE:1 is derived
    assert "ConstraintViolationException" in api.gql_errors(CREATE_CATALOGUE, input=_input("BASE:1"))[0]["message"]
    errors = api.gql_errors(UPDATE_CATALOGUE, input={"ref": "BASE:1", "status": "INACTIVE"})
    assert "derived" in errors[0]["message"]
    ref = unique("VC") + ":1"
    a_catalogue(api, ref)  # retailer 1's: the admin's own retailer
    other = Api(server, "retailer2")
    assert other.gql("query($r: String!) { virtualCatalogue(ref: $r) { ref } }", r=ref)["virtualCatalogue"] is None
    assert "no virtual catalogue" in other.gql_errors(UPDATE_CATALOGUE, input={"ref": ref, "name": "x"})[0]["message"]
    errors = other.gql_errors(CREATE_CATALOGUE, input={**_input(unique("VC")), "retailerRefs": ["1"]})
    assert "may not act for retailer 1" in errors[0]["message"]
    mine = other.gql(CREATE_CATALOGUE, input=_input(unique("VC")))["createVirtualCatalogue"]
    assert mine["retailerRefs"] == ["2"], "the user's own retailer when retailerRefs is left out"


def _input(ref):
    return {"ref": ref, "type": "BASE", "name": "n", "inventoryCatalogueRef": "DEFAULT:1", "productCatalogueRef": "PC"}
