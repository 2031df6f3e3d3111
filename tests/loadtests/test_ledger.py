"""The ledger's expectations and the reconciliation's verdicts, without a target; and SLO judging."""

from __future__ import annotations

import pytest

from invharness.load import evaluate
from invharness.loadtests.ledger import Ledger, reconcile
from invharness.loadtests.scenario_data import DeltaStream, expected_quantities, ingest_steps

POS = "S1:L1:DEFAULT"


def _ledger() -> Ledger:
    ledger = Ledger()
    ledger.batch_accepted("1/1", 2, {f"{POS}:LAST_ON_HAND": [5, "ACTIVE", POS], "Q2": [7, "INACTIVE", POS]}, 1.0)
    ledger.batch_complete("1/1", 3.0)
    ledger.delta_position("D1:L1:DEFAULT", 1000)
    ledger.deltas_acknowledged([("D1:L1:DEFAULT", "d1", -2), ("D1:L1:DEFAULT", "d2", 3)])
    ledger.deltas_acknowledged([("D1:L1:DEFAULT", "d1", -2)])  # a replay
    return ledger


GOOD_DELTAS = {"D1:L1:DEFAULT": ["D1:L1:DEFAULT:DELTA:d1", "D1:L1:DEFAULT:DELTA:d2"]}


def test_a_target_that_stored_what_was_acknowledged_reconciles_exactly():
    ledger = _ledger()
    stored = {f"{POS}:LAST_ON_HAND": [5, "ACTIVE"], "Q2": [7, "INACTIVE"], "other": [1, "ACTIVE"]}
    result = reconcile(ledger, stored, {"D1:L1:DEFAULT": 1001}, GOOD_DELTAS, [])
    assert result.exact, result.to_dict()
    assert ledger.records_per_s() == 1.0


def test_each_kind_of_discrepancy_is_named():
    ledger = _ledger()
    doubled = {"D1:L1:DEFAULT": [*GOOD_DELTAS["D1:L1:DEFAULT"], "D1:L1:DEFAULT:DELTA:d1'"]}
    result = reconcile(ledger, {"Q2": [8, "INACTIVE"]}, {"D1:L1:DEFAULT": 999}, doubled, ["1/2"])
    assert result.lost_records == [f"{POS}:LAST_ON_HAND"]
    assert result.wrong_quantities == [{"ref": "Q2", "expected": [7, "INACTIVE"], "actual": [8, "INACTIVE"]}]
    assert result.double_applied == [{"position": "D1:L1:DEFAULT", "deltaId": "d1", "times": 2}]
    assert result.wrong_on_hand[0] | {} == {
        "position": "D1:L1:DEFAULT",
        "expected": 1001,
        "actual": 999,
        "replayed": ["d1"],
    }
    assert result.never_complete == ["1/2"]
    assert not result.exact and "FAILED" in result.summary()


def test_a_lost_delta_is_named_and_non_idempotent_targets_count_every_send():
    ledger = _ledger()
    result = reconcile(ledger, {}, {"D1:L1:DEFAULT": 998}, {"D1:L1:DEFAULT": ["D1:L1:DEFAULT:DELTA:d1"]}, [])
    assert result.lost_deltas == [{"position": "D1:L1:DEFAULT", "deltaId": "d2"}]
    assert ledger.expected_on_hand("D1:L1:DEFAULT", idempotent=False) == 1000 - 2 - 2 + 3


def test_an_unanswered_batch_allows_either_state_and_nothing_else():
    ledger = _ledger()
    ledger.batch_unanswered({"Q2": [9, "ACTIVE", POS], "NEW": [1, "ACTIVE", POS]})
    base = {f"{POS}:LAST_ON_HAND": [5, "ACTIVE"]}
    for q2, new in (([7, "INACTIVE"], None), ([9, "ACTIVE"], [1, "ACTIVE"])):
        stored = {**base, "Q2": q2, **({"NEW": new} if new else {})}
        assert not reconcile(ledger, stored, {"D1:L1:DEFAULT": 1001}, GOOD_DELTAS, []).wrong_quantities
    stored = {**base, "Q2": [3, "ACTIVE"]}
    wrong = reconcile(ledger, stored, {"D1:L1:DEFAULT": 1001}, GOOD_DELTAS, []).wrong_quantities
    assert [w["ref"] for w in wrong] == ["Q2"]


def test_merged_ledgers_hold_both_workers_writes():
    one, two = _ledger(), Ledger()
    two.batch_accepted("2/1", 1, {"W2": [1, "ACTIVE", "S2:L1:DEFAULT"]}, 0.5)
    two.batch_complete("2/1", 4.0)
    one.merge(two.to_dict())
    assert set(one.quantities) == {f"{POS}:LAST_ON_HAND", "Q2", "W2"}
    assert (one.first_post, one.last_complete, one.records_processed) == (0.5, 4.0, 3)


@pytest.mark.parametrize(("winner", "qty"), [("last", 2), ("first", 1)])
def test_the_declared_dedup_winner_decides_what_a_batch_leaves(winner, qty):
    records = [{"skuRef": "S", "locationRef": "L", "qty": 1}, {"skuRef": "S", "locationRef": "L", "qty": 2}]
    assert expected_quantities(records, winner) == {"S:L:DEFAULT:LAST_ON_HAND": [qty, "ACTIVE", "S:L:DEFAULT"]}


def test_ingest_steps_stay_within_a_batch_and_owners_never_share_a_ref():
    one = ingest_steps("run-I0-0", 1, 1, records=300, steps=3)
    two = ingest_steps("run-I1-0", 1, 1, records=300, steps=3)
    assert all(step.records <= 5000 for step in one)
    assert set(one[0].expected) == set(one[1].expected) == set(one[2].expected)  # every step covers every quantity
    assert not set(one[0].expected) & set(two[0].expected)
    assert ingest_steps("run-I0-0", 1, 1, records=300, steps=3)[2].body == one[2].body  # same run id, same bytes


def test_delta_streams_replay_byte_for_byte_with_unique_delta_ids():
    stream = DeltaStream("run-D0-0", 1, 1, positions=5, replay_share=0.3)
    sends = [stream.next() for _ in range(200)]
    fresh = [s for s in sends if not s.replay]
    ids = [d[1] for s in fresh for d in s.deltas]
    assert len(ids) == len(set(ids))
    assert {s.body for s in sends if s.replay} <= {s.body for s in fresh}


def test_slos_judge_what_was_measured_and_fail_what_was_not():
    metrics = {"p95_batch_accept_ms": 120.0, "p95_batch_complete_s": None, "records_per_s": 5000.0, "error_rate": 0.0}
    slos = {
        "p95_batch_accept_ms": 100,
        "p95_batch_complete_s": 5,
        "min_records_per_s": 1000,
        "max_error_rate": 0.01,
        "reconciliation": "exact",
    }
    verdicts = {v.name: v.holds for v in evaluate(slos, metrics, {"exact": True})}
    assert verdicts == {
        "p95_batch_accept_ms": False,
        "p95_batch_complete_s": False,
        "min_records_per_s": True,
        "max_error_rate": True,
        "reconciliation": True,
    }
    assert not {v.name: v.holds for v in evaluate(slos, metrics, {"exact": False})}["reconciliation"]
