"""Jobs: creation (one retailer's container of batches), reading with the user's rights, status."""

from __future__ import annotations

from typing import Any

from invharness.reference_impl.clock import Clock
from invharness.reference_impl.config import ServerConfig
from invharness.reference_impl.errors import ApiError
from invharness.reference_impl.services import validation
from invharness.reference_impl.services.access import Principal, require_retailer
from invharness.reference_impl.services.settings import SettingsService
from invharness.reference_impl.stores.jobs import Job
from invharness.reference_impl.stores.protocols import JobStore

__all__ = ["JobService"]


class JobService:
    """Creates and finds jobs."""

    def __init__(
        self, store: JobStore, config: ServerConfig, clock: Clock, settings: SettingsService | None = None
    ) -> None:
        self._store = store
        self._config = config
        self._clock = clock
        self._settings = settings

    def create_job(self, principal: Principal, payload: Any) -> Job:
        validation.job_request(payload)
        retailer_id = validation.known_retailer(payload["retailerId"], self._config.account.retailers)
        require_retailer(principal, retailer_id)
        job = self._store.create_job(payload["name"], retailer_id, payload.get("meta"))
        if self._settings is not None:  # played where bpp.setting_read_at is job_creation
            job.setting_at_creation = self._settings.preprocessing(retailer_id)
        return job

    def job(self, principal: Principal, job_id: str) -> Job:
        """The job ``job_id``; 404 when there is none, 403 when the user may not act for its retailer."""
        job = self._store.job(job_id)
        if job is None:
            raise ApiError.not_found(f"Job {job_id} not found")
        require_retailer(principal, job.retailer_id)
        return job

    def status(self, job: Job) -> str:
        """OPEN or CLOSED, now."""
        return job.status(self._clock.now())
