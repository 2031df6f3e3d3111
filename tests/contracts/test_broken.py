"""Broken variants of valid payloads are refused, with a message that names the field."""

from __future__ import annotations

import copy

import pytest

from invharness import contracts
from tests.contracts.examples import INLINE

JOB = {"name": "Batch Inventory Job", "retailerId": "1", "meta": {"preprocessing": "enabled"}}
ENTITY = {
    "retailerId": 1,
    "skuRef": "PRDREF1",
    "locationRef": "LOCREF1",
    "ref": "PRDREF1:LOCREF1:DEFAULT:LAST_ON_HAND:1",
    "qty": 100,
    "correctedQty": 0,
    "status": "ACTIVE",
    "attributes": {"countryOfOrigin": "AU", "expiresOn": "2026-09-30T23:59:59Z", "expectedOn": "2026-06-01T00:00:00Z"},
}
BATCH = {
    "action": "UPSERT",
    "entityType": "INVENTORY",
    "source": "ERP",
    "catalogueRef": "DEFAULT:1",
    "conditions": {"hasRelatedInventoryQuantities": [{"type": "SALE", "status": "ACTIVE"}]},
    "entities": [ENTITY],
}
DELTA = {
    "name": "INVENTORY_DELTA",
    "accountId": "DEMO",
    "retailerId": "1",
    "entityRef": "DEFAULT:1",
    "entityType": "INVENTORY_CATALOGUE",
    "attributes": {
        "deltas": [{"productRef": "D45", "locationRef": "LOC_MEL", "qty": -10, "type": "DELTA", "deltaId": "123AT"}]
    },
}
FEED = INLINE["feed-input"][0]
SETTING = INLINE["setting-input"][0]
TOKEN = INLINE["token-request"][0]


def _walk(document, dotted):
    *parents, last = dotted.split(".")
    node = document
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node, (int(last) if isinstance(node, list) else last)


def drop(dotted):
    def mutate(document):
        node, key = _walk(document, dotted)
        del node[key]

    return mutate


def put(dotted, value):
    def mutate(document):
        node, key = _walk(document, dotted)
        node[key] = value

    return mutate


def oversize(document):
    document["entities"] = [dict(ENTITY, skuRef=f"SKU{i}") for i in range(5001)]


CASES = [
    # job create
    ("job-create-request", JOB, drop("name"), "name"),
    ("job-create-request", JOB, drop("retailerId"), "retailerId"),
    ("job-create-request", JOB, put("name", 5), "name"),
    ("job-create-request", JOB, put("name", ""), "name"),
    ("job-create-request", JOB, put("retailerId", 1.5), "retailerId"),
    ("job-create-request", JOB, put("retailerId", "abc"), "retailerId"),
    ("job-create-request", JOB, put("meta", "skip"), "meta"),
    ("job-create-request", JOB, put("meta.preprocessing", ["skip"]), "preprocessing"),
    # batch level
    ("batch-create-request", BATCH, put("action", "DELETE"), "action"),
    ("batch-create-request", BATCH, put("entityType", "PRODUCT"), "entityType"),
    ("batch-create-request", BATCH, drop("action"), "action"),
    ("batch-create-request", BATCH, drop("entities"), "entities"),
    ("batch-create-request", BATCH, put("entities", []), "entities"),
    ("batch-create-request", BATCH, put("entities", {"0": ENTITY}), "entities"),
    ("batch-create-request", BATCH, oversize, "entities"),
    ("batch-create-request", BATCH, put("catalogueRef", 1), "catalogueRef"),
    ("batch-create-request", BATCH, put("conditions.hasRelatedInventoryQuantities.0", {"type": "SALE"}), "status"),
    # record level
    ("batch-create-request", BATCH, put("entities.0.qty", -1), "qty"),
    ("batch-create-request", BATCH, put("entities.0.qty", "5"), "qty"),
    ("batch-create-request", BATCH, put("entities.0.qty", 1.5), "qty"),
    ("batch-create-request", BATCH, put("entities.0.qty", 2**31), "qty"),
    ("batch-create-request", BATCH, put("entities.0.qty", 10**30), "qty"),
    ("batch-create-request", BATCH, put("entities.0.qty", True), "qty"),
    ("batch-create-request", BATCH, put("entities.0.correctedQty", -3), "correctedQty"),
    ("batch-create-request", BATCH, drop("entities.0.skuRef"), "skuRef"),
    ("batch-create-request", BATCH, drop("entities.0.locationRef"), "locationRef"),
    ("batch-create-request", BATCH, drop("entities.0.qty"), "qty"),
    ("batch-create-request", BATCH, drop("entities.0.retailerId"), "retailerId"),
    ("batch-create-request", BATCH, put("entities.0.skuRef", ""), "skuRef"),
    ("batch-create-request", BATCH, put("entities.0.ref", None), "ref"),
    ("batch-create-request", BATCH, put("entities.0.attributes", []), "attributes"),
    ("batch-create-request", BATCH, put("entities.0.attributes.expiresOn", "2026-13-01T00:00:00Z"), "expiresOn"),
    ("batch-create-request", BATCH, put("entities.0.attributes.expiresOn", "2026-12-31"), "expiresOn"),
    ("batch-create-request", BATCH, put("entities.0.attributes.expiresOn", "2026-02-30T00:00:00Z"), "expiresOn"),
    ("batch-create-request", BATCH, put("entities.0.attributes.expectedOn", "next tuesday"), "expectedOn"),
    ("batch-create-request", BATCH, put("entities.0.attributes.countryOfOrigin", 61), "countryOfOrigin"),
    ("inventory-entity", ENTITY, put("qty", -1), "qty"),
    # deltas
    ("inventory-delta-event", DELTA, put("attributes.deltas.0.qty", "x"), "qty"),
    ("inventory-delta-event", DELTA, put("attributes.deltas.0.qty", 2**31), "qty"),
    ("inventory-delta-event", DELTA, drop("attributes.deltas.0.productRef"), "productRef"),
    ("inventory-delta-event", DELTA, put("attributes.deltas", []), "deltas"),
    ("inventory-delta-event", DELTA, drop("attributes.deltas"), "deltas"),
    ("inventory-delta-event", DELTA, drop("entityRef"), "entityRef"),
    ("inventory-delta-event", DELTA, put("entityType", "ORDER"), "entityType"),
    ("event-request", DELTA, put("attributes.deltas.0.locationRef", ""), "locationRef"),
    ("event-request", {"name": "MyEvent"}, put("name", ""), "name"),
    # feeds
    ("feed-input", FEED, put("source.filters.0.value", ["ACTIVE", "CREATED"]), "value"),
    ("feed-input", FEED, put("source.filters.1.value", "DEFAULT:1"), "value"),
    ("feed-input", FEED, put("source.filters.1.value", []), "value"),
    ("feed-input", FEED, put("source.filters.0.name", "COLOUR"), "name"),
    ("feed-input", FEED, put("source.filters.0.operator", "LIKE"), "operator"),
    ("feed-input", FEED, put("source.type", "ORDER"), "type"),
    ("feed-input", FEED, drop("destination.destinationAttributes.1"), "destinationAttributes"),
    ("feed-input", FEED, put("dataFormat", "CSV"), "dataFormat"),
    ("feed-input", FEED, drop("ref"), "ref"),
    # settings and tokens
    ("setting-input", SETTING, put("value", "yes"), "value"),
    ("setting-input", SETTING, put("context", "WORLD"), "context"),
    ("setting-input", SETTING, put("contextId", -1), "contextId"),
    ("setting-input", SETTING, drop("name"), "name"),
    ("token-request", TOKEN, drop("password"), "password"),
    ("token-request", TOKEN, put("grant_type", "client_credentials"), "grant_type"),
]


def _id(case):
    name, _, mutate, field = case
    return f"{name}:{mutate.__qualname__.split('.')[0]}:{field}"


@pytest.mark.parametrize(("name", "base", "mutate", "field"), CASES, ids=[_id(c) for c in CASES])
def test_broken_variant_is_refused_naming_the_field(name, base, mutate, field):
    checker = contracts.validator(name)
    assert checker.is_valid(base), f"the base example must conform: {checker.explain(base)}"
    broken = copy.deepcopy(base)
    mutate(broken)
    assert not checker.is_valid(broken)
    explanation = checker.explain(broken)
    assert field in explanation, explanation
    assert any(field in str(error) for error in checker.errors(broken))
    assert len(explanation) < 400, "messages stay short even for huge payloads"


def test_validators_agree_on_every_case():
    # jsonschema-rs answers is_valid; python-jsonschema explains. They must judge alike.
    for name, base, mutate, _ in CASES:
        broken = copy.deepcopy(base)
        mutate(broken)
        for payload in (base, broken):
            checker = contracts.validator(name)
            assert checker.is_valid(payload) == checker.is_valid_explained(payload), (name, payload)
