"""The seeded world and the segmented stock drawn from it."""

import random

from invharness import contracts
from invharness.generators.stock import max_records_per_position, stock_for
from invharness.generators.world import build_world

ENTITY = contracts.validator("inventory-entity")


def test_same_seed_same_world_other_seed_other_world():
    assert build_world(3, 50, 20) == build_world(3, 50, 20)
    assert build_world(3, 50, 20).locations != build_world(4, 50, 20).locations


def test_world_shape():
    world = build_world(1, products=30, locations=20)
    assert world.positions == 600
    assert sum(loc.kind == "DC" for loc in world.locations) == 2
    assert len({p.sku for p in world.products}) == 30 and len({loc.ref for loc in world.locations}) == 20
    assert all(m.batch_numbers for m in world.manufacturers)
    assert world.position(0) == (world.products[0], world.locations[0])
    assert world.position(21) == (world.products[1], world.locations[1])


def _stocks(depth=3, count=3000, seed=5):
    world = build_world(seed, products=100, locations=30)
    rng = random.Random(seed)
    return world, [stock_for(world, i, rng, depth) for i in range(count)]


def test_every_record_conforms_and_a_position_stays_within_its_bound():
    _, stocks = _stocks()
    for stock in stocks:
        assert 1 <= len(stock.records) <= max_records_per_position(3)
        for record in stock.records:
            assert ENTITY.is_valid(record), ENTITY.explain(record)


def test_dates_agree():
    world, stocks = _stocks()
    as_of = world.as_of.strftime("%Y-%m-%dT%H:%M:%SZ")
    for stock in stocks:
        by_ref = {r.get("ref"): r for r in stock.records}
        for record in stock.records:
            attributes = record["attributes"]
            if "expiresOn" in attributes:
                assert attributes["expiresOn"] > as_of, "stock on hand expires after as_of"
            if record.get("type") == "ON_ORDER":
                assert attributes["expectedOn"] > as_of, "ON_ORDER stock is expected in the future"
            if "parentRef" in attributes:
                parent = by_ref[attributes["parentRef"]]
                assert parent["attributes"]["associationType"] == "PURCHASE_ORDER"
                assert attributes["associationType"] == "IN_TRANSIT"
                assert attributes["expectedOn"] < parent["attributes"]["expectedOn"]
                assert record["qty"] <= parent["qty"]


def test_distribution_has_stock_outs_a_long_tail_segments_trees_and_transients():
    _, stocks = _stocks()
    quantities = sorted(r["qty"] for s in stocks for r in s.records if "type" not in r)
    assert 0.06 < quantities.count(0) / len(quantities) < 0.2
    assert quantities[len(quantities) // 2] < 20 and quantities[-1] > 200, "median small, tail long"
    assert any(len([r for r in s.records if "type" not in r]) == 3 for s in stocks)
    assert any("parentRef" in r["attributes"] for s in stocks for r in s.records)
    kinds = {t["type"] for s in stocks for t in s.transients}
    assert kinds == {"RESERVED", "SALE", "CORRECTION"}
    for stock in stocks:
        refs = [r.get("ref") for r in stock.records]
        assert len(refs) == len(set(refs)), "segment refs are distinct within a position"


def test_on_hand_counts_loh_and_active_transients():
    _, stocks = _stocks()
    stock = next(s for s in stocks if s.transients)
    loh = sum(r["qty"] for r in stock.records if "type" not in r)
    assert stock.on_hand() == loh + sum(t["qty"] for t in stock.transients)


def test_depth_one_uses_default_refs():
    _, stocks = _stocks(depth=1, count=200)
    assert all("ref" not in r for s in stocks for r in s.records if "type" not in r)


def test_locations_are_shared_out_among_retailers_and_records_follow():
    world = build_world(2, products=5, locations=9, retailer_id=(3, 7))
    assert {loc.retailer_id for loc in world.locations} == {3, 7}
    rng = random.Random(2)
    for index in range(world.positions):
        stock = stock_for(world, index, rng, 2)
        assert {r["retailerId"] for r in stock.records} == {stock.location.retailer_id}
    import pytest

    with pytest.raises(ValueError, match="distinct retailer ids"):
        build_world(1, 1, 1, retailer_id=(1, 1))
