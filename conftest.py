"""The composition root: the one place that wires reference_impl into the suites.

suites/ judges any target over HTTP; when no --target-url is given, the target is the reference
server, started in-process on a free loopback port for the whole session (with a local S3 for its
feeds) together with the profile that describes it: invharness.embedded holds both.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

pytest_plugins = ["invharness.suites.plugin"]


@pytest.fixture(scope="session")
def _embedded() -> Iterator[tuple[str, dict[str, Any]]]:
    from invharness.embedded import embedded_target

    with embedded_target() as target:
        yield target


@pytest.fixture(scope="session")
def embedded_target_url(_embedded: tuple[str, dict[str, Any]]) -> str:
    return _embedded[0]


@pytest.fixture(scope="session")
def embedded_profile(_embedded: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    return _embedded[1]
