"""The embedded default target: the reference server with a local S3 and clock control, and the
profile that describes it. Used by `invharness verify` with no target and by the root conftest."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

__all__ = ["FEED_INTERVAL_S", "embedded_target"]

FEED_INTERVAL_S = 2


@contextlib.contextmanager
def embedded_target(data_dir: str | None = None) -> Iterator[tuple[str, dict[str, Any]]]:
    """(base URL, profile overrides) of a reference server running for the duration of the block;
    its state in SQLite under ``data_dir`` when given, else in memory."""
    from invharness.reference_impl.config import AccountConfig, ServerConfig
    from invharness.reference_impl.local_s3 import LocalS3
    from invharness.reference_impl.server import EmbeddedServer

    with LocalS3() as s3:
        # retailer 3 is the profile's account_only retailer: no check gives it a RETAILER setting
        account = AccountConfig(retailers=(1, 2, 3))
        config = ServerConfig(
            account=account,
            s3_endpoint=s3.url,
            feed_interval_s=FEED_INTERVAL_S,
            clock_control=True,
            data_dir=data_dir,
        )
        with EmbeddedServer(config) as server:
            yield (
                server.url,
                {
                    "s3": {"endpoint": s3.url},
                    "retailers": {"account_only": 3},
                    "features": {"clock_control": True},
                    "declared": {"feed.default_interval_s": FEED_INTERVAL_S},
                },
            )
