"""The layering rule of the README, enforced: imports flow one way.

contracts imports nothing of ours; generators and reference_impl import only contracts; suites
and loadtests reach a target over HTTP and never import reference_impl. The root conftest.py is
the composition root and the invharness front door delegates to everything: both are exempt.

Every package is installed under ``invharness`` (``contracts/`` is ``invharness.contracts``), so
an import by its bare directory name is a violation too: it would not exist in the wheel. Our
tests and benchmarks count as ours: the product never imports them.
"""

from __future__ import annotations

import ast
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
SUBPACKAGES = {"contracts", "reference_impl", "generators", "suites", "loadtests"}
NOT_INSTALLED = {"tests", "bench"}
ALLOWED = {
    "contracts": set(),
    "generators": {"contracts"},
    "reference_impl": {"contracts"},
    "suites": {"contracts", "generators"},
    "loadtests": {"contracts", "generators"},
}


def _ours(module: str) -> str | None:
    """Which of our packages a dotted module name is (``invharness`` for the front door itself);
    ``bare:X`` for one of our packages imported by its directory name."""
    parts = module.split(".")
    if parts[0] == "invharness":
        return parts[1] if len(parts) > 1 and parts[1] in SUBPACKAGES else "invharness"
    if parts[0] in SUBPACKAGES:
        return f"bare:{parts[0]}"
    return parts[0] if parts[0] in NOT_INSTALLED else None


def imported_packages(source: str) -> set[str]:
    """Our packages a Python source imports (relative imports excluded)."""
    modules: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules += [f"{node.module}.{alias.name}" for alias in node.names] if node.module == "invharness" else [
                node.module
            ]
    return {name for name in map(_ours, modules) if name is not None}


def violations(root: Path) -> list[str]:
    """Every import under ``root`` that breaks the layering rule, as 'file: imports X'."""
    found = []
    for package, allowed in ALLOWED.items():
        for path in sorted((root / package).rglob("*.py")):
            for name in sorted(imported_packages(path.read_text(encoding="utf-8")) - {package} - allowed):
                found.append(f"{path.relative_to(root)}: imports {name}")
    return found


def test_the_project_keeps_the_layering_rule():
    assert violations(PROJECT_DIR) == []


def test_the_checker_catches_a_violation(tmp_path):
    for package in ALLOWED:
        (tmp_path / package).mkdir()
    (tmp_path / "suites" / "test_x.py").write_text(
        "import requests\nfrom invharness.reference_impl.app import build\nfrom tests.support import Api\n"
    )
    (tmp_path / "contracts" / "x.py").write_text("def f():\n    from invharness import generators\n")
    (tmp_path / "generators" / "y.py").write_text(
        "from invharness.contracts import validator\nfrom . import sibling\nimport contracts\n"
    )
    assert violations(tmp_path) == [
        "contracts/x.py: imports generators",
        "generators/y.py: imports bare:contracts",
        "suites/test_x.py: imports reference_impl",
        "suites/test_x.py: imports tests",
    ]
