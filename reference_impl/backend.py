"""The composition root of the server's inside: every store, and the services built on them.

Transports (HTTP, GraphQL) parse and authenticate, then call a service; services validate (validation.py),
check access (access.py) and change state through the stores. Nothing else changes state.
"""

from __future__ import annotations

from dataclasses import dataclass

from invharness.reference_impl.clock import Clock, OffsetClock, SystemClock
from invharness.reference_impl.config import ServerConfig
from invharness.reference_impl.services.auth import Authenticator
from invharness.reference_impl.services.batches import BatchService
from invharness.reference_impl.services.events import EventService
from invharness.reference_impl.services.feeds import FeedService, S3Settings
from invharness.reference_impl.services.inventory import InventoryService
from invharness.reference_impl.services.jobs import JobService
from invharness.reference_impl.services.preprocessing import BatchProcessor
from invharness.reference_impl.services.settings import SettingsService
from invharness.reference_impl.services.worker import BatchWorker
from invharness.reference_impl.stores.events import InMemoryEventLog
from invharness.reference_impl.stores.feeds import InMemoryFeedStore
from invharness.reference_impl.stores.inventory import InMemoryInventory
from invharness.reference_impl.stores.jobs import InMemoryJobStore
from invharness.reference_impl.stores.protocols import EventStore, FeedStore, InventoryStore, JobStore, SettingsStore
from invharness.reference_impl.stores.settings import InMemorySettingsStore

__all__ = ["Backend", "Stores"]


@dataclass(slots=True, frozen=True)
class Stores:
    """The server's state, one store per aggregate."""

    jobs: JobStore
    inventory: InventoryStore
    events: EventStore
    settings: SettingsStore
    feeds: FeedStore

    @classmethod
    def in_memory(cls, config: ServerConfig, clock: Clock) -> Stores:
        return cls(
            jobs=InMemoryJobStore(clock, config.job_lifetime),
            inventory=InMemoryInventory(),
            events=InMemoryEventLog(config.event_retention),
            settings=InMemorySettingsStore(),
            feeds=InMemoryFeedStore(),
        )


class Backend:
    """Every store of the reference server and the services over them (one per area)."""

    def __init__(self, config: ServerConfig | None = None, clock: Clock | None = None) -> None:
        self.config = config or ServerConfig()
        self.clock = clock or (OffsetClock() if self.config.clock_control else SystemClock())
        self.stores = Stores.in_memory(self.config, self.clock)
        self.auth = Authenticator(self.config, self.clock)
        behaviours = self.config.behaviours  # the declared answers each service plays
        self.settings = SettingsService(self.stores.settings, bool(behaviours["bpp.setting_case_insensitive"]))
        self.inventory = InventoryService(self.stores.inventory, self.clock)
        self.events = EventService(self.stores.events, self.stores.inventory, self.config, self.clock)
        self.processor = BatchProcessor(
            self.stores.inventory, self.stores.events, self.settings, self.clock, behaviours
        )
        self.requests_in_flight = 0  # kept by the app's middleware; the worker yields to requests
        self.worker = BatchWorker(
            self.processor,
            self.config.processing_window_s,
            self.config.manage_gc,
            lambda: self.requests_in_flight > 0,
            scope=str(behaviours["bpp.dedup_scope"]),
        )
        self.jobs = JobService(self.stores.jobs, self.config, self.clock, self.settings)
        self.batches = BatchService(self.stores.jobs, self.jobs, self.worker, behaviours)
        self.feeds = FeedService(
            self.stores.feeds,
            self.stores.inventory,
            self.clock,
            S3Settings(self.config.s3_endpoint, self.config.feed_region, self.config.feed_source_bucket),
            self.config.feed_interval_s,
            self.config.account.account_id,
            policy_attribute=str(behaviours["feed.policy_attribute"]),
            inactive_status=str(behaviours["feed.inactive_status"]),
        )
