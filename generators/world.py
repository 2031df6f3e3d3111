"""A seeded world: retailers, locations, products, suppliers, manufacturers and the other pools that
inventory is drawn from.

Faker is slow (15-240 µs a call), so it fills the pools once; everything per record is then a
``random.Random`` pick. The same seed gives the same world (for one Faker version).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime

from faker import Faker

__all__ = ["CATEGORIES", "Location", "Manufacturer", "Product", "World", "build_world"]

# category -> (shelf life in days, or 0 for goods that do not expire)
CATEGORIES: dict[str, int] = {
    "Dairy": 21,
    "Bakery": 5,
    "Pharmacy": 730,
    "Beverages": 365,
    "Pantry": 540,
    "Apparel": 0,
    "Footwear": 0,
    "Electronics": 0,
    "Homewares": 0,
    "Toys": 0,
}
_LOCALES = {"AU": "en_AU", "US": "en_US", "GB": "en_GB", "DE": "de_DE", "NZ": "en_NZ"}
COUNTRIES_OF_ORIGIN = ("AU", "CN", "US", "DE", "VN", "IN", "NZ", "IT", "MX", "TH", "BD", "JP")
CHANNELS = ("ONLINE", "STORE", "MARKETPLACE")
CONDITIONS = ("NEW",) * 17 + ("DAMAGED", "REFURBISHED", "USED")


@dataclass(slots=True, frozen=True)
class Location:
    """A store or distribution centre."""

    ref: str
    name: str
    kind: str  # STORE or DC
    city: str
    region: str
    country: str
    retailer_id: int = 1


@dataclass(slots=True, frozen=True)
class Product:
    """A sellable product variant."""

    sku: str
    name: str
    category: str
    shelf_life_days: int


@dataclass(slots=True, frozen=True)
class Manufacturer:
    """A manufacturer and the batch numbers it stamps on its lots."""

    ref: str
    name: str
    batch_numbers: tuple[str, ...]


@dataclass(slots=True, frozen=True)
class World:
    """Everything stock is drawn from; deterministic from ``seed``."""

    seed: int
    as_of: datetime
    retailer_ids: tuple[int, ...]
    products: tuple[Product, ...]
    locations: tuple[Location, ...]
    suppliers: tuple[str, ...]
    manufacturers: tuple[Manufacturer, ...]
    countries: tuple[str, ...] = COUNTRIES_OF_ORIGIN
    channels: tuple[str, ...] = CHANNELS
    conditions: tuple[str, ...] = CONDITIONS

    @property
    def retailer_id(self) -> int:
        """The first retailer (worlds of one retailer are the common case)."""
        return self.retailer_ids[0]

    @property
    def positions(self) -> int:
        return len(self.products) * len(self.locations)

    def position(self, index: int) -> tuple[Product, Location]:
        """The (product, location) of position ``index``: products vary slowest."""
        return self.products[index // len(self.locations)], self.locations[index % len(self.locations)]


def build_world(
    seed: int,
    products: int = 1000,
    locations: int = 50,
    retailer_id: int | tuple[int, ...] = 1,
    as_of: datetime | None = None,
    country: str = "AU",
) -> World:
    """A world of ``products`` x ``locations`` positions; about one location in ten is a DC. With
    several retailers, each location belongs to one of them (in turn), and so do its positions."""
    if products < 1 or locations < 1:
        raise ValueError("a world needs at least one product and one location")
    retailers = (retailer_id,) if isinstance(retailer_id, int) else tuple(retailer_id)
    if not retailers or len(set(retailers)) != len(retailers):
        raise ValueError("a world needs one or more distinct retailer ids")
    rng = random.Random(f"world:{seed}")
    fake = Faker(_LOCALES.get(country, "en_US"))
    fake.seed_instance(seed)
    return World(
        seed=seed,
        as_of=as_of or datetime(2026, 6, 1, tzinfo=UTC),
        retailer_ids=retailers,
        products=tuple(_products(fake, rng, products)),
        locations=tuple(_locations(fake, rng, locations, country, retailers)),
        suppliers=tuple(f"SUP-{rng.randrange(10**5):05d}" for _ in range(max(5, products // 40))),
        manufacturers=tuple(_manufacturers(fake, rng, max(4, products // 60))),
    )


def _products(fake: Faker, rng: random.Random, count: int) -> list[Product]:
    names = [f"{fake.color_name()} {fake.word().title()}" for _ in range(min(count, 500))]
    categories = list(CATEGORIES)
    found = []
    for n in range(count):
        category = categories[rng.randrange(len(categories))]
        found.append(Product(f"SKU-{n:07d}", f"{names[n % len(names)]} {n}", category, CATEGORIES[category]))
    return found


def _locations(fake: Faker, rng: random.Random, count: int, country: str, retailers: tuple[int, ...]) -> list[Location]:
    found = []
    for n in range(count):
        kind = "DC" if n % 10 == 0 else "STORE"
        city = fake.city()
        region = fake.state_abbr() if hasattr(fake, "state_abbr") else fake.city_suffix()
        prefix = "DC" if kind == "DC" else "ST"
        found.append(
            Location(
                f"{prefix}-{region}-{n:04d}",
                f"{city} {'Distribution Centre' if kind == 'DC' else 'Store'}",
                kind,
                city,
                region,
                country,
                retailers[n % len(retailers)],
            )
        )
    rng.shuffle(found)
    return found


def _manufacturers(fake: Faker, rng: random.Random, count: int) -> list[Manufacturer]:
    return [
        Manufacturer(
            f"MAN-{n:04d}",
            fake.company(),
            tuple(f"MBN{n:03d}{rng.randrange(10**6):06d}" for _ in range(rng.randint(3, 12))),
        )
        for n in range(count)
    ]
