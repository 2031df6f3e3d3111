"""`invharness fuzz` on schemathesis's own engine: the REST and GraphQL schemas of the contract, configured
(seed, examples, workers, checks, the profile's timeout), authenticated through the harness's client
(token renewed on expiry), steered to this run's parents (a batch needs an open job), and run by
``schemathesis.engine``; its deduplicated failures become findings with a curl reproduction."""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import schemathesis
from schemathesis.engine import events, from_schema
from schemathesis.engine.statistic import Statistic

from invharness import contracts
from invharness.fuzz_report import Finding, curl_with_token
from invharness.generators import payloads
from invharness.suites.client import TargetClient

__all__ = [
    "CHECKS",
    "EXCLUDED_BY_DEFAULT",
    "Parents",
    "Settings",
    "execute",
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
)
# GraphQL operations fuzzing leaves alone unless asked: they change how a shared target processes
# every retailer's batches (the ACCOUNT fc.enable.batch.preprocessing setting is one of theirs).
EXCLUDED_BY_DEFAULT = ("Mutation.createSetting", "Mutation.updateSetting")
_KEEP_ONE_IN = 8  # one generated id in eight stays as drawn, so unknown parents (404) are fuzzed too


@dataclass(slots=True, frozen=True)
class Settings:
    """How one run drives schemathesis."""

    seed: int
    max_examples: int
    workers: int
    operation: str | None
    stateful: bool
    settings_mutations: bool
    run_id: str


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


def _config(url: str, settings: Settings, timeout_s: float, stateful: bool) -> Any:
    checks: dict[str, Any] = {"enabled": False, **{name: {"enabled": True} for name in CHECKS}}
    checks["max_response_time"] = timeout_s
    return schemathesis.Config.from_dict(
        {
            "seed": settings.seed,
            "base-url": url,
            "workers": settings.workers,
            "request-timeout": timeout_s,
            "generation": {"max-examples": settings.max_examples, "mode": "all", "database": "none"},
            "checks": checks,
            "phases": {"stateful": {"enabled": stateful}},
        }
    )


def _authenticate(schema: Any, client: TargetClient) -> None:
    @schema.auth(refresh_interval=None)  # the client caches the token and logs in again before it expires
    class _Token:
        def get(self, case: Any, ctx: Any) -> str:
            return client.token()

        def set(self, case: Any, data: str, ctx: Any) -> None:
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


def rest_schema(url: str, client: TargetClient, settings: Settings, parents: Parents) -> Any:
    """contracts/openapi.yaml, ready for the engine."""
    config = _config(url, settings, client.profile.request_timeout_s, settings.stateful)
    schema = schemathesis.openapi.from_path(str(contracts.CONTRACTS_DIR / "openapi.yaml"), config=config)
    if settings.operation:
        schema = schema.include(name_regex=settings.operation)
    _authenticate(schema, client)
    schema.hook("map_case")(_steering(parents, settings.run_id))
    return schema


def graphql_schema(url: str, client: TargetClient, settings: Settings) -> Any:
    """contracts/schema.graphql at the target's /graphql, without the account-wide mutations unless asked."""
    config = _config(url + "/graphql", settings, client.profile.request_timeout_s, settings.stateful)
    schema = schemathesis.graphql.from_path(str(contracts.CONTRACTS_DIR / "schema.graphql"), config=config)
    if not settings.settings_mutations:
        schema = schema.exclude(name_regex="^(" + "|".join(map(re.escape, EXCLUDED_BY_DEFAULT)) + ")$")
    if settings.operation:
        schema = schema.include(name_regex=settings.operation)
    _authenticate(schema, client)
    return schema


def _steering(parents: Parents, run_id: str) -> Callable[[Any, Any], Any]:
    """A map_case hook: well-formed ids of parents become this run's (so the fuzzer reaches past the 404),
    and positive bodies carry the profile's retailer and this run's ref prefix."""
    owned = {"jobId": parents.job_id, "batchId": parents.batch_id, "eventId": parents.event_id}

    def steer(context: Any, case: Any) -> Any:
        for name, value in (case.path_parameters or {}).items():
            mine = owned.get(name)
            if mine and _well_formed(name, value) and zlib.crc32(value.encode()) % _KEEP_ONE_IN:
                case.path_parameters[name] = mine
        meta = case.meta
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
    if isinstance(body.get("name"), str) and "entities" not in body and "attributes" not in body:
        body["name"] = f"{run_id}-{body['name']}"[:255]  # a job's name
    for entity in body.get("entities") or []:
        if isinstance(entity, dict):
            entity["retailerId"] = retailer
            for key in ("skuRef", "locationRef"):
                if isinstance(entity.get(key), str):
                    entity[key] = f"{run_id}-{entity[key]}"[:255]


@dataclass(slots=True)
class Outcome:
    """What one engine run did."""

    cases: int
    findings: list[Finding]
    errors: list[str]
    operations: list[str]


def execute(
    schema: Any, source: str, secrets: Callable[[], list[str]], progress: Callable[[int, int], None]
) -> Outcome:
    """Run every phase of schemathesis's engine on ``schema``; ``progress(cases, failures)`` as scenarios end."""
    statistic = Statistic()
    errors: list[str] = []
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished | events.FuzzScenarioFinished):
            if not isinstance(event, events.ScenarioFinished) or event.is_test_scenario:
                statistic.on_scenario_finished(event.recorder)
                progress(statistic.total_cases, len(statistic.unique_failures_map))
        elif isinstance(event, events.NonFatalError):
            errors.append(f"{event.label}: {event.info.title}: {event.info.message}"[:2000])
        elif isinstance(event, events.FatalError):
            errors.append(f"schemathesis stopped: {event.exception!r}"[:2000])
    return Outcome(
        statistic.total_cases, _findings(statistic, source, secrets()), errors, sorted(statistic.tested_operations)
    )


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
