"""The loader: the fast and the explaining validator judge alike; errors read well."""

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from invharness import contracts

SCALARS = st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.floats(allow_nan=False) | st.text(max_size=12)
DATES = st.sampled_from(
    [
        "2026-05-01T00:00:00Z",
        "2026-02-30T00:00:00Z",
        "2026-05-01",
        "2026-05-01T00:00:00+10:00",
        "2026-05-01T00:00:00.123456Z",
        "x",
        "2026-05-01 00:00:00Z",
    ]
)
ENTITY_KEYS = st.sampled_from(
    [
        "locationRef",
        "skuRef",
        "qty",
        "correctedQty",
        "type",
        "ref",
        "status",
        "retailerId",
        "attributes",
        "inventoryId",
        "other",
    ]
)
ATTRIBUTES = st.dictionaries(
    st.sampled_from(["expiresOn", "expectedOn", "condition", "parentRef", "custom"]), DATES | SCALARS, max_size=4
)
ENTITIES = st.dictionaries(ENTITY_KEYS, SCALARS | ATTRIBUTES, max_size=9)


# deadline=None: how long a case takes on a busy machine says nothing about the validators' agreement
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ENTITIES)
def test_validators_agree_on_arbitrary_records(record):
    checker = contracts.validator("inventory-entity")
    assert checker.is_valid(record) == checker.is_valid_explained(record)
    assert (checker.errors(record) == []) == checker.is_valid(record)


@settings(max_examples=100, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["action", "entityType", "entities", "source", "conditions"]),
        SCALARS | st.lists(ENTITIES, max_size=3),
        max_size=5,
    )
)
def test_validators_agree_on_arbitrary_batches(batch):
    checker = contracts.validator("batch-create-request")
    assert checker.is_valid(batch) == checker.is_valid_explained(batch)


def test_errors_are_path_qualified_and_ordered_by_relevance():
    batch = {
        "action": "UPSERT",
        "entityType": "INVENTORY",
        "entities": [{"locationRef": "L", "skuRef": "S", "qty": -1, "retailerId": "1"}, "not a record"],
    }
    errors = contracts.validator("batch-create-request").errors(batch)
    paths = {e.path for e in errors}
    assert paths == {"$.entities[0].qty", "$.entities[1]"}
    assert str(errors[0]).startswith("$.entities[")


def test_explain_is_none_for_a_conforming_payload():
    assert contracts.validator("id-response").explain({"id": "199"}) is None


def test_openapi_and_sdl_load():
    assert contracts.openapi()["openapi"].startswith("3.1")
    assert "type Query" in contracts.sdl()


def test_schema_returns_a_fresh_copy():
    first = contracts.schema("job")
    first["title"] = "changed"
    assert contracts.schema("job")["title"] == "Job"
    json.dumps(first)
