"""The layering rule of the README, enforced: imports flow one way.

contracts imports nothing of ours; generators and reference_impl import only contracts; suites
and loadtests reach a target over HTTP and never import reference_impl. The root conftest.py is
the composition root and the invharness front door delegates to everything: both are exempt.

Inside reference_impl the layers flow one way too: transport -> services -> stores. A transport module
never imports a store module, a service never imports transport, a store imports neither. The kernel
modules (config, clock, errors, vocabulary, local_s3) are open to every layer; the composition root
(backend.py, which builds the stores and services) and the entry point (server.py, __main__.py) are
exempt, like conftest.py is for the packages.

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
            modules += (
                [f"{node.module}.{alias.name}" for alias in node.names]
                if node.module == "invharness"
                else [node.module]
            )
    return {name for name in map(_ours, modules) if name is not None}


def violations(root: Path) -> list[str]:
    """Every import under ``root`` that breaks the layering rule, as 'file: imports X'."""
    found = []
    for package, allowed in ALLOWED.items():
        for path in sorted((root / package).rglob("*.py")):
            for name in sorted(imported_packages(path.read_text(encoding="utf-8")) - {package} - allowed):
                found.append(f"{path.relative_to(root)}: imports {name}")
    return found


# reference_impl's layers: what each may import of reference_impl (kernel modules are open to all).
LAYERS = {
    "transport": {"transport", "services", "root"},
    "services": {"services", "stores"},
    "stores": {"stores"},
}
KERNEL = {"config", "clock", "errors", "vocabulary", "local_s3"}
ROOT = {"backend", "server", "__main__", "__init__"}


def _layer(module: str) -> str | None:
    """The layer of a reference_impl module (dotted name below reference_impl), or None for the kernel."""
    head = module.split(".")[0]
    if head in LAYERS:
        return head
    if head in KERNEL:
        return None
    if head in ROOT:
        return "root"
    return f"unlayered:{head}"


def reference_modules(source: str, package: str) -> set[str]:
    """The modules of reference_impl a source imports, as dotted names below reference_impl (relative
    imports resolved against ``package``, the importing file's package below reference_impl)."""
    prefix = "invharness.reference_impl"
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(a.name.removeprefix(prefix + ".") for a in node.names if a.name.startswith(prefix + "."))
        elif isinstance(node, ast.ImportFrom) and node.level:
            parts = package.split(".") if package else []
            base = [*parts[: len(parts) - node.level + 1], *(node.module or "").split(".")]
            found.update(".".join(p for p in [*base, a.name] if p) for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module == prefix:
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(prefix + "."):
            found.add(node.module.removeprefix(prefix + "."))
    return found


def layer_violations(root: Path) -> list[str]:
    """Every import inside reference_impl that breaks transport -> services -> stores."""
    found = []
    for path in sorted((root / "reference_impl").rglob("*.py")):
        relative = path.relative_to(root / "reference_impl")
        own = _layer(".".join(relative.with_suffix("").parts))
        if own is None or own == "root":
            continue
        if own.startswith("unlayered:"):
            found.append(f"reference_impl/{relative}: in no layer")
            continue
        package = ".".join(relative.parent.parts)
        for module in sorted(reference_modules(path.read_text(encoding="utf-8"), package)):
            layer = _layer(module)
            if layer is not None and layer not in LAYERS[own]:
                found.append(f"reference_impl/{relative}: {own} imports {layer} ({module})")
    return found


def test_the_project_keeps_the_layering_rule():
    assert violations(PROJECT_DIR) == []


def test_reference_impl_keeps_transport_services_stores():
    assert layer_violations(PROJECT_DIR) == []


def test_the_layer_checker_catches_a_violation(tmp_path):
    for folder in ("transport/graphql", "services", "stores"):
        (tmp_path / "reference_impl" / folder).mkdir(parents=True)
    (tmp_path / "reference_impl" / "transport" / "graphql" / "x.py").write_text(
        "from invharness.reference_impl.stores.inventory import Quantity\n"
        "from invharness.reference_impl.services import access\n"
        "from invharness.reference_impl import vocabulary\n"
    )
    (tmp_path / "reference_impl" / "transport" / "y.py").write_text("from ..stores import jobs\n")
    (tmp_path / "reference_impl" / "stores" / "z.py").write_text(
        "import invharness.reference_impl.services.settings\nfrom . import inventory\n"
    )
    (tmp_path / "reference_impl" / "services" / "w.py").write_text(
        "from invharness.reference_impl.transport.http_api import routes\n"
        "from invharness.reference_impl import backend\n"
    )
    (tmp_path / "reference_impl" / "helpers.py").write_text("")
    assert layer_violations(tmp_path) == [
        "reference_impl/helpers.py: in no layer",
        "reference_impl/services/w.py: services imports root (backend)",
        "reference_impl/services/w.py: services imports transport (transport.http_api)",
        "reference_impl/stores/z.py: stores imports services (services.settings)",
        "reference_impl/transport/graphql/x.py: transport imports stores (stores.inventory)",
        "reference_impl/transport/y.py: transport imports stores (stores.jobs)",
    ]


def test_the_checker_catches_a_violation(tmp_path):
    for package in ALLOWED:
        (tmp_path / package).mkdir()
    (tmp_path / "suites" / "test_x.py").write_text(
        "import requests\nfrom invharness.reference_impl.transport.app import build\nfrom tests.support import Api\n"
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
