"""The ledger of a load run -- what was sent and acknowledged -- and its comparison with what the
target reports, which no load tool checks.

Each locust process keeps one ledger; on a distributed run the workers send theirs to the master
(plain dicts, as locust's messages carry them), which merges them and reconciles once. Refs never
overlap between processes (see scenario_data), so merging is a union.

Expected final state:
- a batch-written quantity: the winner of the last acknowledged batch that wrote it (the declared
  bpp.dedup_winner within a batch); a batch whose POST got no answer leaves either state possible;
- a delta-storm position: its starting onHand plus every acknowledged delta, each deltaId counted once
  (or every time it was sent, when the target declares deltaIds not idempotent).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Ledger", "Reconciliation", "reconcile"]

_LISTED = 50  # discrepancies named per kind in the report (all are counted)


@dataclass
class Ledger:
    """What one process (or, merged, the whole run) sent and had acknowledged."""

    quantities: dict[str, list[Any]] = field(default_factory=dict)  # ref -> [qty, status, position ref]
    maybe: dict[str, list[Any]] = field(default_factory=dict)  # ref -> the states it may be in ([] = absent)
    batches: dict[str, list[Any]] = field(default_factory=dict)  # "job/batch" -> [records, complete]
    bases: dict[str, int] = field(default_factory=dict)  # delta position ref -> starting onHand
    deltas: dict[str, dict[str, int]] = field(default_factory=dict)  # position ref -> {deltaId: qty}
    sends: dict[str, dict[str, int]] = field(default_factory=dict)  # position ref -> {deltaId: times acknowledged}
    uncertain_positions: set[str] = field(default_factory=set)  # a delta event to them got no answer
    records_processed: int = 0
    first_post: float | None = None  # epoch seconds: the window records/s is measured over
    last_complete: float | None = None

    # ---------------------------------------------------------------- writing
    def batch_accepted(self, key: str, records: int, expected: dict[str, list[Any]], posted: float) -> None:
        self.batches[key] = [records, False]
        self.first_post = posted if self.first_post is None else min(self.first_post, posted)
        self.quantities.update(expected)

    def batch_complete(self, key: str, when: float | None = None) -> None:
        entry = self.batches.get(key)
        if entry is not None and not entry[1]:
            entry[1] = True
            self.records_processed += entry[0]
            if when is not None:
                self.last_complete = when if self.last_complete is None else max(self.last_complete, when)

    def batch_unanswered(self, expected: dict[str, list[Any]]) -> None:
        """A POST without an answer: each of its quantities may or may not have been written."""
        for ref, state in expected.items():
            before = self.quantities.pop(ref, None)
            self.maybe[ref] = [before or [], state]

    def delta_position(self, position: str, on_hand: int) -> None:
        self.bases[position] = on_hand
        self.deltas.setdefault(position, {})
        self.sends.setdefault(position, {})

    def deltas_acknowledged(self, deltas: Iterable[tuple[str, str, int]]) -> None:
        for position, delta_id, qty in deltas:
            self.deltas.setdefault(position, {})[delta_id] = qty
            sends = self.sends.setdefault(position, {})
            sends[delta_id] = sends.get(delta_id, 0) + 1

    def deltas_unanswered(self, deltas: Iterable[tuple[str, str, int]]) -> None:
        self.uncertain_positions.update(position for position, _, _ in deltas)

    # ---------------------------------------------------------------- moving
    def to_dict(self) -> dict[str, Any]:
        return {
            "quantities": self.quantities,
            "maybe": self.maybe,
            "batches": self.batches,
            "bases": self.bases,
            "deltas": self.deltas,
            "sends": self.sends,
            "uncertain_positions": sorted(self.uncertain_positions),
            "records_processed": self.records_processed,
            "window": [self.first_post, self.last_complete],
        }

    def merge(self, other: dict[str, Any]) -> None:
        """Add another process's ledger (its ``to_dict``)."""
        for name in ("quantities", "maybe", "batches", "bases", "deltas", "sends"):
            getattr(self, name).update(other[name])
        self.uncertain_positions.update(other["uncertain_positions"])
        self.records_processed += other["records_processed"]
        first, last = other["window"]
        if first is not None:
            self.first_post = first if self.first_post is None else min(self.first_post, first)
        if last is not None:
            self.last_complete = last if self.last_complete is None else max(self.last_complete, last)

    def records_per_s(self) -> float:
        """Records of COMPLETE batches per second, from the first POST to the last COMPLETE seen."""
        if self.first_post is None or self.last_complete is None or self.last_complete <= self.first_post:
            return 0.0
        return self.records_processed / (self.last_complete - self.first_post)

    def expected_on_hand(self, position: str, idempotent: bool) -> int:
        if idempotent:
            return self.bases[position] + sum(self.deltas.get(position, {}).values())
        sends = self.sends.get(position, {})
        return self.bases[position] + sum(qty * sends[d] for d, qty in self.deltas.get(position, {}).items())

    def positions(self) -> list[str]:
        """Every position this ledger wrote to, batch and delta alike (what reconciliation reads back)."""
        found = {state[2] for state in self.quantities.values()}
        found.update(state[2] for states in self.maybe.values() for state in states if state)
        return sorted(found)


@dataclass
class Reconciliation:
    """Every way the target's stored state differs from the ledger."""

    lost_records: list[str] = field(default_factory=list)  # quantity refs the target does not have
    wrong_quantities: list[dict[str, Any]] = field(default_factory=list)  # {ref, expected, actual}
    double_applied: list[dict[str, Any]] = field(default_factory=list)  # {position, deltaId, times}
    lost_deltas: list[dict[str, Any]] = field(default_factory=list)  # {position, deltaId}
    wrong_on_hand: list[dict[str, Any]] = field(default_factory=list)  # {position, expected, actual, replayed}
    never_complete: list[str] = field(default_factory=list)  # "job/batch"
    checked: dict[str, int] = field(default_factory=dict)

    @property
    def exact(self) -> bool:
        return not any(self.counts().values())

    def counts(self) -> dict[str, int]:
        return {
            "lost_records": len(self.lost_records),
            "wrong_quantities": len(self.wrong_quantities),
            "double_applied_deltas": len(self.double_applied),
            "lost_deltas": len(self.lost_deltas),
            "wrong_on_hand": len(self.wrong_on_hand),
            "batches_never_complete": len(self.never_complete),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "exact": self.exact,
            "counts": self.counts(),
            "checked": self.checked,
            "lost_records": sorted(self.lost_records)[:_LISTED],
            "wrong_quantities": self.wrong_quantities[:_LISTED],
            "double_applied_deltas": self.double_applied[:_LISTED],
            "lost_deltas": self.lost_deltas[:_LISTED],
            "wrong_on_hand": self.wrong_on_hand[:_LISTED],
            "batches_never_complete": self.never_complete[:_LISTED],
        }

    def summary(self) -> str:
        if self.exact:
            return f"reconciliation exact: {self.checked}"
        counts = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in self.counts().items() if n)
        return f"reconciliation FAILED: {counts}"


def reconcile(
    ledger: Ledger,
    quantities: dict[str, list[Any]],
    on_hand: dict[str, int | None],
    delta_quantities: dict[str, list[str]],
    incomplete: list[str],
    idempotent: bool = True,
) -> Reconciliation:
    """Compare the ledger with what the target reported.

    ``quantities``: ref -> [qty, status] of the quantities found on the ledger's positions;
    ``on_hand``: delta position -> its onHand (None: no such position);
    ``delta_quantities``: delta position -> the refs of its DELTA quantities;
    ``incomplete``: the acknowledged batches the target never reported COMPLETE.
    """
    result = Reconciliation(never_complete=sorted(incomplete))
    for ref, (qty, status, _position) in ledger.quantities.items():
        actual = quantities.get(ref)
        if actual is None:
            result.lost_records.append(ref)
        elif list(actual[:2]) != [qty, status]:
            result.wrong_quantities.append({"ref": ref, "expected": [qty, status], "actual": list(actual[:2])})
    for ref, states in ledger.maybe.items():
        actual = quantities.get(ref)
        allowed = [list(s[:2]) for s in states if s]
        if not (actual is None and [] in states) and (actual is None or list(actual[:2]) not in allowed):
            result.wrong_quantities.append({"ref": ref, "expected_one_of": allowed, "actual": actual})
    for position in sorted(ledger.bases):
        if position in ledger.uncertain_positions:
            continue
        _check_deltas(ledger, position, on_hand.get(position), delta_quantities.get(position), idempotent, result)
    result.checked = {
        "quantities": len(ledger.quantities) + len(ledger.maybe),
        "delta_positions": len(ledger.bases),
        "deltas": sum(len(d) for d in ledger.deltas.values()),
        "batches": len(ledger.batches),
        "unverifiable_positions": len(ledger.uncertain_positions),
    }
    return result


def _check_deltas(
    ledger: Ledger,
    position: str,
    actual: int | None,
    refs: list[str] | None,
    idempotent: bool,
    result: Reconciliation,
) -> None:
    expected = ledger.expected_on_hand(position, idempotent)
    sends = ledger.sends.get(position, {})
    if actual != expected:
        replayed = sorted(d for d, n in sends.items() if n > 1)
        result.wrong_on_hand.append(
            {"position": position, "expected": expected, "actual": actual, "replayed": replayed[:_LISTED]}
        )
    if refs is None:
        return
    # Which deltaId made each DELTA quantity: a target that names them after the deltaId (as the
    # reference does) lets the report name the very delta that was lost or applied twice.
    applied: dict[str, int] = {}
    for ref in refs:
        for part in ref.split(":"):
            delta_id = part.rstrip("'")
            if delta_id in sends:
                applied[delta_id] = applied.get(delta_id, 0) + 1
                break
    if not applied:
        return  # not named after deltaIds (or deltas accumulate into one quantity): onHand says it all
    for delta_id, times in sorted(applied.items()):
        wanted = sends[delta_id] if not idempotent else 1
        if times > wanted:
            result.double_applied.append({"position": position, "deltaId": delta_id, "times": times})
    for delta_id in sorted(set(sends) - set(applied)):
        result.lost_deltas.append({"position": position, "deltaId": delta_id})
