"""JSON nesting depth: one limit for what the server takes in and what it can write back.

orjson reads 1,024 levels but writes at most 254, so a value stored deeper than an answer can carry
would break every read that includes it (one deep event once made everyone's event search answer 500).
Input deeper than ``ServerConfig.max_json_depth`` is refused; the config keeps that limit plus the
deepest answer envelope within what orjson writes, so anything stored can be answered.
"""

from __future__ import annotations

from typing import Any

import orjson

from invharness.reference_impl.config import ORJSON_MAX_DEPTH

__all__ = ["within_depth"]


def within_depth(value: Any, max_depth: int) -> bool:
    """Whether ``value`` nests at most ``max_depth`` arrays/objects (a scalar is depth 0).

    Measured by orjson itself, in C: the value wrapped in (254 - max_depth) lists serialises only when
    its own depth is at most max_depth. A 16 MB batch body costs one dumps (~20 ms), no Python walk."""
    wrapped = value
    for _ in range(ORJSON_MAX_DEPTH - max_depth):
        wrapped = [wrapped]
    try:
        orjson.dumps(wrapped, default=str)
    except orjson.JSONEncodeError:
        return False
    return True
