"""Every clause of the catalogue is proved by at least one check of the suites."""

import importlib
import inspect
import pkgutil

from _pytest.mark.structures import ParameterSet

from invharness import contracts, suites


def clauses_cited(module):
    """Clause IDs cited by the checks of a module: on functions, and on parametrized cases."""
    cited = {}
    for name, function in inspect.getmembers(module, inspect.isfunction):
        if not name.startswith("test_"):
            continue
        for mark in getattr(function, "pytestmark", []):
            if mark.name == "clause":
                cited.setdefault(name, set()).update(mark.args)
            elif mark.name == "parametrize":
                for value in mark.args[1]:
                    if isinstance(value, ParameterSet):
                        for inner in value.marks:
                            if inner.name == "clause":
                                cited.setdefault(name, set()).update(inner.args)
    return cited


def suite_modules():
    return [
        importlib.import_module(f"invharness.suites.{m.name}")
        for m in pkgutil.iter_modules(suites.__path__)
        if m.name.startswith("test_")
    ]


def test_every_clause_has_a_check():
    cited = set()
    for module in suite_modules():
        for ids in clauses_cited(module).values():
            cited |= ids
    missing = {c.id for c in contracts.clauses()} - cited
    assert missing == set()


def test_every_check_cites_a_clause_that_exists():
    known = {c.id for c in contracts.clauses()}
    for module in suite_modules():
        for name, _function in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("test_"):
                ids = clauses_cited(module).get(name, set())
                assert ids, f"{module.__name__}.{name} cites no clause"
                assert ids <= known, f"{module.__name__}.{name} cites {ids - known}"


def test_the_checker_sees_parametrized_clauses():
    module = importlib.import_module("invharness.suites.test_bpp_precedence")
    assert {"BPP-PREC-01", "BPP-PREC-08"} <= clauses_cited(module)[
        "test_effective_setting_and_job_meta"
    ] | clauses_cited(module)["test_retailer_setting_overrides_the_account"]
