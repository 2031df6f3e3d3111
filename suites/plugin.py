"""The suites' pytest plugin: the target, its profile, clause markers, verdicts and reports.

Installed, it is registered through the ``pytest11`` entry point, so
``pytest --pyargs invharness.suites --target-url URL --profile FILE --report-dir DIR`` judges a
target from any directory with the verdicts and reports of `invharness verify`. Being loaded into
every pytest session of the environment, it is inert for tests that are not checks: only a test
that carries ``@pytest.mark.clause`` gets a verdict, a feature gate, a place in the clock order.

``--target-url URL`` names any implementation of the contract; without it the fixtures
``embedded_target_url`` / ``embedded_profile`` supply one (the project's conftest.py, or the
invharness.pytest_embedded plugin, start the embedded reference server). Each check carries
``@pytest.mark.clause("ID", ...)`` and ends with a verdict:

pass; fail (the target answered wrongly); deviation (failed, but the profile declares a deviation
that has not expired); unsupported (needs a feature the profile declares off); blocked (a step the
check stands on failed on the target: that step's clause fails, once); skipped (the profile or the
environment lacks something, e.g. credentials the target refuses); error (the harness failed, or
the target did not answer; the traceback is in the evidence).

Every bound of the run lives here too: a target that stops answering ends the session after a few
checks, and ``--deadline`` (set by ``verify --max-time``) ends it between checks.

Nothing here imports reference_impl.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.metadata
import json
import secrets
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
import requests
from schemathesis.checks import FailureGroup

from invharness import contracts
from invharness.suites.client import (
    HarnessError,
    PrerequisiteFailed,
    RunOutOfTime,
    StepFailed,
    TargetClient,
    TargetTimeout,
    TargetUnreachable,
    loopback,
    redact,
)
from invharness.suites.interrupts import held_back
from invharness.suites.profile import ProfileError, TargetProfile, load_profile
from invharness.suites.report import (
    JOURNAL,
    VERDICT_KEY,
    clause_matrix,
    outcome_line,
    profile_digest,
    python_version,
    summarize,
    write_reports,
)

__all__ = ["RUN_KEY", "STOP_AFTER_UNREACHABLE", "check_digest", "check_id", "check_seed"]

RUN_KEY = pytest.StashKey[dict[str, Any]]()
_SECRETS_KEY = pytest.StashKey[list[str]]()
STOP_AFTER_UNREACHABLE = 3  # consecutive checks that could not reach the target end the session
_SUITES_DIR = Path(__file__).resolve().parent
_EMBEDDED_PLUGIN = "invharness.pytest_embedded"  # supplies the embedded reference (suites/ cannot import it)
_NO_TARGET = (
    "no target to judge: pass --target-url URL (and --profile FILE), or let the invharness.pytest_embedded "
    "plugin start the embedded reference server (do not disable it), or run `invharness verify`"
)
_RECORDS: list[dict[str, Any]] = []  # verdicts of this process's session (the controller's, under xdist)
_STATE: dict[str, Any] = {"unreachable": 0, "steps": set()}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("invharness", "invharness conformance target")
    group.addoption(
        "--target-url",
        default=None,
        metavar="URL",
        help="base URL of the implementation to judge (default: the embedded reference server)",
    )
    # pytest-profiling owns a --profile too: when it came first, ours is only --target-profile
    names = ["--target-profile"] if _taken(parser, "--profile") else ["--profile", "--target-profile"]
    group.addoption(
        *names,
        dest="invharness_profile",
        default=None,
        metavar="FILE",
        help="target profile (YAML): credentials, declared behaviours, features, deviations",
    )
    group.addoption(
        "--clause",
        action="append",
        default=[],
        dest="invharness_clauses",
        metavar="ID",
        help="run only the checks that cite this clause (repeatable)",
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
        "--run-id",
        default=None,
        metavar="ID",
        help="the run's id: prefix of every ref it creates and seed of its fuzzing (default: random); "
        "the same id replays the same refs and inputs",
    )
    group.addoption(
        "--deadline",
        type=float,
        default=None,
        metavar="EPOCH",
        help="stop asking the target anything after this time (seconds since the epoch; verify --max-time)",
    )
    group.addoption(
        "--strict-should", action="store_true", help="a failing SHOULD clause fails the run too (verify --strict)"
    )


def _taken(parser: pytest.Parser, name: str) -> bool:
    groups = [*getattr(parser, "_groups", []), getattr(parser, "_anonymous", None)]
    return any(name in option.names() for group in groups if group for option in group.options)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "clause(*ids): invharness: the clauses of the catalogue this check proves (it makes a test a check)"
    )
    config.addinivalue_line("markers", "requires(feature): invharness: a profile feature the check needs")
    config.addinivalue_line("markers", "clock: invharness: the check moves the target's clock; it runs last")
    # Refuse bad usage before anything runs: a profile that cannot be read, a remote target unasked.
    profile = TargetProfile()
    profile_path = config.getoption("invharness_profile")
    if profile_path:
        try:
            profile = load_profile(profile_path)
        except ProfileError as exc:
            raise pytest.UsageError(str(exc)) from None
    config.stash[_SECRETS_KEY] = profile.secrets()
    given = config.getoption("--target-url")
    if given and not loopback(urlparse(given).hostname or "") and not config.getoption("--allow-remote-writes"):
        raise pytest.UsageError(
            f"{given} is not on loopback: the suites create jobs, settings and feeds there. "
            "Pass --allow-remote-writes to judge it anyway."
        )
    run_id = config.getoption("--run-id") or f"ih{secrets.token_hex(3)}"
    config.stash[RUN_KEY] = {
        "run_id": run_id,
        "started": time.time(),
        "harness_version": importlib.metadata.version("invharness"),
        "strict": bool(config.getoption("--strict-should")),
        "stopped": None,
        "target": None if not given else redact(given.rstrip("/"), profile.secrets()),
        "profile": profile_path,
        "profile_digest": profile_digest(profile_path, profile.secrets()) if profile_path else None,
        "python": python_version(),
    }
    clauses = config.getoption("invharness_clauses")
    if clauses:
        unknown = set(clauses) - {c.id for c in contracts.clauses()}
        if unknown:
            raise pytest.UsageError(f"--clause: no such clause {', '.join(sorted(unknown))} (see invharness clauses)")
        config.stash[RUN_KEY].update(selected=clauses, selection=" ".join(f"--clause {c}" for c in clauses))
    _RECORDS.clear()
    _STATE.update(unreachable=0, steps=set(), stop=None, journal=None)
    directory = config.getoption("--report-dir")
    if directory and not hasattr(config, "workerinput"):
        Path(directory).mkdir(parents=True, exist_ok=True)
        _STATE["journal"] = Path(directory) / JOURNAL
        _STATE["journal"].write_text("", encoding="utf-8")


def _judged(item: pytest.Item) -> bool:
    """Whether ``item`` is a check (cites a clause): everything else the plugin leaves alone."""
    return item.get_closest_marker("clause") is not None


def check_id(item: pytest.Item) -> str:
    """A check's name in every report: ``suites/test_jobs.py::test_x[p]`` whatever pytest's rootdir
    (its node id is relative to the rootdir, which differs between verify and a pytest run)."""
    if item.path.parent.resolve() == _SUITES_DIR and "::" in item.nodeid:
        return f"suites/{item.path.name}::{item.nodeid.split('::', 1)[1]}"
    return item.nodeid


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Checks that move the target's clock close every open job: they go last.
    items.sort(key=lambda item: _judged(item) and item.get_closest_marker("clock") is not None)
    wanted = set(config.getoption("invharness_clauses"))
    if wanted:
        chosen = [item for item in items if wanted & set(_clauses(item))]
        dropped = [item for item in items if item not in chosen]
        if dropped:
            config.hook.pytest_deselected(items=dropped)
            items[:] = chosen
    known = {c.id for c in contracts.clauses()}
    for item in items:
        for marker in item.iter_markers("clause"):
            unknown = set(marker.args) - known
            if unknown:
                raise pytest.UsageError(f"{item.nodeid} cites unknown clause(s) {', '.join(sorted(unknown))}")


def pytest_collection_finish(session: pytest.Session) -> None:
    config = session.config
    judged = [item for item in session.items if _judged(item)]  # after -k / -m deselected theirs
    if judged and not config.getoption("--target-url") and not config.pluginmanager.has_plugin(_EMBEDDED_PLUGIN):
        raise pytest.UsageError(_NO_TARGET)
    run = config.stash[RUN_KEY]
    if judged and not run.get("selected"):  # what -k, -m or paths left out is "not selected", not "untested"
        cited = sorted({c for item in judged for c in _clauses(item)})
        run.update(selected=cited, selection="pytest's -k / -m / paths")


# ---------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def target_url(request: pytest.FixtureRequest) -> str:
    """The base URL of the target, without a trailing slash."""
    given = request.config.getoption("--target-url")
    url = str(given).rstrip("/") if given else _embedded(request, "embedded_target_url")
    host = urlparse(url).hostname or ""
    if not loopback(host) and not request.config.getoption("--allow-remote-writes"):
        raise pytest.UsageError(
            f"{url} is not on loopback: the suites create jobs, settings and feeds there. "
            "Pass --allow-remote-writes to judge it anyway."
        )
    run = request.config.stash[RUN_KEY]
    run.update(target=run["target"] or url, embedded=not given)
    return url


def _embedded(request: pytest.FixtureRequest, name: str) -> Any:
    """A fixture of the embedded reference, or a usage error saying how to name a target."""
    try:
        return request.getfixturevalue(name)
    except pytest.FixtureLookupError:
        raise pytest.UsageError(_NO_TARGET) from None


@pytest.fixture(scope="session")
def profile(request: pytest.FixtureRequest) -> TargetProfile:
    """The target's profile (the reference server's own when no --profile is given)."""
    embedded = {} if request.config.getoption("--target-url") else _embedded(request, "embedded_profile")
    try:
        return load_profile(request.config.getoption("invharness_profile"), embedded)
    except ProfileError as exc:
        raise pytest.UsageError(str(exc)) from None


@pytest.fixture(scope="session")
def run_id(request: pytest.FixtureRequest) -> str:
    """The prefix every ref of this run carries, so its data never mixes with anything else."""
    return request.config.stash[RUN_KEY]["run_id"]


def check_digest(run_id: str, nodeid: str) -> str:
    """12 hex digits naming one check of one run: stable across processes and replays (unlike
    ``hash()``, which Python salts per process); 48 bits make a collision among 10^4 checks of a
    run about one in 10^7."""
    return hashlib.blake2b(f"{run_id}\0{nodeid}".encode(), digest_size=6).hexdigest()


def check_seed(run_id: str, nodeid: str) -> int:
    """The seed of a check's generated inputs (Hypothesis, schemathesis): the same run id and node
    id give the same inputs."""
    return int.from_bytes(hashlib.blake2b(f"seed\0{run_id}\0{nodeid}".encode(), digest_size=8).digest(), "big")


@pytest.fixture
def ref(run_id: str, request: pytest.FixtureRequest) -> Callable[[str], str]:
    """A factory of unique refs: ref("SKU") -> ih1a2b3c-SKU-<check digest>-<n>."""
    counter = iter(range(1, 10**9))
    test = check_digest(run_id, check_id(request.node))

    def make(kind: str) -> str:
        return f"{run_id}-{kind}-{test}-{next(counter)}"

    return make


@pytest.fixture
def seed(run_id: str, request: pytest.FixtureRequest) -> int:
    """This check's seed for generated inputs (see check_seed); recorded in results.json."""
    return check_seed(run_id, check_id(request.node))


@pytest.fixture(scope="session")
def session_client(request: pytest.FixtureRequest, target_url: str, profile: TargetProfile) -> TargetClient:
    return TargetClient(target_url, profile, deadline=request.config.getoption("--deadline"))


@pytest.fixture
def client(session_client: TargetClient) -> Iterator[TargetClient]:
    """The logged-in client; what it exchanges during a check is that check's evidence."""
    session_client.exchanges = []
    yield session_client


@pytest.fixture(scope="session")
def other_client(request: pytest.FixtureRequest, target_url: str, profile: TargetProfile) -> TargetClient:
    """A user of another retailer (403 checks); unsupported when the profile names none."""
    if not profile.other_username:
        pytest.skip("unsupported: the profile names no other_user")
    return TargetClient(
        target_url,
        profile,
        profile.other_username,
        profile.other_password,
        deadline=request.config.getoption("--deadline"),
    )


@pytest.fixture(autouse=True)
def _features(request: pytest.FixtureRequest) -> None:
    marker = request.node.get_closest_marker("requires")
    if marker is None or not _judged(request.node):
        return
    feature = marker.args[0]
    if not request.getfixturevalue("profile").supports(feature):
        pytest.skip(f"unsupported: the profile declares feature {feature} off")


# ---------------------------------------------------------------------- verdicts


def _clauses(item: pytest.Item) -> list[str]:
    return [c for marker in item.iter_markers("clause") for c in marker.args]


def _funcarg(item: pytest.Item, name: str) -> Any:
    return getattr(item, "funcargs", {}).get(name)


def pytest_runtest_setup(item: pytest.Item) -> None:
    deadline = item.config.getoption("--deadline")
    if deadline is not None and _judged(item) and time.time() >= deadline:
        _stop(item.session, "the run reached its --max-time")
        pytest.skip("not run: the run reached its --max-time")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    if not _judged(item) or (report.when in ("setup", "teardown") and report.passed):
        return
    verdict, message, trace = _verdict(item, call, report)
    client = _funcarg(item, "client")
    secrets_ = [*item.config.stash.get(_SECRETS_KEY, []), *(client.secrets() if client else [])]
    message, trace = redact(message, secrets_), redact(trace, secrets_)
    if verdict == "deviation":
        report.outcome = "passed"  # a declared, unexpired deviation does not fail the run
    if verdict in ("skipped", "blocked") and report.failed:
        report.outcome = "skipped"
        report.longrepr = (str(item.path), 0, message)
    elif report.failed:
        report.longrepr = redact(str(report.longrepr), secrets_)  # pytest's own output, in the log too
    # the evidence: the check's last exchanges (redacted when recorded); more of them when it did not pass
    exchanges = [asdict(e) for e in getattr(client, "exchanges", [])][-(5 if verdict == "pass" else 10) :]
    record = _record(item, verdict, message, report, exchanges)
    if trace:
        record["traceback"] = trace
    _watch_the_target(item, call, record)
    report.user_properties.append((VERDICT_KEY, json.dumps(record, default=str)))
    if verdict == "blocked" and isinstance(call.excinfo.value, StepFailed):  # type: ignore[union-attr]
        step = _step_record(item, call.excinfo.value, record)  # type: ignore[union-attr]
        if step is not None:
            report.user_properties.append((VERDICT_KEY, json.dumps(step, default=str)))


def _record(
    item: pytest.Item, verdict: str, message: str, report: pytest.TestReport, exchanges: list[dict[str, Any]]
) -> dict[str, Any]:
    profile: TargetProfile | None = _funcarg(item, "profile")
    run = item.config.stash[RUN_KEY]
    clauses = _clauses(item)
    keys = {c.profile for c in contracts.clauses() if c.id in clauses and c.profile}
    return {
        "test": check_id(item),
        "clauses": clauses,
        "verdict": verdict,
        "message": message,
        "phase": report.when,
        "seconds": round(report.duration, 3),
        "exchanges": exchanges,
        "run_id": run["run_id"],
        # what makes the check repeatable: its refs and its generated inputs derive from these
        "ref_digest": check_digest(run["run_id"], check_id(item)),
        "seed": check_seed(run["run_id"], check_id(item)),
        # the clauses' open questions as this target answers them (declared, or the reference's)
        "declared": {} if profile is None else {key: profile.value(key) for key in sorted(keys)},
    }


def _step_record(item: pytest.Item, failure: StepFailed, blocked: dict[str, Any]) -> dict[str, Any] | None:
    """The fail of the clause that governs a step, once per run (per process: reports merge them)."""
    if failure.clause in _STATE["steps"]:
        return None
    _STATE["steps"].add(failure.clause)
    said = blocked["message"].removeprefix(f"blocked by {failure.clause}: ")
    verdict, message = _deviation_or_fail(
        _funcarg(item, "profile"), [failure.clause], f"{said} (a step of {check_id(item)})"
    )
    return {
        **blocked,
        "test": f"step::{failure.clause}",
        "clauses": [failure.clause],
        "verdict": verdict,
        "message": message,
        "phase": "step",
    }


def _watch_the_target(item: pytest.Item, call: pytest.CallInfo[None], record: dict[str, Any]) -> None:
    """End the session when the target stops answering, instead of timing out check after check."""
    excinfo = call.excinfo
    if excinfo is not None and excinfo.errisinstance((TargetUnreachable, TargetTimeout)):
        _STATE["unreachable"] += 1
        if _STATE["unreachable"] >= STOP_AFTER_UNREACHABLE:
            reason = f"{str(excinfo.value).split(' (')[0]}; the run stopped"
            record["stop"] = reason
            _stop(item.session, reason)
    elif excinfo is not None and excinfo.errisinstance(RunOutOfTime):
        record["stop"] = "the run reached its --max-time"
        _stop(item.session, record["stop"])
    elif record["exchanges"]:
        _STATE["unreachable"] = 0


def _stop(session: pytest.Session, reason: str) -> None:
    session.config.stash[RUN_KEY]["stopped"] = session.config.stash[RUN_KEY]["stopped"] or reason
    session.shouldstop = session.shouldstop or reason


def _verdict(item: pytest.Item, call: pytest.CallInfo[None], report: pytest.TestReport) -> tuple[str, str, str]:
    """(verdict, message, traceback) of one phase of a check."""
    excinfo = call.excinfo
    if report.skipped and (excinfo is None or not excinfo.errisinstance((StepFailed, PrerequisiteFailed))):
        reason = str(report.longrepr[2]) if isinstance(report.longrepr, tuple) else "skipped"
        return ("unsupported" if "unsupported" in reason else "skipped"), reason.removeprefix("Skipped: "), ""
    if excinfo is None:
        return "pass", "", ""
    exc = excinfo.value
    setting_up = _setting_up(item, excinfo) if report.when == "setup" else ""
    clauses = _clauses(item)
    if isinstance(exc, StepFailed):
        if exc.clause in clauses:  # the step is what the check judges
            return (*_deviation_or_fail(_funcarg(item, "profile"), clauses, setting_up + exc.message), "")
        return "blocked", f"blocked by {exc.clause}: {setting_up}{exc.message}", ""
    if isinstance(exc, PrerequisiteFailed):
        return "skipped", f"{setting_up}prerequisite failed: {exc}", ""
    if isinstance(exc, HarnessError):
        return "error", f"{setting_up}{exc}", ""
    if report.when != "teardown" and _target_fail(exc):
        return (*_deviation_or_fail(_funcarg(item, "profile"), clauses, setting_up + _message(exc)), "")
    # the harness's own exception (or a teardown that broke): an error, with its traceback as evidence
    trace = "".join(traceback.format_exception(exc))[-4000:]
    return "error", f"{setting_up}harness error {type(exc).__name__}: {str(exc)[:300]}", trace


def _target_fail(exc: BaseException) -> bool:
    """The target's wrong answer: an assertion of a check, schemathesis's failures, an answer that
    is not JSON (read outside the client), or a group of those (Hypothesis reports several at once)."""
    if isinstance(exc, AssertionError | FailureGroup | requests.JSONDecodeError):
        return True
    return isinstance(exc, BaseExceptionGroup) and all(_target_fail(e) for e in exc.exceptions)


def _message(exc: BaseException) -> str:
    """The assertion's message with pytest's explanation (expected vs actual), bounded."""
    text = str(exc) or type(exc).__name__
    lines = text.splitlines()
    return "\n".join(lines[:12])[:1500]


def _setting_up(item: pytest.Item, excinfo: pytest.ExceptionInfo[BaseException]) -> str:
    """'setting up CLAUSES (fixture NAME): ' for a failure in a fixture, naming what it prepared."""
    definitions = getattr(getattr(item, "_fixtureinfo", None), "name2fixturedefs", {})
    by_function = {d.func.__name__: name for name, defs in definitions.items() for d in defs}
    fixture = next(
        (by_function[e.frame.code.name] for e in reversed(excinfo.traceback) if e.frame.code.name in by_function),
        None,
    )
    what = f" (fixture {fixture})" if fixture else ""
    return f"setting up {', '.join(_clauses(item)) or check_id(item)}{what}: "


def _deviation_or_fail(profile: TargetProfile | None, clauses: list[str], message: str) -> tuple[str, str]:
    if profile is not None:
        for clause_id in clauses:
            deviation = profile.deviation(clause_id)
            if deviation is not None:
                if deviation.active(dt.date.today()):
                    return "deviation", f"{clause_id}: declared deviation ({deviation.reason}); {message}"
                return "fail", f"{clause_id}: the declared deviation expired on {deviation.expires}; {message}"
    return "fail", message


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    for key, value in report.user_properties:
        if key == VERDICT_KEY:
            record = json.loads(value)
            _RECORDS.append(record)
            if _STATE.get("journal") is not None:  # what was judged survives a run that is killed
                with _STATE["journal"].open("a", encoding="utf-8") as journal:
                    journal.write(value + "\n")
            if record.get("stop"):  # under xdist: a worker saw the target die, or the time run out
                _STATE["stop"] = _STATE.get("stop") or record["stop"]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if hasattr(session.config, "workerinput"):
        return  # an xdist worker: the controller writes the reports
    run = session.config.stash[RUN_KEY]
    run["stopped"] = run["stopped"] or _STATE.get("stop")
    directory = session.config.getoption("--report-dir")
    if directory:
        with held_back(reraise=False):  # the checks are over: a Ctrl-C now must not cut the reports in half
            write_reports(Path(directory), _RECORDS, run)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The run's outcome in one line, as `invharness verify` says it (only when checks ran)."""
    config = terminalreporter.config
    if not _RECORDS or hasattr(config, "workerinput"):
        return
    run = config.stash[RUN_KEY]
    matrix = clause_matrix(_RECORDS)
    summary = summarize(matrix, run["strict"], None, run["stopped"], run.get("selected"), run.get("selection"))
    terminalreporter.write_sep("=", "invharness")
    terminalreporter.write_line(outcome_line(summary))
    directory = config.getoption("--report-dir")
    if directory:
        terminalreporter.write_line(f"reports in {directory}/ (report.html, results.json, junit.xml)")
