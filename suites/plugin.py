"""The suites' pytest plugin: which target to judge.

``--target-url URL`` names any implementation of the contract; without it the composition root
(the project's conftest.py) supplies ``embedded_target_url``, the reference server started
in-process on a loopback port. Nothing here imports reference_impl.
"""

from __future__ import annotations

import pytest

__all__ = ["pytest_addoption", "target_url"]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("invharness", "invharness conformance target")
    group.addoption(
        "--target-url",
        default=None,
        metavar="URL",
        help="base URL of the implementation to judge (default: the embedded reference server)",
    )


@pytest.fixture(scope="session")
def target_url(request: pytest.FixtureRequest) -> str:
    """The base URL of the target, without a trailing slash."""
    given = request.config.getoption("--target-url")
    if given:
        return str(given).rstrip("/")
    return request.getfixturevalue("embedded_target_url")
