"""Every example payload of the sources, and ours, conforms to its schema."""

from __future__ import annotations

import pytest

from invharness import contracts
from tests.contracts.examples import INLINE, derived
from tests.contracts.seed_examples import seed_examples, spec_examples


def classify(payload: dict) -> str:
    """Which schema a documentation example is an instance of, judged by its keys."""
    if "action" in payload:
        return "batch-create-request"
    if payload.get("name") == "INVENTORY_DELTA":
        return "inventory-delta-event"
    if "jobId" in payload:
        return "job"
    if "batchId" in payload:
        return "batch"
    if set(payload) == {"id"}:
        return "id-response"
    if {"name", "retailerId"} <= set(payload):
        return "job-create-request"
    raise AssertionError(f"an example of an unknown kind: {payload!r}")


@pytest.fixture(scope="module")
def documented(shared_dir):
    found = seed_examples(shared_dir / "seeds") + spec_examples(shared_dir / "SPEC.md")
    return [(origin, classify(payload), payload) for origin, payload in found]


def test_the_extractor_finds_every_documented_example(documented):
    kinds = {kind for _, kind, _ in documented}
    # 14 numbered blocks in the seeds and 5 json fences in SPEC.md at the time of writing.
    assert len(documented) >= 19
    assert kinds == {
        "batch-create-request",
        "inventory-delta-event",
        "job",
        "batch",
        "id-response",
        "job-create-request",
    }


def test_every_documented_example_conforms(documented):
    failures = [
        f"{origin} ({kind}): {contracts.validator(kind).explain(payload)}"
        for origin, kind, payload in documented
        if not contracts.validator(kind).is_valid(payload)
    ]
    assert not failures, "\n".join(failures)


def test_segmented_seed_example_keeps_its_typed_attributes(documented):
    # The 2026 segmented batch: segmentation keys typed, ON_ORDER child linked by parentRef.
    batches = [p for _, kind, p in documented if kind == "batch-create-request" and p.get("source") == "ERP"]
    assert batches, "the segmented seed example was not found"
    child = batches[0]["entities"][3]
    assert child["attributes"]["parentRef"] == batches[0]["entities"][2]["ref"]
    assert contracts.validator("inventory-entity").is_valid(child)


INLINE_CASES = [(name, i, payload) for name, payloads in INLINE.items() for i, payload in enumerate(payloads)]


@pytest.mark.parametrize(("name", "index", "payload"), INLINE_CASES, ids=[f"{n}-{i}" for n, i, _ in INLINE_CASES])
def test_inline_example_conforms(name, index, payload):
    assert contracts.validator(name).errors(payload) == []


def test_every_schema_but_common_has_an_example(documented):
    by_schema: dict[str, list] = {}
    for _, kind, payload in documented:
        by_schema.setdefault(kind, []).append(payload)
    for name, payloads in INLINE.items():
        by_schema.setdefault(name, []).extend(payloads)
    for name, payloads in derived(by_schema).items():
        by_schema.setdefault(name, []).extend(payloads)
        for payload in payloads:
            assert contracts.validator(name).errors(payload) == [], name
    assert set(contracts.schema_names()) - set(by_schema) == {"common"}
