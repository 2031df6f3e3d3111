"""The wheel a stranger installs: one top-level package, every data file inside, and the command
working from a fresh virtualenv (not from this source tree).

The virtualenv sees the system site-packages, so the heavy dependencies need not be downloaded;
the wheel is installed with --ignore-installed so it, and not an editable install of this tree
that the base interpreter may carry, is what runs. Every command runs from an empty directory.
"""

import json
import os
import shutil
import subprocess
import sys
import tomllib
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PACKAGE_DIRS: dict[str, str] = PYPROJECT["tool"]["setuptools"]["package-dir"]
VERSION = PYPROJECT["project"]["version"]


def _run(command: list[str], cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    # no PYTHONPATH or editable leftovers of ours may leak into the stranger's environment
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PYTEST", "VIRTUAL_ENV"))}
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)


def _source_copy(target: Path) -> Path:
    """What a checkout holds, without build/ and egg-info leftovers (setuptools reuses build/lib,
    so a wheel built in place could carry a module deleted since)."""
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, target / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for directory in set(PACKAGE_DIRS.values()):
        shutil.copytree(ROOT / directory, target / directory, ignore=ignore)
    return target


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    source = _source_copy(tmp_path_factory.mktemp("source"))
    out = tmp_path_factory.mktemp("wheelhouse")
    built = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(out), "."], source)
    assert built.returncode == 0, built.stdout + built.stderr
    (path,) = out.glob("invharness-*.whl")
    return path


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """The bin/ directory of a fresh virtualenv holding the wheel."""
    env = tmp_path_factory.mktemp("venv")
    venv.EnvBuilder(system_site_packages=True, with_pip=False, symlinks=True).create(env)
    python = env / "bin" / "python"
    install = _run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "-q",
            "--no-deps",
            "--ignore-installed",
            str(wheel),
        ],
        env,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    return env / "bin"


def test_the_wheel_installs_one_package_and_every_data_file(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert {n.split("/")[0] for n in names} == {"invharness", f"invharness-{VERSION}.dist-info"}
    # every file of every package directory except the bytecode is in the wheel, under its installed name
    expected = {
        "/".join((package.replace(".", "/"), *path.relative_to(ROOT / directory).parts))
        for package, directory in PACKAGE_DIRS.items()
        for path in (ROOT / directory).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }
    missing = expected - set(names)
    assert not missing, f"not in the wheel: {sorted(missing)}"
    for data in (
        "invharness/contracts/clauses.yaml",
        "invharness/contracts/openapi.yaml",
        "invharness/contracts/schema.graphql",
        "invharness/contracts/schemas/batch-create-request.schema.json",
        "invharness/suites/profile.schema.json",
    ):
        assert data in names
    entry_points = zipfile.ZipFile(wheel).read(f"invharness-{VERSION}.dist-info/entry_points.txt").decode()
    assert "invharness = invharness.cli:entry" in entry_points


def test_the_installed_wheel_runs_verify_and_generate(installed, tmp_path):
    where = _run(
        [
            str(installed / "python"),
            "-c",
            "import json, invharness, invharness.contracts, invharness.suites;"
            "print(json.dumps([invharness.__file__, invharness.contracts.__file__, invharness.suites.__file__]))",
        ],
        tmp_path,
    )
    assert where.returncode == 0, where.stderr
    venv_root = installed.parent.resolve()
    for module_file in json.loads(where.stdout):
        assert Path(module_file).resolve().is_relative_to(venv_root), f"{module_file} is not the installed wheel"

    verify = _run([str(installed / "invharness"), "verify", "--group", "auth", "--report-dir", "report"], tmp_path)
    # one group judged, all passing: the rest of the catalogue is not selected, so INCOMPLETE (exit 4)
    assert verify.returncode == 4, verify.stdout + verify.stderr
    results = json.loads((tmp_path / "report" / "results.json").read_text())
    assert results["outcome"] == "INCOMPLETE" and results["summary"]["failed_must"] == []
    auth = [c for c in results["clauses"] if c["group"] == "auth"]
    assert auth and all(c["verdict"] == "pass" for c in auth)

    out = tmp_path / "data"
    generate = _run(
        [str(installed / "invharness"), "generate", "--out", str(out), "--products", "5", "--locations", "4"], tmp_path
    )
    assert generate.returncode == 0, generate.stdout + generate.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"]["positions"] == 20 and manifest["counts"]["records"] > 0
    assert all((out / relative).is_file() for relative in manifest["files"])
