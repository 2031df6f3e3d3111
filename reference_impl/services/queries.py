"""The filter every listing shares: exact match of an attribute against a list of accepted values."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["keep"]


def keep(items: Iterable[Any], **filters: Any) -> list[Any]:
    """Items whose attribute equals one of the listed values, for every filter given (None: no filter)."""
    chosen = [(name, set(values)) for name, values in filters.items() if values is not None]
    return [i for i in items if all(getattr(i, name) in values for name, values in chosen)]
