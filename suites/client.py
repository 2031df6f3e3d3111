"""The harness's HTTP client of a target: tokens, the Job / Event / GraphQL calls the suites make,
bounded waits, and a record of every exchange (redacted) as evidence for the report.

Credentials go in form bodies, never in query strings (which HTTP libraries log at DEBUG).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

from invharness.suites.profile import TargetProfile

__all__ = ["Exchange", "HarnessError", "PrerequisiteFailed", "StepFailed", "TargetClient", "redact"]

_TOKENISH = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+")
# secret-bearing fields however they are written: JSON, a Python repr, a form or a query string
_SECRET_FIELDS = re.compile(
    r"""(?i)(["']?(?:access_token|refresh_token|client_secret|password)["']?\s*[:=]\s*["']?)[^"'&,\s}]+"""
)
_MAX_BODY = 2000


class HarnessError(Exception):
    """The harness or its environment failed (not a verdict on the target)."""


class PrerequisiteFailed(Exception):
    """Something a check stands on failed (e.g. no token); the check is skipped, not failed."""


class StepFailed(Exception):
    """The target answered wrongly to a step a check stands on (creating a job, posting a batch,
    writing a setting, creating a feed, ...).

    That is the target's fail of ``clause`` -- the clause that governs the step -- recorded once
    per run; the check that needed the step is *blocked* by it (named, with that clause), never
    silently skipped, and never blamed on the check's own clauses.
    """

    def __init__(self, clause: str, message: str) -> None:
        super().__init__(f"{clause}: {message}")
        self.clause = clause
        self.message = message


@dataclass(slots=True)
class Exchange:
    """One request and its answer, as the report shows them."""

    method: str
    url: str
    status: int | None
    request: str
    response: str
    ms: float


def redact(text: str, secrets: list[str]) -> str:
    """``text`` with every secret and bearer token replaced by ***."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    text = _SECRET_FIELDS.sub(r"\1***", text)
    return _TOKENISH.sub(r"\1***", text)


@dataclass
class TargetClient:
    """A logged-in session against one target; records exchanges in ``exchanges``."""

    base_url: str
    profile: TargetProfile
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    exchanges: list[Exchange] = field(default_factory=list, repr=False)
    _session: requests.Session = field(default_factory=requests.Session, repr=False)
    _token: str | None = field(default=None, repr=False)  # never in a traceback or a report

    def __post_init__(self) -> None:
        self.username = self.username or self.profile.username
        self.password = self.password if self.password is not None else self.profile.password

    # ------------------------------------------------------------------ plumbing

    def _secrets(self) -> list[str]:
        return [*self.profile.secrets(), self.password or "", self._token or ""]

    def request(self, method: str, path: str, *, auth: bool = True, **kwargs: Any) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}) or {})
        if auth:
            headers.setdefault("Authorization", f"Bearer {self.token()}")
        started = time.perf_counter()
        try:
            answer = self._session.request(
                method, self.base_url + path, headers=headers, timeout=self.profile.request_timeout_s, **kwargs
            )
        except requests.RequestException as exc:
            raise HarnessError(f"{method} {path}: the target did not answer: {exc}") from None
        self._record(method, path, kwargs, answer, (time.perf_counter() - started) * 1000)
        return answer

    def _record(self, method: str, path: str, kwargs: dict[str, Any], answer: requests.Response, ms: float) -> None:
        sent = kwargs.get("json", kwargs.get("data", ""))
        text = str(sent)
        if len(text) > _MAX_BODY:
            text = text[:_MAX_BODY] + f"... ({len(text):,} characters)"
        body = answer.text if len(answer.text) <= _MAX_BODY else answer.text[:_MAX_BODY] + "..."
        secrets = self._secrets()
        self.exchanges.append(
            Exchange(
                method,
                redact(path, secrets),
                answer.status_code,
                redact(text, secrets),
                redact(body, secrets),
                round(ms, 1),
            )
        )
        del self.exchanges[:-50]  # the evidence of one check, not of the whole run

    def token_request(
        self, form: dict[str, str] | None = None, params: dict[str, str] | None = None, json_body: Any = None
    ) -> requests.Response:
        """POST /oauth/token exactly as given (for the auth checks)."""
        kwargs: dict[str, Any] = {}
        if form is not None:
            kwargs["data"] = form
        if params is not None:
            kwargs["params"] = params
        if json_body is not None:
            kwargs["json"] = json_body
        return self.request("POST", "/oauth/token", auth=False, **kwargs)

    def credentials(self, **overrides: str) -> dict[str, str]:
        form = {
            "username": self.username or "",
            "password": self.password or "",
            "client_id": self.profile.client_id,
            "client_secret": self.profile.client_secret,
            "grant_type": "password",
            "scope": "api",
        }
        form.update(overrides)
        return form

    def advance_clock(self, seconds: float) -> None:
        """Move the target's clock (the clock_control feature)."""
        answer = self.request("POST", "/_invharness/clock", json={"advance_s": seconds})
        if answer.status_code != 200:
            raise PrerequisiteFailed(f"the target's clock control answered {answer.status_code}")

    def token(self) -> str:
        if self._token is None:
            answer = self.token_request(form=self.credentials())
            if answer.status_code != 200 or "access_token" not in answer.text:
                raise PrerequisiteFailed(f"no token for {self.username}: HTTP {answer.status_code}")
            self._token = answer.json()["access_token"]
        return self._token

    # ------------------------------------------------------------------ Job API

    def create_job(self, body: dict[str, Any]) -> str:
        answer = self.request("POST", "/api/v4.1/job", json=body)
        if answer.status_code != 200:
            raise PrerequisiteFailed(f"creating a job answered {answer.status_code}: {answer.text[:200]}")
        return str(answer.json()["id"])

    def post_batch(self, job_id: str, body: dict[str, Any]) -> requests.Response:
        return self.request("POST", f"/api/v4.1/job/{job_id}/batch", json=body)

    def create_batch(self, job_id: str, body: dict[str, Any]) -> str:
        answer = self.post_batch(job_id, body)
        if answer.status_code != 200:
            raise PrerequisiteFailed(f"posting a batch answered {answer.status_code}: {answer.text[:200]}")
        return str(answer.json()["id"])

    def read_batch(self, job_id: str, batch_id: str, **params: Any) -> requests.Response:
        return self.request("GET", f"/api/v4.1/job/{job_id}/batch/{batch_id}", params=params)

    def wait_batch(self, job_id: str, batch_id: str, seen: Callable[[str], None] | None = None) -> dict[str, Any]:
        """Poll until COMPLETE, at most the profile's batch timeout; statuses seen go to ``seen``."""
        deadline = time.monotonic() + self.profile.batch_timeout_s
        while True:
            answer = self.read_batch(job_id, batch_id, count=5000)
            if answer.status_code != 200:
                raise PrerequisiteFailed(f"reading batch {batch_id} answered {answer.status_code}")
            body = answer.json()
            if seen is not None:
                seen(body.get("status"))
            if body.get("status") == "COMPLETE":
                return body
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"batch {batch_id} not COMPLETE after {self.profile.batch_timeout_s}s (status {body.get('status')})"
                )
            time.sleep(self.profile.poll_interval_s)

    def run_batch(self, job_body: dict[str, Any], batch_body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        job_id = self.create_job(job_body)
        batch_id = self.create_batch(job_id, batch_body)
        return job_id, self.wait_batch(job_id, batch_id)

    # ------------------------------------------------------------------ Event API

    def events(self, name: str, entity_ref: str | None = None) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"name": name, "count": 1000}
        if entity_ref is not None:
            params["context.entityRef"] = entity_ref
        answer = self.request("GET", "/api/v4.1/event", params=params)
        if answer.status_code != 200:
            raise PrerequisiteFailed(f"event search answered {answer.status_code}")
        return answer.json().get("results", [])

    # ------------------------------------------------------------------ GraphQL

    def graphql(self, query: str, **variables: Any) -> dict[str, Any]:
        answer = self.request("POST", "/graphql", json={"query": query, "variables": variables})
        try:
            return answer.json()
        except ValueError:
            raise AssertionError(f"/graphql answered {answer.status_code} without JSON") from None

    def data(self, query: str, **variables: Any) -> dict[str, Any]:
        """The data of a query that must succeed."""
        body = self.graphql(query, **variables)
        if body.get("errors"):
            raise AssertionError(f"GraphQL errors: {body['errors']}")
        return body["data"]
