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


# The stores every test of a reference server runs against. CI time is tight: on SQLite only the files
# below run in the normal run (the store-heavy ones); the rest run there with `-m sqlite`.
STORES = ("memory", "sqlite")
SQLITE_IN_NORMAL_RUN = frozenset(
    {
        "test_scenarios_bpp.py",
        "test_scenarios_events.py",
        "test_scenarios_inventory.py",
        "test_scenarios_jobs.py",
        "test_scenarios_auth.py",
        "test_sqlite_store.py",
    }
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        callspec = getattr(item, "callspec", None)
        on_sqlite = callspec is not None and callspec.params.get("store") == "sqlite"
        if on_sqlite and item.path.name not in SQLITE_IN_NORMAL_RUN:
            item.add_marker(pytest.mark.sqlite)


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest) -> str:
    """Which store the reference server keeps its state in."""
    return request.param


@pytest.fixture
def server_config(store: str, local_s3: LocalS3, tmp_path: Path) -> ServerConfig:
    """No processing window; feeds write to the local S3 and run only when a test says so (or the clock
    passes an hour); state in memory or in SQLite files under the test's tmp_path."""
    return ServerConfig(
        processing_window_s=0,
        s3_endpoint=local_s3.url,
        feed_interval_s=3600,
        data_dir=str(tmp_path / "data") if store == "sqlite" else None,
    )


@pytest.fixture
def server(clock: ManualClock, server_config: ServerConfig):
    """A fresh reference server (own state) with a clock the test can move."""
    with EmbeddedServer(server_config, clock=clock) as running:
        yield running


@pytest.fixture
def api(server: EmbeddedServer) -> Api:
    return Api(server)
