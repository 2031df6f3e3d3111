"""Hypothesis strategies for every request payload: valid ones, and invalid ones labelled with the
rule they break (for the suites' negative checks and for fuzzing).

Values come from fixed pools (``st.sampled_from``), never from a shared Faker: Faker keeps its own
random state, which Hypothesis cannot replay.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from invharness.generators import payloads
from invharness.generators.world import CHANNELS, CONDITIONS, COUNTRIES_OF_ORIGIN

__all__ = [
    "Invalid",
    "batch_requests",
    "delta_events",
    "feed_inputs",
    "invalid_batch_requests",
    "invalid_delta_events",
    "invalid_feed_inputs",
    "invalid_job_requests",
    "inventory_records",
    "job_requests",
    "setting_inputs",
]

_REF_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_."
refs = st.text(_REF_ALPHABET, min_size=1, max_size=24)
labels = st.sampled_from(("LAST_ON_HAND", "ON_ORDER", "FUTURE", "RESERVED", "SALE", "CORRECTION", "EXPECTED"))
statuses = st.sampled_from(("ACTIVE", "INACTIVE", "CREATED"))
quantities = st.one_of(st.integers(0, 50), st.integers(0, 2**31 - 1))
dates = st.builds(
    lambda y, m, d, h: f"{y:04d}-{m:02d}-{d:02d}T{h:02d}:00:00Z",
    st.integers(2024, 2030),
    st.integers(1, 12),
    st.integers(1, 28),
    st.integers(0, 23),
)
retailer_ids = st.sampled_from((1, "1"))

segment_attributes = st.fixed_dictionaries(
    {},
    optional={
        "countryOfOrigin": st.sampled_from(COUNTRIES_OF_ORIGIN),
        "condition": st.sampled_from(sorted(set(CONDITIONS))),
        "channel": st.sampled_from(CHANNELS),
        "expiresOn": dates,
        "expectedOn": dates,
        "manufacturerBatchNumber": refs,
        "supplier": refs,
        "associationType": st.sampled_from(("PURCHASE_ORDER", "IN_TRANSIT")),
        "associationRef": refs,
        "segment1": refs,
        "custom": st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=5), max_size=2),
    },
)


def inventory_records(retailer_id: Any = None) -> st.SearchStrategy[dict[str, Any]]:
    """A valid batch record, with any mix of the optional fields."""
    return st.fixed_dictionaries(
        {
            "skuRef": refs,
            "locationRef": refs,
            "qty": quantities,
            "retailerId": st.just(retailer_id) if retailer_id is not None else retailer_ids,
        },
        optional={
            "correctedQty": st.integers(0, 100),
            "type": labels,
            "ref": refs,
            "status": statuses,
            "attributes": segment_attributes,
        },
    )


@st.composite
def batch_requests(draw: st.DrawFn, max_records: int = 20, retailer_id: Any = None) -> dict[str, Any]:
    """A valid batch create request of 1 to ``max_records`` records."""
    records = draw(st.lists(inventory_records(retailer_id), min_size=1, max_size=max_records))
    conditions = draw(st.none() | st.lists(st.tuples(labels, statuses), max_size=3))
    return payloads.batch(
        records,
        event=draw(st.none() | st.sampled_from(("InventoryChanged", "MyEvent"))),
        catalogue_ref=draw(st.none() | st.sampled_from(("DEFAULT:1", "FUTURE:1"))),
        source=draw(st.none() | st.sampled_from(("ERP", "POS"))),
        conditions=conditions,
    )


def job_requests() -> st.SearchStrategy[dict[str, Any]]:
    """A valid job create request; meta omitted, null, {} or a preprocessing choice."""
    metas = st.sampled_from(
        (None, {}, {"preprocessing": "skip"}, {"preprocessing": "enabled"}, {"preprocessing": "anything"})
    )
    return st.builds(
        lambda name, retailer, meta, has_meta: (
            payloads.job(name, retailer, meta) if has_meta else payloads.job(name, retailer)
        ),
        st.text(min_size=1, max_size=40),
        retailer_ids,
        metas,
        st.booleans(),
    )


def delta_events() -> st.SearchStrategy[dict[str, Any]]:
    """A valid INVENTORY_DELTA event of 1 to 5 deltas."""
    one = st.builds(payloads.delta, refs, refs, st.integers(-1000, 1000), st.none() | refs)
    return st.builds(payloads.delta_event, st.lists(one, min_size=1, max_size=5), retailer_ids)


def setting_inputs() -> st.SearchStrategy[dict[str, Any]]:
    """A valid createSetting input for the pre-processing switch, in either context."""
    return st.builds(
        lambda value, retailer: (
            payloads.setting_input(value, "RETAILER", retailer) if retailer else payloads.setting_input(value)
        ),
        st.sampled_from((True, False, "true", "FALSE")),
        st.sampled_from((0, 1, 2)),
    )


_FILTER_NAMES = st.sampled_from(("REF", "TYPE", "STATUS", "CATALOGUE_REF"))


def _filters() -> st.SearchStrategy[dict[str, Any]]:
    listed = st.builds(
        payloads.feed_filter, _FILTER_NAMES, st.sampled_from(("IN", "NOT_IN")), st.lists(refs, min_size=1, max_size=4)
    )
    single = st.builds(payloads.feed_filter, _FILTER_NAMES, st.sampled_from(("EQUAL_TO", "NOT_EQUAL_TO")), refs)
    return listed | single


def feed_inputs() -> st.SearchStrategy[dict[str, Any]]:
    """A valid createInventoryFeed input."""
    return st.builds(
        payloads.feed_input,
        refs.filter(lambda r: r not in (".", "..")),  # a feed ref is an object key segment (D-REF-CHARS)
        st.sampled_from(("INVENTORY_CATALOGUE", "INVENTORY_POSITION", "VIRTUAL_CATALOGUE", "VIRTUAL_POSITION")),
        st.from_regex(r"\A[a-z0-9][a-z0-9-]{2,20}\Z"),
        st.just("123456789012"),
        st.none() | st.lists(_filters(), max_size=4),
    )


# ---------------------------------------------------------------------- invalid payloads


@dataclass(slots=True, frozen=True)
class Invalid:
    """A payload that breaks one rule: which (``rule``, with the clause that states it where there
    is one), the schema it breaks, and the field a good error message names."""

    payload: Any
    rule: str
    schema: str
    field: str
    clause: str | None = None


_Mutation = tuple[str, str, str | None, Callable[[Any], None]]


def _entity(index: int, change: Callable[[dict], None]) -> Callable[[dict], None]:
    return lambda body: change(body["entities"][index])


def _set(key: str, value: Any) -> Callable[[dict], None]:
    return lambda body: body.__setitem__(key, value)


def _drop(key: str) -> Callable[[dict], None]:
    return lambda body: body.pop(key, None)


_BATCH_MUTATIONS: list[_Mutation] = [
    ("batch.action.unknown", "action", "BATCH-VALID-01", _set("action", "DELETE")),
    ("batch.entityType.unknown", "entityType", "BATCH-VALID-01", _set("entityType", "PRODUCT")),
    ("batch.entities.missing", "entities", "BATCH-VALID-01", _drop("entities")),
    ("batch.entities.empty", "entities", "BATCH-VALID-01", _set("entities", [])),
    (
        "batch.entities.over_limit",
        "entities",
        "BATCH-LIMIT-02",
        lambda body: body.__setitem__("entities", [copy.deepcopy(body["entities"][0]) for _ in range(5001)]),
    ),
    ("record.qty.negative", "qty", "BATCH-ENTITY-01", _entity(0, _set("qty", -1))),
    ("record.qty.not_an_integer", "qty", "BATCH-ENTITY-01", _entity(0, _set("qty", "5"))),
    ("record.qty.over_int32", "qty", "BATCH-ENTITY-01", _entity(0, _set("qty", 2**31))),
    ("record.skuRef.missing", "skuRef", "BATCH-ENTITY-01", _entity(0, _drop("skuRef"))),
    ("record.locationRef.missing", "locationRef", "BATCH-ENTITY-01", _entity(0, _drop("locationRef"))),
    ("record.retailerId.missing", "retailerId", "BATCH-ENTITY-01", _entity(0, _drop("retailerId"))),
    ("record.correctedQty.negative", "correctedQty", "BATCH-ENTITY-01", _entity(0, _set("correctedQty", -2))),
    (
        "record.expiresOn.not_a_date",
        "expiresOn",
        "BATCH-ENTITY-01",
        _entity(0, lambda e: e.setdefault("attributes", {}).__setitem__("expiresOn", "2026-02-30T00:00:00Z")),
    ),
    ("record.attributes.not_an_object", "attributes", "BATCH-ENTITY-01", _entity(0, _set("attributes", []))),
]


def _invalid(valid: st.SearchStrategy[Any], mutations: list[_Mutation], schema: str) -> st.SearchStrategy[Invalid]:
    @st.composite
    def build(draw: st.DrawFn) -> Invalid:
        payload = copy.deepcopy(draw(valid))
        rule, field_name, clause, mutate = draw(st.sampled_from(mutations))
        mutate(payload)
        return Invalid(payload, rule, schema, field_name, clause)

    return build()


def invalid_batch_requests() -> st.SearchStrategy[Invalid]:
    """A batch request with one broken rule (batch-level: refused; record-level: that record ignored)."""
    return _invalid(batch_requests(max_records=3), _BATCH_MUTATIONS, "batch-create-request")


def invalid_job_requests() -> st.SearchStrategy[Invalid]:
    mutations: list[_Mutation] = [
        ("job.name.missing", "name", "JOB-CREATE-02", _drop("name")),
        ("job.retailerId.missing", "retailerId", "JOB-CREATE-03", _drop("retailerId")),
        ("job.retailerId.not_an_id", "retailerId", None, _set("retailerId", "one")),
        ("job.meta.not_an_object", "meta", None, _set("meta", "skip")),
    ]
    return _invalid(job_requests(), mutations, "job-create-request")


def invalid_delta_events() -> st.SearchStrategy[Invalid]:
    mutations: list[_Mutation] = [
        ("delta.deltas.empty", "deltas", None, lambda e: e["attributes"].__setitem__("deltas", [])),
        ("delta.qty.not_an_integer", "qty", None, lambda e: e["attributes"]["deltas"][0].__setitem__("qty", "-1")),
        ("delta.productRef.missing", "productRef", None, lambda e: e["attributes"]["deltas"][0].pop("productRef")),
        ("delta.entityRef.missing", "entityRef", None, _drop("entityRef")),
    ]
    return _invalid(delta_events(), mutations, "inventory-delta-event")


def invalid_feed_inputs() -> st.SearchStrategy[Invalid]:
    def filter_value(value: Any, operator: str) -> Callable[[dict], None]:
        def mutate(feed: dict) -> None:
            feed["source"]["filters"] = [{"name": "STATUS", "operator": operator, "value": value}]

        return mutate

    mutations: list[_Mutation] = [
        ("feed.filter.equal_to_with_a_list", "value", "FEED-FLT-06", filter_value(["ACTIVE", "CREATED"], "EQUAL_TO")),
        ("feed.filter.in_with_a_scalar", "value", "FEED-FLT-06", filter_value("ACTIVE", "IN")),
        ("feed.filter.in_with_an_empty_list", "value", "FEED-FLT-06", filter_value([], "NOT_IN")),
        ("feed.source.type.unknown", "type", None, lambda f: f["source"].__setitem__("type", "ORDER")),
        (
            "feed.destination.bucket.missing",
            "destinationAttributes",
            None,
            lambda f: f["destination"].__setitem__(
                "destinationAttributes", f["destination"]["destinationAttributes"][:1]
            ),
        ),
    ]
    return _invalid(feed_inputs(), mutations, "feed-input")
