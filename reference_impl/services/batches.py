"""Batches: acceptance (validated, stored PENDING, queued for processing) and reading."""

from __future__ import annotations

from typing import Any

from invharness.reference_impl.errors import ApiError
from invharness.reference_impl.services import validation
from invharness.reference_impl.services.access import Principal, require_batch_catalogue, require_retailer
from invharness.reference_impl.services.jobs import JobService
from invharness.reference_impl.services.worker import BatchWorker
from invharness.reference_impl.stores.jobs import Batch
from invharness.reference_impl.stores.protocols import InventoryStore, JobStore
from invharness.reference_impl.vocabulary import default_catalogue_ref

__all__ = ["BatchService"]


class BatchService:
    """Accepts batches into jobs and finds them."""

    def __init__(self, store: JobStore, jobs: JobService, worker: BatchWorker, inventory: InventoryStore) -> None:
        self._store = store
        self._inventory = inventory
        self._jobs = jobs
        self._worker = worker

    def accept_batch(self, principal: Principal, job_id: str, payload: Any) -> Batch:
        """Validate a batch (batch level: 400, nothing stored; records: ignored and reported) and queue it."""
        job = self._jobs.job(principal, job_id)
        invalid = validation.batch_request(payload)
        entities = payload["entities"]
        retailers = (
            {e["retailerId"] for i, e in enumerate(entities) if i not in invalid}
            if invalid
            else {e["retailerId"] for e in entities}
        )
        for retailer in retailers:
            require_retailer(principal, int(retailer))
        catalogue_ref = payload.get("catalogueRef") or default_catalogue_ref(job.retailer_id)
        existing = self._inventory.catalogue(catalogue_ref)
        require_batch_catalogue(job.retailer_id, catalogue_ref, None if existing is None else existing.retailer_id)
        conditions = (payload.get("conditions") or {}).get("hasRelatedInventoryQuantities")
        batch = self._store.add_batch(
            job,
            entities=entities,
            catalogue_ref=catalogue_ref,
            event=payload.get("event") or "InventoryChanged",
            source=payload.get("source") or "batch",
            transients=None if conditions is None else frozenset((c["type"], c["status"]) for c in conditions),
            invalid=invalid,
            submitted_by=principal.username,
        )
        self._worker.submit(batch)
        return batch

    def batch(self, principal: Principal, job_id: str, batch_id: str) -> Batch:
        job = self._jobs.job(principal, job_id)
        batch = self._store.batch(job, batch_id)
        if batch is None:
            raise ApiError.not_found(f"Batch {batch_id} not found in job {job_id}")
        return batch
