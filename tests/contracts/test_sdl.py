"""schema.graphql: builds, follows Fluent's names, and answers real clients' operations."""

import re

import pytest
from graphql import build_schema, parse, validate
from graphql.language import InputObjectTypeDefinitionNode, ObjectTypeDefinitionNode, print_ast

from invharness import contracts

SCHEMA = build_schema(contracts.sdl())
THIRD_PARTY = ["GetSetting", "GetVirtualPositions", "UpdateInventoryQuantity"]


def test_sdl_builds_with_query_and_mutation_roots():
    assert SCHEMA.query_type.name == "Query"
    assert SCHEMA.mutation_type.name == "Mutation"


@pytest.mark.parametrize("name", THIRD_PARTY)
def test_third_party_operation_validates(shared_dir, name):
    document = parse((shared_dir / "external/fluent/operations" / f"{name}.graphql").read_text())
    assert validate(SCHEMA, document) == []


def test_spec_graphql_examples_validate(shared_dir):
    fences = re.findall(r"```graphql\n(.*?)```", (shared_dir / "SPEC.md").read_text(), re.S)
    assert fences, "SPEC.md quotes createInventoryFeed"
    for fence in fences:
        assert validate(SCHEMA, parse(fence)) == []


@pytest.mark.parametrize(
    ("enum", "values"),
    [
        ("InventoryDataType", {"INVENTORY_CATALOGUE", "INVENTORY_POSITION", "VIRTUAL_CATALOGUE", "VIRTUAL_POSITION"}),
        ("InventoryFilterName", {"REF", "TYPE", "STATUS", "CATALOGUE_REF"}),
        ("InventoryOperator", {"IN", "NOT_IN", "EQUAL_TO", "NOT_EQUAL_TO"}),
        ("InventoryFeedRunStatus", {"PENDING", "RUNNING", "SUCCESS", "FAILED"}),
        ("InventoryFeedRunType", {"FULL", "INCREMENTAL"}),
        ("InventoryDataFormat", {"PARQUET"}),
    ],
)
def test_feed_enums_match_spec(enum, values):
    assert set(SCHEMA.type_map[enum].values) == values


SEGMENT_FIELDS = {
    "condition",
    "expiresOn",
    "expectedOn",
    "countryOfOrigin",
    "supplier",
    "manufacturer",
    "manufacturerBatchNumber",
    "channel",
    "segment1",
    "segment2",
    "segment3",
    "storageAreaRef",
    "associationType",
    "associationRef",
}


def test_quantities_carry_every_segmentation_field_and_filter():
    assert SEGMENT_FIELDS | {"parent"} <= set(SCHEMA.type_map["InventoryQuantity"].fields)
    for name in SEGMENT_FIELDS:
        assert name in SCHEMA.query_type.fields["inventoryQuantities"].args, name
        assert name in SCHEMA.type_map["InventoryPosition"].fields["quantities"].args, name
        assert name in SCHEMA.type_map["CreateInventoryQuantityInput"].fields, name


def test_fluent_2020_field_names_are_kept(shared_dir):
    # Where Fluent's real schema has a type, ours keeps every field name it has.
    theirs = parse((shared_dir / "external/fluent/schema-2020/inventory_subset.graphql").read_text())
    shared_types = {
        "Setting",
        "SettingConnection",
        "SettingEdge",
        "InventoryCatalogue",
        "InventoryPosition",
        "InventoryQuantity",
        "VirtualCatalogue",
        "VirtualPosition",
        "PageInfo",
        "Attribute",
    }
    checked = set()
    for definition in theirs.definitions:
        if isinstance(definition, ObjectTypeDefinitionNode) and definition.name.value in shared_types:
            ours = set(SCHEMA.type_map[definition.name.value].fields)
            missing = {f.name.value for f in definition.fields} - ours
            assert not missing, f"{definition.name.value} lacks {missing}"
            checked.add(definition.name.value)
    assert checked == shared_types


def test_every_type_and_root_field_is_described():
    undocumented = [
        name
        for name, t in SCHEMA.type_map.items()
        if not name.startswith("__")
        and t.description is None
        and name not in {"Query", "Mutation", "String", "Int", "Boolean", "ID", "Float"}
    ]
    assert not undocumented
    for root in (SCHEMA.query_type, SCHEMA.mutation_type):
        assert all(field.description for field in root.fields.values())


@pytest.mark.parametrize("name", ["User", "Retailer", "UserRole", "Role", "RoleContext"])
def test_the_me_types_are_a_subset_of_fluents(shared_dir, name):
    # Fluent's 2020 schema has these types (not the me query itself): every field we declare is one
    # of theirs, with the same type. The file uses the old `implements A, B` syntax, so read the block.
    text = (shared_dir / "external/fluent/schema-2020/schema.graphql").read_text()
    block = re.search(rf"^type {name}\b[^{{]*\{{(.*?)^\}}", text, re.S | re.M)
    assert block, name
    theirs = dict(re.findall(r"^\s+(\w+)(?:\([^)]*\))?: ([\w!\[\]]+)", block.group(1), re.M))
    ours = {field: str(definition.type) for field, definition in SCHEMA.type_map[name].fields.items()}
    assert {f: t for f, t in ours.items() if theirs.get(f) != t} == {}


ISSUE_10_MUTATIONS = {
    "createInventoryPosition": "CreateInventoryPositionInput",
    "updateInventoryPosition": "UpdateInventoryPositionInput",
    "createVirtualCatalogue": "CreateVirtualCatalogueInput",
    "updateVirtualCatalogue": "UpdateVirtualCatalogueInput",
    "createVirtualPosition": "CreateVirtualPositionInput",
    "updateVirtualPosition": "UpdateVirtualPositionInput",
}


def test_the_inventory_mutations_take_a_subset_of_fluents_inputs(shared_dir):
    # issue 10: the mutations have Fluent's names and signatures, and every input field we declare is
    # one of Fluent's with the same type (contracts/decisions.md D-INV-WRITES says which are left out).
    subset = parse((shared_dir / "external/fluent/schema-2020/inventory_subset.graphql").read_text())
    inputs = {d.name.value: d for d in subset.definitions if isinstance(d, InputObjectTypeDefinitionNode)}
    fluent = (shared_dir / "external/fluent/schema-2020/schema.graphql").read_text()
    for mutation, input_name in ISSUE_10_MUTATIONS.items():
        assert re.search(rf"^\s+{mutation}\(input: {input_name}\): \w+$", fluent, re.M), mutation
        ours = SCHEMA.mutation_type.fields[mutation]
        assert str(ours.args["input"].type) == input_name, mutation
        mine = {f: str(d.type) for f, d in SCHEMA.type_map[input_name].fields.items()}
        fluents = {f.name.value: print_ast(f.type) for f in inputs[input_name].fields}
        assert {f: t for f, t in mine.items() if fluents.get(f) != t} == {}, input_name
