"""Fixtures shared by our own tests (tests/ checks the code; suites/ is the product)."""

from __future__ import annotations

from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parent.parent
SHARED_DIR = PROJECT_DIR.parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """../shared beside the project (SPEC.md, seeds, third-party operations); CI always has it."""
    if not (SHARED_DIR / "SPEC.md").is_file():
        pytest.skip(f"{SHARED_DIR} is not beside the project")
    return SHARED_DIR
