"""The inventory vocabulary every layer shares: statuses, quantity types, segment fields and how refs
are built. Pure names and functions, no state."""

from __future__ import annotations

import re

from invharness import contracts

__all__ = [
    "ACTIVE",
    "CREATED",
    "INACTIVE",
    "LAST_ON_HAND",
    "LOH_DEACTIVATES",
    "ONHAND_TYPES",
    "OUT_OF_STOCK",
    "SEGMENT_FIELDS",
    "base_catalogue_ref",
    "catalogue_type",
    "default_catalogue_ref",
    "feed_object_key",
    "position_ref",
]

ACTIVE = "ACTIVE"
INACTIVE = "INACTIVE"
CREATED = "CREATED"
OUT_OF_STOCK = "OUT_OF_STOCK"
LAST_ON_HAND = "LAST_ON_HAND"
ONHAND_TYPES = frozenset({LAST_ON_HAND, "RESERVED", "SALE", "CORRECTION", "DELTA"})
# What a LAST_ON_HAND record deactivates: the stock count it carries already reflects them.
LOH_DEACTIVATES = frozenset({"SALE", "CORRECTION", "DELTA"})
SEGMENT_FIELDS = (
    "condition",
    "expectedOn",
    "expiresOn",
    "storageAreaRef",
    "countryOfOrigin",
    "channel",
    "supplier",
    "manufacturer",
    "manufacturerBatchNumber",
    "associationType",
    "associationRef",
    "segment1",
    "segment2",
    "segment3",
)


def catalogue_type(catalogue_ref: str) -> str:
    """The part of a catalogue ref before the first colon (decision 8): DEFAULT:1 -> DEFAULT."""
    return catalogue_ref.split(":", 1)[0]


def default_catalogue_ref(retailer_id: int) -> str:
    return f"DEFAULT:{retailer_id}"


def base_catalogue_ref(retailer_id: int) -> str:
    return f"BASE:{retailer_id}"


def position_ref(product_ref: str, location_ref: str, catalogue_ref: str) -> str:
    """<productRef>:<locationRef>:<catalogueType>, e.g. SKU1:LOC1:DEFAULT. The contract refuses a product
    or location ref with a colon (decision D-REF-CHARS), so no two (product, location) pairs share a ref:
    ("COL:A", "B") and ("COL", "A:B") would both be COL:A:B:DEFAULT."""
    return f"{product_ref}:{location_ref}:{catalogue_type(catalogue_ref)}"


# The contract's one definition of a ref that may be an object key segment (decision D-REF-CHARS).
_KEY_SEGMENT = re.compile(contracts.schema("common")["$defs"]["objectKeyRef"]["pattern"])


def feed_object_key(feed_ref: str, run_ref: str) -> str:
    """<feedRef>/<runRef>.parquet (decision 25). Both refs are single, safe key segments: a ref with a /,
    a .. or a NUL would name another object (or, on a file-backed S3, another file); ValueError then."""
    for ref in (feed_ref, run_ref):
        if _KEY_SEGMENT.fullmatch(ref) is None:
            raise ValueError(f"{ref[:60]!r} is not a safe object key segment")
    return f"{feed_ref}/{run_ref}.parquet"
