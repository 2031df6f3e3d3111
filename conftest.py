"""The composition root: the one place that wires reference_impl into the suites.

suites/ judges any target over HTTP; when no --target-url is given, the target is the reference
server, started here in-process on a free loopback port for the whole session.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

pytest_plugins = ["suites.plugin"]


@pytest.fixture(scope="session")
def embedded_target_url() -> Iterator[str]:
    from reference_impl.server import EmbeddedServer

    with EmbeddedServer() as server:
        yield server.url
