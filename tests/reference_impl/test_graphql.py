"""GraphQL: settings, inventory queries and mutations, pagination, real clients' operations."""

import pytest
from graphql import build_client_schema, build_schema, find_breaking_changes, get_introspection_query

from invharness import contracts
from tests.support import record, unique

CREATE = """mutation($input: CreateSettingInput) { createSetting(input: $input) {
    id name value valueType context contextId } }"""
UPDATE = """mutation($input: UpdateSettingInput) { updateSetting(input: $input) { id value } }"""


def test_create_find_and_update_a_setting(api):
    name = unique("my.setting.")
    created = api.gql(
        CREATE, input={"name": name, "valueType": "STRING", "value": "a", "context": "RETAILER", "contextId": 1}
    )["createSetting"]
    assert created["name"] == name and created["contextId"] == 1
    found = api.gql("""query($n: [String]) { settings(name: $n) { edges { node { id value } } } }""", n=[name])
    assert [e["node"]["value"] for e in found["settings"]["edges"]] == ["a"]
    updated = api.gql(
        UPDATE, input={"id": created["id"], "valueType": "STRING", "value": "b", "context": "RETAILER", "contextId": 1}
    )["updateSetting"]
    assert updated == {"id": created["id"], "value": "b"}


def test_duplicate_setting_is_a_constraint_violation(api):
    setting = {"name": unique("dup."), "valueType": "STRING", "value": "x", "context": "ACCOUNT", "contextId": 0}
    api.gql(CREATE, input=setting)
    errors = api.gql_errors(CREATE, input=setting)
    assert "ConstraintViolationException" in errors[0]["message"]


def test_setting_input_is_validated_against_the_contract(api):
    errors = api.gql_errors(
        CREATE,
        input={
            "name": "fc.enable.batch.preprocessing",
            "valueType": "BOOLEAN",
            "value": "yes",
            "context": "ACCOUNT",
            "contextId": 0,
        },
    )
    assert "value" in errors[0]["message"]


def test_retailer_user_may_not_write_account_settings(server):
    from tests.support import Api

    other = Api(server, "retailer2")
    errors = other.gql_errors(
        CREATE, input={"name": "x", "valueType": "STRING", "value": "v", "context": "ACCOUNT", "contextId": 0}
    )
    assert "may not write" in errors[0]["message"]


def test_third_party_get_setting_operation(api, shared_dir):
    api.setting("RETAILER", "TRUE", context_id=1)
    operation = (shared_dir / "external/fluent/operations/GetSetting.graphql").read_text()
    data = api.gql(operation, name=["fc.enable.batch.preprocessing"], context=["RETAILER"], contextId=[1])
    nodes = [e["settingNode"] for e in data["settings"]["settingEdge"]]
    assert [(n["name"], n["value"], n["context"], n["contextId"]) for n in nodes] == [
        ("fc.enable.batch.preprocessing", "TRUE", "RETAILER", 1)
    ]


def test_third_party_get_virtual_positions_operation_pages(api, shared_dir):
    sku = unique("VP")
    api.run_batch([record(sku, i + 1, loc=f"L{i}") for i in range(5)])
    operation = (shared_dir / "external/fluent/operations/GetVirtualPositions.graphql").read_text()
    seen, cursor = [], None
    while True:
        page = api.gql(
            operation, catalogueRef="BASE:1", productRef=[sku], virtualPositionCount=2, virtualPositionCursor=cursor
        )["virtualPositions"]
        seen += [
            (e["virtualPosition"]["groupRef"], e["virtualPosition"]["quantity"]) for e in page["virtualPositionEdge"]
        ]
        if not page["pageInfo"]["hasNextPage"]:
            break
        cursor = page["virtualPositionEdge"][-1]["cursor"]
    assert seen == [(f"L{i}", i + 1) for i in range(5)]


def test_third_party_update_inventory_quantity_operation(api, shared_dir):
    sku = unique("UQ")
    api.run_batch([record(sku, 10)])
    reserved = api.add_quantity(sku, "RESERVED", -4)
    assert api.position(sku)["onHand"] == 6
    operation = (shared_dir / "external/fluent/operations/UpdateInventoryQuantity.graphql").read_text()
    data = api.gql(operation, input={"ref": reserved, "catalogue": {"ref": "DEFAULT:1"}, "status": "INACTIVE"})
    assert data["updateInventoryQuantity"] == {"ref": reserved, "status": "INACTIVE", "quantity": -4}
    assert api.position(sku)["onHand"] == 10


def test_create_quantity_checks_position_ref_and_parent(api):
    sku = unique("CQ")
    api.run_batch([record(sku, 10)])
    mutation = """mutation($input: CreateInventoryQuantityInput) { createInventoryQuantity(input: $input) { ref } }"""
    base = {
        "ref": f"{sku}-r",
        "catalogue": {"ref": "DEFAULT:1"},
        "type": "RESERVED",
        "quantity": -1,
        "position": {"ref": f"{sku}:LOC1:DEFAULT", "catalogue": {"ref": "DEFAULT:1"}},
    }
    assert (
        "no inventory position"
        in api.gql_errors(mutation, input={**base, "position": {"ref": "nope", "catalogue": {"ref": "DEFAULT:1"}}})[0][
            "message"
        ]
    )
    assert (
        "parent"
        in api.gql_errors(mutation, input={**base, "parent": {"ref": "missing", "catalogue": {"ref": "DEFAULT:1"}}})[0][
            "message"
        ]
    )
    api.gql(mutation, input=base)
    assert "exists" in api.gql_errors(mutation, input=base)[0]["message"]


def test_positions_page_with_first_after_and_a_cap(api):
    sku = unique("PG")
    api.run_batch([record(sku, 1, loc=f"L{i:03d}") for i in range(7)])
    query = """query($p: [String!], $first: Int, $after: String) {
        inventoryPositions(productRef: $p, first: $first, after: $after) {
            edges { cursor node { locationRef } } pageInfo { hasNextPage hasPreviousPage } } }"""
    first = api.gql(query, p=[sku], first=5)["inventoryPositions"]
    assert len(first["edges"]) == 5 and first["pageInfo"] == {"hasNextPage": True, "hasPreviousPage": False}
    rest = api.gql(query, p=[sku], first=5, after=first["edges"][-1]["cursor"])["inventoryPositions"]
    assert [e["node"]["locationRef"] for e in rest["edges"]] == ["L005", "L006"]
    assert rest["pageInfo"]["hasNextPage"] is False
    assert "cursor" in api.gql_errors(query, p=[sku], first=5, after="bogus")[0]["message"]


def test_page_size_is_capped_at_500(api):
    sku = unique("CAP")
    api.run_batch([record(sku, 1, loc=f"L{i:04d}") for i in range(501)])
    query = """query($p: [String!]) { inventoryPositions(productRef: $p, first: 1000) {
        edges { cursor } pageInfo { hasNextPage } } }"""
    page = api.gql(query, p=[sku])["inventoryPositions"]
    assert len(page["edges"]) == 500 and page["pageInfo"]["hasNextPage"] is True


JSON, GRAPHQL_RESPONSE = "application/json", "application/graphql-response+json"


def graphql_with_accept(api, body, accept):
    headers = {"Accept": accept}  # None drops the header requests sends by default
    return api.session.post(f"{api.url}/graphql", json=body, headers=headers, timeout=30)


@pytest.mark.parametrize(
    ("accept", "media", "status"),
    [
        ("application/json", JSON, 200),
        ("*/*", JSON, 200),
        (f"{GRAPHQL_RESPONSE}, application/json;q=0.9", GRAPHQL_RESPONSE, 400),
        (GRAPHQL_RESPONSE, GRAPHQL_RESPONSE, 400),
        (None, GRAPHQL_RESPONSE, 400),  # the specification's default since 2025-01-01
    ],
)
@pytest.mark.parametrize(
    "query",
    ["{ nonsense }", "{ settings {", "query($n: Int!) { settings(contextId: [$n]) { pageInfo { hasNextPage } } }"],
)
def test_a_request_error_status_follows_the_media_type(api, accept, media, status, query):
    answer = graphql_with_accept(api, {"query": query}, accept)
    assert (answer.status_code, answer.headers["content-type"].split(";")[0]) == (status, media)
    assert answer.json()["errors"] and "data" not in answer.json()


@pytest.mark.parametrize("accept", ["application/json", GRAPHQL_RESPONSE])
def test_a_field_error_is_200_with_data_in_both_media_types(api, accept):
    setting = {"name": unique("fe."), "valueType": "STRING", "value": "x", "context": "ACCOUNT", "contextId": 0}
    api.gql(CREATE, input=setting)
    answer = graphql_with_accept(api, {"query": CREATE, "variables": {"input": setting}}, accept)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith(accept)
    assert answer.json()["data"] == {"createSetting": None} and answer.json()["errors"]


@pytest.mark.parametrize(
    "body",
    [{"query": 5}, {"qeury": "{ settings { pageInfo { hasNextPage } } }"}, [1], {"query": "{ a }", "variables": [7]}],
)
@pytest.mark.parametrize("accept", ["application/json", GRAPHQL_RESPONSE])
def test_a_request_that_is_not_graphql_is_400_in_both_media_types(api, body, accept):
    answer = graphql_with_accept(api, body, accept)
    assert answer.status_code == 400 and answer.json()["errors"]


def test_an_accept_naming_no_graphql_media_type_is_406(api):
    answer = graphql_with_accept(api, {"query": "{ settings { pageInfo { hasNextPage } } }"}, "text/html")
    assert answer.status_code == 406 and answer.json()["errors"]


def test_served_schema_has_no_breaking_change_against_the_contract(api):
    introspection = api.post("/graphql", {"query": get_introspection_query()}).json()["data"]
    served = build_client_schema(introspection)
    assert find_breaking_changes(build_schema(contracts.sdl()), served) == []


@pytest.mark.parametrize("catalogue", ["DEFAULT:1", "DEFAULT:2"])
def test_a_user_sees_only_its_retailers_inventory(server, catalogue):
    from tests.support import Api

    admin, other = Api(server), Api(server, "retailer2")
    sku = unique("VIS")
    retailer = int(catalogue[-1])
    admin.run_batch([record(sku, 3, retailerId=retailer)], job_id=admin.job(retailer=str(retailer)))
    query = (
        """query($ref: String!, $cat: String!) { inventoryPosition(ref: $ref, catalogue: {ref: $cat}) { onHand } }"""
    )
    seen_by_other = other.gql(query, ref=f"{sku}:LOC1:DEFAULT", cat=catalogue)["inventoryPosition"]
    assert (seen_by_other is not None) is (retailer == 2)


SEGMENT_TEXT = ["condition", "storageAreaRef", "countryOfOrigin", "channel", "supplier", "manufacturer"]
SEGMENT_TEXT += ["manufacturerBatchNumber", "associationType", "associationRef", "segment1", "segment2", "segment3"]


def test_segment_fields_survive_create_update_and_filter_through_graphql(api):
    sku = unique("SEGQ")
    api.run_batch([record(sku, 10)])
    ref = api.add_quantity(sku, "ON_ORDER", 5)
    catalogue = {"ref": "DEFAULT:1"}
    written = {name: f"{name}-{sku}" for name in SEGMENT_TEXT} | {"expectedOn": "2031-02-03T00:00:00Z"}
    api.gql(
        """mutation($input: UpdateInventoryQuantityInput) { updateInventoryQuantity(input: $input) { ref } }""",
        input={"ref": ref, "catalogue": catalogue, **written},
    )
    fields = " ".join(written)
    read = api.gql(
        f"""query($ref: String!) {{ inventoryQuantity(ref: $ref, catalogue: {{ref: "DEFAULT:1"}}) {{ {fields} }} }}""",
        ref=ref,
    )["inventoryQuantity"]
    assert read == written
    for name in SEGMENT_TEXT:
        query = f"""query($v: [String]) {{ inventoryQuantities({name}: $v) {{ edges {{ node {{ ref }} }} }} }}"""
        assert [e["node"]["ref"] for e in api.gql(query, v=[written[name]])["inventoryQuantities"]["edges"]] == [ref]
        assert api.gql(query, v=["nobody-has-this"])["inventoryQuantities"]["edges"] == [], name


def test_one_name_mapping_round_trips_every_name_of_the_schema():
    from invharness.reference_impl.transport.graphql.names import check_round_trip, graphql_name, python_name
    from invharness.reference_impl.transport.graphql.schema import build_schema

    assert python_name("segment1") == "segment_1" and graphql_name("segment_1") == "segment1"
    assert graphql_name(python_name("manufacturerBatchNumber")) == "manufacturerBatchNumber"
    check_round_trip(build_schema())  # raises on any name that would come back changed


ME = """{ me { id ref username firstName status primaryRetailer { id ref }
    roles { role { name } contexts { contextType contextId } } } }"""


def test_me_answers_the_user_of_each_token(server):
    from tests.support import Api

    admin, other = Api(server).gql(ME)["me"], Api(server, "retailer2").gql(ME)["me"]
    assert (admin["username"], admin["ref"], admin["primaryRetailer"]) == ("admin", "admin", {"id": "1", "ref": "1"})
    account_wide = {"contextType": "ACCOUNT", "contextId": "DEMO"}
    assert admin["roles"] == [{"role": {"name": "ADMIN"}, "contexts": [account_wide]}]
    assert (other["username"], other["primaryRetailer"]["id"]) == ("retailer2", "2")
    assert other["roles"][0]["contexts"] == [{"contextType": "RETAILER", "contextId": "2"}]
