"""The reference server with faults a load run must catch: run as its own process.

    python tests/loadtests/faulty_server.py --faults lose,double --port 8080

- lose: of each batch's records that change something, every 1,000th is silently dropped (no
  write, no error, the batch COMPLETE);
- double: a replayed deltaId is applied again (the idempotence of decision 20 is broken).
"""

from __future__ import annotations

import argparse
import collections
import sys
from typing import Any

from invharness.reference_impl import server
from invharness.reference_impl.services import events, preprocessing
from invharness.reference_impl.vocabulary import position_ref

LOSE_EVERY = 1000


def lose_records() -> None:
    """Of each batch's records that change what is stored, every 1,000th is not written."""
    original = preprocessing._write_chunk
    changes: collections.Counter[str] = collections.Counter()

    def lossy(records: list[tuple], writer: Any, inventory: Any, *args: Any) -> None:
        kept = []
        batch = writer.batch
        for record in records:  # (index, sku, location, position ref, ref, type, qty, status, ...)
            position_ref_, qty, status = record[3], record[6], record[7]
            ref = record[4] or f"{position_ref_}:{record[5]}"
            position = inventory.find_position(writer.catalogue.ref, position_ref_)
            stored = position.quantities.get(ref) if position is not None else None
            if stored is None or (stored.quantity, stored.status) != (qty, status or stored.status):
                changes[batch.id] += 1
                if changes[batch.id] % LOSE_EVERY == 0:
                    continue
            kept.append(record)
        original(kept, writer, inventory, *args)

    preprocessing._write_chunk = lossy


def apply_replays_twice() -> None:
    original = events.apply_deltas

    def forgetful(inventory: Any, catalogue_ref: str, deltas: list[dict[str, Any]], now: float, **played: Any) -> Any:
        for delta in deltas:
            position = inventory.find_position(
                catalogue_ref, position_ref(delta["productRef"], delta["locationRef"], catalogue_ref)
            )
            if position is not None and position.delta_ids:
                position.delta_ids.discard(delta.get("deltaId"))
        return original(inventory, catalogue_ref, deltas, now, **played)

    events.apply_deltas = forgetful


FAULTS = {"lose": lose_records, "double": apply_replays_twice}

if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--faults", default="lose,double")
    known, rest = parser.parse_known_args()
    for fault in known.faults.split(","):
        FAULTS[fault]()
    sys.exit(server.main(rest))
