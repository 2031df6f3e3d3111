"""Builders and Hypothesis strategies: every valid payload conforms, every invalid one breaks its rule."""

import pytest
from hypothesis import HealthCheck, given, settings

from invharness import contracts
from invharness.generators import payloads, strategies

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def test_builders_conform():
    record = {"skuRef": "S", "locationRef": "L", "qty": 1, "retailerId": 1}
    checks = [
        ("job-create-request", payloads.job()),
        ("job-create-request", payloads.job("j", 2, None)),
        (
            "batch-create-request",
            payloads.batch(
                [record], event="E", catalogue_ref="DEFAULT:1", source="ERP", conditions=[("SALE", "ACTIVE")]
            ),
        ),
        ("inventory-delta-event", payloads.delta_event([payloads.delta("S", "L", -3, "d1")], account_id="DEMO")),
        ("setting-input", payloads.setting_input(False, "RETAILER", 2)),
        (
            "feed-input",
            payloads.feed_input(
                "f",
                "VIRTUAL_POSITION",
                "bucket",
                filters=[
                    payloads.feed_filter("STATUS", "EQUAL_TO", "AT_RISK"),
                    payloads.feed_filter("CATALOGUE_REF", "IN", ["BASE:1", "AGGREGATE:1"]),
                ],
                name="n",
            ),
        ),
    ]
    for schema, payload in checks:
        assert contracts.validator(schema).errors(payload) == [], schema


def test_batches_are_cut_at_the_limit():
    records = [{"skuRef": f"S{i}", "locationRef": "L", "qty": 1, "retailerId": 1} for i in range(12001)]
    cut = list(payloads.batches(records, event="E"))
    assert [len(b["entities"]) for b in cut] == [5000, 5000, 2001]
    assert all(b["event"] == "E" for b in cut)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: payloads.batch([]), "1 to 5000"),
        (lambda: payloads.batch([{}] * 5001), "not 5001"),
        (lambda: list(payloads.batches([], size=0)), "size"),
        (lambda: payloads.delta_event([]), "at least one delta"),
        (lambda: payloads.feed_filter("REF", "IN", "x"), "non-empty list"),
        (lambda: payloads.feed_filter("REF", "EQUAL_TO", ["x"]), "one value"),
    ],
)
def test_builders_refuse_what_the_contract_refuses(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize(
    ("strategy", "schema"),
    [
        (strategies.batch_requests(), "batch-create-request"),
        (strategies.job_requests(), "job-create-request"),
        (strategies.delta_events(), "inventory-delta-event"),
        (strategies.setting_inputs(), "setting-input"),
        (strategies.feed_inputs(), "feed-input"),
        (strategies.inventory_records(), "inventory-entity"),
    ],
)
def test_valid_strategies_conform(strategy, schema):
    checker = contracts.validator(schema)

    @FAST
    @given(strategy)
    def check(payload):
        assert checker.is_valid(payload), checker.explain(payload)

    check()


@pytest.mark.parametrize(
    "strategy",
    [
        strategies.invalid_batch_requests(),
        strategies.invalid_job_requests(),
        strategies.invalid_delta_events(),
        strategies.invalid_feed_inputs(),
    ],
)
def test_invalid_strategies_break_the_rule_they_name(strategy):
    @FAST
    @given(strategy)
    def check(case):
        checker = contracts.validator(case.schema)
        assert not checker.is_valid(case.payload), case.rule
        assert case.field in checker.explain(case.payload), (case.rule, checker.explain(case.payload))
        if case.rule.startswith("record."):
            # a broken record is ignored, not refused: the batch level still conforms
            assert contracts.validator("batch-envelope").is_valid(case.payload), case.rule
        if case.clause is not None:
            assert contracts.clause(case.clause)

    check()
