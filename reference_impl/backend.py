"""The server's domain facade: one object that owns every store and carries out each operation.

HTTP and GraphQL handlers parse and authenticate, then call here with a payload; here it is
validated against the contract, applied to the domain, and the answer's data returned.
"""

from __future__ import annotations

import asyncio
from typing import Any

from invharness import contracts
from invharness.reference_impl.auth import Authenticator, Principal
from invharness.reference_impl.clock import Clock, OffsetClock, SystemClock
from invharness.reference_impl.config import ServerConfig
from invharness.reference_impl.deltas import apply_deltas
from invharness.reference_impl.errors import ApiError
from invharness.reference_impl.events import Event, EventLog
from invharness.reference_impl.feeds import FeedService, S3Settings
from invharness.reference_impl.inventory import Inventory, default_catalogue_ref
from invharness.reference_impl.jobs import Batch, Job, JobClosed, JobStore
from invharness.reference_impl.preprocessing import BatchProcessor
from invharness.reference_impl.settings import SettingsStore
from invharness.reference_impl.worker import BatchWorker

__all__ = ["Backend"]

_JOB = contracts.validator("job-create-request")
_ENVELOPE = contracts.validator("batch-envelope")
_BATCH = contracts.validator("batch-create-request")
_ENTITY = contracts.validator("inventory-entity")
_EVENT = contracts.validator("event-request")


class Backend:
    """Every store of the reference server and the operations on them."""

    def __init__(self, config: ServerConfig | None = None, clock: Clock | None = None) -> None:
        self.config = config or ServerConfig()
        self.clock = clock or (OffsetClock() if self.config.clock_control else SystemClock())
        self.auth = Authenticator(self.config, self.clock)
        self.settings = SettingsStore()
        self.inventory = Inventory()
        self.events = EventLog(self.config.account.account_id, self.config.event_retention)
        self.jobs = JobStore(self.clock, self.config.job_lifetime)
        self.processor = BatchProcessor(self.inventory, self.events, self.settings, self.clock)
        self.feeds = FeedService(
            self.inventory,
            self.clock,
            S3Settings(self.config.s3_endpoint, self.config.feed_region, self.config.feed_source_bucket),
            self.config.feed_interval_s,
        )
        self.requests_in_flight = 0  # kept by the app's middleware; the worker yields to requests
        self.worker = BatchWorker(
            self.processor, self.config.processing_window_s, self.config.manage_gc, lambda: self.requests_in_flight > 0
        )

    # ------------------------------------------------------------------ jobs and batches

    def create_job(self, principal: Principal, payload: Any) -> Job:
        if isinstance(payload, dict):
            if "name" not in payload:
                raise ApiError.bad_request("'name' is required")
            if payload.get("retailerId") is None:
                raise ApiError.bad_request("'retailerId' is required", code="NotNull")
        problem = _JOB.explain(payload)
        if problem is not None:
            raise ApiError.bad_request(problem)
        retailer_id = self._retailer(payload["retailerId"])
        principal.require_retailer(retailer_id)
        return self.jobs.create_job(payload["name"], retailer_id, payload.get("meta"))

    def job(self, principal: Principal, job_id: str) -> Job:
        job = self.jobs.job(job_id)
        if job is None:
            raise ApiError.not_found(f"Job {job_id} not found")
        principal.require_retailer(job.retailer_id)
        return job

    def batch(self, principal: Principal, job_id: str, batch_id: str) -> Batch:
        job = self.job(principal, job_id)
        batch = self.jobs.batch(job, batch_id)
        if batch is None:
            raise ApiError.not_found(f"Batch {batch_id} not found in job {job_id}")
        return batch

    def accept_batch(self, principal: Principal, job_id: str, payload: Any) -> Batch:
        """Validate a batch (batch level: 400, nothing stored; records: ignored and reported) and queue it."""
        job = self.job(principal, job_id)
        if _BATCH.is_valid(payload):  # the common case: every record conforms too
            entities, invalid = payload["entities"], {}
        else:
            problem = _ENVELOPE.explain(payload)
            if problem is not None:
                raise ApiError.bad_request(problem)
            entities = payload["entities"]
            invalid = _invalid_records(entities)
        retailers = (
            {e["retailerId"] for i, e in enumerate(entities) if i not in invalid}
            if invalid
            else {e["retailerId"] for e in entities}
        )
        for retailer in retailers:
            principal.require_retailer(int(retailer))
        conditions = (payload.get("conditions") or {}).get("hasRelatedInventoryQuantities")
        try:
            batch = self.jobs.add_batch(
                job,
                entities=entities,
                catalogue_ref=payload.get("catalogueRef") or default_catalogue_ref(job.retailer_id),
                event=payload.get("event") or "InventoryChanged",
                source=payload.get("source") or "batch",
                transients=None if conditions is None else frozenset((c["type"], c["status"]) for c in conditions),
                invalid=invalid,
                submitted_by=principal.username,
            )
        except JobClosed as closed:
            raise ApiError.bad_request(str(closed)) from None
        self.worker.submit(batch)
        return batch

    # ------------------------------------------------------------------ events

    def post_event(self, principal: Principal, payload: Any, sync: bool) -> Event:
        """Validate and record an event; sync processes it now, async on the next loop turn."""
        problem = _EVENT.explain(payload)
        if problem is not None:
            raise ApiError.bad_request(problem)
        retailer_id = self._retailer(payload["retailerId"]) if "retailerId" in payload else principal.user.retailer_id
        principal.require_retailer(retailer_id)
        event = self.events.append(
            payload["name"],
            self.clock.now(),
            retailer_id=retailer_id,
            entity_type=payload.get("entityType"),
            entity_ref=payload.get("entityRef"),
            entity_id=payload.get("entityId"),
            root_entity_type=payload.get("rootEntityType"),
            root_entity_ref=payload.get("rootEntityRef"),
            root_entity_id=payload.get("rootEntityId"),
            status="PENDING",
            category="API",
            generated_by=principal.username,
            attributes=payload.get("attributes"),
        )
        if sync:
            self._process_event(principal, event)
        else:
            asyncio.get_running_loop().call_soon(self._process_event, principal, event)
        return event

    def _process_event(self, principal: Principal, event: Event) -> None:
        if event.name != "INVENTORY_DELTA":
            event.status, event.error_message = "NO_MATCH", f"No ruleset matches event {event.name}"
            return
        catalogue = self.inventory.catalogues.get(event.entity_ref or "")
        if catalogue is None:
            event.status, event.error_message = "FAILED", f"Inventory catalogue {event.entity_ref} not found"
            return
        if not principal.may_act_for(catalogue.retailer_id):
            event.status, event.error_message = "FAILED", f"User may not act for catalogue {catalogue.ref}"
            return
        outcome = apply_deltas(self.inventory, catalogue.ref, event.attributes["deltas"], self.clock.now())
        event.status, event.error_message = outcome.status, outcome.error

    def event(self, principal: Principal, event_id: str) -> Event:
        event = self.events.get(event_id)
        if event is None or not _visible(principal, event):
            raise ApiError.not_found(f"Event {event_id} not found")
        return event

    # ------------------------------------------------------------------ helpers

    def _retailer(self, value: Any) -> int:
        retailer_id = int(value)
        if retailer_id not in self.config.account.retailers:
            raise ApiError.bad_request(f"Unknown retailer {retailer_id}", code="InvalidInput")
        return retailer_id


def _invalid_records(entities: list[Any]) -> dict[int, str]:
    """index -> why, for each record that breaks inventory-entity (path from the batch's root)."""
    return {
        i: (_ENTITY.explain(e) or "$: invalid record").replace("$", f"$.entities[{i}]", 1)
        for i, e in enumerate(entities)
        if not _ENTITY.is_valid(e)
    }


def _visible(principal: Principal, event: Event) -> bool:
    return event.retailer_id is None or principal.may_act_for(event.retailer_id)
