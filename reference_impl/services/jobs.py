"""Jobs: creation (one retailer's container of batches), reading with the user's rights, status."""

from __future__ import annotations

from typing import Any

from invharness.reference_impl.clock import Clock
from invharness.reference_impl.config import ServerConfig
from invharness.reference_impl.services import validation
from invharness.reference_impl.services.access import Principal, require_found, require_retailer
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
        # access first: a user of one retailer learns nothing about which other retailers exist
        require_retailer(principal, int(payload["retailerId"]))
        retailer_id = validation.known_retailer(payload["retailerId"], self._config.account.retailers)
        # kept for bpp.setting_read_at job_creation (read at processing time otherwise)
        setting = self._settings.preprocessing(retailer_id) if self._settings is not None else None
        return self._store.create_job(payload["name"], retailer_id, payload.get("meta"), setting)

    def job(self, principal: Principal, job_id: str) -> Job:
        """The job ``job_id``; 404 when there is none or it is another retailer's (no existence oracle)."""
        foreign_status = self._config.behaviours["security.foreign_resource_status"]
        return require_found(principal, self._store.job(job_id), f"Job {job_id} not found", foreign_status)

    def status(self, job: Job) -> str:
        """OPEN or CLOSED, now."""
        return job.status(self._clock.now())
