"""The suites' pytest plugin: the target, its profile, clause markers, verdicts and reports.

``--target-url URL`` names any implementation of the contract; without it the composition root
(the project's conftest.py, or `invharness verify`) supplies the embedded reference server. Each
check carries ``@pytest.mark.clause("ID", ...)`` and ends with a verdict:

pass; fail; deviation (failed, but the profile declares a deviation that has not expired);
unsupported (needs a feature the profile declares off); skipped (a prerequisite failed, e.g. no
token: no cascade of failures); error (the harness or the network failed).

Nothing here imports reference_impl.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from schemathesis.checks import FailureGroup

from invharness import contracts
from invharness.suites.client import HarnessError, PrerequisiteFailed, TargetClient
from invharness.suites.profile import ProfileError, TargetProfile, load_profile
from invharness.suites.report import VERDICT_KEY, write_reports

__all__ = ["RUN_KEY"]

RUN_KEY = pytest.StashKey[dict[str, Any]]()
_RECORDS: list[dict[str, Any]] = []  # verdicts of this process's session (the controller's, under xdist)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("invharness", "invharness conformance target")
    group.addoption(
        "--target-url",
        default=None,
        metavar="URL",
        help="base URL of the implementation to judge (default: the embedded reference server)",
    )
    group.addoption(
        "--profile",
        default=None,
        metavar="FILE",
        help="target profile (YAML): credentials, declared behaviours, features, deviations",
    )
    group.addoption(
        "--allow-remote-writes",
        action="store_true",
        help="allow writing to a target that is not on loopback (it creates jobs, settings, feeds)",
    )
    group.addoption(
        "--report-dir", default=None, metavar="DIR", help="write results.json, junit.xml and report.html there"
    )
    group.addoption(
        "--run-id", default=None, metavar="ID", help="prefix of every ref this run creates (default: random)"
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "clause(*ids): the clauses of the catalogue this check proves")
    config.addinivalue_line("markers", "requires(feature): a profile feature the check needs")
    config.addinivalue_line("markers", "clock: moves the target's clock; runs after every other check")
    # Refuse bad usage before anything runs: a profile that cannot be read, a remote target unasked.
    if config.getoption("--profile"):
        try:
            load_profile(config.getoption("--profile"))
        except ProfileError as exc:
            raise pytest.UsageError(str(exc)) from None
    given = config.getoption("--target-url")
    if given and not _loopback(urlparse(given).hostname or "") and not config.getoption("--allow-remote-writes"):
        raise pytest.UsageError(
            f"{given} is not on loopback: the suites create jobs, settings and feeds there. "
            "Pass --allow-remote-writes to judge it anyway."
        )
    run_id = config.getoption("--run-id") or f"ih{secrets.token_hex(3)}"
    config.stash[RUN_KEY] = {"run_id": run_id, "started": time.time()}
    _RECORDS.clear()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Checks that move the target's clock close every open job: they go last.
    items.sort(key=lambda item: item.get_closest_marker("clock") is not None)
    known = {c.id for c in contracts.clauses()}
    for item in items:
        for marker in item.iter_markers("clause"):
            unknown = set(marker.args) - known
            if unknown:
                raise pytest.UsageError(f"{item.nodeid} cites unknown clause(s) {', '.join(sorted(unknown))}")


# ---------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def target_url(request: pytest.FixtureRequest) -> str:
    """The base URL of the target, without a trailing slash."""
    given = request.config.getoption("--target-url")
    url = str(given).rstrip("/") if given else request.getfixturevalue("embedded_target_url")
    host = urlparse(url).hostname or ""
    if not _loopback(host) and not request.config.getoption("--allow-remote-writes"):
        raise pytest.UsageError(
            f"{url} is not on loopback: the suites create jobs, settings and feeds there. "
            "Pass --allow-remote-writes to judge it anyway."
        )
    return url


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.fixture(scope="session")
def profile(request: pytest.FixtureRequest) -> TargetProfile:
    """The target's profile (the reference server's own when no --profile is given)."""
    embedded = {} if request.config.getoption("--target-url") else request.getfixturevalue("embedded_profile")
    try:
        return load_profile(request.config.getoption("--profile"), embedded)
    except ProfileError as exc:
        raise pytest.UsageError(str(exc)) from None


@pytest.fixture(scope="session")
def run_id(request: pytest.FixtureRequest) -> str:
    """The prefix every ref of this run carries, so its data never mixes with anything else."""
    return request.config.stash[RUN_KEY]["run_id"]


@pytest.fixture
def ref(run_id: str, request: pytest.FixtureRequest) -> Callable[[str], str]:
    """A factory of unique refs: ref("SKU") -> ih1a2b3c-SKU-<n>."""
    counter = iter(range(1, 10**9))
    test = abs(hash(request.node.nodeid)) % 10**6

    def make(kind: str) -> str:
        return f"{run_id}-{kind}-{test}-{next(counter)}"

    return make


@pytest.fixture(scope="session")
def session_client(target_url: str, profile: TargetProfile) -> TargetClient:
    return TargetClient(target_url, profile)


@pytest.fixture
def client(session_client: TargetClient) -> Iterator[TargetClient]:
    """The logged-in client; what it exchanges during a check is that check's evidence."""
    session_client.exchanges = []
    yield session_client


@pytest.fixture(scope="session")
def other_client(target_url: str, profile: TargetProfile) -> TargetClient:
    """A user of another retailer (403 checks); unsupported when the profile names none."""
    if not profile.other_username:
        pytest.skip("unsupported: the profile names no other_user")
    return TargetClient(target_url, profile, profile.other_username, profile.other_password)


@pytest.fixture(autouse=True)
def _features(request: pytest.FixtureRequest) -> None:
    marker = request.node.get_closest_marker("requires")
    if marker is None:
        return
    feature = marker.args[0]
    if not request.getfixturevalue("profile").supports(feature):
        pytest.skip(f"unsupported: the profile declares feature {feature} off")


# ---------------------------------------------------------------------- verdicts


def _clauses(item: pytest.Item) -> list[str]:
    return [c for marker in item.iter_markers("clause") for c in marker.args]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    if report.when == "setup" and report.passed:
        return
    if report.when == "teardown" and report.passed:
        return
    verdict, message = _verdict(item, call, report)
    if verdict == "deviation":
        report.outcome = "passed"  # a declared, unexpired deviation does not fail the run
    if verdict == "skipped" and report.failed:
        report.outcome = "skipped"
        report.longrepr = (str(item.path), 0, f"prerequisite failed: {message}")
    client = item.funcargs.get("client") if hasattr(item, "funcargs") else None
    # the evidence: the check's last exchanges (redacted when recorded); more of them when it did not pass
    exchanges = [asdict(e) for e in getattr(client, "exchanges", [])][-(5 if verdict == "pass" else 10) :]
    profile = item.funcargs.get("profile") if hasattr(item, "funcargs") else None
    record = {
        "test": item.nodeid,
        "clauses": _clauses(item),
        "verdict": verdict,
        "message": message,
        "phase": report.when,
        "seconds": round(report.duration, 3),
        "exchanges": exchanges,
        "run_id": item.config.stash[RUN_KEY]["run_id"],
        # what makes the check repeatable: its refs derive from the run id; fuzzing is derandomized
        "seed": item.config.stash[RUN_KEY]["run_id"],
        "declared": {} if profile is None else dict(profile.declared),
    }
    report.user_properties.append((VERDICT_KEY, json.dumps(record, default=str)))


def _verdict(item: pytest.Item, call: pytest.CallInfo[None], report: pytest.TestReport) -> tuple[str, str]:
    excinfo = call.excinfo
    if report.skipped:
        reason = str(report.longrepr[2]) if isinstance(report.longrepr, tuple) else "skipped"
        return ("unsupported" if "unsupported" in reason else "skipped"), reason.removeprefix("Skipped: ")
    if excinfo is None:
        return "pass", ""
    if excinfo.errisinstance(PrerequisiteFailed):
        return "skipped", str(excinfo.value)
    if excinfo.errisinstance(HarnessError) or report.when != "call":
        return "error", f"{excinfo.typename}: {str(excinfo.value)[:500]}"
    if not excinfo.errisinstance((AssertionError, FailureGroup)):
        # e.g. a KeyError: the target's answer lacks what the contract promises (the suites pass
        # against the reference, so the check itself is not the suspect)
        return _deviation_or_fail(item, f"{excinfo.typename}: {str(excinfo.value)[:300]} (the answer broke the check)")
    message = str(excinfo.value).splitlines()[0][:500] if str(excinfo.value) else excinfo.typename
    return _deviation_or_fail(item, message)


def _deviation_or_fail(item: pytest.Item, message: str) -> tuple[str, str]:
    profile = item.funcargs.get("profile") if hasattr(item, "funcargs") else None
    if profile is not None:
        for clause_id in _clauses(item):
            deviation = profile.deviation(clause_id)
            if deviation is not None:
                if deviation.active(dt.date.today()):
                    return "deviation", f"{clause_id}: declared deviation ({deviation.reason}); {message}"
                return "fail", f"{clause_id}: the declared deviation expired on {deviation.expires}; {message}"
    return "fail", message


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    for key, value in report.user_properties:
        if key == VERDICT_KEY:
            _RECORDS.append(json.loads(value))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if hasattr(session.config, "workerinput"):
        return  # an xdist worker: the controller writes the reports
    directory = session.config.getoption("--report-dir")
    if directory:
        write_reports(Path(directory), _RECORDS, session.config.stash[RUN_KEY])
