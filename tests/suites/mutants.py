"""Deliberately broken variants of the reference server, one or more per clause group.

Each mutant is a patch applied to the in-process server for the duration of a ``with`` block; a
suite group run against the mutant must fail on the clause the mutant breaks.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from starlette.routing import request_response

from invharness.reference_impl import (
    auth,
    backend,
    deltas,
    feed_filters,
    feeds,
    http_api,
    inventory,
    preprocessing,
    settings,
)


@dataclass(frozen=True)
class Mutant:
    name: str
    group: str
    breaks: str  # the clause the group must fail on
    patch: Callable[[pytest.MonkeyPatch], None]


def _scheme_case_sensitive(mp: pytest.MonkeyPatch) -> None:
    original = auth.Authenticator.authenticate

    def authenticate(self: Any, authorization: str | None) -> Any:
        if authorization and not authorization.startswith("Bearer "):
            raise auth.ApiError.unauthorized()
        return original(self, authorization)

    mp.setattr(auth.Authenticator, "authenticate", authenticate)


def _job_read_answers_id(mp: pytest.MonkeyPatch) -> None:
    original = http_api.read_job

    async def read_job(request: Any) -> Any:
        answer = await original(request)
        body = http_api.orjson.loads(answer.body)
        body["id"] = body.pop("jobId")
        return http_api.json_response(body)

    mp.setattr(http_api, "read_job", read_job)
    mp.setattr(http_api.routes[2], "endpoint", read_job)
    mp.setattr(http_api.routes[2], "app", request_response(read_job))


def _no_results(mp: pytest.MonkeyPatch) -> None:
    original = http_api._batch_json
    mp.setattr(http_api, "_batch_json", lambda batch, start, count: {**original(batch, start, count), "results": []})


def _ignores_skip(mp: pytest.MonkeyPatch) -> None:
    mp.setattr(preprocessing, "preprocessing_applies", lambda setting, meta, default=True: setting is not False)


def _attributes_compared(mp: pytest.MonkeyPatch) -> None:
    original = preprocessing._is_change

    def is_change(stored: Any, *rest: Any) -> bool:
        return True if stored.segment or stored.attributes else original(stored, *rest)

    mp.setattr(preprocessing, "_is_change", is_change)


def _first_duplicate_wins(mp: pytest.MonkeyPatch) -> None:
    original = preprocessing.BatchProcessor._resolve

    def resolve(self: Any, batches: Any, outcome: Any) -> list[tuple]:
        records = original(self, batches, outcome)
        firsts: dict[str, tuple] = {}
        for record in records:
            firsts.setdefault(record[4], record)
        return [firsts[r[4]] for r in records]  # every duplicate replaced by the first one

    mp.setattr(preprocessing.BatchProcessor, "_resolve", resolve)


def _loh_keeps_transients(mp: pytest.MonkeyPatch) -> None:
    mp.setattr(inventory.Position, "deactivate", lambda self, types, now: None)


def _drops_custom_attributes(mp: pytest.MonkeyPatch) -> None:
    original = preprocessing._split
    mp.setattr(preprocessing, "_split", lambda attributes: (original(attributes)[0], None))


def _deltas_applied_twice(mp: pytest.MonkeyPatch) -> None:
    original = deltas.apply_deltas

    def apply(inventory_: Any, catalogue_ref: str, given: list[dict], now: float) -> Any:
        return original(inventory_, catalogue_ref, [{k: v for k, v in d.items() if k != "deltaId"} for d in given], now)

    mp.setattr(backend, "apply_deltas", apply)


def _no_match_is_complete(mp: pytest.MonkeyPatch) -> None:
    original = backend.Backend._process_event

    def process(self: Any, principal: Any, event: Any) -> None:
        original(self, principal, event)
        if event.status == "NO_MATCH":
            event.status, event.error_message = "COMPLETE", None

    mp.setattr(backend.Backend, "_process_event", process)


def _duplicate_settings_allowed(mp: pytest.MonkeyPatch) -> None:
    original = settings.SettingsStore.create

    def create(self: Any, name: str, *args: Any) -> Any:
        try:
            return original(self, name, *args)
        except settings.ConstraintViolation:
            return original(self, name + " ", *args)

    mp.setattr(settings.SettingsStore, "create", create)


def _any_region_accepted(mp: pytest.MonkeyPatch) -> None:
    original = feeds.FeedService.validate_destination

    def validate(self: Any, bucket: str) -> None:
        try:
            original(self, bucket)
        except feeds.FeedError as exc:
            if "IllegalLocationConstraintException" not in str(exc):
                raise

    mp.setattr(feeds.FeedService, "validate_destination", validate)


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
    Mutant("batch results always empty", "batches", "BATCH-ENTITY-02", _no_results),
    Mutant('"skip" ignored', "bpp-precedence", "BPP-PREC-02", _ignores_skip),
    Mutant("attribute-only change counted as a change", "bpp-detection", "BPP-CHG-09", _attributes_compared),
    Mutant("first duplicate wins", "bpp-detection", "BPP-DEDUP-01", _first_duplicate_wins),
    Mutant("LAST_ON_HAND keeps SALE, CORRECTION and DELTA active", "inventory", "INV-ONHAND-02", _loh_keeps_transients),
    Mutant("custom attributes dropped", "segmentation", "SEG-ATTR-02", _drops_custom_attributes),
    Mutant("deltas applied twice", "deltas", "DELTA-IDEM-01", _deltas_applied_twice),
    Mutant("NO_MATCH answered COMPLETE", "events", "EVT-SYNC-03", _no_match_is_complete),
    Mutant("duplicate settings accepted", "graphql", "GQL-SET-02", _duplicate_settings_allowed),
    Mutant("wrong-region bucket accepted", "feed-lifecycle", "FEED-ACT-01", _any_region_accepted),
    Mutant("NOT_IN read as IN", "feed-filters", "FEED-FLT-03", _not_in_is_in),
    Mutant("filters OR-ed", "feed-filters", "FEED-FLT-01", _filters_or_ed),
    Mutant("errors without the envelope", "contract-shape", "SHAPE-REST-01", _bare_errors),
]


@contextlib.contextmanager
def applied(mutant: Mutant) -> Iterator[None]:
    with pytest.MonkeyPatch.context() as mp:
        mutant.patch(mp)
        yield
