"""The schema files themselves: valid 2020-12 schemas, described, resolvable, no $id."""

import jsonschema
import pytest

from invharness import contracts

NAMES = contracts.schema_names()


# Conditional subschemas only restate properties declared (and described) elsewhere.
_CONDITIONAL = {"if", "then", "else", "contains", "not"}


def _walk_properties(node, path="$"):
    """Yield (path, property schema) for every property declared outside conditionals."""
    if isinstance(node, dict):
        for name, sub in node.get("properties", {}).items():
            yield f"{path}.properties.{name}", sub
        for key, sub in node.items():
            if key not in _CONDITIONAL:
                yield from _walk_properties(sub, f"{path}.{key}")
    elif isinstance(node, list):
        for i, sub in enumerate(node):
            yield from _walk_properties(sub, f"{path}[{i}]")


@pytest.mark.parametrize("name", NAMES)
def test_schema_is_a_valid_2020_12_schema(name):
    document = contracts.schema(name)
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(document)


@pytest.mark.parametrize("name", NAMES)
def test_schema_has_no_id_so_relative_refs_stay_local(name):
    # An $id would make schemathesis fetch the schema over the network (LIBRARIES.md).
    assert "$id" not in contracts.schema(name)


@pytest.mark.parametrize("name", NAMES)
def test_every_property_is_described(name):
    document = contracts.schema(name)
    assert document.get("description"), f"{name} has no description"
    missing = [path for path, sub in _walk_properties(document) if "description" not in sub]
    assert not missing, f"{name}: properties without a description: {missing}"


@pytest.mark.parametrize("name", NAMES)
def test_schema_compiles_with_both_validators(name):
    checker = contracts.validator(name)
    # Compiling resolves every $ref; a dangling one raises here.
    checker.is_valid({})
    checker.errors({})


def test_unknown_schema_name_is_a_clear_error():
    with pytest.raises(KeyError, match=r"no contract schema named 'nope'.*batch-create-request"):
        contracts.schema("nope")


def test_validator_is_built_once_per_process():
    assert contracts.validator("job") is contracts.validator("job")
