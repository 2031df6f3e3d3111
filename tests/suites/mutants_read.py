"""Broken reference servers for the read-side groups: at least one per MUST clause of inventory,
segmentation, deltas, events, graphql, feed-lifecycle and feed-filters.

Each is the plausible bug an implementer would make, on the stored effect where the clause is
about one (what is written, counted, deactivated, exported), not only on the answer's shape. A
suite group run against a mutant must fail on the clause the mutant ``breaks``.
"""

from __future__ import annotations

import copy
import dataclasses
import uuid
from typing import Any

import pytest
from starlette.routing import request_response

from invharness.reference_impl import vocabulary
from invharness.reference_impl.errors import ApiError
from invharness.reference_impl.services import deltas, feed_filters, feeds, preprocessing
from invharness.reference_impl.services import events as event_services
from invharness.reference_impl.services import inventory as inventory_services
from invharness.reference_impl.services.batches import BatchService
from invharness.reference_impl.services.events import EventService
from invharness.reference_impl.services.inventory import InventoryService
from invharness.reference_impl.stores import inventory
from invharness.reference_impl.stores.events import InMemoryEventLog
from invharness.reference_impl.stores.settings import InMemorySettingsStore, Setting
from invharness.reference_impl.transport import http_api
from invharness.reference_impl.transport.graphql import common, schema
from tests.suites.mutants import Mutant, destination_check_skipped, playing

__all__ = ["READ_MUTANTS"]

MP = pytest.MonkeyPatch


def _route(mp: MP, path: str, method: str, endpoint: Any) -> None:
    """Serve ``endpoint`` at ``path`` (starlette keeps the handler it was given at import)."""
    route = next(r for r in http_api.routes if r.path == path and method in (r.methods or ()))
    mp.setattr(route, "endpoint", endpoint)
    mp.setattr(route, "app", request_response(endpoint))


def _graphql_resolver(mp: MP, type_name: str, field: str, wrap: Any) -> None:
    """Wrap one resolver of the (cached) executable schema."""
    definition = schema.build_schema().get_type(type_name).fields[field]
    mp.setattr(definition, "resolve", wrap(definition.resolve))


# ---------------------------------------------------------------------- inventory


def _record_status_ignored(mp: MP) -> None:
    original = BatchService.accept_batch

    def accept(self: Any, principal: Any, job_id: str, payload: Any) -> Any:
        if isinstance(payload, dict) and isinstance(payload.get("entities"), list):
            payload = {
                **payload,
                "entities": [{k: v for k, v in e.items() if k != "status"} for e in payload["entities"]],
            }
        return original(self, principal, job_id, payload)

    mp.setattr(BatchService, "accept_batch", accept)


def _catalogue_ref_ignored(mp: MP) -> None:
    original = BatchService.accept_batch

    def accept(self: Any, principal: Any, job_id: str, payload: Any) -> Any:
        if isinstance(payload, dict):
            payload = {k: v for k, v in payload.items() if k != "catalogueRef"}
        return original(self, principal, job_id, payload)

    mp.setattr(BatchService, "accept_batch", accept)


def _on_hand(counts: Any) -> property:
    """onHand summed over the quantities ``counts`` lets through (the status follows it)."""
    return property(lambda self: sum(q.quantity for q in self.held() if counts(q)))


def _on_hand_counts_inactive(mp: MP) -> None:
    mp.setattr(inventory.Position, "on_hand", _on_hand(lambda q: q.type in vocabulary.ONHAND_TYPES))


def _on_hand_counts_every_type(mp: MP) -> None:
    mp.setattr(inventory.Position, "on_hand", _on_hand(lambda q: q.status == vocabulary.ACTIVE))


def _loh_keeps_transients(mp: MP) -> None:
    mp.setattr(preprocessing, "LOH_DEACTIVATES", frozenset())


def _loh_clears_reserved(mp: MP) -> None:
    mp.setattr(preprocessing, "LOH_DEACTIVATES", vocabulary.LOH_DEACTIVATES | {"RESERVED"})


def _any_record_clears_transients(mp: MP) -> None:
    original = preprocessing._write_chunk

    def write(records: list[tuple], writer: Any, inventory_: Any, events_: Any, *rest: Any) -> None:
        original(records, writer, inventory_, events_, *rest)
        now = rest[1]
        for record in records:  # (index, sku, location, position ref, ref, type, ...)
            pos_ref, kind = record[3], record[5]
            position = inventory_.find_position(writer.catalogue.ref, pos_ref)
            if position is not None and kind != vocabulary.LAST_ON_HAND:
                position.deactivate(vocabulary.LOH_DEACTIVATES, now)
                position.recompute(now)

    mp.setattr(preprocessing, "_write_chunk", write)


def _virtual_not_floored(mp: MP) -> None:
    original = inventory.to_virtual

    def to_virtual(position: Any, ref: str) -> Any:
        made = original(position, ref)
        return inventory.VirtualPosition(**{**_fields(made), "quantity": position.on_hand})

    mp.setattr(inventory, "to_virtual", to_virtual)


def _fields(value: Any) -> dict[str, Any]:
    return {name: getattr(value, name) for name in value.__slots__}


INVENTORY = [
    Mutant("a record's status is not stored", "inventory", "INV-IQ-01", _record_status_ignored),
    Mutant("catalogueRef ignored: every record goes to DEFAULT", "inventory", "INV-IQ-01", _catalogue_ref_ignored),
    Mutant("onHand counts INACTIVE quantities", "inventory", "INV-ONHAND-01", _on_hand_counts_inactive),
    Mutant("onHand counts ON_ORDER and every other type", "inventory", "INV-ONHAND-01", _on_hand_counts_every_type),
    Mutant("LAST_ON_HAND keeps SALE, CORRECTION, DELTA", "inventory", "INV-ONHAND-02", _loh_keeps_transients),
    Mutant("LAST_ON_HAND deactivates RESERVED too", "inventory", "INV-ONHAND-02", _loh_clears_reserved),
    Mutant("any record type clears transients", "inventory", "INV-ONHAND-03", _any_record_clears_transients),
    Mutant("virtual quantity not floored at 0", "inventory", "INV-VP-01", _virtual_not_floored),
]

# ---------------------------------------------------------------------- segmentation


def _newer_fields_custom(mp: MP) -> None:
    mp.setattr(inventory, "_SEGMENT", inventory._SEGMENT - {"channel", "segment1", "segment2", "segment3"})


def _segment_kept_from_creation(mp: MP) -> None:
    original = preprocessing._write_chunk

    def write(records: list[tuple], writer: Any, inventory_: Any, *rest: Any) -> None:
        kept = []
        for record in records:  # (index, sku, location, position ref, ref, type, ...)
            pos_ref, ref = record[3], record[4] or f"{record[3]}:{record[5]}"
            position = inventory_.find_position(writer.catalogue.ref, pos_ref)
            stored = position.quantities.get(ref) if position is not None else None
            if stored is not None and stored.segment:
                kept.append((stored, stored.segment))
        original(records, writer, inventory_, *rest)
        for stored, segment in kept:
            stored.segment = segment

    mp.setattr(preprocessing, "_write_chunk", write)


def _drops_custom_attributes(mp: MP) -> None:
    original = inventory.split_attributes

    def split(attributes: dict) -> tuple:
        segment, _custom, parent_ref = original(attributes)
        return segment, None, parent_ref

    mp.setattr(inventory, "split_attributes", split)


def _segment_match(compare: Any) -> Any:
    def match(quantity: Any, wanted: dict[str, list[Any]]) -> bool:
        segment = quantity.segment or {}
        return all(any(compare(segment.get(name), v) for v in values) for name, values in wanted.items())

    return match


def _segments_match_prefixes(mp: MP) -> None:
    mp.setattr(inventory_services, "_segment_match", _segment_match(lambda have, v: str(have or "").startswith(str(v))))


def _segments_match_any_case(mp: MP) -> None:
    ignoring_case = _segment_match(lambda have, v: str(have).lower() == str(v).lower())
    mp.setattr(inventory_services, "_segment_match", ignoring_case)


SEGMENTATION = [
    Mutant("channel and segment1-3 kept as custom attributes", "segmentation", "SEG-ATTR-01", _newer_fields_custom),
    Mutant("segment fields written only on creation", "segmentation", "SEG-ATTR-01", _segment_kept_from_creation),
    Mutant("custom attributes dropped", "segmentation", "SEG-ATTR-02", _drops_custom_attributes),
    Mutant("segment search matches prefixes", "segmentation", "SEG-FILTER-01", _segments_match_prefixes),
    Mutant("segment search ignores case", "segmentation", "SEG-FILTER-01", _segments_match_any_case),
]

# ---------------------------------------------------------------------- deltas


def _apply_wrapped(mp: MP, before: Any = None, after: Any = None) -> None:
    """EventService's apply_deltas with the deltas changed ``before`` or the outcome handled ``after``."""
    original = deltas.apply_deltas

    def apply(inventory_: Any, catalogue_ref: str, given: list[dict], now: float, **options: Any) -> Any:
        given = before(given) if before else given
        outcome = original(inventory_, catalogue_ref, given, now, **options)
        return after(inventory_, catalogue_ref, given, now, outcome) if after else outcome

    mp.setattr(event_services, "apply_deltas", apply)


def _async_never_applied(mp: MP) -> None:
    post, process = EventService.post_event, EventService.process

    def post_event(self: Any, principal: Any, payload: Any, sync: bool) -> Any:
        event = post(self, principal, payload, sync)
        if not sync:
            event.source = "async"  # marked before the loop gets to process it
        return event

    def process_event(self: Any, principal: Any, event: Any) -> None:
        if event.source == "async":
            event.status = "COMPLETE"  # answered as done, never applied
        else:
            process(self, principal, event)

    mp.setattr(EventService, "post_event", post_event)
    mp.setattr(EventService, "process", process_event)


def _sign_lost(mp: MP) -> None:
    _apply_wrapped(mp, before=lambda given: [{**d, "qty": abs(d["qty"])} for d in given])


def _last_delta_per_position(mp: MP) -> None:
    def last(given: list[dict]) -> list[dict]:
        return list({(d["productRef"], d["locationRef"]): d for d in given}.values())

    _apply_wrapped(mp, before=last)


def _partial_apply(mp: MP) -> None:
    def after(inventory_: Any, catalogue_ref: str, given: list[dict], now: float, outcome: Any) -> Any:
        if outcome.status != "FAILED":
            return outcome
        known = [
            d
            for d in given
            if inventory_.find_position(
                catalogue_ref, vocabulary.position_ref(d["productRef"], d["locationRef"], catalogue_ref)
            )
        ]
        deltas.apply_deltas(inventory_, catalogue_ref, known, now)
        return outcome

    _apply_wrapped(mp, after=after)


def _loh_keeps_deltas(mp: MP) -> None:
    mp.setattr(preprocessing, "LOH_DEACTIVATES", frozenset({"SALE", "CORRECTION"}))


DELTAS = [
    Mutant("async deltas answered COMPLETE but never applied", "deltas", "DELTA-APPLY-01", _async_never_applied),
    Mutant("a delta's sign is lost", "deltas", "DELTA-APPLY-01", _sign_lost),
    Mutant("only the last delta of a position applies", "deltas", "DELTA-APPLY-02", _last_delta_per_position),
    Mutant("known positions' deltas applied when one is unknown", "deltas", "DELTA-ATOMIC-01", _partial_apply),
    playing("deltaId ignored: a replay is applied again", "deltas", "DELTA-IDEM-01", delta__idempotent_delta_id=False),
    playing("deltas accumulate into one DELTA quantity", "deltas", "DELTA-PERIQ-01", delta__iq_per_delta=False),
    Mutant("LAST_ON_HAND leaves DELTA quantities active", "deltas", "DELTA-LOH-01", _loh_keeps_deltas),
]

# ---------------------------------------------------------------------- events


def _answer_changed(mp: MP, path: str, change: Any) -> None:
    """The endpoint at ``path`` (POST) with its JSON answer changed: change(body, status) -> (body, status)."""
    original = next(r for r in http_api.routes if r.path == path).endpoint

    async def endpoint(request: Any) -> Any:
        answer = await original(request)
        body, status = change(http_api.orjson.loads(answer.body), answer.status_code)
        return http_api.json_response(body, status)

    _route(mp, path, "POST", endpoint)


def _sync_id_of_nothing(mp: MP) -> None:
    _answer_changed(mp, "/api/v4.1/event/sync", lambda body, status: ({**body, "eventId": str(uuid.uuid4())}, status))


def _failed_sync_answers_200(mp: MP) -> None:
    _answer_changed(
        mp, "/api/v4.1/event/sync", lambda body, status: (body, 200 if body.get("eventStatus") == "FAILED" else status)
    )


def _failed_sync_without_message(mp: MP) -> None:
    _answer_changed(
        mp,
        "/api/v4.1/event/sync",
        lambda body, status: ({k: v for k, v in body.items() if k != "errorMessage"}, status),
    )


def _no_match_is_complete(mp: MP) -> None:
    original = EventService.process

    def process(self: Any, principal: Any, event: Any) -> None:
        original(self, principal, event)
        if event.status == "NO_MATCH":
            event.status, event.error_message = "COMPLETE", None

    mp.setattr(EventService, "process", process)


def _async_never_processed(mp: MP) -> None:
    post, process = EventService.post_event, EventService.process

    def post_event(self: Any, principal: Any, payload: Any, sync: bool) -> Any:
        event = post(self, principal, payload, sync)
        if not sync:
            event.source = "async"
        return event

    def process_event(self: Any, principal: Any, event: Any) -> None:
        if event.source != "async":  # an async event is left PENDING for ever
            process(self, principal, event)

    mp.setattr(EventService, "post_event", post_event)
    mp.setattr(EventService, "process", process_event)


def _read_off_by_one(mp: MP) -> None:
    def get(self: Any, event_id: str) -> Any:
        prefix, _, seq_hex = event_id.rpartition("-")
        try:
            return self._view(int(seq_hex, 16) + 1) if prefix == self._prefix else None
        except ValueError:
            return None

    mp.setattr(InMemoryEventLog, "get", get)


def _unknown_event_is_400(mp: MP) -> None:
    original = EventService.event

    def event(self: Any, principal: Any, event_id: str) -> Any:
        try:
            return original(self, principal, event_id)
        except ApiError as exc:
            raise ApiError.bad_request(f"invalid event id {event_id}") from exc

    mp.setattr(EventService, "event", event)


def _search_ignores_context(mp: MP) -> None:
    original = InMemoryEventLog.search

    def search(self: Any, filters: dict[str, str], *rest: Any) -> Any:
        return original(self, {k: v for k, v in filters.items() if k == "name"}, *rest)

    mp.setattr(InMemoryEventLog, "search", search)


def _search_ignores_time(mp: MP) -> None:
    original = InMemoryEventLog.search

    def search(self: Any, filters: dict[str, str], since: float, until: float, *rest: Any) -> Any:
        return original(self, filters, 0.0, float("inf"), *rest)

    mp.setattr(InMemoryEventLog, "search", search)


EVENTS = [
    Mutant("sync answers an eventId of no stored event", "events", "EVT-SYNC-01", _sync_id_of_nothing),
    Mutant("a failed sync event answers 200", "events", "EVT-SYNC-02", _failed_sync_answers_200),
    Mutant("a failed sync event gives no errorMessage", "events", "EVT-SYNC-02", _failed_sync_without_message),
    Mutant("NO_MATCH answered COMPLETE", "events", "EVT-SYNC-03", _no_match_is_complete),
    playing("async answers eventId, not the declared id", "events", "EVT-ASYNC-01", event__async_id_field="eventId"),
    Mutant("async events are never processed", "events", "EVT-ASYNC-01", _async_never_processed),
    Mutant("event read answers the next event", "events", "EVT-READ-01", _read_off_by_one),
    Mutant("an unknown event id answers 400", "events", "EVT-READ-01", _unknown_event_is_400),
    Mutant("event search ignores context filters", "events", "EVT-SEARCH-01", _search_ignores_context),
    Mutant("event search ignores from and to", "events", "EVT-SEARCH-01", _search_ignores_time),
]

# ---------------------------------------------------------------------- graphql


def _setting_not_stored(mp: MP) -> None:
    def create(self: Any, name: str, value_type: str, value: Any, lob_value: Any, context: str, context_id: int) -> Any:
        return Setting(next(self._ids), name, value_type, value, lob_value, context, context_id)

    mp.setattr(InMemorySettingsStore, "create", create)


def _settings_search_ignores_context(mp: MP) -> None:
    original = InMemorySettingsStore.search

    def search(self: Any, **filters: Any) -> Any:
        return original(self, **{k: v for k, v in filters.items() if k not in ("context", "context_id")})

    mp.setattr(InMemorySettingsStore, "search", search)


def _duplicate_setting_overwrites(mp: MP) -> None:
    original = InMemorySettingsStore.create

    def create(self: Any, name: str, value_type: str, value: Any, lob_value: Any, context: str, context_id: int) -> Any:
        found = self.lookup(name, context, context_id)
        if found is not None:
            return self.update(found.id, value=value, lob_value=lob_value)
        return original(self, name, value_type, value, lob_value, context, context_id)

    mp.setattr(InMemorySettingsStore, "create", create)


def _update_setting_not_stored(mp: MP) -> None:
    def update(self: Any, setting_id: int, **changes: Any) -> Any:
        copy = dataclasses.replace(self._by_id[setting_id])
        for name, value in changes.items():
            if value is not None:
                setattr(copy, name, value)
        return copy

    mp.setattr(InMemorySettingsStore, "update", update)


def _value_type_not_answered(mp: MP) -> None:
    _graphql_resolver(mp, "Setting", "valueType", lambda _resolve: lambda *_args, **_kw: None)


def _quantities_not_answered(mp: MP) -> None:
    def wrap(resolve: Any) -> Any:
        return lambda position, info, **kw: common.connection([], None, None, 500)

    _graphql_resolver(mp, "InventoryPosition", "quantities", wrap)


def _positions_ignore_product_ref(mp: MP) -> None:
    def wrap(resolve: Any) -> Any:
        return lambda root, info, **kw: resolve(root, info, **{k: v for k, v in kw.items() if k != "product_ref"})

    _graphql_resolver(mp, "Query", "inventoryPositions", wrap)


def _created_quantity_status_ignored(mp: MP) -> None:
    original = InventoryService.create_quantity
    mp.setattr(InventoryService, "create_quantity", lambda self, p, data: original(self, p, {**data, "status": None}))


def _quantity_update_not_stored(mp: MP) -> None:
    original = InventoryService.update_quantity

    def update(self: Any, principal: Any, data: dict[str, Any]) -> Any:
        stored = self.quantity(principal, data["catalogue"]["ref"], data["ref"])
        if stored is None:
            return original(self, principal, data)
        answer = copy.copy(stored)
        for name in ("status", "type", "quantity"):
            if data.get(name) is not None:
                setattr(answer, name, data[name])
        return answer

    mp.setattr(InventoryService, "update_quantity", update)


def _virtual_positions_ignore_product_ref(mp: MP) -> None:
    def wrap(resolve: Any) -> Any:
        return lambda root, info, **kw: resolve(root, info, **{k: v for k, v in kw.items() if k != "product_ref"})

    _graphql_resolver(mp, "Query", "virtualPositions", wrap)


def _pages_ignore_after(mp: MP) -> None:
    original = common.connection
    mp.setattr(common, "connection", lambda items, first, after, cap: original(items, first, None, cap))


def _has_next_page_when_full(mp: MP) -> None:
    original = common.connection

    def connection(items: list[Any], first: int | None, after: str | None, cap: int) -> dict[str, Any]:
        page = original(items, first, after, cap)
        size = min(common.DEFAULT_PAGE if first is None else first, cap)
        page["page_info"]["has_next_page"] = len(page["edges"]) == size  # "a full page means more follow"
        return page

    mp.setattr(common, "connection", connection)


GRAPHQL = [
    Mutant("createSetting answers but stores nothing", "graphql", "GQL-SET-01", _setting_not_stored),
    Mutant("settings query ignores context and contextId", "graphql", "GQL-SET-01", _settings_search_ignores_context),
    Mutant("a duplicate setting overwrites the first", "graphql", "GQL-SET-02", _duplicate_setting_overwrites),
    Mutant("updateSetting answers but stores nothing", "graphql", "GQL-SET-03", _update_setting_not_stored),
    Mutant("a setting's valueType is not answered", "graphql", "GQL-SET-04", _value_type_not_answered),
    Mutant("a position's quantities are not answered", "graphql", "GQL-INV-01", _quantities_not_answered),
    Mutant("inventoryPositions ignores productRef", "graphql", "GQL-INV-01", _positions_ignore_product_ref),
    Mutant("createInventoryQuantity ignores status", "graphql", "GQL-INV-02", _created_quantity_status_ignored),
    Mutant("updateInventoryQuantity answers but stores nothing", "graphql", "GQL-INV-02", _quantity_update_not_stored),
    Mutant("virtualPositions ignores productRef", "graphql", "GQL-VP-01", _virtual_positions_ignore_product_ref),
    Mutant("connections ignore after", "graphql", "GQL-PAGE-01", _pages_ignore_after),
    Mutant("hasNextPage true on a full last page", "graphql", "GQL-PAGE-01", _has_next_page_when_full),
]

# ---------------------------------------------------------------------- feed-lifecycle


def _feed_not_saved(mp: MP) -> None:
    original = feeds.FeedService.create

    def create(self: Any, principal: Any, data: dict[str, Any]) -> Any:
        feed = original(self, principal, data)
        del self._store._feeds[feed.ref]  # the in-memory store's index
        return feed

    mp.setattr(feeds.FeedService, "create", create)


def _filters_not_saved(mp: MP) -> None:
    original = feeds.FeedService.create

    def create(self: Any, principal: Any, data: dict[str, Any]) -> Any:
        feed = original(self, principal, data)
        feed.filters = []
        return feed

    mp.setattr(feeds.FeedService, "create", create)


def _policy_names_the_source_bucket(mp: MP) -> None:
    original = feeds.feed_policy
    mp.setattr(feeds, "feed_policy", lambda bucket: original(feeds.S3Settings().source_bucket))


def _policy_attribute_renamed(mp: MP) -> None:
    def wrap(resolve: Any) -> Any:
        return lambda feed, info, **kw: [{**a, "name": "BUCKET_POLICY"} for a in resolve(feed, info, **kw)]

    _graphql_resolver(mp, "InventoryFeed", "attributes", wrap)


_any_region_accepted = destination_check_skipped("IllegalLocationConstraintException")


_missing_policy_accepted = destination_check_skipped("no bucket policy")


def _patch_update(mp: MP, update: Any) -> None:
    """Replace FeedService.update, on both routes to it (GraphQL calls update_off_loop)."""

    async def update_off_loop(self: Any, principal: Any, data: dict[str, Any]) -> Any:
        return update(self, principal, data)

    mp.setattr(feeds.FeedService, "update", update)
    mp.setattr(feeds.FeedService, "update_off_loop", update_off_loop)


def _refused_activation_stored(mp: MP) -> None:
    original = feeds.FeedService.update

    def update(self: Any, principal: Any, data: dict[str, Any]) -> Any:
        try:
            return original(self, principal, data)
        except feeds.FeedError:
            feed = self._store.feed(data.get("ref", ""))
            if feed is not None and data.get("status") == "ACTIVE":
                feed.status = "ACTIVE"  # the status is written before the destination is validated
            raise

    _patch_update(mp, update)


def _activation_not_stored(mp: MP) -> None:
    original = feeds.FeedService.update

    def update(self: Any, principal: Any, data: dict[str, Any]) -> Any:
        feed = self._store.feed(data.get("ref", ""))
        if feed is None or data.get("status") != "ACTIVE" or feed.status == "ACTIVE":
            return original(self, principal, data)
        feeds.require_admin(principal, "manage inventory feeds")
        self.validate_destination(feed.bucket)
        return dataclasses.replace(feed, status="ACTIVE")  # answered, never stored

    _patch_update(mp, update)


def _switched_off_feeds_keep_running(mp: MP) -> None:
    original = feeds.FeedService.update

    def update(self: Any, principal: Any, data: dict[str, Any]) -> Any:
        feed = self._store.feed(data.get("ref", ""))
        scheduled = feed.next_run_at if feed is not None else None
        updated = original(self, principal, data)
        if updated.next_run_at is None:
            updated.next_run_at = scheduled
        return updated

    def due(self: Any) -> list[Any]:
        now = self._clock.now()
        return [f for f in self._store.feeds() if f.next_run_at is not None and f.next_run_at <= now]

    _patch_update(mp, update)
    mp.setattr(feeds.FeedService, "due", due)


def _no_way_back_on(mp: MP) -> None:
    original = feeds.FeedService.update

    def update(self: Any, principal: Any, data: dict[str, Any]) -> Any:
        feed = self._store.feed(data.get("ref", ""))
        if feed is not None and feed.status == "INACTIVE" and data.get("status") == "ACTIVE":
            raise feeds.FeedError("an INACTIVE feed cannot change status")
        return original(self, principal, data)

    _patch_update(mp, update)


def _latest_run_only(mp: MP) -> None:
    def wrap(resolve: Any) -> Any:
        def resolver(root: Any, info: Any, **kw: Any) -> Any:
            page = resolve(root, info, **kw)
            return {**page, "edges": page["edges"][-1:]}

        return resolver

    _graphql_resolver(mp, "Query", "inventoryFeedRuns", wrap)


def _run_not_found_by_ref(mp: MP) -> None:
    mp.setattr(feeds.FeedService, "find_run", lambda self, principal, ref: None)


def _record_count_of_the_source(mp: MP) -> None:
    original = feeds.FeedService.finish_run

    def finish(self: Any, run: Any, rows: list[Any]) -> Any:
        done = original(self, run, rows)
        if done.status == "SUCCESS":
            everything = feed_filters.selection(self._inventory, run.feed.source_type, [], None)
            done.record_count = sum(len(chunk) for chunk in everything)
        return done

    mp.setattr(feeds.FeedService, "finish_run", finish)


def _interval_in_minutes(mp: MP) -> None:
    original = feeds.FeedService.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        self.interval_s *= 60

    mp.setattr(feeds.FeedService, "__init__", init)


def _runs_every_tick(mp: MP) -> None:
    original = feeds.FeedService.start_run

    def start(self: Any, feed: Any) -> Any:
        begun = original(self, feed)
        feed.next_run_at = self._clock.now()
        return begun

    mp.setattr(feeds.FeedService, "start_run", start)


class _NoCopy:
    """An S3 client whose copy to the destination does nothing (the replication is never set up)."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def copy_object(self, **_kwargs: Any) -> dict[str, Any]:
        return {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


def _file_never_replicated(mp: MP) -> None:
    original = feeds.FeedService._s3
    mp.setattr(feeds.FeedService, "_s3", lambda self: _NoCopy(original(self)))


def _failure_counts_as_success(mp: MP) -> None:
    original = feeds.FeedService.fail_run

    def fail(self: Any, run: Any, reason: str) -> Any:
        run.feed.last_success_started = run.started_on
        return original(self, run, reason)

    mp.setattr(feeds.FeedService, "fail_run", fail)


def _failure_without_message(mp: MP) -> None:
    original = feeds.FeedService.fail_run
    mp.setattr(feeds.FeedService, "fail_run", lambda self, run, reason: original(self, run, ""))


LIFECYCLE = [
    Mutant("createInventoryFeed answers but saves nothing", "feed-lifecycle", "FEED-CREATE-01", _feed_not_saved),
    Mutant("a feed's filters are not saved", "feed-lifecycle", "FEED-CREATE-01", _filters_not_saved),
    Mutant("the policy names the source bucket", "feed-lifecycle", "FEED-CREATE-02", _policy_names_the_source_bucket),
    Mutant("the policy comes under another name", "feed-lifecycle", "FEED-CREATE-02", _policy_attribute_renamed),
    Mutant("wrong-region bucket accepted", "feed-lifecycle", "FEED-ACT-01", _any_region_accepted),
    Mutant("a bucket without the policy accepted", "feed-lifecycle", "FEED-ACT-02", _missing_policy_accepted),
    Mutant("a refused activation stores ACTIVE", "feed-lifecycle", "FEED-ACT-02", _refused_activation_stored),
    Mutant("activation answered ACTIVE, not stored", "feed-lifecycle", "FEED-ACT-03", _activation_not_stored),
    Mutant("switched-off feeds keep running", "feed-lifecycle", "FEED-ACT-04", _switched_off_feeds_keep_running),
    Mutant("a switched-off feed cannot come back on", "feed-lifecycle", "FEED-ACT-04", _no_way_back_on),
    Mutant("inventoryFeedRuns lists the latest run only", "feed-lifecycle", "FEED-RUN-01", _latest_run_only),
    Mutant("inventoryFeedRun finds no run by ref", "feed-lifecycle", "FEED-RUN-01", _run_not_found_by_ref),
    Mutant("recordCount counts the whole source", "feed-lifecycle", "FEED-RUN-02", _record_count_of_the_source),
    Mutant("the interval is read as minutes", "feed-lifecycle", "FEED-SCHED-01", _interval_in_minutes),
    Mutant("a feed runs at every scheduler tick", "feed-lifecycle", "FEED-SCHED-01", _runs_every_tick),
    Mutant("the file never reaches the destination", "feed-lifecycle", "FEED-OUT-01", _file_never_replicated),
    Mutant("a failed run counts as the last success", "feed-lifecycle", "FEED-RUN-04", _failure_counts_as_success),
    Mutant("a failed run carries no error message", "feed-lifecycle", "FEED-RUN-04", _failure_without_message),
]

# ---------------------------------------------------------------------- feed-filters


def _filters_rewritten(mp: MP, rewrite: Any) -> None:
    """feed_filters.matches over filters changed by ``rewrite(filters) -> filters``."""
    original = feed_filters.matches
    mp.setattr(feed_filters, "matches", lambda row, filters: original(row, rewrite(filters)))


def _filters_or_ed(mp: MP) -> None:
    original = feed_filters.matches
    mp.setattr(feed_filters, "matches", lambda row, filters: not filters or any(original(row, [f]) for f in filters))


def _first_filter_only(mp: MP) -> None:
    _filters_rewritten(mp, lambda filters: filters[:1])


def _first_member(operator: str) -> Any:
    def rewrite(filters: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{**f, "value": f["value"][:1]} if f["operator"] == operator else f for f in filters]

    return rewrite


def _in_first_member_only(mp: MP) -> None:
    _filters_rewritten(mp, _first_member("IN"))


def _in_ignores_case(mp: MP) -> None:
    mp.setitem(
        feed_filters._OPERATORS, "IN", lambda field, values: str(field).lower() in {str(v).lower() for v in values}
    )


def _not_in_is_in(mp: MP) -> None:
    mp.setitem(feed_filters._OPERATORS, "NOT_IN", feed_filters._OPERATORS["IN"])


def _not_in_first_member_only(mp: MP) -> None:
    _filters_rewritten(mp, _first_member("NOT_IN"))


def _not_equal_keeps_everything(mp: MP) -> None:
    mp.setitem(feed_filters._OPERATORS, "NOT_EQUAL_TO", lambda field, value: True)


def _equal_to_is_in_by_prefix(mp: MP) -> None:
    mp.setitem(feed_filters._OPERATORS, "EQUAL_TO", lambda field, value: str(field).startswith(str(value)))


FILTERS = [
    Mutant("filters OR-ed", "feed-filters", "FEED-FLT-01", _filters_or_ed),
    Mutant("only the first filter applies", "feed-filters", "FEED-FLT-01", _first_filter_only),
    Mutant("IN compares with its first member only", "feed-filters", "FEED-FLT-02", _in_first_member_only),
    Mutant("IN ignores case", "feed-filters", "FEED-FLT-02", _in_ignores_case),
    Mutant("NOT_IN read as IN", "feed-filters", "FEED-FLT-03", _not_in_is_in),
    Mutant("NOT_IN excludes its first member only", "feed-filters", "FEED-FLT-03", _not_in_first_member_only),
    Mutant("NOT_EQUAL_TO keeps everything", "feed-filters", "FEED-FLT-04", _not_equal_keeps_everything),
    Mutant("EQUAL_TO matches prefixes", "feed-filters", "FEED-FLT-04", _equal_to_is_in_by_prefix),
]

READ_MUTANTS: list[Mutant] = [*INVENTORY, *SEGMENTATION, *DELTAS, *EVENTS, *GRAPHQL, *LIFECYCLE, *FILTERS]
