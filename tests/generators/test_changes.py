"""Change streams: the expectations they state are what the reference server does.

Two independent implementations of SPEC §5.3/§6.4 (the oracle in generators.changes and the
server in reference_impl) are run on the same seeded streams and must agree.
"""

import copy
import random

import pytest

from invharness.generators import changes
from invharness.generators.stock import stock_for
from invharness.generators.world import build_world


def _load(api, stocks):
    api.run_batch([r for s in stocks for r in s.records])
    for stock in stocks:
        for transient in stock.transients:
            api.add_quantity(
                stock.product.sku,
                transient["type"],
                transient["qty"],
                transient["status"],
                loc=stock.location.ref,
                ref=transient["ref"],
            )


def _observed(api, event_name, stocks):
    counts = {s.position_ref: 0 for s in stocks}
    for event in api.events(event_name):
        counts[event["context"]["entityRef"]] += 1
    on_hand = {s.position_ref: api.position(s.product.sku, s.location.ref)["onHand"] for s in stocks}
    return counts, on_hand


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_next_batch_expectations_match_the_reference_server(api, seed):
    world = build_world(seed, products=12, locations=4)
    rng = random.Random(seed)
    stocks = [stock_for(world, i, rng, 3) for i in range(world.positions)]
    assert any(s.transients for s in stocks), "the stream must exercise the transient rule"
    _load(api, stocks)
    state = stocks
    for round_number in range(2):
        step = changes.next_batch(state, rng)
        name = f"Changes{seed}r{round_number}"
        api.run_batch(step.records, event=name)
        forwarded, on_hand = _observed(api, name, state)
        assert forwarded == {ref: e.forwarded for ref, e in step.expectations.items()}
        assert on_hand == {ref: e.on_hand for ref, e in step.expectations.items()}
        state = step.state
    kinds = {k for e in step.expectations.values() for k in e.kinds}
    assert kinds == set(changes.KINDS)


def test_delta_events_and_replays_match_the_reference_server(api):
    world = build_world(9, products=5, locations=3)
    rng = random.Random(9)
    stocks = [stock_for(world, i, rng, 2) for i in range(world.positions)]
    _load(api, stocks)
    step = changes.delta_events(stocks, rng, "t1")
    replay = changes.delta_events(step.state, rng, "t1", replay=step)
    for delta_step in (step, replay):
        assert api.post("/api/v4.1/event/sync", delta_step.event).status_code == 200
        observed = {s.position_ref: api.position(s.product.sku, s.location.ref)["onHand"] for s in stocks}
        assert observed == delta_step.on_hand
    assert replay.replay and replay.on_hand == step.on_hand


def test_next_batch_leaves_its_input_alone():
    world = build_world(4, products=3, locations=3)
    rng = random.Random(4)
    stocks = [stock_for(world, i, rng, 3) for i in range(world.positions)]
    before = copy.deepcopy([(s.records, s.transients) for s in stocks])
    changes.next_batch(stocks, rng)
    assert [(s.records, s.transients) for s in stocks] == before


def test_weights_choose_the_kinds():
    world = build_world(4, products=3, locations=3)
    rng = random.Random(4)
    stocks = [stock_for(world, i, rng, 3) for i in range(world.positions)]
    step = changes.next_batch(stocks, rng, {"unchanged": 1})
    assert all(
        e.forwarded == 0
        for e in step.expectations.values()
        if not any(s.transients for s in stocks if s.position_ref == e.position_ref)
    )
    assert {k for e in step.expectations.values() for k in e.kinds} == {"unchanged"}
