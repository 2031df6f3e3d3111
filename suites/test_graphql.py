"""GraphQL settings, inventory queries and mutations, and pagination (group graphql).

What a mutation answers is never taken for what it did: each check reads the setting or quantity
back with a query. Settings carry names of this run; positions are this check's own.
"""

import pytest

from invharness.generators import payloads
from invharness.suites.clients_helpers import GRAPHQL_JSON, GRAPHQL_RESPONSE_JSON, graphql_post
from invharness.suites.helpers import CREATE_QUANTITY, CREATE_SETTING, Position
from invharness.suites.inventory_writes import (
    CREATE_POSITION,
    CREATE_VIRTUAL_POSITION,
    UPDATE_POSITION,
    UPDATE_VIRTUAL_CATALOGUE,
    UPDATE_VIRTUAL_POSITION,
    VIRTUAL_CATALOGUE,
    VIRTUAL_POSITION,
    make_virtual_catalogue,
    make_virtual_position,
)
from invharness.suites.readback import add_quantity, load, pages, read_position, stock

GET_SETTING = """query GetSetting($name: [String], $context: [String!], $contextId: [Int!]) {
    settings(name: $name, context: $context, contextId: $contextId) {
        settingEdge: edges { settingNode: node { id name value valueType lobValue context contextId } } } }"""
SETTINGS = """query($name: [String], $context: [String!], $id: [Int!]) {
    settings(name: $name, context: $context, contextId: $id, first: 10) {
        edges { node { id name value context contextId } } } }"""
GET_VIRTUAL_POSITIONS = """query GetVirtualPositions($catalogueRef: String!, $groupRef: [String],
    $productRef: [String!], $virtualPositionCount: Int, $virtualPositionCursor: String) {
    virtualPositions(catalogue: {ref: $catalogueRef} groupRef: $groupRef productRef: $productRef
                     first: $virtualPositionCount after: $virtualPositionCursor) {
        virtualPositionEdge: edges { virtualPosition: node { id ref type status productRef groupRef quantity } cursor }
        pageInfo { hasNextPage } } }"""
UPDATE_INVENTORY_QUANTITY = """mutation UpdateInventoryQuantity($input: UpdateInventoryQuantityInput) {
    updateInventoryQuantity(input: $input) { ref status quantity } }"""
UPDATE_SETTING = "mutation($input: UpdateSettingInput) { updateSetting(input: $input) { id value } }"
QUANTITY = """query($ref: String!, $cat: String!) { inventoryQuantity(ref: $ref, catalogue: {ref: $cat}) {
    ref type status quantity } }"""
POSITION = """query($r: String!, $cat: String!) { inventoryPosition(ref: $r, catalogue: {ref: $cat}) {
    ref type status productRef locationRef onHand catalogue { ref }
    quantities(first: 50) { edges { node { ref } } } } }"""
VIRTUAL_POSITIONS = """query($cat: String!, $p: [String]) {
    virtualPositions(catalogue: {ref: $cat}, productRef: $p, first: 10) { edges { node { ref status quantity } } } }"""
POSITIONS = """query($p: [String!], $cat: String!) {
    inventoryPositions(productRef: $p, catalogue: {ref: $cat}, first: 10) {
    edges { node { ref onHand quantities(first: 50) { edges { node { ref type quantity } } } } } } }"""


def a_setting(ref, profile, value="v1"):
    return payloads.setting_input(
        value, "RETAILER", profile.primary_retailer, name=ref("invharness.setting"), value_type="STRING"
    )


def stored_settings(client, setting, context="RETAILER", context_id=None):
    """(name, value, context, contextId) of the settings the query finds for ``setting``'s name."""
    found = client.data(
        SETTINGS,
        name=[setting["name"]],
        context=[context],
        id=[setting["contextId"] if context_id is None else context_id],
    )
    return [
        (n["name"], n["value"], n["context"], n["contextId"]) for n in (e["node"] for e in found["settings"]["edges"])
    ]


@pytest.mark.clause("GQL-SET-01")
@pytest.mark.requires("settings_writes")
def test_create_a_setting_and_find_it_by_name_context_and_id(client, ref, profile):
    setting = a_setting(ref, profile)
    created = client.data(CREATE_SETTING, input=setting)["createSetting"]
    assert created and created["id"], f"createSetting answered {created}"
    assert stored_settings(client, setting) == [(setting["name"], "v1", "RETAILER", profile.primary_retailer)]
    assert stored_settings(client, setting, context_id=profile.secondary_retailer) == [], "under another contextId"
    assert stored_settings(client, setting, context="ACCOUNT", context_id=0) == [], "under the ACCOUNT context"


@pytest.mark.clause("GQL-SET-04")
@pytest.mark.requires("settings_writes")
def test_the_get_setting_operation_answers_the_setting(client, ref, profile):
    setting = a_setting(ref, profile)
    created = client.data(CREATE_SETTING, input=setting)["createSetting"]
    found = client.data(GET_SETTING, name=[setting["name"]], context=["RETAILER"], contextId=[profile.primary_retailer])
    nodes = [e["settingNode"] for e in found["settings"]["settingEdge"]]
    expected = {**setting, "id": created["id"], "lobValue": None}
    assert nodes == [expected], "GetSetting's nodes (aliased settingEdge / settingNode)"


@pytest.mark.clause("GQL-SET-02")
@pytest.mark.requires("settings_writes")
def test_a_duplicate_setting_is_a_constraint_violation(client, ref, profile):
    setting = a_setting(ref, profile)
    client.data(CREATE_SETTING, input=setting)
    errors = client.graphql(CREATE_SETTING, input={**setting, "value": "v2"}).get("errors") or []
    assert errors and "ConstraintViolationException" in errors[0]["message"], f"a duplicate createSetting: {errors}"
    assert stored_settings(client, setting) == [(setting["name"], "v1", "RETAILER", profile.primary_retailer)], (
        "the settings stored after the refused duplicate"
    )


@pytest.mark.clause("GQL-SET-03")
@pytest.mark.requires("settings_writes")
def test_update_a_setting_by_id(client, ref, profile):
    setting = a_setting(ref, profile)
    created = client.data(CREATE_SETTING, input=setting)["createSetting"]
    updated = client.data(UPDATE_SETTING, input={**setting, "id": created["id"], "value": "v2"})["updateSetting"]
    assert updated["value"] == "v2", f"updateSetting answered {updated}"
    assert stored_settings(client, setting) == [(setting["name"], "v2", "RETAILER", profile.primary_retailer)], (
        "the setting read back after updateSetting"
    )


@pytest.mark.clause("GQL-INV-01")
def test_position_and_positions_answer_ref_on_hand_and_quantities(client, ref, profile):
    position, neighbour = Position.new(ref, profile), Position.new(ref, profile)  # productRef must tell them apart
    records = [position.record(10, status="ACTIVE"), position.record(7, type="ON_ORDER"), neighbour.record(1)]
    load(client, ref, records, position.retailer)
    node, quantities = read_position(client, position)
    expected = [("LAST_ON_HAND", 10), ("ON_ORDER", 7)]
    assert (node["ref"], node["onHand"]) == (position.ref, 10), "inventoryPosition (ref, onHand)"
    assert sorted((q["type"], q["quantity"]) for q in quantities.values()) == expected, "inventoryPosition quantities"
    found = client.data(POSITIONS, p=[position.sku], cat=position.catalogue)["inventoryPositions"]["edges"]
    listed = [
        (n["ref"], n["onHand"], sorted((q["node"]["type"], q["node"]["quantity"]) for q in n["quantities"]["edges"]))
        for n in (e["node"] for e in found)
    ]
    assert listed == [(position.ref, 10, expected)], "inventoryPositions (ref, onHand, quantities) by productRef"


@pytest.mark.clause("GQL-INV-02")
def test_create_and_update_inventory_quantity_are_stored(client, ref, profile):
    position = Position.new(ref, profile)
    stock(client, ref, position, 10)
    reserved = ref("RES")
    catalogue = {"ref": position.catalogue}
    client.data(
        CREATE_QUANTITY,
        input={
            "ref": reserved,
            "catalogue": catalogue,
            "type": "RESERVED",
            "status": "ACTIVE",
            "quantity": -4,
            "position": {"ref": position.ref, "catalogue": catalogue},
        },
    )
    stored = client.data(QUANTITY, ref=reserved, cat=position.catalogue)["inventoryQuantity"]
    assert stored == {"ref": reserved, "type": "RESERVED", "status": "ACTIVE", "quantity": -4}, "created quantity"
    assert read_position(client, position)[0]["onHand"] == 6, "onHand with the new RESERVED -4"
    updated = client.data(
        UPDATE_INVENTORY_QUANTITY, input={"ref": reserved, "catalogue": catalogue, "status": "INACTIVE"}
    )["updateInventoryQuantity"]
    assert updated == {"ref": reserved, "status": "INACTIVE", "quantity": -4}, "UpdateInventoryQuantity's answer"
    stored = client.data(QUANTITY, ref=reserved, cat=position.catalogue)["inventoryQuantity"]
    assert (stored["status"], stored["quantity"]) == ("INACTIVE", -4), "the quantity read back after the update"
    assert read_position(client, position)[0]["onHand"] == 10, "onHand once the RESERVED is INACTIVE"


@pytest.mark.clause("GQL-VP-01", "GQL-PAGE-01")
def test_get_virtual_positions_pages_with_first_and_after(client, ref, profile):
    sku, catalogue = ref("SKU"), f"{ref('VC')}:{profile.primary_retailer}"
    # six positions of the check's own catalogue in pages of two: the last page is full, and must still say
    # no more follow; another product's position there is not one of them
    make_virtual_catalogue(client, catalogue, "BASE", profile.primary_retailer)
    for i in range(6):
        make_virtual_position(client, catalogue, sku, f"L{i}", i + 1)
    make_virtual_position(client, catalogue, ref("SKU"), "L0", 50)

    def fetch(after):
        page = client.data(
            GET_VIRTUAL_POSITIONS,
            catalogueRef=catalogue,
            productRef=[sku],
            virtualPositionCount=2,
            virtualPositionCursor=after,
        )["virtualPositions"]
        assert len(page["virtualPositionEdge"]) <= 2, f"a page of first: 2 held {len(page['virtualPositionEdge'])}"
        edges = [{"node": e["virtualPosition"], "cursor": e["cursor"]} for e in page["virtualPositionEdge"]]
        return {"edges": edges, "pageInfo": page["pageInfo"]}

    seen = [(n["groupRef"], n["quantity"]) for n in pages(fetch, "GQL-PAGE-01", "GetVirtualPositions", max_pages=6)]
    assert sorted(seen) == [(f"L{i}", i + 1) for i in range(6)], "(groupRef, quantity) over every page"


@pytest.mark.clause("GQL-IPOS-01")
def test_create_inventory_position_stores_a_created_position(client, ref, profile):
    neighbour, position = Position.new(ref, profile), Position.new(ref, profile)
    stock(client, ref, neighbour, 1)  # the catalogue exists on any target
    fields = {"type": "DEFAULT", "productRef": position.sku, "locationRef": position.location}
    key = {"ref": position.ref, "catalogue": {"ref": position.catalogue}}
    client.data(CREATE_POSITION, input={**key, **fields})
    stored = client.data(POSITION, r=position.ref, cat=position.catalogue)["inventoryPosition"]
    assert stored is not None, f"inventoryPosition {position.ref} finds nothing after createInventoryPosition"
    seen = {k: stored[k] for k in ("ref", "type", "status", "productRef", "locationRef")}
    expected = {"ref": position.ref, "status": "CREATED", **fields}
    assert (seen, stored["catalogue"]) == (expected, key["catalogue"]), "the position read back"
    again = client.graphql(CREATE_POSITION, input={**key, **fields, "type": "OTHER"})
    assert again.get("errors"), f"a second position {position.ref} in {position.catalogue}: {again}"
    kept = client.data(POSITION, r=position.ref, cat=position.catalogue)["inventoryPosition"]
    assert kept["type"] == "DEFAULT", "the refused duplicate changed the stored position"


@pytest.mark.clause("GQL-IPOS-02")
def test_update_inventory_position_changes_what_is_given(client, ref, profile):
    position = Position.new(ref, profile)
    stock(client, ref, position, 10)
    add_quantity(client, position, ref("RES"), "RESERVED", -2)
    before = client.data(POSITION, r=position.ref, cat=position.catalogue)["inventoryPosition"]
    key = {"ref": position.ref, "catalogue": {"ref": position.catalogue}}
    client.data(UPDATE_POSITION, input={**key, "type": "STORE"})
    client.data(UPDATE_POSITION, input={**key, "status": "AT_RISK"})
    after = client.data(POSITION, r=position.ref, cat=position.catalogue)["inventoryPosition"]
    assert (after["type"], after["status"]) == ("STORE", "AT_RISK"), "(type, status) read back after the updates"
    unchanged = ("ref", "productRef", "locationRef", "onHand", "quantities")
    assert {k: after[k] for k in unchanged} == {k: before[k] for k in unchanged}, "what the updates did not name"
    assert after["onHand"] == 8, "onHand of LOH 10 + RESERVED -2"


@pytest.mark.clause("GQL-VCAT-01")
def test_create_and_update_a_virtual_catalogue(client, ref, profile):
    catalogue = f"{ref('VC')}:{profile.primary_retailer}"
    made = make_virtual_catalogue(client, catalogue, "AGGREGATE", profile.primary_retailer)
    assert (made["status"], made["inventoryCatalogueRef"], made["productCatalogueRef"]) == (
        "CREATED",
        f"DEFAULT:{profile.primary_retailer}",
        f"PC:MASTER:{profile.primary_retailer}",
    ), f"(status, catalogue refs) read back after createVirtualCatalogue: {made}"
    change = {"ref": catalogue, "status": "ACTIVE", "description": "changed"}
    client.data(UPDATE_VIRTUAL_CATALOGUE, input=change)
    stored = client.data(VIRTUAL_CATALOGUE, r=catalogue)["virtualCatalogue"]
    assert stored == {**made, "status": "ACTIVE", "description": "changed"}, "read back after updateVirtualCatalogue"


@pytest.mark.clause("GQL-VPOS-01")
def test_create_and_update_a_virtual_position(client, ref, profile):
    catalogue = f"{ref('VC')}:{profile.primary_retailer}"
    make_virtual_catalogue(client, catalogue, "BASE", profile.primary_retailer)
    product, group = ref("SKU"), ref("LOC")
    key = {"ref": f"{product}:{group}", "catalogue": {"ref": catalogue}}
    fields = {"type": "BASE", "productRef": product, "groupRef": group, "quantity": 5}
    client.data(CREATE_VIRTUAL_POSITION, input={**key, **fields})
    stored = client.data(VIRTUAL_POSITION, r=key["ref"], c=catalogue)["virtualPosition"]
    expected = {"ref": key["ref"], "status": "CREATED", "catalogue": key["catalogue"], **fields}
    assert stored == expected, "virtualPosition after createVirtualPosition"
    client.data(UPDATE_VIRTUAL_POSITION, input={**key, "quantity": 2, "status": "AT_RISK"})
    listed = client.data(VIRTUAL_POSITIONS, cat=catalogue, p=[product])["virtualPositions"]["edges"]
    assert [e["node"] for e in listed] == [{"ref": key["ref"], "status": "AT_RISK", "quantity": 2}], (
        "virtualPositions after updateVirtualPosition"
    )
    one = client.data(VIRTUAL_POSITION, r=key["ref"], c=catalogue)["virtualPosition"]
    assert (one["quantity"], one["status"], one["groupRef"]) == (2, "AT_RISK", group), "virtualPosition after update"


@pytest.mark.clause("GQL-PAGE-02")
def test_pages_hold_at_most_500(client, ref, profile):
    sku = ref("SKU")
    load(
        client,
        ref,
        [payloads.record(sku, f"L{i:04d}", 1, profile.primary_retailer) for i in range(501)],
        profile.primary_retailer,
    )
    query = """query($p: [String!]) { inventoryPositions(productRef: $p, first: 1000) {
        edges { cursor } pageInfo { hasNextPage } } }"""
    body = client.graphql(query, p=[sku])
    if body.get("errors"):
        return  # refusing first > 500 also keeps pages within the cap
    page = body["data"]["inventoryPositions"]
    assert (len(page["edges"]) <= 500, page["pageInfo"]["hasNextPage"]) == (True, True), (
        f"first: 1000 over 501 positions answered {len(page['edges'])} edges, hasNextPage {page['pageInfo']}"
    )


# ---------------------------------------------------------------- GraphQL over HTTP (issue 14)

# Request errors: the document does not parse, does not validate, or its variables do not coerce.
REQUEST_ERRORS = {
    "parse": {"query": "{ settings {"},
    "validation": {"query": "{ invharnessNoSuchField }"},
    "variables": {"query": "query($n: Int!) { settings(contextId: [$n]) { pageInfo { hasNextPage } } }"},
}


def media_type(answer):
    return answer.headers.get("content-type", "").split(";")[0].strip().lower()


@pytest.mark.clause("GQL-HTTP-01")
@pytest.mark.requires("settings_writes")
@pytest.mark.parametrize("accept", [GRAPHQL_JSON, GRAPHQL_RESPONSE_JSON])
def test_an_answer_with_data_is_200_field_errors_included(client, ref, profile, accept):
    setting = a_setting(ref, profile)
    client.data(CREATE_SETTING, input=setting)
    answer = graphql_post(client, {"query": CREATE_SETTING, "variables": {"input": setting}}, accept)
    body = answer.json()
    assert "data" in body and body.get("errors"), f"a duplicate setting is a field error with data: {body}"
    assert answer.status_code == 200, f"an answer with data must be 200, not {answer.status_code}"


@pytest.mark.clause("GQL-HTTP-02")
@pytest.mark.parametrize("kind", list(REQUEST_ERRORS))
def test_with_accept_json_a_request_error_is_200_with_its_errors(client, kind):
    answer = graphql_post(client, REQUEST_ERRORS[kind], GRAPHQL_JSON)
    assert media_type(answer) == GRAPHQL_JSON, answer.headers.get("content-type")
    assert answer.json().get("errors"), answer.text[:300]
    assert answer.status_code == 200, f"a {kind} error answered {answer.status_code} as application/json"


@pytest.mark.clause("GQL-HTTP-03")
@pytest.mark.parametrize("kind", list(REQUEST_ERRORS))
def test_with_accept_graphql_response_json_a_request_error_is_4xx(client, kind):
    accept = f"{GRAPHQL_RESPONSE_JSON}, {GRAPHQL_JSON};q=0.9"
    answer = graphql_post(client, REQUEST_ERRORS[kind], accept)
    assert media_type(answer) == GRAPHQL_RESPONSE_JSON, answer.headers.get("content-type")
    body = answer.json()
    assert body.get("errors") and "data" not in body, body
    assert 400 <= answer.status_code < 500, f"a {kind} error answered {answer.status_code}"
    ok = graphql_post(client, {"query": "{ settings(first: 1) { pageInfo { hasNextPage } } }"}, accept)
    assert (ok.status_code, media_type(ok)) == (200, GRAPHQL_RESPONSE_JSON), ok.text[:300]
