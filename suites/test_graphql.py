"""GraphQL settings, inventory queries and mutations, and pagination (group graphql)."""

import pytest

from invharness.generators import payloads
from invharness.suites.clients_helpers import GRAPHQL_JSON, GRAPHQL_RESPONSE_JSON, graphql_post
from invharness.suites.helpers import CREATE_SETTING, Position, bpp_pinned_on, forwarded

GET_SETTING = """query GetSetting($name: [String], $context: [String!], $contextId: [Int!]) {
    settings(name: $name, context: $context, contextId: $contextId) {
        settingEdge: edges { settingNode: node { id name value valueType lobValue context contextId } } } }"""
GET_VIRTUAL_POSITIONS = """query GetVirtualPositions($catalogueRef: String!, $groupRef: [String],
    $productRef: [String!], $virtualPositionCount: Int, $virtualPositionCursor: String) {
    virtualPositions(catalogue: {ref: $catalogueRef} groupRef: $groupRef productRef: $productRef
                     first: $virtualPositionCount after: $virtualPositionCursor) {
        virtualPositionEdge: edges { virtualPosition: node { id ref type status productRef groupRef quantity } cursor }
        pageInfo { hasNextPage } } }"""
UPDATE_INVENTORY_QUANTITY = """mutation UpdateInventoryQuantity($input: UpdateInventoryQuantityInput) {
    updateInventoryQuantity(input: $input) { ref status quantity } }"""
UPDATE_SETTING = "mutation($input: UpdateSettingInput) { updateSetting(input: $input) { id value } }"


def a_setting(ref, profile, value="v1"):
    return payloads.setting_input(
        value, "RETAILER", profile.primary_retailer, name=ref("invharness.setting"), value_type="STRING"
    )


@pytest.mark.clause("GQL-SET-01", "GQL-SET-04")
@pytest.mark.requires("settings_writes")
def test_create_a_setting_and_find_it_with_get_setting(client, ref, profile):
    setting = a_setting(ref, profile)
    created = client.data(CREATE_SETTING, input=setting)["createSetting"]
    assert created["id"]
    found = client.data(GET_SETTING, name=[setting["name"]], context=["RETAILER"], contextId=[profile.primary_retailer])
    nodes = [e["settingNode"] for e in found["settings"]["settingEdge"]]
    assert [(n["name"], n["value"], n["context"], n["contextId"]) for n in nodes] == [
        (setting["name"], "v1", "RETAILER", profile.primary_retailer)
    ]


@pytest.mark.clause("GQL-SET-02")
@pytest.mark.requires("settings_writes")
def test_a_duplicate_setting_is_a_constraint_violation(client, ref, profile):
    setting = a_setting(ref, profile)
    client.data(CREATE_SETTING, input=setting)
    errors = client.graphql(CREATE_SETTING, input=setting).get("errors") or []
    assert errors and "ConstraintViolationException" in errors[0]["message"]


@pytest.mark.clause("GQL-SET-03")
@pytest.mark.requires("settings_writes")
def test_update_a_setting_by_id(client, ref, profile):
    setting = a_setting(ref, profile)
    created = client.data(CREATE_SETTING, input=setting)["createSetting"]
    updated = client.data(UPDATE_SETTING, input={**setting, "id": created["id"], "value": "v2"})["updateSetting"]
    assert updated["value"] == "v2"


@pytest.mark.clause("GQL-INV-01", "GQL-INV-02")
def test_positions_quantities_and_update_inventory_quantity(client, ref, profile):
    bpp_pinned_on(client, profile)
    position = Position.new(ref, profile)
    forwarded(client, ref, [position.record(10, status="ACTIVE")], position.retailer)
    reserved = ref("RES")
    catalogue = {"ref": position.catalogue}
    client.data(
        """mutation($input: CreateInventoryQuantityInput) { createInventoryQuantity(input: $input) { ref } }""",
        input={
            "ref": reserved,
            "catalogue": catalogue,
            "type": "RESERVED",
            "status": "ACTIVE",
            "quantity": -4,
            "position": {"ref": position.ref, "catalogue": catalogue},
        },
    )
    query = """query($p: [String!], $cat: String!) { inventoryPositions(productRef: $p, catalogue: {ref: $cat}) {
        edges { node { ref onHand quantities { edges { node { ref type quantity } } } } } } }"""
    nodes = [
        e["node"] for e in client.data(query, p=[position.sku], cat=position.catalogue)["inventoryPositions"]["edges"]
    ]
    assert [(n["ref"], n["onHand"]) for n in nodes] == [(position.ref, 6)]
    updated = client.data(
        UPDATE_INVENTORY_QUANTITY, input={"ref": reserved, "catalogue": catalogue, "status": "INACTIVE"}
    )["updateInventoryQuantity"]
    assert updated == {"ref": reserved, "status": "INACTIVE", "quantity": -4}
    nodes = [
        e["node"] for e in client.data(query, p=[position.sku], cat=position.catalogue)["inventoryPositions"]["edges"]
    ]
    assert nodes[0]["onHand"] == 10


@pytest.mark.clause("GQL-VP-01", "GQL-PAGE-01")
def test_get_virtual_positions_pages_with_first_and_after(client, ref, profile):
    bpp_pinned_on(client, profile)
    sku = ref("SKU")
    records = [payloads.record(sku, f"L{i}", i + 1, profile.primary_retailer) for i in range(5)]
    forwarded(client, ref, records, profile.primary_retailer)
    seen, cursor = [], None
    for _ in range(10):  # bounded: five positions in pages of two
        page = client.data(
            GET_VIRTUAL_POSITIONS,
            catalogueRef=f"BASE:{profile.primary_retailer}",
            productRef=[sku],
            virtualPositionCount=2,
            virtualPositionCursor=cursor,
        )["virtualPositions"]
        seen += [
            (e["virtualPosition"]["groupRef"], e["virtualPosition"]["quantity"]) for e in page["virtualPositionEdge"]
        ]
        if not page["pageInfo"]["hasNextPage"]:
            break
        cursor = page["virtualPositionEdge"][-1]["cursor"]
    assert sorted(seen) == [(f"L{i}", i + 1) for i in range(5)]


@pytest.mark.clause("GQL-PAGE-02")
def test_pages_hold_at_most_500(client, ref, profile):
    bpp_pinned_on(client, profile)
    sku = ref("SKU")
    forwarded(
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
    assert len(page["edges"]) <= 500 and page["pageInfo"]["hasNextPage"] is True


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
