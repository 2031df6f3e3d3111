"""The layering rule of the README, enforced: imports flow one way.

contracts imports nothing of ours; generators and reference_impl import only contracts; suites
and loadtests reach a target over HTTP and never import reference_impl. The root conftest.py is
the composition root and the invharness front door delegates to everything: both are exempt.
"""

from __future__ import annotations

import ast
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
OURS = {"contracts", "reference_impl", "generators", "suites", "loadtests", "invharness"}
ALLOWED = {
    "contracts": set(),
    "generators": {"contracts"},
    "reference_impl": {"contracts"},
    "suites": {"contracts", "generators"},
    "loadtests": {"contracts", "generators"},
}


def imported_packages(source: str) -> set[str]:
    """Top-level names of every module a Python source imports (relative imports excluded)."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def violations(root: Path) -> list[str]:
    """Every import under ``root`` that breaks the layering rule, as 'file: imports X'."""
    found = []
    for package, allowed in ALLOWED.items():
        for path in sorted((root / package).rglob("*.py")):
            for name in sorted(imported_packages(path.read_text(encoding="utf-8")) & OURS - {package} - allowed):
                found.append(f"{path.relative_to(root)}: imports {name}")
    return found


def test_the_project_keeps_the_layering_rule():
    assert violations(PROJECT_DIR) == []


def test_the_checker_catches_a_violation(tmp_path):
    for package in ALLOWED:
        (tmp_path / package).mkdir()
    (tmp_path / "suites" / "test_x.py").write_text("import requests\nfrom reference_impl.app import build\n")
    (tmp_path / "contracts" / "x.py").write_text("def f():\n    import generators.world\n")
    (tmp_path / "generators" / "y.py").write_text("from contracts import validator\nfrom . import sibling\n")
    assert violations(tmp_path) == ["contracts/x.py: imports generators", "suites/test_x.py: imports reference_impl"]
