"""Batches: acceptance (validated, stored PENDING, queued for processing) and reading.

Where the contract leaves the answer open, the declared behaviour is played: job.closed_batch_status,
batch.max_records, batch.oversize_status, batch.invalid_envelope_status, batch.results."""

from __future__ import annotations

from typing import Any

from invharness.reference_impl.config import Behaviours
from invharness.reference_impl.errors import ApiError
from invharness.reference_impl.services import preprocessing, validation
from invharness.reference_impl.services.access import Principal, require_batch_catalogue, require_retailer
from invharness.reference_impl.services.jobs import JobService
from invharness.reference_impl.services.worker import BatchWorker
from invharness.reference_impl.stores.jobs import Batch, JobClosed
from invharness.reference_impl.stores.protocols import InventoryStore, JobStore
from invharness.reference_impl.vocabulary import default_catalogue_ref

__all__ = ["BatchService"]


class BatchService:
    """Accepts batches into jobs and finds them."""

    def __init__(
        self,
        store: JobStore,
        jobs: JobService,
        worker: BatchWorker,
        inventory: InventoryStore,
        behaviours: Behaviours | None = None,
    ) -> None:
        self._store = store
        self._inventory = inventory
        self._jobs = jobs
        self._worker = worker
        self._behaviours = behaviours or Behaviours()

    def accept_batch(self, principal: Principal, job_id: str, payload: Any) -> Batch:
        """Validate a batch (batch level: refused as declared, nothing stored; records: ignored and
        reported) and queue it."""
        job = self._jobs.job(principal, job_id)
        payload, invalid = self._checked(payload)
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
        try:
            batch = self._store.add_batch(
                job,
                pending=preprocessing.resolve_records(entities, invalid, catalogue_ref),
                size=len(entities),
                catalogue_ref=catalogue_ref,
                event=payload.get("event") or "InventoryChanged",
                source=payload.get("source") or "batch",
                transients=None if conditions is None else frozenset((c["type"], c["status"]) for c in conditions),
                invalid={index: (why, _ref_or_none(entities[index])) for index, why in invalid.items()},
                submitted_by=principal.username,
            )
        except JobClosed as closed:  # the status a batch to a CLOSED job is answered is declared
            raise ApiError(int(self._behaviours["job.closed_batch_status"]), closed.message) from None
        self._worker.submit(batch)
        return batch

    def _checked(self, payload: Any) -> tuple[dict[str, Any], dict[int, str]]:
        """The batch as accepted and its broken records; a batch-level break is answered as declared
        (batch.oversize_status, batch.invalid_envelope_status: a status, or accepted and processed)."""
        refusal = validation.batch_refusal(payload, int(self._behaviours["batch.max_records"]))
        if refusal is None:
            return payload, validation.batch_request(payload)
        answer = self._behaviours["batch.oversize_status" if refusal.oversize else "batch.invalid_envelope_status"]
        if answer != "accepted" or not isinstance(payload, dict):
            raise ApiError(400 if answer == "accepted" else int(answer), refusal.message)
        entities = payload.get("entities")
        accepted = {**payload, "entities": entities if isinstance(entities, list) else []}
        return accepted, validation.batch_records(accepted)

    def results(self, batch: Batch) -> list[dict[str, Any]]:
        """The per-record results a batch read reports: each ignored or failed record, or none at all
        where batch.results is empty."""
        return batch.results if self._behaviours["batch.results"] == "per_record_errors" else []

    def batch(self, principal: Principal, job_id: str, batch_id: str) -> Batch:
        job = self._jobs.job(principal, job_id)
        batch = self._store.batch(job, batch_id)
        if batch is None:
            raise ApiError.not_found(f"Batch {batch_id} not found in job {job_id}")
        return batch


def _ref_or_none(entity: Any) -> str | None:
    ref = entity.get("ref") if isinstance(entity, dict) else None
    return ref if isinstance(ref, str) else None
