"""The embedded default target: the reference server with a local S3 and clock control, and the
profile that describes it. Used by `invharness verify` with no target and by the root conftest.

Given a profile's ``declared`` answers, the server plays them (ServerConfig.behaviours), so a profile
judged against the embedded target describes the server it runs against."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["FEED_INTERVAL_S", "declared_in", "embedded_target"]

FEED_INTERVAL_S = 2


def declared_in(profile: str | Path | None) -> dict[str, Any]:
    """The ``declared`` answers of a profile file (none: {}); ValueError on one the server cannot play."""
    from invharness.reference_impl.config import behaviours_from_profile

    return {} if profile is None else behaviours_from_profile(profile)


@contextlib.contextmanager
def embedded_target(
    declared: dict[str, Any] | None = None, data_dir: str | None = None
) -> Iterator[tuple[str, dict[str, Any]]]:
    """(base URL, profile overrides) of a reference server playing ``declared`` (profile key -> value;
    ValueError on one it cannot play), running for the duration of the block; its state in SQLite under
    ``data_dir`` when given, else in memory."""
    from invharness.reference_impl.config import AccountConfig, ServerConfig
    from invharness.reference_impl.local_s3 import LocalS3
    from invharness.reference_impl.server import EmbeddedServer

    declared = {"feed.default_interval_s": FEED_INTERVAL_S, **(declared or {})}
    with LocalS3() as s3:
        # retailer 3 is the profile's account_only retailer: no check gives it a RETAILER setting
        account = AccountConfig(retailers=(1, 2, 3))
        config = ServerConfig(
            account=account, s3_endpoint=s3.url, clock_control=True, data_dir=data_dir
        ).declaring(declared)
        with EmbeddedServer(config) as server:
            yield (
                server.url,
                {
                    "s3": {"endpoint": s3.url},
                    "retailers": {"account_only": 3},
                    "features": {"clock_control": True},
                    "declared": declared,
                },
            )
