"""`invharness fuzz` on schemathesis's own engine: the REST and GraphQL schemas of the contract, configured
(seed, examples, workers, checks, the profile's timeout), authenticated through the harness's client (a token
that expired or was revoked is fetched again on its 401, the request resent once), steered to this run's
parents (a batch needs an open job), and run by ``schemathesis.engine``; its deduplicated failures become
findings with a curl reproduction; every request sent goes into a fuzz_transcript.Transcript, so a replay can be
compared."""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import schemathesis
from hypothesis import strategies as st
from schemathesis.engine import events, from_schema
from schemathesis.engine.statistic import Statistic
from schemathesis.graphql import nodes

from invharness import contracts
from invharness.fuzz_links import families
from invharness.fuzz_report import Finding, curl_with_token
from invharness.generators import payloads, strategies
from invharness.suites.client import TargetClient

if TYPE_CHECKING:
    from invharness.fuzz_transcript import Transcript

__all__ = [
    "CHECKS",
    "EXCLUDED_BY_DEFAULT",
    "PHASES",
    "Outcome",
    "Parents",
    "Settings",
    "engine_runs",
    "execute",
    "graphql_errors_shape",
    "graphql_schema",
    "make_parents",
    "rest_schema",
]

# schemathesis's checks that judge every answer; max_response_time is added from the profile's timeout.
# Left out: use_after_free and ensure_resource_availability (nothing here deletes), and
# object_level_authorization (the profile's second user is not a schemathesis auth identity).
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
    "negative_data_rejection",
    "positive_data_acceptance",
    "missing_required_header",
    "unsupported_method",
    "allow_header_conformance",
    "ignored_auth",
    "graphql_errors_shape",  # ours, below; judges GraphQL answers only
)

# the contract's custom scalars, as GraphQL literals (schemathesis knows only the built-in ones)
schemathesis.graphql.scalar(
    "Json",
    st.one_of(
        st.text(max_size=20).map(nodes.String),
        st.integers(-(2**31), 2**31 - 1).map(nodes.Int),
        st.booleans().map(nodes.Boolean),
    ),
)
schemathesis.graphql.scalar("DateTime", strategies.dates.map(nodes.String))


@schemathesis.check
def graphql_errors_shape(ctx: Any, response: Any, case: Any) -> bool | None:
    """A GraphQL answer is a JSON object; its ``errors``, when there, a non-empty list of objects that each
    carry a string ``message`` (the GraphQL specification's response shape)."""
    if not case.operation.label.startswith(("Query.", "Mutation.")):
        return None
    try:
        body = response.json()
    except ValueError:
        raise AssertionError(f"/graphql answered {response.status_code} with a body that is not JSON") from None
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(body, dict) or not ("data" in body or "errors" in body):
        raise AssertionError("a GraphQL answer is a JSON object with data or errors")
    if "errors" in body and not (
        isinstance(errors, list)
        and errors
        and all(isinstance(e, dict) and isinstance(e.get("message"), str) for e in errors)
    ):
        raise AssertionError(f"GraphQL errors must be a non-empty list of objects with a message: {errors!r:.200}")
    return True


# GraphQL operations fuzzing leaves alone unless asked: they change how a shared target processes
# every retailer's batches (the ACCOUNT fc.enable.batch.preprocessing setting is one of theirs).
EXCLUDED_BY_DEFAULT = ("Mutation.createSetting", "Mutation.updateSetting")
PHASES = ("examples", "coverage", "fuzzing", "stateful")
_TOKEN_REFRESH_S = 300  # a proactive re-login this often; a 401 brings one sooner
_REF_MAX = contracts.schema("common")["$defs"]["ref"]["maxLength"]  # characters of a ref
_KEEP_ONE_IN = 8  # one generated id in eight stays as drawn, so unknown parents (404) are fuzzed too
BATCH_POST = "POST /api/v4.1/job/{jobId}/batch"
EVENT_SYNC = "POST /api/v4.1/event/sync"


@dataclass(slots=True, frozen=True)
class Settings:
    """How one run drives schemathesis."""

    seed: int
    max_examples: int
    workers: int
    operation: str | None
    phases: tuple[str, ...]  # of schemathesis's: examples, coverage, fuzzing, stateful
    settings_mutations: bool
    run_id: str
    only: tuple[str, ...] = ()  # when set, exactly these operations (one family of linked ones), not --operation's


@dataclass(slots=True, frozen=True)
class Parents:
    """Resources this run created for operations that need a valid parent."""

    retailer: str
    job_id: str | None
    batch_id: str | None
    event_id: str | None


def make_parents(client: TargetClient, run_id: str) -> Parents:
    """An open job with one batch, and an event, of the profile's primary retailer (this run's refs)."""
    retailer = str(client.profile.primary_retailer)
    job_id = client.create_job(payloads.job(f"{run_id}-fuzz-parent", retailer))
    record = {"skuRef": f"{run_id}-SKU", "locationRef": f"{run_id}-LOC", "qty": 1, "retailerId": retailer}
    batch_id = client.create_batch(job_id, payloads.batch([record]))
    delta = payloads.delta(f"{run_id}-SKU", f"{run_id}-LOC", 1)
    answer = client.request("POST", "/api/v4.1/event/async", json=payloads.delta_event([delta], retailer))
    event_id = answer.json().get("id") if answer.status_code == 200 else None
    return Parents(retailer, job_id, batch_id, None if event_id is None else str(event_id))


def _config(url: str, settings: Settings, timeout_s: float, graphql: bool = False) -> Any:
    # GraphQL types cannot say `first` is not negative: a refused well-typed input is not a fail there
    names = [name for name in CHECKS if not (graphql and name == "positive_data_acceptance")]
    checks: dict[str, Any] = {"enabled": False, **{name: {"enabled": True} for name in names}}
    checks["max_response_time"] = timeout_s
    return schemathesis.Config.from_dict(
        {
            "seed": settings.seed,
            "base-url": url,
            "workers": settings.workers,
            "request-timeout": timeout_s,
            "generation": {"max-examples": settings.max_examples, "mode": "all", "database": "none"},
            # schemathesis keeps what it learns in ./.schemathesis and replays it in the next run's probes:
            # the next run would then send requests this one did not, and --seed would not replay a run
            "cache": {"enabled": False},
            "checks": checks,
            "phases": {name: _phase(name, name in settings.phases) for name in PHASES},
        }
    )


def engine_runs(settings: Settings, links: Sequence[tuple[str, str]] | None = None) -> list[Settings]:
    """The engine runs one source takes: its examples, coverage and fuzzing phases together, then its stateful
    phase in runs of its own (on schemas of their own): one per family of the selected operations that
    ``links`` join (pairs of labels: an operation, one its answer links to), or (None) one.

    Apart, because in one run schemathesis records every answer of the first phases in a pool of values that
    its stateful phase then draws bodies and parameters from -- with no switch to stop it -- so the stateful
    requests would carry timestamps and ids the target chose, and the same seed would send other requests next
    time. On its own, the stateful phase draws on the seed, the contract and the answers of its own steps,
    through the links only; and it sends the same with or without the other phases.

    One run per family, because schemathesis starts its sequences only from the operations it deems likely to
    succeed when there are any: POST /job is not one (its retailerId reads as a reference to a Retailer that
    no operation creates), so next to the event operations, the job -> batch links were never walked."""
    unit = tuple(phase for phase in settings.phases if phase != "stateful")
    parts = [replace(settings, phases=unit)] if unit else []
    if "stateful" not in settings.phases:
        return parts
    stateful = replace(settings, phases=("stateful",))
    if links is None:
        return [*parts, stateful]
    chosen = settings.operation
    walked = [pair for pair in links if not chosen or all(re.search(chosen, label) for label in pair)]
    return parts + [replace(stateful, only=family) for family in families(walked)]


def _phase(name: str, enabled: bool) -> dict[str, Any]:
    """A phase's config. The examples, coverage and fuzzing phases must not feed on the target's answers
    (schemathesis's pool of values seen in responses, its learning from error messages): they hold ids and refs
    the target chose, so the same seed would draw other cases on the next run, and --seed must replay a run.
    The stateful phase follows links, so it takes ids from answers by design (and runs apart: engine_runs).
    (The parents steer the other phases to a valid job.)"""
    config: dict[str, Any] = {"enabled": enabled}
    if name == "stateful":  # links from the contract and its static analysis, not from the answers seen
        config.update({"inference": {"algorithms": ["dependency-analysis"]}, "link-calibration": False})
    else:
        config["extra-data-sources"] = {"responses": False}
    if name == "fuzzing":
        config["error-feedback"] = {"enabled": False}
    return config


def _authenticate(schema: Any, client: TargetClient) -> None:
    """Every case carries a bearer token of the profile's user. schemathesis caches it and, when a request that
    carried it is answered 401 (the token expired or was revoked mid-run), drops it, asks for a new one and
    sends the request once more (its reactive re-authentication, as verify's client does): a 401 is judged
    only if it comes back with a fresh token."""

    @schema.auth(refresh_interval=_TOKEN_REFRESH_S, retry_on=[401])
    class _Token:
        def get(self, case: Any, ctx: Any) -> str:
            # asked only at the start, every _TOKEN_REFRESH_S and after a 401: always log in again then
            # (the client would hand back its cached token, which may be the revoked one)
            client._token = None  # the client's own way to forget a token (see its request())
            return client.token()

        def set(self, case: Any, data: str, ctx: Any) -> None:
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


def rest_schema(url: str, client: TargetClient, settings: Settings, parents: Parents) -> Any:
    """contracts/openapi.yaml, ready for the engine."""
    config = _config(url, settings, client.profile.request_timeout_s)
    schema = schemathesis.openapi.from_path(str(contracts.CONTRACTS_DIR / "openapi.yaml"), config=config)
    selected = _exactly(settings.only) if settings.only else settings.operation
    if selected:
        schema = schema.include(name_regex=selected)
    _authenticate(schema, client)
    schema.hook("map_case")(_steering(parents, settings.run_id))
    schema.hook("filter_failure")(_not_a_documented_outcome)
    return schema


def _not_a_documented_outcome(context: Any, failure: Any, case: Any, response: Any) -> bool:
    """False for the two answers the contract documents that schemathesis's checks cannot tell from a fail:

    - a broken record accepted in a batch whose batch-level fields are valid: such a record is ignored and
      reported in the batch's results, not the batch refused (the generators' record.* rules judge that, on
      the stored batch);
    - a well-formed sync event answered 400 with eventStatus FAILED or NO_MATCH: its processing failed (no
      such catalogue, no rule for its name), which /event/sync answers 400 by design.
    (Not the operations' per-operation config: schemathesis then ignores --operation's filter.)"""
    kind = type(failure).__name__
    if kind == "AcceptedNegativeData" and case.operation.label == BATCH_POST:
        return not contracts.validator("batch-envelope").is_valid(case.body)
    if kind == "RejectedPositiveData" and case.operation.label == EVENT_SYNC and response.status_code == 400:
        try:
            body = response.json()
        except ValueError:
            return True
        return not (isinstance(body, dict) and body.get("eventStatus") in ("FAILED", "NO_MATCH"))
    return True


def graphql_schema(url: str, client: TargetClient, settings: Settings) -> Any:
    """contracts/schema.graphql at the target's /graphql, without the account-wide mutations unless asked."""
    config = _config(url + "/graphql", settings, client.profile.request_timeout_s, graphql=True)
    schema = schemathesis.graphql.from_path(str(contracts.CONTRACTS_DIR / "schema.graphql"), config=config)
    if not settings.settings_mutations:
        schema = schema.exclude(name_regex=_exactly(EXCLUDED_BY_DEFAULT))
    if settings.operation:
        schema = schema.include(name_regex=settings.operation)
    _authenticate(schema, client)
    return schema


def _exactly(labels: Sequence[str]) -> str:
    return "^(" + "|".join(map(re.escape, labels)) + ")$"


def _steering(parents: Parents, run_id: str) -> Callable[[Any, Any], Any]:
    """A map_case hook: well-formed ids of parents become this run's (so the fuzzer reaches past the 404),
    and positive bodies carry the profile's retailer (and a catalogue of its) and this run's ref prefix."""
    owned = {"jobId": parents.job_id, "batchId": parents.batch_id, "eventId": parents.event_id}

    def steer(context: Any, case: Any) -> Any:
        meta = case.meta
        # a stateful step's ids come from the link it follows (its parent's answer): those stay
        linked = meta is not None and str(meta.phase.name) == "stateful"
        drawn = {} if linked else dict(case.path_parameters or {})
        for name, value in drawn.items():
            mine = owned.get(name)
            if mine and _well_formed(name, value) and zlib.crc32(value.encode()) % _KEEP_ONE_IN:
                case.path_parameters[name] = mine
        if isinstance(case.body, dict) and (meta is None or meta.generation.mode.is_positive):
            _own_body(case.body, parents.retailer, run_id)
        return case

    return steer


def _well_formed(name: str, value: Any) -> bool:
    if not isinstance(value, str) or not value:
        return False
    return len(value) <= 64 if name == "eventId" else value.isdigit() and len(value) <= 19


def _own_body(body: dict[str, Any], retailer: str, run_id: str) -> None:
    if "retailerId" in body:
        body["retailerId"] = retailer
    if isinstance(body.get("catalogueRef"), str) and not body["catalogueRef"].endswith(f":{retailer}"):
        # a batch's catalogue is one of its job's retailer's (refs end in :<retailerId>, as DEFAULT:1), a rule
        # across fields that the contract's schema cannot state: keep the drawn catalogue type (cut to fit a
        # ref's length), own the retailer
        kind = body["catalogueRef"].partition(":")[0][: _REF_MAX - len(retailer) - 1]
        body["catalogueRef"] = f"{kind}:{retailer}"
    if isinstance(body.get("name"), str) and "entities" not in body and "attributes" not in body:
        body["name"] = _prefixed(body["name"], run_id)  # a job's name
    for entity in body.get("entities") or []:
        if isinstance(entity, dict):
            entity["retailerId"] = retailer
            for key in ("skuRef", "locationRef"):
                if key in entity:
                    entity[key] = _prefixed(entity[key], run_id)


def _prefixed(value: Any, run_id: str) -> Any:
    """``value`` with this run's ref prefix (once: schemathesis may map the same body again)."""
    if not isinstance(value, str) or value.startswith(f"{run_id}-"):
        return value
    return f"{run_id}-{value}"[:_REF_MAX]


@dataclass(slots=True)
class Outcome:
    """What one engine run did."""

    cases: dict[str, int]  # by schemathesis phase (examples, coverage, fuzzing, stateful)
    findings: list[Finding]
    errors: list[str]
    operations: list[str]


def execute(
    schema: Any,
    source: str,
    secrets: Callable[[], list[str]],
    progress: Callable[[int, int], None],
    transcript: Transcript,
) -> Outcome:
    """Run every phase of schemathesis's engine on ``schema``; ``progress(cases, failures)`` as scenarios end;
    every request sent goes into ``transcript`` (one per source, across its engine runs)."""
    statistic = Statistic()
    errors: list[str] = []
    phases: dict[str, int] = {}
    with transcript.listening(schema):
        _run_engine(schema, statistic, errors, phases, progress)
    found = _findings(statistic, source, secrets())
    return Outcome(phases, found, errors, sorted(statistic.tested_operations))


def _run_engine(
    schema: Any,
    statistic: Statistic,
    errors: list[str],
    phases: dict[str, int],
    progress: Callable[[int, int], None],
) -> None:
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished | events.FuzzScenarioFinished):
            if not isinstance(event, events.ScenarioFinished) or event.is_test_scenario:
                phase = str(getattr(event, "phase", "fuzzing"))
                phases[phase] = phases.get(phase, 0) + len(event.recorder.cases)
                statistic.on_scenario_finished(event.recorder)
                progress(statistic.total_cases, len(statistic.unique_failures_map))
        elif isinstance(event, events.NonFatalError):
            errors.append(f"{event.label}: {event.info.title}: {event.info.message}"[:2000])
        elif isinstance(event, events.FatalError):
            errors.append(f"schemathesis stopped: {event.exception!r}"[:2000])


def _findings(statistic: Statistic, source: str, secrets: list[str]) -> list[Finding]:
    check_of = {failure: check for failure, check in statistic.observed_failures.values()}
    found = []
    for label, groups in statistic.failures.items():
        for group in groups.values():
            steps = [step.curl for step in group.steps] or [group.code_sample or ""]
            reproduction = "\n".join(curl_with_token(curl, secrets) for curl in steps)
            status = group.response.status_code if group.response is not None else None
            for failure in group.failures:
                found.append(
                    Finding(
                        source=source,
                        operation=failure.operation or label,
                        check=check_of.get(failure, type(failure).__name__),
                        title=failure.title,
                        message=curl_with_token(failure.message, secrets),
                        reproduction=reproduction,
                        status=status,
                    )
                )
    return found
