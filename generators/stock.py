"""Segmented stock for positions of a World: batch records and the transient quantities beside them.

Per position: one to ``depth`` LAST_ON_HAND segments (by country of origin, manufacturer batch and
expiry), sometimes an ON_ORDER tree (a PURCHASE_ORDER parent and an IN_TRANSIT child linked by
parentRef), and sometimes transient quantities (RESERVED, SALE, CORRECTION) that a workflow, not
a batch, would have made. Quantities follow a long tail with stock-outs. Dates agree: a lot
expires after it was made and after ``as_of``; ON_ORDER stock is expected in the future.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from invharness.generators.world import Location, Product, World

__all__ = ["PositionStock", "max_records_per_position", "stock_for"]

_DAY = timedelta(days=1)


def max_records_per_position(depth: int) -> int:
    """The most batch records one position can have: its segments and a two-level ON_ORDER tree."""
    return depth + 2


@dataclass(slots=True)
class PositionStock:
    """The stock of one position: records a batch would carry, and transients beside them."""

    product: Product
    location: Location
    records: list[dict[str, Any]] = field(default_factory=list)
    transients: list[dict[str, Any]] = field(default_factory=list)

    @property
    def position_ref(self) -> str:
        return f"{self.product.sku}:{self.location.ref}:DEFAULT"

    def on_hand(self) -> int:
        """LAST_ON_HAND plus the ACTIVE transients (SPEC §6.4)."""
        loh = sum(r["qty"] for r in self.records if r.get("type", "LAST_ON_HAND") == "LAST_ON_HAND")
        return loh + sum(t["qty"] for t in self.transients if t["status"] == "ACTIVE")


def _iso(moment: Any) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


_DAYS: dict[Any, list[str]] = {}
_SPAN = 1000  # days either side of as_of that dates may fall on


def _days(world: World) -> list[str]:
    """ISO dates of as_of - _SPAN .. as_of + _SPAN days: strftime per record would cost more than the rest."""
    found = _DAYS.get(world.as_of)
    if found is None:
        found = _DAYS[world.as_of] = [_iso(world.as_of + (d - _SPAN) * _DAY) for d in range(2 * _SPAN + 1)]
    return found


def _quantity(rng: random.Random, dc: bool) -> int:
    """A long tail (Pareto): about one in eight is a stock-out; a few are very large."""
    u = rng.random()
    if u < 0.12:
        return 0
    scale = 40 if dc else 3
    return min(int(scale / ((u - 0.12) / 0.88 + 1e-9) ** (1 / 1.4)), 50_000)


def stock_for(world: World, index: int, rng: random.Random, depth: int) -> PositionStock:
    """The stock of position ``index``, drawn from ``rng`` (the caller seeds it)."""
    product, location = world.position(index)
    stock = PositionStock(product, location)
    dc = location.kind == "DC"
    sku, loc = product.sku, location.ref
    base = f"{sku}:{loc}:DEFAULT"
    days = _days(world)
    pick = rng.random
    countries, suppliers, makers = world.countries, world.suppliers, world.manufacturers
    shelf = product.shelf_life_days
    segments = 1 if depth <= 1 else 1 + int(pick() * depth)
    for n in range(1, segments + 1):
        maker = makers[int(pick() * len(makers))]
        attributes: dict[str, Any] = {
            "countryOfOrigin": countries[int(pick() * len(countries))],
            "supplier": suppliers[int(pick() * len(suppliers))],
            "manufacturer": maker.ref,
            "manufacturerBatchNumber": maker.batch_numbers[int(pick() * len(maker.batch_numbers))],
        }
        if shelf:
            # made up to half its shelf life ago, so it expires after as_of
            made_days_ago = int(pick() * (shelf // 2 + 1))
            attributes["expiresOn"] = days[_SPAN + min(shelf - made_days_ago, _SPAN)]
        condition = world.conditions[int(pick() * len(world.conditions))]
        if condition != "NEW":
            attributes["condition"] = condition
        if pick() < 0.1:
            attributes["channel"] = world.channels[int(pick() * len(world.channels))]
        record: dict[str, Any] = {
            "retailerId": location.retailer_id,
            "skuRef": sku,
            "locationRef": loc,
            "qty": _quantity(rng, dc),
            "status": "ACTIVE",
            "attributes": attributes,
        }
        if segments > 1:
            record["ref"] = f"{base}:LAST_ON_HAND:{n}"
        stock.records.append(record)
    if rng.random() < (0.3 if dc else 0.05):
        _on_order_tree(world, rng, stock, base)
    if rng.random() < 0.1:
        _transients(rng, stock, base)
    return stock


def _on_order_tree(world: World, rng: random.Random, stock: PositionStock, base: str) -> None:
    ordered = rng.randint(20, 2000)
    expected_in = rng.randint(10, 60)
    days = _days(world)
    parent_ref = f"{base}:ON_ORDER:1"
    common = {
        "retailerId": stock.location.retailer_id,
        "skuRef": stock.product.sku,
        "locationRef": stock.location.ref,
        "type": "ON_ORDER",
        "status": "ACTIVE",
    }
    stock.records.append(
        {
            **common,
            "ref": parent_ref,
            "qty": ordered,
            "attributes": {
                "associationType": "PURCHASE_ORDER",
                "associationRef": f"PO-{rng.randrange(10**8):08d}",
                "expectedOn": days[_SPAN + expected_in],
                "supplier": world.suppliers[rng.randrange(len(world.suppliers))],
            },
        }
    )
    if rng.random() < 0.6:
        stock.records.append(
            {
                **common,
                "ref": f"{base}:ON_ORDER:2",
                "qty": rng.randint(1, ordered),
                "attributes": {
                    "parentRef": parent_ref,
                    "associationType": "IN_TRANSIT",
                    "associationRef": f"IT-{rng.randrange(10**8):08d}",
                    "expectedOn": days[_SPAN + expected_in - rng.randint(1, 9)],
                },
            }
        )


def _transients(rng: random.Random, stock: PositionStock, base: str) -> None:
    available = max(sum(r["qty"] for r in stock.records if "type" not in r), 0)
    if available == 0:
        return
    reserved = rng.randint(1, max(1, available // 4))
    stock.transients.append(
        {"ref": f"{base}:RESERVED:{rng.randrange(10**6)}", "type": "RESERVED", "status": "ACTIVE", "qty": -reserved}
    )
    if rng.random() < 0.5:
        picked = rng.randint(1, reserved)
        stock.transients.append(
            {"ref": f"{base}:SALE:{rng.randrange(10**6)}", "type": "SALE", "status": "ACTIVE", "qty": -picked}
        )
        if picked < reserved and rng.random() < 0.5:
            stock.transients.append(
                {
                    "ref": f"{base}:CORRECTION:{rng.randrange(10**6)}",
                    "type": "CORRECTION",
                    "status": "ACTIVE",
                    "qty": -(reserved - picked),
                }
            )
