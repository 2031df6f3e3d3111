"""The composition root of the server's inside: every store, and the services built on them.

Transports (HTTP, GraphQL) parse and authenticate, then call a service; services validate (validation.py),
check access (access.py) and change state through the stores. Nothing else changes state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

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
from invharness.reference_impl.services.virtual import VirtualService
from invharness.reference_impl.services.worker import BatchWorker
from invharness.reference_impl.stores.events import InMemoryEventLog
from invharness.reference_impl.stores.feeds import InMemoryFeedStore
from invharness.reference_impl.stores.inventory import InMemoryInventory
from invharness.reference_impl.stores.jobs import InMemoryJobStore
from invharness.reference_impl.stores.protocols import (
    EventStore,
    FeedStore,
    InventoryStore,
    JobStore,
    NoTransaction,
    SecretStore,
    SettingsStore,
    Transaction,
)
from invharness.reference_impl.stores.secrets import InMemorySecrets
from invharness.reference_impl.stores.settings import InMemorySettingsStore
from invharness.reference_impl.stores.sqlite import open_sqlite

__all__ = ["Backend", "Stores"]


@dataclass(slots=True, frozen=True)
class Stores:
    """The server's state, one store per aggregate."""

    jobs: JobStore
    inventory: InventoryStore
    events: EventStore
    settings: SettingsStore
    feeds: FeedStore
    secrets: SecretStore
    group: Transaction  # what a group of batches is processed in
    close: Callable[[], None] = lambda: None

    @classmethod
    def open(cls, config: ServerConfig, clock: Clock) -> Stores:
        """SQLite under ``config.data_dir`` when it is set, else in memory."""
        return cls.in_memory(config, clock) if config.data_dir is None else cls.sqlite(config, clock)

    @classmethod
    def in_memory(cls, config: ServerConfig, clock: Clock) -> Stores:
        return cls(
            jobs=InMemoryJobStore(clock, config.job_lifetime),
            inventory=InMemoryInventory(),
            events=InMemoryEventLog(config.event_retention),
            settings=InMemorySettingsStore(),
            feeds=InMemoryFeedStore(),
            secrets=InMemorySecrets(),
            group=NoTransaction(),
        )

    @classmethod
    def sqlite(cls, config: ServerConfig, clock: Clock) -> Stores:
        assert config.data_dir is not None
        opened = open_sqlite(Path(config.data_dir), clock, config.job_lifetime, config.event_retention)

        def close() -> None:
            for db in opened.databases:
                db.close()

        return cls(
            opened.jobs,
            opened.inventory,
            opened.events,
            opened.settings,
            opened.feeds,
            opened.secrets,
            opened.group,
            close,
        )


class Backend:
    """Every store of the reference server and the services over them (one per area)."""

    def __init__(self, config: ServerConfig | None = None, clock: Clock | None = None) -> None:
        self.config = config or ServerConfig()
        self.clock = clock or (OffsetClock() if self.config.clock_control else SystemClock())
        self.stores = Stores.open(self.config, self.clock)
        self.auth = Authenticator(self.config, self.clock, self.stores.secrets)
        behaviours = self.config.behaviours  # the declared answers each service plays
        self.settings = SettingsService(self.stores.settings, bool(behaviours["bpp.setting_case_insensitive"]))
        self.inventory = InventoryService(
            self.stores.inventory, self.clock, str(behaviours["inventory.deactivation_input"])
        )
        self.virtual = VirtualService(self.stores.inventory, self.clock)
        self.events = EventService(self.stores.events, self.stores.inventory, self.config, self.clock)
        self.processor = BatchProcessor(
            self.stores.inventory, self.stores.events, self.settings, self.clock, behaviours
        )
        self.requests_in_flight = 0  # kept by the app's middleware; the worker yields to requests
        self.worker = BatchWorker(
            self.processor,
            self.stores.jobs,
            self.stores.group,
            self.config.processing_window_s,
            self.config.manage_gc,
            self.config.data_dir is not None,  # SQLite's positions come and go: the heap stays flat
            lambda: self.requests_in_flight > 0,
            self.config.max_group_records if self.config.data_dir is not None else None,
            scope=str(behaviours["bpp.dedup_scope"]),
        )
        self.jobs = JobService(self.stores.jobs, self.config, self.clock, self.settings)
        self.batches = BatchService(self.stores.jobs, self.jobs, self.worker, self.stores.inventory, behaviours)
        self.feeds = FeedService(
            self.stores.feeds,
            self.stores.inventory,
            self.clock,
            S3Settings(
                self.config.s3_endpoint,
                self.config.feed_region,
                self.config.feed_source_bucket,
                connect_timeout_s=self.config.s3_connect_timeout_s,
                read_timeout_s=self.config.s3_read_timeout_s,
                max_attempts=self.config.s3_max_attempts,
            ),
            self.config.feed_interval_s,
            self.config.account.account_id,
            policy_attribute=str(behaviours["feed.policy_attribute"]),
            inactive_status=str(behaviours["feed.inactive_status"]),
        )
