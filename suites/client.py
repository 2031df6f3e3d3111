"""The harness's HTTP client of a target: tokens, the Job / Event / GraphQL calls the suites make,
bounded waits and pagination, and a record of every exchange (redacted) as evidence for the report.

Who is to blame when something goes wrong is decided here, by the kind of exception raised:

- ``StepFailed(clause, message)``: the target answered wrongly to a step a check stands on (a
  token, a job, a batch, an event search, ...); the step's clause fails once, the check is blocked.
- ``AssertionError`` (``TargetAnswerError``): the target's answer is not what the check expects --
  including an answer that is not JSON, or lacks a field the check reads (see ``Answer``).
- ``TargetUnreachable`` / ``TargetTimeout``: the target did not answer at all; no verdict.
- ``PrerequisiteFailed``: the profile or environment lacks something (credentials the target
  refuses, no S3); the check is skipped with the reason.
- anything else: the harness's own bug, reported as an error with its traceback.

Credentials go in form bodies, never in query strings (which HTTP libraries log at DEBUG), and
every text that leaves this module (exchanges, exception messages) is redacted.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import quote, quote_plus, urlencode

import requests

from invharness.suites.profile import TargetProfile

__all__ = [
    "Answer",
    "AnswerList",
    "Exchange",
    "HarnessError",
    "PollTimeout",
    "PrerequisiteFailed",
    "RunOutOfTime",
    "StepFailed",
    "TargetAnswerError",
    "TargetClient",
    "TargetTimeout",
    "TargetUnreachable",
    "loopback",
    "redact",
    "step",
    "unreachable_reason",
]

_TOKENISH = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+")
# secret-bearing fields however they are written: JSON, a Python repr, a form or a query string
_SECRET_FIELDS = re.compile(
    r"""(?i)(["']?(?:access_token|refresh_token|client_secret|password)["']?\s*[:=]\s*["']?)[^"'&,\s}]+"""
)
_MAX_BODY = 2000
_T = TypeVar("_T")

# the steps the client takes for checks, and the clause each one is governed by (contracts/clauses.yaml)
TOKEN_CLAUSE = "AUTH-TOKEN-01"
JOB_CLAUSE = "JOB-CREATE-01"
BATCH_CLAUSE = "BATCH-CREATE-01"
BATCH_READ_CLAUSE = "BATCH-READ-01"
BATCH_DONE_CLAUSE = "BATCH-STATUS-01"
EVENT_SEARCH_CLAUSE = "EVT-SEARCH-01"
PAGE_CLAUSE = "GQL-PAGE-01"


class HarnessError(Exception):
    """The harness or its environment failed (not a verdict on the target)."""


class TargetUnreachable(HarnessError):
    """The target did not answer: connection refused or reset, no such host."""


class TargetTimeout(HarnessError):
    """The target did not answer within the profile's request timeout."""


class RunOutOfTime(HarnessError):
    """The run's time budget (``verify --max-time``) is spent; nothing more is asked of the target."""


class PollTimeout(AssertionError):
    """What a check waited for did not happen within its deadline: the target's fail."""


class PrerequisiteFailed(Exception):
    """Something the profile or environment must provide is missing (credentials the target refuses,
    no S3 endpoint); the check is skipped with the reason, and the run cannot conform."""


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


class TargetAnswerError(AssertionError, KeyError, IndexError):
    """The target's answer lacks what a check reads: a fail of the target, never a harness error.
    It is also a KeyError / IndexError so code that catches those keeps working."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class Answer(dict[str, Any]):
    """A JSON object the target answered; reading a field it lacks is the target's fail."""

    def __missing__(self, key: str) -> Any:
        raise TargetAnswerError(
            f"the target's answer has no field {key!r} (it has: {', '.join(map(str, self)) or 'none'})"
        )


class AnswerList(list[Any]):
    """A JSON array the target answered; reading past its end is the target's fail."""

    def __getitem__(self, index: Any) -> Any:
        try:
            return super().__getitem__(index)
        except IndexError:
            raise TargetAnswerError(f"the target answered {len(self)} item(s); the check reads item {index}") from None


def _answer(value: Any) -> Any:
    if isinstance(value, dict):
        return Answer((k, _answer(v)) for k, v in value.items())
    if isinstance(value, list):
        return AnswerList(_answer(v) for v in value)
    return value


class TargetResponse(requests.Response):
    """A ``requests.Response`` whose ``json()`` fails the target (AssertionError) when the body is
    not JSON, and answers ``Answer`` / ``AnswerList`` so a missing field is the target's fail too."""

    def json(self, **kwargs: Any) -> Any:
        try:
            return _answer(json.loads(self.text, **kwargs))
        except ValueError:
            kind = self.headers.get("Content-Type", "no content type")
            raise TargetAnswerError(
                f"{self.request.method} {_path(self.url)} answered {self.status_code} ({kind}), not JSON: "
                f"{self.text[:200]!r}"
            ) from None


def _path(url: str) -> str:
    """The path of a URL, without its query string (which may hold secrets)."""
    return re.sub(r"^[a-z]+://[^/]+", "", url).split("?")[0]


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
    """``text`` with every secret (also URL- and JSON-escaped) and bearer token replaced by ***."""
    variants = {v for s in secrets if s for v in (s, quote(s, safe=""), quote_plus(s), json.dumps(s)[1:-1])}
    for secret in sorted(variants, key=len, reverse=True):
        text = text.replace(secret, "***")
    text = _SECRET_FIELDS.sub(r"\1***", text)
    return _TOKENISH.sub(r"\1***", text)


@contextlib.contextmanager
def step(clause: str) -> Iterator[None]:
    """Within the block, a wrong answer of the target (AssertionError) is a failed step of ``clause``:

    >>> with step("FEED-CREATE-01"):
    ...     feed = client.data(CREATE_FEED, input=...)["createInventoryFeed"]
    """
    try:
        yield
    except StepFailed:
        raise
    except AssertionError as exc:
        raise StepFailed(clause, str(exc) or type(exc).__name__) from None


def loopback(host: str) -> bool:
    """Whether ``host`` is this machine (the suites write to a target only there, unless allowed)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def unreachable_reason(exc: Exception) -> str:
    """Why a request got no answer, in a few words (never the URL: it may carry a query string)."""
    text = str(exc)
    for needle, reason in (
        ("refused", "connection refused"),
        ("reset", "connection reset"),
        ("RemoteDisconnected", "the connection closed without an answer"),
        ("Name or service not known", "no such host"),
        ("nodename nor servname", "no such host"),
        ("timed out", "timed out"),
    ):
        if needle in text:
            return reason
    return type(exc).__name__


@dataclass
class TargetClient:
    """A logged-in session against one target; records exchanges in ``exchanges``.

    ``deadline`` (epoch seconds, optional) is the run's time budget: no request starts after it,
    and no request waits beyond it."""

    base_url: str
    profile: TargetProfile
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    deadline: float | None = None
    exchanges: list[Exchange] = field(default_factory=list, repr=False)
    _session: requests.Session = field(default_factory=requests.Session, repr=False)
    _token: str | None = field(default=None, repr=False)  # never in a traceback or a report
    _token_expires: float = field(default=float("inf"), repr=False)  # time.monotonic()

    def __post_init__(self) -> None:
        self.username = self.username or self.profile.username
        self.password = self.password if self.password is not None else self.profile.password

    # ------------------------------------------------------------------ plumbing

    def secrets(self) -> list[str]:
        return [*self.profile.secrets(), self.password or "", self._token or ""]

    def redact(self, text: str) -> str:
        return redact(text, self.secrets())

    def request(self, method: str, path: str, *, auth: bool = True, **kwargs: Any) -> TargetResponse:
        """One exchange with the target. With ``auth`` and no Authorization header of the caller's,
        the client's token is sent, and a 401 makes it log in again and resend once."""
        headers = dict(kwargs.pop("headers", {}) or {})
        ours = auth and "Authorization" not in headers
        if ours:
            headers["Authorization"] = f"Bearer {self.token()}"
        answer = self._send(method, path, headers, kwargs)
        if ours and answer.status_code == 401:
            self._token = None  # expired or revoked mid-run: log in again, once, as real integrations do
            headers["Authorization"] = f"Bearer {self.token()}"
            answer = self._send(method, path, headers, kwargs)
        return answer

    def _send(self, method: str, path: str, headers: dict[str, str], kwargs: dict[str, Any]) -> TargetResponse:
        timeout = self.profile.request_timeout_s
        if self.deadline is not None:
            left = self.deadline - time.time()
            if left <= 0:
                raise RunOutOfTime("the run's time budget (--max-time) is spent")
            timeout = min(timeout, left)
        started = time.perf_counter()
        try:
            answer = self._session.request(method, self.base_url + path, headers=headers, timeout=timeout, **kwargs)
        except requests.Timeout:
            self._record(method, path, kwargs, None, (time.perf_counter() - started) * 1000)
            raise TargetTimeout(
                f"{method} {_path(path)}: target {self.base_url} did not answer within {timeout:g}s"
            ) from None
        except requests.RequestException as exc:
            self._record(method, path, kwargs, None, (time.perf_counter() - started) * 1000)
            raise TargetUnreachable(
                f"target {self.base_url} unreachable: {unreachable_reason(exc)} ({method} {_path(path)})"
            ) from None
        answer.__class__ = TargetResponse
        self._record(method, path, kwargs, answer, (time.perf_counter() - started) * 1000)
        return answer  # type: ignore[return-value]

    def _record(
        self, method: str, path: str, kwargs: dict[str, Any], answer: requests.Response | None, ms: float
    ) -> None:
        # bodies as they go on the wire (JSON text, a form encoded), so the report can pretty-print them
        if "json" in kwargs:
            text = json.dumps(kwargs["json"], ensure_ascii=False, default=str)
        else:
            sent = kwargs.get("data") or ""
            text = urlencode(sent, doseq=True) if isinstance(sent, dict) else _text(sent)
        if kwargs.get("params"):
            path = f"{path}?{urlencode(kwargs['params'], doseq=True)}"
        if len(text) > _MAX_BODY:
            text = text[:_MAX_BODY] + f"... ({len(text):,} characters)"
        if answer is None:
            body = "(no answer)"
        else:
            body = answer.text if len(answer.text) <= _MAX_BODY else answer.text[:_MAX_BODY] + "..."
        self.exchanges.append(
            Exchange(
                method,
                self.redact(path),
                None if answer is None else answer.status_code,
                self.redact(text),
                self.redact(body),
                round(ms, 1),
            )
        )
        del self.exchanges[:-50]  # the evidence of one check, not of the whole run

    def token_request(
        self, form: dict[str, str] | None = None, params: dict[str, str] | None = None, json_body: Any = None
    ) -> TargetResponse:
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
        """The bearer token, logging in when there is none or it is about to expire."""
        if self._token is None or time.monotonic() >= self._token_expires:
            self._token = None
            self._token, self._token_expires = self._login()
        return self._token

    def _login(self) -> tuple[str, float]:
        answer = self.token_request(form=self.credentials())
        what = f"a password grant for {self.username}"
        body = _json_or_step(answer, TOKEN_CLAUSE, what)
        if answer.status_code in (400, 401) and isinstance(body, dict) and body.get("error") == "invalid_grant":
            raise PrerequisiteFailed(
                f"the target refuses the profile's credentials for {self.username} (invalid_grant): check the profile"
            )
        if answer.status_code != 200:
            raise StepFailed(TOKEN_CLAUSE, f"{what} answered {answer.status_code}: {self.redact(answer.text[:200])}")
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise StepFailed(TOKEN_CLAUSE, f"{what} answered 200 without an access_token")
        lifetime = body.get("expires_in")
        # log in again a little before the token expires (a late request would get 401 anyway)
        expires = time.monotonic() + max(float(lifetime) * 0.9, 1.0) if _number(lifetime) else float("inf")
        return token, expires

    # ------------------------------------------------------------------ Job API

    def create_job(self, body: dict[str, Any]) -> str:
        answer = self.request("POST", "/api/v4.1/job", json=body)
        return _id(answer, JOB_CLAUSE, "creating a job")

    def post_batch(self, job_id: str, body: dict[str, Any]) -> TargetResponse:
        return self.request("POST", f"/api/v4.1/job/{job_id}/batch", json=body)

    def create_batch(self, job_id: str, body: dict[str, Any]) -> str:
        return _id(self.post_batch(job_id, body), BATCH_CLAUSE, f"posting a batch to job {job_id}")

    def read_batch(self, job_id: str, batch_id: str, **params: Any) -> TargetResponse:
        return self.request("GET", f"/api/v4.1/job/{job_id}/batch/{batch_id}", params=params)

    def wait_batch(self, job_id: str, batch_id: str, seen: Callable[[str], None] | None = None) -> dict[str, Any]:
        """Poll until COMPLETE, at most the profile's batch timeout; statuses seen go to ``seen``."""

        def read() -> dict[str, Any]:
            answer = self.read_batch(job_id, batch_id, count=5000)
            if answer.status_code != 200:
                raise StepFailed(BATCH_READ_CLAUSE, f"reading batch {batch_id} answered {answer.status_code}")
            body = _json_or_step(answer, BATCH_READ_CLAUSE, f"reading batch {batch_id}")
            if not isinstance(body, dict):
                raise StepFailed(BATCH_READ_CLAUSE, f"reading batch {batch_id} answered {type(body).__name__}")
            if seen is not None:
                seen(body.get("status"))
            return body

        try:
            return self.poll(read, lambda body: body.get("status") == "COMPLETE", f"batch {batch_id} COMPLETE")
        except PollTimeout as exc:
            raise StepFailed(BATCH_DONE_CLAUSE, str(exc)) from None

    def poll(
        self,
        read: Callable[[], _T],
        done: Callable[[_T], bool],
        what: str,
        budget_s: float | None = None,
        interval_s: float | None = None,
        step: str | None = None,
    ) -> _T:
        """Call ``read`` until ``done`` holds of its answer; at most ``budget_s`` seconds (default the
        profile's batch timeout, never beyond the run's deadline). Raises AssertionError naming
        ``what`` and the last answer when the time is up (PollTimeout, an AssertionError), or
        RunOutOfTime when the run's own deadline comes first. With ``step`` (a clause id) the wait is a
        step of the check: an AssertionError is that clause's fail (StepFailed), not the check's."""
        if step is not None:
            try:
                return self.poll(read, done, what, budget_s, interval_s)
            except AssertionError as exc:
                raise StepFailed(step, str(exc)) from None
        budget = self.profile.batch_timeout_s if budget_s is None else budget_s
        deadline = time.monotonic() + budget
        interval = self.profile.poll_interval_s if interval_s is None else interval_s
        for _ in range(1_000_000):  # the deadline ends it; the count only makes the bound visible
            value = read()
            if done(value):
                return value
            if time.monotonic() + interval > deadline:
                raise PollTimeout(f"expected {what} within {budget:g}s; last seen: {str(value)[:300]}")
            if self.deadline is not None and time.time() + interval > self.deadline:
                raise RunOutOfTime(f"the run's time budget (--max-time) is spent while waiting for {what}")
            time.sleep(interval)
        raise PollTimeout(f"expected {what}: too many polls")

    def run_batch(self, job_body: dict[str, Any], batch_body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        job_id = self.create_job(job_body)
        batch_id = self.create_batch(job_id, batch_body)
        return job_id, self.wait_batch(job_id, batch_id)

    # ------------------------------------------------------------------ Event API

    def events(self, name: str, entity_ref: str | None = None) -> list[dict[str, Any]]:
        """The events of ``name`` (this run's own: names carry a ref), optionally of one entity."""
        params: dict[str, Any] = {"name": name, "count": 1000}
        if entity_ref is not None:
            params["context.entityRef"] = entity_ref
        answer = self.request("GET", "/api/v4.1/event", params=params)
        if answer.status_code != 200:
            raise StepFailed(EVENT_SEARCH_CLAUSE, f"searching events {name} answered {answer.status_code}")
        body = _json_or_step(answer, EVENT_SEARCH_CLAUSE, f"searching events {name}")
        results = body.get("results") if isinstance(body, dict) else None
        if not isinstance(results, list):
            raise StepFailed(EVENT_SEARCH_CLAUSE, f"searching events {name} answered no results list")
        return results

    # ------------------------------------------------------------------ GraphQL

    def graphql(self, query: str, clause: str | None = None, **variables: Any) -> dict[str, Any]:
        """The GraphQL answer (data and errors). An answer that is not a JSON object fails the check,
        or, given ``clause``, that step's clause."""
        answer = self.request("POST", "/graphql", json={"query": query, "variables": variables})
        with step(clause) if clause else contextlib.nullcontext():
            body = answer.json()
            if not isinstance(body, dict):
                raise TargetAnswerError(f"/graphql answered {answer.status_code} with a {type(body).__name__}")
            return body

    def data(self, query: str, clause: str | None = None, **variables: Any) -> dict[str, Any]:
        """The data of a query that must succeed; errors fail the check, or, given ``clause``, that
        step's clause (e.g. ``client.data(CREATE_SETTING, clause="GQL-SET-01", input=...)``)."""
        body = self.graphql(query, clause, **variables)
        with step(clause) if clause else contextlib.nullcontext():
            if body.get("errors"):
                raise TargetAnswerError(f"GraphQL errors: {str(body['errors'])[:500]}")
            data = body["data"]
            if not isinstance(data, dict):
                raise TargetAnswerError(f"GraphQL answered data {data!r}")
            return data

    def paginate(
        self,
        query: str,
        connection: str,
        max_pages: int = 20,
        page_size: int = 100,
        clause: str = PAGE_CLAUSE,
        **variables: Any,
    ) -> Iterator[dict[str, Any]]:
        """The nodes of a GraphQL connection, page after page, boundedly.

        ``query`` declares ``$first: Int`` and ``$after: String`` and passes them to the connection,
        which selects ``edges { cursor node { ... } } pageInfo { hasNextPage }``; ``connection`` is the
        dotted path of the connection in ``data`` (e.g. ``"inventoryPositions"`` or
        ``"inventoryPosition.quantities"``). ``variables`` are the query's other variables.

        Bounded: at most ``max_pages`` pages are read -- ask only for what this run created, a
        vendor's sandbox holds millions -- and reading more raises ``HarnessError``. A target that
        ignores ``after`` (a cursor seen before, a page with no cursor while hasNextPage is true)
        fails ``clause`` (StepFailed) instead of looping.
        """
        seen: set[str] = set()
        after: str | None = None
        for number in range(1, max_pages + 1):
            data = self.data(query, clause, first=page_size, after=after, **variables)
            with step(clause):
                page = _walk(data, connection)
                edges = page["edges"]
                cursors = [edge["cursor"] for edge in edges]
                nodes = [edge["node"] for edge in edges]
                more = page["pageInfo"]["hasNextPage"]
                repeated = [c for c in cursors if c in seen]
                if repeated:
                    raise TargetAnswerError(
                        f"{connection} page {number} (after {after!r}) repeats cursor {repeated[0]!r}: "
                        "the cursor does not advance"
                    )
                if more and not cursors:
                    raise TargetAnswerError(f"{connection} page {number} is empty but hasNextPage is true")
            seen.update(cursors)
            yield from nodes
            if not more:
                return
            after = cursors[-1]
        raise HarnessError(
            f"{connection}: more than {max_pages} pages of {page_size}; the harness reads only what its run created"
        )


def _text(body: Any) -> str:
    return body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)


def _walk(data: dict[str, Any], path: str) -> Any:
    node: Any = data
    for name in path.split("."):
        if not isinstance(node, dict):
            raise TargetAnswerError(f"{path}: {name} is not an object in the answer")
        node = node[name]
    return node


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


def _json_or_step(answer: TargetResponse, clause: str, what: str) -> Any:
    try:
        return answer.json()
    except AssertionError as exc:
        raise StepFailed(clause, f"{what}: {exc}") from None


def _id(answer: TargetResponse, clause: str, what: str) -> str:
    """The ``id`` of a create's answer: 200 with {"id"}, or ``clause`` fails."""
    if answer.status_code != 200:
        raise StepFailed(clause, f"{what} answered {answer.status_code}: {answer.text[:200]}")
    body = _json_or_step(answer, clause, what)
    value = body.get("id") if isinstance(body, dict) else None
    if not isinstance(value, str | int) or isinstance(value, bool) or not str(value):
        raise StepFailed(clause, f"{what} answered 200 without an id: {answer.text[:200]}")
    return str(value)
