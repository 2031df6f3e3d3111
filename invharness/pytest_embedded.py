"""A pytest plugin (entry point ``pytest11``): the embedded reference server as the default target.

``pytest --pyargs invharness.suites`` without ``--target-url`` judges the reference server,
started on a free loopback port (with a local S3 for its feeds) the first time a check asks for
the target, and stopped at the end of the session. It plays the ``declared`` answers of the
``--profile`` given, if any (`invharness serve --profile` does the same for a served one). The
suites cannot start it themselves: they
reach a target over HTTP only and never import reference_impl; this front-door module wires the
two, as the project's conftest.py does for its own tests. A session that runs no check never
starts it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

__all__ = ["embedded_profile", "embedded_target_url"]


@pytest.fixture(scope="session")
def _invharness_embedded(request: pytest.FixtureRequest) -> Iterator[tuple[str, dict[str, Any]]]:
    from invharness.embedded import declared_in, embedded_target  # imported only when a check needs it

    try:
        declared = declared_in(request.config.getoption("invharness_profile", None))
    except (OSError, ValueError) as exc:
        raise pytest.UsageError(f"the embedded reference cannot play --profile: {exc}") from None
    with embedded_target(declared) as target:
        yield target


@pytest.fixture(scope="session")
def embedded_target_url(_invharness_embedded: tuple[str, dict[str, Any]]) -> str:
    """The base URL of the embedded reference server (the target when --target-url is not given)."""
    return _invharness_embedded[0]


@pytest.fixture(scope="session")
def embedded_profile(_invharness_embedded: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    """What the embedded server declares beyond the reference's defaults (its S3, clock control)."""
    return _invharness_embedded[1]
