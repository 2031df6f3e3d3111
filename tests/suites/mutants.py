"""Deliberately broken variants of the reference server: one per group (MUTANTS, the normal run)
and one or more per MUST clause of the ingestion groups (PER_CLAUSE, the heavy `mutants` proof).

Each mutant is the plausible bug an implementer would make, on the stored effect where the clause is
about one; the checks citing the clause, run against the mutant, must fail on the clause it records.
Where the bug is exactly another allowed answer to an open question, the mutant is a configuration:
the server plays that answer (``plays``, profile key -> value, see ServerConfig.behaviours) while the
profile declares the reference's. Otherwise it is a patch applied to the in-process server for the
duration of a ``with`` block.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest
from starlette.routing import request_response

from invharness.reference_impl.config import ServerConfig
from invharness.reference_impl.services import (
    auth,
    batches,
    feed_filters,
    feeds,
    preprocessing,
    settings,
    worker,
)
from invharness.reference_impl.services import events as event_service
from invharness.reference_impl.services import jobs as job_service
from invharness.reference_impl.stores import inventory, jobs
from invharness.reference_impl.stores import settings as settings_store
from invharness.reference_impl.transport import http_api

__all__ = ["INGESTION_GROUPS", "MUTANTS", "PER_CLAUSE", "Mutant", "applied", "as_params", "playing"]


@dataclass(frozen=True)
class Mutant:
    name: str
    group: str
    breaks: str  # the clause the group must fail on
    patch: Callable[[pytest.MonkeyPatch], None] | None = None
    plays: Mapping[str, Any] = field(default_factory=dict)  # profile answers the server plays instead

    def configure(self, config: ServerConfig) -> ServerConfig:
        """``config`` playing this mutant's answers (unchanged for a patch)."""
        return config.declaring(self.plays) if self.plays else config


def as_params(mutants: list[Mutant], quick: set[str], key: Callable[[Mutant], str] = lambda m: m.breaks) -> list[Any]:
    """The mutants as pytest parameters named after them: those whose ``key`` (their clause, by default) is
    in ``quick`` run in every test run, the rest are part of the heavy proof (``-m mutants``)."""
    return [pytest.param(m, id=m.name, marks=() if key(m) in quick else pytest.mark.mutants) for m in mutants]


def playing(name: str, group: str, breaks: str, **plays: Any) -> Mutant:
    """A mutant that is a configuration: ``plays`` with ``__`` for the dots of profile keys."""
    return Mutant(name, group, breaks, plays={k.replace("__", "."): v for k, v in plays.items()})


def _scheme_case_sensitive(mp: pytest.MonkeyPatch) -> None:
    original = auth.Authenticator.authenticate

    def authenticate(self: Any, authorization: str | None) -> Any:
        if authorization and not authorization.startswith("Bearer "):
            raise auth.ApiError.unauthorized()
        return original(self, authorization)

    mp.setattr(auth.Authenticator, "authenticate", authenticate)


def _endpoint(mp: pytest.MonkeyPatch, name: str, change: Callable[[Any], Any]) -> None:
    """Route ``name`` of http_api answers ``change(body)`` of what it answered (JSON)."""
    original = getattr(http_api, name)

    async def endpoint(request: Any) -> Any:
        answer = await original(request)
        return http_api.json_response(change(http_api.orjson.loads(answer.body)), answer.status_code)

    route = next(r for r in http_api.routes if r.endpoint is original)
    mp.setattr(http_api, name, endpoint)
    mp.setattr(route, "endpoint", endpoint)
    mp.setattr(route, "app", request_response(endpoint))


def _job_read_answers_id(mp: pytest.MonkeyPatch) -> None:
    def change(body: dict) -> dict:
        body["id"] = body.pop("jobId")
        return body

    _endpoint(mp, "read_job", change)


def _ignores_skip(mp: pytest.MonkeyPatch) -> None:
    mp.setattr(preprocessing, "preprocessing_applies", lambda setting, meta, *_options: setting is not False)


def _attributes_compared(mp: pytest.MonkeyPatch) -> None:
    original = preprocessing._is_change

    def is_change(stored: Any, *rest: Any) -> bool:
        return True if stored.segment or stored.attributes else original(stored, *rest)

    mp.setattr(preprocessing, "_is_change", is_change)


def _loh_keeps_transients(mp: pytest.MonkeyPatch) -> None:
    mp.setattr(inventory.Position, "deactivate", lambda self, types, now: None)


def _drops_custom_attributes(mp: pytest.MonkeyPatch) -> None:
    original = inventory.split_attributes

    def split(attributes: dict) -> tuple:
        segment, _custom, parent_ref = original(attributes)
        return segment, None, parent_ref

    mp.setattr(inventory, "split_attributes", split)


def _no_match_is_complete(mp: pytest.MonkeyPatch) -> None:
    original = event_service.EventService.process

    def process(self: Any, principal: Any, event: Any) -> None:
        original(self, principal, event)
        if event.status == "NO_MATCH":
            event.status, event.error_message = "COMPLETE", None

    mp.setattr(event_service.EventService, "process", process)


def _duplicate_settings_allowed(mp: pytest.MonkeyPatch) -> None:
    original = settings_store.InMemorySettingsStore.create

    def create(self: Any, name: str, *args: Any) -> Any:
        try:
            return original(self, name, *args)
        except settings_store.ConstraintViolation:
            return original(self, name + " ", *args)

    mp.setattr(settings_store.InMemorySettingsStore, "create", create)


def destination_check_skipped(reason: str) -> Callable[[pytest.MonkeyPatch], None]:
    """A mutant whose feed activation lets through a destination refused for ``reason`` (a text of
    FeedError), every other destination check kept."""

    def patch(mp: pytest.MonkeyPatch) -> None:
        original = feeds.FeedService.validate_destination

        def validate(self: Any, bucket: str) -> None:
            try:
                original(self, bucket)
            except feeds.FeedError as exc:
                if reason not in str(exc):
                    raise

        mp.setattr(feeds.FeedService, "validate_destination", validate)

    return patch


_any_region_accepted = destination_check_skipped("IllegalLocationConstraintException")


def _not_in_is_in(mp: pytest.MonkeyPatch) -> None:
    mp.setitem(feed_filters._OPERATORS, "NOT_IN", feed_filters._OPERATORS["IN"])


def _filters_or_ed(mp: pytest.MonkeyPatch) -> None:
    original = feed_filters.matches
    mp.setattr(feed_filters, "matches", lambda row, filters: not filters or any(original(row, [f]) for f in filters))


def _bare_errors(mp: pytest.MonkeyPatch) -> None:
    async def api_error(request: Any, exc: Exception) -> Any:
        assert isinstance(exc, http_api.ApiError)
        return http_api.json_response({"error": exc.message}, exc.status)

    mp.setitem(http_api.error_handlers, http_api.ApiError, api_error)


MUTANTS = [
    Mutant("bearer scheme matched case-sensitively", "auth", "AUTH-BEARER-02", _scheme_case_sensitive),
    Mutant("job read answers id instead of jobId", "jobs", "JOB-READ-01", _job_read_answers_id),
    playing("batch results always empty", "batches", "BATCH-ENTITY-02", batch__results="empty"),
    Mutant('"skip" ignored', "bpp-precedence", "BPP-PREC-02", _ignores_skip),
    Mutant("attribute-only change counted as a change", "bpp-detection", "BPP-CHG-09", _attributes_compared),
    playing("first duplicate wins", "bpp-detection", "BPP-DEDUP-01", bpp__dedup_winner="first"),
    Mutant("LAST_ON_HAND keeps SALE, CORRECTION and DELTA active", "inventory", "INV-ONHAND-02", _loh_keeps_transients),
    Mutant("custom attributes dropped", "segmentation", "SEG-ATTR-02", _drops_custom_attributes),
    playing("deltas applied twice", "deltas", "DELTA-IDEM-01", delta__idempotent_delta_id=False),
    Mutant("NO_MATCH answered COMPLETE", "events", "EVT-SYNC-03", _no_match_is_complete),
    Mutant("duplicate settings accepted", "graphql", "GQL-SET-02", _duplicate_settings_allowed),
    Mutant("wrong-region bucket accepted", "feed-lifecycle", "FEED-ACT-01", _any_region_accepted),
    Mutant("NOT_IN read as IN", "feed-filters", "FEED-FLT-03", _not_in_is_in),
    Mutant("filters OR-ed", "feed-filters", "FEED-FLT-01", _filters_or_ed),
    Mutant("errors without the envelope", "contract-shape", "SHAPE-REST-01", _bare_errors),
]


# ---------------------------------------------------------------------- auth


def _no_expires_in(mp: pytest.MonkeyPatch) -> None:
    original = auth.Authenticator._grant
    mp.setattr(auth.Authenticator, "_grant", lambda self, user: {**original(self, user), "expires_in": None})


def _any_password(mp: pytest.MonkeyPatch) -> None:
    original = auth.Authenticator.issue

    def issue(self: Any, params: dict) -> Any:
        user = self._users.get(params.get("username"))
        if params.get("grant_type") == "password" and user is not None:
            return self._grant(user)
        return original(self, params)

    mp.setattr(auth.Authenticator, "issue", issue)


def _form_ignored(mp: pytest.MonkeyPatch) -> None:
    original = http_api._token_body

    async def token_body(request: Any) -> dict:
        media = request.headers.get("content-type", "")
        return {} if media.startswith("application/x-www-form-urlencoded") else await original(request)

    mp.setattr(http_api, "_token_body", token_body)


def _query_ignored(mp: pytest.MonkeyPatch) -> None:
    original = http_api._token_body

    async def token_body(request: Any) -> dict:
        body = await original(request)
        return body or {k: "" for k in request.query_params}  # the query string's values are lost

    mp.setattr(http_api, "_token_body", token_body)


def _refreshed_token_not_stored(mp: pytest.MonkeyPatch) -> None:
    original = auth.Authenticator.issue

    def issue(self: Any, params: dict) -> Any:
        answer = original(self, params)
        if params.get("grant_type") == "refresh_token":  # answered, but a token the server does not accept
            answer["access_token"] = answer["access_token"].partition(".")[0] + ".unsigned"
        return answer

    mp.setattr(auth.Authenticator, "issue", issue)


def _refresh_reusable(mp: pytest.MonkeyPatch) -> None:
    def redeem(self: Any, refresh_token: str) -> Any:
        claims = self._verify(refresh_token, "refresh")  # never marked redeemed
        if claims is None:
            raise auth.TokenError(400, "invalid_grant", "Invalid refresh token")
        return self._users[claims["u"]]

    mp.setattr(auth.Authenticator, "_redeem", redeem)


def _no_header_is_admin(mp: pytest.MonkeyPatch) -> None:
    original = auth.Authenticator.authenticate

    def authenticate(self: Any, authorization: str | None) -> Any:
        if not authorization:
            return auth.Principal(next(iter(self._users.values())))
        return original(self, authorization)

    mp.setattr(auth.Authenticator, "authenticate", authenticate)


def _token_single_use(mp: pytest.MonkeyPatch) -> None:
    original = auth.Authenticator.authenticate

    def authenticate(self: Any, authorization: str | None) -> Any:
        principal = original(self, authorization)
        self._access.pop((authorization or "").partition(" ")[2].strip(), None)
        return principal

    mp.setattr(auth.Authenticator, "authenticate", authenticate)


# ---------------------------------------------------------------------- jobs


def _wrap_create_job(mp: pytest.MonkeyPatch, before: Callable[[Any], None]) -> None:
    original = job_service.JobService.create_job

    def create_job(self: Any, principal: Any, payload: Any) -> Any:
        before(payload)
        return original(self, principal, payload)

    mp.setattr(job_service.JobService, "create_job", create_job)


def _job_id_a_number(mp: pytest.MonkeyPatch) -> None:
    _endpoint(mp, "create_job", lambda body: {"id": int(body["id"])} if "id" in body else body)


def _name_check_schema_message(mp: pytest.MonkeyPatch) -> None:
    def before(payload: Any) -> None:
        if isinstance(payload, dict) and "name" not in payload:
            raise http_api.ApiError.bad_request("$: 'name' is a required property")

    _wrap_create_job(mp, before)


def _retailer_check_plain_code(mp: pytest.MonkeyPatch) -> None:
    def before(payload: Any) -> None:
        if isinstance(payload, dict) and "name" in payload and payload.get("retailerId") is None:
            raise http_api.ApiError.bad_request("'retailerId' is required")

    _wrap_create_job(mp, before)


def _meta_null_refused(mp: pytest.MonkeyPatch) -> None:
    def before(payload: Any) -> None:
        if isinstance(payload, dict) and "meta" in payload and payload["meta"] is None:
            raise http_api.ApiError.bad_request("'meta' must be an object")

    _wrap_create_job(mp, before)


def _unknown_job_400(mp: pytest.MonkeyPatch) -> None:
    original = job_service.JobService.job

    def job(self: Any, principal: Any, job_id: str) -> Any:
        if self._store.job(job_id) is None:
            raise http_api.ApiError.bad_request(f"Job {job_id} not found")
        return original(self, principal, job_id)

    mp.setattr(job_service.JobService, "job", job)


def _timestamps_without_millis(mp: pytest.MonkeyPatch) -> None:
    import datetime as dt

    def stamp(seconds: float) -> str:
        return dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    mp.setattr(http_api, "fluent_timestamp", stamp)


def _closed_job_stores_the_batch(mp: pytest.MonkeyPatch) -> None:
    original = jobs.InMemoryJobStore.add_batch

    def add_batch(self: Any, job: Any, **fields: Any) -> Any:
        if job.status(self._clock.now()) == "OPEN":
            return original(self, job, **fields)
        closes, job.closes_at = job.closes_at, float("inf")
        try:
            original(self, job, **fields)  # stored, listed...
        finally:
            job.closes_at = closes
        raise jobs.JobClosed(f"Job {job.id} is closed")  # ... and refused

    mp.setattr(jobs.InMemoryJobStore, "add_batch", add_batch)


# ---------------------------------------------------------------------- batches


def _wrap_add_batch(mp: pytest.MonkeyPatch, change: Callable[[dict], None]) -> None:
    original = jobs.InMemoryJobStore.add_batch

    def add_batch(self: Any, job: Any, **fields: Any) -> Any:
        change(fields)
        return original(self, job, **fields)

    mp.setattr(jobs.InMemoryJobStore, "add_batch", add_batch)


def _wrap_accept_batch(mp: pytest.MonkeyPatch, around: Callable[..., Any]) -> None:
    original = batches.BatchService.accept_batch
    mp.setattr(
        batches.BatchService,
        "accept_batch",
        lambda self, principal, job_id, payload: around(lambda p: original(self, principal, job_id, p), payload),
    )


def _records_dropped(mp: pytest.MonkeyPatch) -> None:
    _wrap_add_batch(mp, lambda fields: fields.update(entities=[], invalid={}))


def _batch_json(mp: pytest.MonkeyPatch, change: Callable[[dict], dict]) -> None:
    original = http_api._batch_json
    mp.setattr(http_api, "_batch_json", lambda *args: change(original(*args)))


def _no_created_on(mp: pytest.MonkeyPatch) -> None:
    _batch_json(mp, lambda body: {k: v for k, v in body.items() if k != "createdOn"})


def _job_lists_no_batches(mp: pytest.MonkeyPatch) -> None:
    _endpoint(mp, "read_job", lambda body: {**body, "batch": []} if "batch" in body else body)


def _pending_reads_complete(mp: pytest.MonkeyPatch) -> None:
    _batch_json(mp, lambda body: {**body, "status": "COMPLETE" if body["status"] == "PENDING" else body["status"]})


def _failed_records_fail_the_batch(mp: pytest.MonkeyPatch) -> None:
    original = worker.BatchWorker._process

    async def process(self: Any, job: Any, batches: list) -> None:
        await original(self, job, batches)
        for batch in batches:
            if batch.results:
                batch.status = "FAILED"

    mp.setattr(worker.BatchWorker, "_process", process)


def _limit_off_by_one(mp: pytest.MonkeyPatch) -> None:
    def around(accept: Callable, payload: Any) -> Any:
        if isinstance(payload, dict) and len(payload.get("entities") or []) >= 5000:
            raise http_api.ApiError.bad_request("more than 5000 entities")
        return accept(payload)

    _wrap_accept_batch(mp, around)


def _oversize_refused_but_stored(mp: pytest.MonkeyPatch) -> None:
    def around(accept: Callable, payload: Any) -> Any:
        if isinstance(payload, dict) and len(payload.get("entities") or []) > 5000:
            accept({**payload, "entities": payload["entities"][:5000]})
            raise http_api.ApiError.bad_request("more than 5000 entities")
        return accept(payload)

    _wrap_accept_batch(mp, around)


def _action_not_validated(mp: pytest.MonkeyPatch) -> None:
    _wrap_accept_batch(mp, lambda accept, payload: accept({**payload, "action": "UPSERT"} if payload else payload))


def _bad_record_drops_the_batch(mp: pytest.MonkeyPatch) -> None:
    original = preprocessing.BatchProcessor._take

    def take(self: Any, batch: Any, outcome: Any) -> list:
        records = original(self, batch, outcome)
        return [] if batch.invalid else records

    mp.setattr(preprocessing.BatchProcessor, "_take", take)


def _untyped_is_on_hand(mp: pytest.MonkeyPatch) -> None:
    mp.setattr(preprocessing, "LAST_ON_HAND", "ON_HAND")


def _default_catalogue_without_retailer(mp: pytest.MonkeyPatch) -> None:
    mp.setattr(batches, "default_catalogue_ref", lambda retailer_id: "DEFAULT")
    check = batches.require_batch_catalogue  # which would refuse a ref naming no retailer: let its own default by
    mp.setattr(
        batches, "require_batch_catalogue", lambda job, ref, rec: None if ref == "DEFAULT" else check(job, ref, rec)
    )


def _default_event_renamed(mp: pytest.MonkeyPatch) -> None:
    def change(fields: dict) -> None:
        if fields.get("event") == "InventoryChanged":
            fields["event"] = "InventoryUpdated"

    _wrap_add_batch(mp, change)


def _corrected_qty_null(mp: pytest.MonkeyPatch) -> None:
    original = preprocessing.Quantity

    def quantity(*args: Any, **kwargs: Any) -> Any:
        return original(*args[:7], args[7] or None, *args[8:], **kwargs)

    mp.setattr(preprocessing, "Quantity", quantity)


def _ref_without_catalogue_type(mp: pytest.MonkeyPatch) -> None:
    original = preprocessing.resolve_records

    def resolve(entities: Any, invalid: Any, catalogue_ref: str) -> list:
        # (index, sku, location, position ref, ref, type, ...): a default ref made without the catalogue type
        return [
            r if r[4] is not None else (*r[:4], f"{r[1]}:{r[2]}:{r[5]}", *r[5:])
            for r in original(entities, invalid, catalogue_ref)
        ]

    mp.setattr(preprocessing, "resolve_records", resolve)


# ---------------------------------------------------------------------- bpp-precedence


def _applies(mp: pytest.MonkeyPatch, rule: Callable[[bool, Any, Callable], bool]) -> None:
    """preprocessing_applies(setting, meta) answers rule(original answer, meta, original)."""
    original = preprocessing.preprocessing_applies

    def applies(setting: bool | None, meta: Any, *options: Any) -> bool:
        return rule(setting, meta, lambda s=setting, m=meta: original(s, m, *options))

    mp.setattr(preprocessing, "preprocessing_applies", applies)


def _given(meta: Any) -> Any:
    return meta.get("preprocessing") if isinstance(meta, dict) else None


def _on_only_when_meta_names_it(mp: pytest.MonkeyPatch) -> None:
    _applies(mp, lambda setting, meta, ok: ok() and _given(meta) is not None)


def _any_meta_value_opts_out(mp: pytest.MonkeyPatch) -> None:
    _applies(mp, lambda setting, meta, ok: ok() and not _given(meta))


def _only_enabled_keeps_it_on(mp: pytest.MonkeyPatch) -> None:
    _applies(mp, lambda setting, meta, ok: ok() and _given(meta) in (None, "enabled"))


def _empty_meta_opts_out(mp: pytest.MonkeyPatch) -> None:
    _applies(mp, lambda setting, meta, ok: ok() and meta != {})


def _enabled_beats_false(mp: pytest.MonkeyPatch) -> None:
    _applies(mp, lambda setting, meta, ok: _given(meta) == "enabled" or ok())


def _skip_toggles(mp: pytest.MonkeyPatch) -> None:
    _applies(mp, lambda setting, meta, ok: (setting is not False) != (_given(meta) == "skip"))


def _levels(mp: pytest.MonkeyPatch, combine: Callable[[list[bool]], bool | None]) -> None:
    def effective(self: Any, retailer_id: int) -> bool | None:
        found = [self.lookup(settings.BPP_SETTING, c, i) for c, i in (("RETAILER", retailer_id), ("ACCOUNT", 0))]
        return combine([v for v in (settings.parse_bool(s.value) for s in found if s is not None) if v is not None])

    mp.setattr(settings.SettingsService, "preprocessing", effective)


def _retailer_only_switches_on(mp: pytest.MonkeyPatch) -> None:
    _levels(mp, lambda values: (True in values) if values else None)


def _retailer_only_switches_off(mp: pytest.MonkeyPatch) -> None:
    _levels(mp, lambda values: (False not in values) if values else None)


def _wrap_process(mp: pytest.MonkeyPatch, job_for: Callable[[Any, Any, list], Any]) -> None:
    original = preprocessing.BatchProcessor.process

    def process(self: Any, job: Any, batches: list, outcome: Any) -> Iterator[None]:
        yield from original(self, job_for(self, job, batches), batches, outcome)

    mp.setattr(preprocessing.BatchProcessor, "process", process)


def _retailer_setting_bypasses_meta(mp: pytest.MonkeyPatch) -> None:
    def job_for(self: Any, job: Any, batches: list) -> Any:
        own = self._settings.lookup(settings.BPP_SETTING, "RETAILER", job.retailer_id)
        return dataclasses.replace(job, meta=None) if own is not None else job

    _wrap_process(mp, job_for)


def _meta_first_batch_only(mp: pytest.MonkeyPatch) -> None:
    _wrap_process(
        mp, lambda self, job, batches: job if batches[0] is job.batches[0] else dataclasses.replace(job, meta=None)
    )


# ---------------------------------------------------------------------- bpp-detection


def _is_change(mp: pytest.MonkeyPatch, rule: Callable[..., bool]) -> None:
    """_is_change(stored, position, qty, status, corrected, kind, transients) answers rule(original, *args)."""
    original = preprocessing._is_change
    mp.setattr(preprocessing, "_is_change", lambda *args: rule(original, *args))


def _events_to_the_quantity(mp: pytest.MonkeyPatch) -> None:
    original = preprocessing.EventBlock
    mp.setattr(preprocessing, "EventBlock", lambda *a: original(*a[:3], "INVENTORY_QUANTITY", *a[4:]))


def _filtered_touches_updated_on(mp: pytest.MonkeyPatch) -> None:
    def rule(original: Callable, stored: Any, *rest: Any) -> bool:
        changed = original(stored, *rest)
        if not changed:
            stored.updated_on += 1.0
        return changed

    _is_change(mp, rule)


def _everything_a_change(mp: pytest.MonkeyPatch) -> None:
    _is_change(mp, lambda original, *args: True)


def _qty_not_compared(mp: pytest.MonkeyPatch) -> None:
    _is_change(mp, lambda original, stored, position, qty, *rest: original(stored, position, stored.quantity, *rest))


def _status_not_compared(mp: pytest.MonkeyPatch) -> None:
    _is_change(mp, lambda original, stored, position, qty, status, *rest: original(stored, position, qty, None, *rest))


def _transients_ignored(mp: pytest.MonkeyPatch) -> None:
    _is_change(mp, lambda original, *args: original(*args[:6], dataclasses.replace(args[6], transients=frozenset())))


def _corrected_zero_keeps_correction(mp: pytest.MonkeyPatch) -> None:
    mp.setattr(preprocessing, "ACTIVE_CORRECTION", frozenset())


def _detection_without_preprocessing(mp: pytest.MonkeyPatch) -> None:
    original = preprocessing._write_chunk
    mp.setattr(preprocessing, "_write_chunk", lambda r, w, i, e, enabled, now, o: original(r, w, i, e, True, now, o))


def _compared_with_the_loaded_state(mp: pytest.MonkeyPatch) -> None:
    """The Loader/Comparison reading of SPEC 5.1 done wrong: every batch of a group is compared with the
    state loaded before the group (a quantity the group created counts as new) and de-duplicated alone."""
    original = preprocessing.BatchProcessor.process
    group: dict[str, float] = {}

    def process(self: Any, job: Any, batches: list, outcome: Any) -> Iterator[None]:
        real, now = self._clock, self._clock.now()
        self._clock, group["now"] = _Frozen(now), now
        try:
            for batch in batches:
                yield from original(self, job, [batch], outcome)
        finally:
            self._clock = real

    mp.setattr(preprocessing.BatchProcessor, "process", process)
    _is_change(mp, lambda original_, stored, *rest: stored.created_on == group.get("now") or original_(stored, *rest))


class _Frozen:
    def __init__(self, now: float) -> None:
        self._now = now

    def now(self) -> float:
        return self._now


def _m(name: str, group: str, breaks: str, patch: Callable[[pytest.MonkeyPatch], None]) -> Mutant:
    return Mutant(name, group, breaks, patch)


_REFERENCE_TRANSIENTS = [list(p) for p in ServerConfig().behaviours["bpp.default_transients"]]


PER_CLAUSE = [
    _m("token answer without expires_in", "auth", "AUTH-TOKEN-01", _no_expires_in),
    _m("any password accepted", "auth", "AUTH-TOKEN-02", _any_password),
    _m("form fields ignored", "auth", "AUTH-TOKEN-03", _form_ignored),
    _m("query string values lost", "auth", "AUTH-TOKEN-04", _query_ignored),
    _m("refreshed token not stored", "auth", "AUTH-REFRESH-01", _refreshed_token_not_stored),
    _m("refresh token reusable", "auth", "AUTH-REFRESH-02", _refresh_reusable),
    _m("no Authorization header served as a user", "auth", "AUTH-BEARER-01", _no_header_is_admin),
    _m("access token single use", "auth", "AUTH-BEARER-03", _token_single_use),
    _m("job id answered as a number", "jobs", "JOB-CREATE-01", _job_id_a_number),
    _m("missing name answered with the schema's message", "jobs", "JOB-CREATE-02", _name_check_schema_message),
    _m("missing retailerId answered code 400", "jobs", "JOB-CREATE-03", _retailer_check_plain_code),
    _m("meta null refused", "jobs", "JOB-CREATE-05", _meta_null_refused),
    _m("unknown job answered 400", "jobs", "JOB-READ-02", _unknown_job_400),
    _m("timestamps without milliseconds", "jobs", "JOB-READ-03", _timestamps_without_millis),
    playing("jobs live 24 h though midnight is declared", "jobs", "JOB-LIFE-01", job__lifetime="24h"),
    _m("batch to a closed job refused but stored", "jobs", "JOB-CLOSED-01", _closed_job_stores_the_batch),
    _m("accepted batch's records dropped", "batches", "BATCH-CREATE-01", _records_dropped),
    _m("batch read without createdOn", "batches", "BATCH-READ-01", _no_created_on),
    _m("job read lists no batches", "batches", "BATCH-READ-02", _job_lists_no_batches),
    _m("PENDING batch reads COMPLETE before processing", "batches", "BATCH-STATUS-01", _pending_reads_complete),
    _m("batch with failed records ends FAILED", "batches", "BATCH-STATUS-02", _failed_records_fail_the_batch),
    _m("batch of exactly the limit refused", "batches", "BATCH-LIMIT-01", _limit_off_by_one),
    _m("oversize batch refused but its first 5,000 stored", "batches", "BATCH-LIMIT-02", _oversize_refused_but_stored),
    _m("unknown action accepted", "batches", "BATCH-VALID-01", _action_not_validated),
    _m("one bad record drops the whole batch", "batches", "BATCH-ENTITY-01", _bad_record_drops_the_batch),
    _m("record without type stored as ON_HAND", "batches", "BATCH-DEFAULT-01", _untyped_is_on_hand),
    _m(
        "default catalogue DEFAULT without the retailer",
        "batches",
        "BATCH-DEFAULT-02",
        _default_catalogue_without_retailer,
    ),
    _m("default event named InventoryUpdated", "batches", "BATCH-DEFAULT-03", _default_event_renamed),
    _m("absent correctedQty stored as null", "batches", "BATCH-DEFAULT-04", _corrected_qty_null),
    _m("built ref leaves out the catalogue type", "batches", "BATCH-REF-01", _ref_without_catalogue_type),
    _m("BPP on only when meta names preprocessing", "bpp-precedence", "BPP-PREC-01", _on_only_when_meta_names_it),
    _m("any meta.preprocessing value opts out", "bpp-precedence", "BPP-PREC-03", _any_meta_value_opts_out),
    _m('only "enabled" keeps BPP on', "bpp-precedence", "BPP-PREC-04", _only_enabled_keeps_it_on),
    _m("meta {} opts out", "bpp-precedence", "BPP-PREC-05", _empty_meta_opts_out),
    _m('"enabled" beats a FALSE setting', "bpp-precedence", "BPP-PREC-06", _enabled_beats_false),
    _m('"skip" toggles the setting', "bpp-precedence", "BPP-PREC-07", _skip_toggles),
    _m("a RETAILER setting can only switch on", "bpp-precedence", "BPP-PREC-08", _retailer_only_switches_on),
    _m("a RETAILER setting can only switch off", "bpp-precedence", "BPP-PREC-09", _retailer_only_switches_off),
    _m("a RETAILER setting bypasses the job's meta", "bpp-precedence", "BPP-PREC-10", _retailer_setting_bypasses_meta),
    playing("no setting anywhere reads as off", "bpp-precedence", "BPP-PREC-11", bpp__default="off"),
    playing('"SKIP" read as "skip"', "bpp-precedence", "BPP-PREC-12", bpp__skip_case_sensitive=False),
    playing(
        "setting values read case-sensitively", "bpp-precedence", "BPP-PREC-13", bpp__setting_case_insensitive=False
    ),
    playing(
        "setting read when the job was created", "bpp-precedence", "BPP-PREC-14", bpp__setting_read_at="job_creation"
    ),
    _m("meta honoured on the job's first batch only", "bpp-precedence", "BPP-PREC-15", _meta_first_batch_only),
    _m("events addressed to the quantity", "bpp-detection", "BPP-OBS-01", _events_to_the_quantity),
    _m("a filtered record touches updatedOn", "bpp-detection", "BPP-OBS-02", _filtered_touches_updated_on),
    _m("every record counted as a change", "bpp-detection", "BPP-CHG-02", _everything_a_change),
    _m("qty not compared", "bpp-detection", "BPP-CHG-03", _qty_not_compared),
    _m("status not compared", "bpp-detection", "BPP-CHG-04", _status_not_compared),
    playing("absent status compared as ACTIVE", "bpp-detection", "BPP-CHG-05", bpp__absent_status="compared"),
    _m("transient quantities not checked", "bpp-detection", "BPP-CHG-06", _transients_ignored),
    playing("conditions extend the default transients", "bpp-detection", "BPP-CHG-07", bpp__conditions="merge"),
    playing(
        "ACTIVE RESERVED counted as a transient",
        "bpp-detection",
        "BPP-CHG-08",
        bpp__default_transients=[*_REFERENCE_TRANSIENTS, ["RESERVED", "ACTIVE"]],
    ),
    playing(
        "a differing correctedQty not compared", "bpp-detection", "BPP-CHG-12", bpp__compares_corrected_qty=False
    ),
    _m("correctedQty 0 leaves an ACTIVE CORRECTION", "bpp-detection", "BPP-CHG-12", _corrected_zero_keeps_correction),
    _m("change detection applied with BPP off", "bpp-detection", "BPP-CHG-13", _detection_without_preprocessing),
    playing("de-duplication per batch only", "bpp-detection", "BPP-DEDUP-02", bpp__dedup_scope="batch"),
    _m(
        "compared with the state loaded before the group",
        "bpp-detection",
        "BPP-DEDUP-03",
        _compared_with_the_loaded_state,
    ),
]
INGESTION_GROUPS = ("auth", "jobs", "batches", "bpp-precedence", "bpp-detection")


@contextlib.contextmanager
def applied(mutant: Mutant) -> Iterator[None]:
    """The mutant's patch in force for the block (a configuration mutant: see Mutant.configure)."""
    with pytest.MonkeyPatch.context() as mp:
        if mutant.patch is not None:
            mutant.patch(mp)
        yield
