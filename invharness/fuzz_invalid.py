"""Generators in the fuzz loop: the labelled-invalid payloads of ``generators.strategies`` (each breaks one
named rule) are sent to the target, and each must be refused -- a request-level rule with a documented 4xx,
a record-level rule of a batch by naming the record in the batch's results. A failure names the rule."""

from __future__ import annotations

import hashlib
import json
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error, response_schema_conformance, status_code_conformance

from invharness import contracts
from invharness.fuzz_report import Finding, curl_with_token
from invharness.generators import strategies
from invharness.generators.strategies import Invalid
from invharness.suites.client import PollTimeout, StepFailed, TargetClient

__all__ = ["RULE_OPERATIONS", "send_invalid"]

CREATE_FEED = "mutation($input: CreateInventoryFeedInput) { createInventoryFeed(input: $input) { id ref } }"
# which operation each family of labelled-invalid payloads is sent to (--operation selects among them)
RULE_OPERATIONS = {
    "job": ("POST", "/api/v4.1/job"),
    "batch": ("POST", "/api/v4.1/job/{jobId}/batch"),
    "delta": ("POST", "/api/v4.1/event/sync"),
    "feed": ("GraphQL", "Mutation.createInventoryFeed"),
}
_STRATEGIES: dict[str, Callable[[], st.SearchStrategy[Invalid]]] = {
    "job": strategies.invalid_job_requests,
    "batch": strategies.invalid_batch_requests,
    "delta": strategies.invalid_delta_events,
    "feed": strategies.invalid_feed_inputs,
}


@dataclass(slots=True)
class _Sent:
    """A record-level invalid batch the target accepted: judged once the batch is processed."""

    invalid: Invalid
    batch_id: str
    reproduction: str


def send_invalid(
    url: str,
    client: TargetClient,
    job_id: str | None,
    seed: int,
    examples: int,
    selected: Callable[[str], bool],
    progress: Callable[[int, int], None],
) -> tuple[int, list[Finding], str]:
    """Send ``examples`` labelled-invalid payloads of each selected family; (cases sent, findings, a digest of
    the payloads sent in order: the same seed sends the same)."""
    config = schemathesis.Config.from_dict({"base-url": url, "request-timeout": client.profile.request_timeout_s})
    schema = schemathesis.openapi.from_path(str(contracts.CONTRACTS_DIR / "openapi.yaml"), config=config)
    findings: list[Finding] = []
    pending: list[_Sent] = []
    sent = [0]
    digest = hashlib.sha256()

    def send(family: str, invalid: Invalid) -> None:
        sent[0] += 1
        digest.update(json.dumps([family, invalid.rule, invalid.payload], sort_keys=True).encode() + b"\n")
        if family == "feed":
            finding = _send_feed(url, client, invalid)
        else:
            finding = _send_rest(schema, client, family, invalid, job_id, pending)
        if finding is not None:
            findings.append(finding)
        progress(sent[0], len(findings))

    for family, strategy in _STRATEGIES.items():
        method, operation = RULE_OPERATIONS[family]
        if not selected(f"{method} {operation}" if method != "GraphQL" else operation):
            continue
        if (family == "batch" and job_id is None) or (family == "feed" and not client.profile.supports("feeds")):
            continue
        _each(strategy(), seed, examples, lambda invalid, family=family: send(family, invalid))
    findings += [f for f in (_judge_records(client, job_id or "", s) for s in pending) if f is not None]
    return sent[0], findings, digest.hexdigest()


def _each(strategy: st.SearchStrategy[Invalid], seed: int, examples: int, send: Callable[[Invalid], None]) -> None:
    """``send`` each of ``examples`` payloads Hypothesis draws from ``strategy`` under ``seed`` (so a seed
    replays the same payloads in the same order)."""

    @hypothesis_seed(seed)
    @settings(
        max_examples=examples,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def draw(invalid: Invalid) -> None:
        send(invalid)

    draw()


def _send_rest(
    schema: Any, client: TargetClient, family: str, invalid: Invalid, job_id: str | None, pending: list[_Sent]
) -> Finding | None:
    method, path = RULE_OPERATIONS[family]
    operation = schema[path][method]
    case = operation.Case(body=invalid.payload, path_parameters={"jobId": job_id} if "{jobId}" in path else None)
    response = case.call(headers={"Authorization": f"Bearer {client.token()}"})
    curl = curl_with_token(case.as_curl_command(headers={"Authorization": "[Filtered]"}), client.secrets())
    record_level = invalid.rule.startswith("record.")
    if record_level and response.status_code == 200:
        pending.append(_Sent(invalid, str(response.json().get("id")), curl))
        return None
    problem = _documented(case, response)
    if problem is None and not 400 <= response.status_code < 500:
        expected = "accepted with the record named in the batch's results" if record_level else "refused with a 4xx"
        problem = f"answered {response.status_code}; expected {expected}: {client.redact(response.text[:300])}"
    return None if problem is None else _finding(invalid, operation.label, problem, curl, response.status_code)


def _documented(case: Any, response: Any) -> str | None:
    """What schemathesis's checks say of the answer (no 5xx, a documented status and body), or None."""
    try:
        case.validate_response(
            response, checks=[not_a_server_error, status_code_conformance, response_schema_conformance]
        )
    except BaseException as exc:  # schemathesis raises a FailureGroup (a BaseExceptionGroup) or a Failure
        if isinstance(exc, KeyboardInterrupt | SystemExit):
            raise
        return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return None


def _judge_records(client: TargetClient, job_id: str, sent: _Sent) -> Finding | None:
    """A record-level rule holds when the processed batch's results name the broken record (index 0)."""
    address = shlex.quote(f"{client.base_url}/api/v4.1/job/{job_id}/batch/{sent.batch_id}")
    read = f'curl -H "Authorization: Bearer $TOKEN" {address}'
    try:
        batch = client.wait_batch(job_id, sent.batch_id)
    except (StepFailed, PollTimeout) as exc:
        return _finding(
            sent.invalid, "POST /api/v4.1/job/{jobId}/batch", str(exc), f"{sent.reproduction}\n{read}", None
        )
    named = [r for r in batch.get("results") or [] if isinstance(r, dict) and r.get("index") == 0]
    if named:
        return None
    problem = (
        f"the batch was accepted and processed, but its results do not name record 0, which breaks "
        f"{sent.invalid.rule} (field {sent.invalid.field}): {client.redact(json.dumps(batch)[:300])}"
    )
    return _finding(sent.invalid, "POST /api/v4.1/job/{jobId}/batch", problem, f"{sent.reproduction}\n{read}", 200)


def _send_feed(url: str, client: TargetClient, invalid: Invalid) -> Finding | None:
    body = {"query": CREATE_FEED, "variables": {"input": invalid.payload}}
    answer = client.request("POST", "/graphql", json=body)
    curl = (
        f"curl -X POST -H \"Authorization: Bearer $TOKEN\" -H 'Content-Type: application/json' "
        f"-d {shlex.quote(json.dumps(body))} {shlex.quote(url + '/graphql')}"
    )
    try:
        result = json.loads(answer.text)
    except ValueError:
        result = None
    errors = result.get("errors") if isinstance(result, dict) else None
    stored = (
        isinstance(result, dict) and isinstance(result.get("data"), dict) and result["data"].get("createInventoryFeed")
    )
    if answer.status_code < 500 and _error_shape(errors) and not stored:
        return None
    problem = f"answered {answer.status_code}, expected GraphQL errors and no feed: {client.redact(answer.text[:300])}"
    return _finding(
        invalid, "Mutation.createInventoryFeed", problem, curl_with_token(curl, client.secrets()), answer.status_code
    )


def _error_shape(errors: Any) -> bool:
    return (
        isinstance(errors, list)
        and bool(errors)
        and all(isinstance(e, dict) and isinstance(e.get("message"), str) for e in errors)
    )


def _finding(invalid: Invalid, operation: str, problem: str, reproduction: str, status: int | None) -> Finding:
    clause = f" ({invalid.clause})" if invalid.clause else ""
    return Finding(
        source="generators",
        operation=operation,
        check=f"rule:{invalid.rule}",
        title=f"a payload breaking {invalid.rule}{clause} was not refused",
        message=problem,
        reproduction=reproduction,
        status=status,
    )
