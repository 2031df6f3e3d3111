"""Fixtures shared by our own tests (tests/ checks the code; suites/ is the product)."""

from __future__ import annotations

from pathlib import Path

import pytest

from invharness.reference_impl.clock import ManualClock
from invharness.reference_impl.config import ServerConfig
from invharness.reference_impl.local_s3 import LocalS3
from invharness.reference_impl.server import EmbeddedServer
from tests.support import Api

PROJECT_DIR = Path(__file__).resolve().parent.parent
SHARED_DIR = PROJECT_DIR.parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """../shared beside the project (SPEC.md, seeds, third-party operations); CI always has it."""
    if not (SHARED_DIR / "SPEC.md").is_file():
        pytest.skip(f"{SHARED_DIR} is not beside the project")
    return SHARED_DIR


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture(scope="session")
def local_s3():
    """moto's S3 on loopback, for feeds; tests use their own bucket names."""
    with LocalS3() as s3:
        yield s3


@pytest.fixture
def server(clock: ManualClock, local_s3: LocalS3):
    """A fresh reference server (own state) with a clock the test can move; no processing window;
    feeds write to the local S3 and run only when a test says so (or the clock passes an hour)."""
    config = ServerConfig(processing_window_s=0, s3_endpoint=local_s3.url, feed_interval_s=3600)
    with EmbeddedServer(config, clock=clock) as running:
        yield running


@pytest.fixture
def api(server: EmbeddedServer) -> Api:
    return Api(server)
