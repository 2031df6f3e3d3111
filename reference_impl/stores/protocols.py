"""What each store offers the services: one Protocol per aggregate (jobs and batches, inventory, events,
settings, feeds and their runs). The in-memory stores implement them; a durable store is another
implementation of the same Protocols.

Stores issue every id. They hand out the aggregate's objects, never an index of their own; a service
that changes an object hands it back with ``save`` (a no-op in memory, where the object is the state).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator
from typing import Any, Protocol

from invharness.reference_impl.stores.events import AnyEvent, Event, EventBlock
from invharness.reference_impl.stores.feeds import Feed, FeedRun
from invharness.reference_impl.stores.inventory import Catalogue, Position, VirtualPosition
from invharness.reference_impl.stores.jobs import Batch, Job
from invharness.reference_impl.stores.settings import Setting
from invharness.reference_impl.stores.virtual import StoredVirtualCatalogue

__all__ = [
    "EventStore",
    "FeedStore",
    "InventoryStore",
    "JobStore",
    "NoTransaction",
    "SecretStore",
    "SettingsStore",
    "Transaction",
]


class JobStore(Protocol):
    """Jobs and the batches posted to them."""

    def create_job(
        self, name: str, retailer_id: int, meta: dict[str, Any] | None, setting_at_creation: bool | None = None
    ) -> Job:
        """A new OPEN job; ``setting_at_creation``: the pre-processing setting when it was created (kept for
        bpp.setting_read_at job_creation)."""
        ...

    def job(self, job_id: str) -> Job | None: ...

    def add_batch(self, job: Job, **fields: Any) -> Batch:
        """A new PENDING batch of an OPEN job; JobClosed when the job is past its lifetime."""
        ...

    def batch(self, job: Job, batch_id: str) -> Batch | None: ...

    def pending(self) -> list[Batch]:
        """The batches accepted before the store was opened and not yet processed (resumed at start)."""
        ...

    def complete(self, batches: list[Batch]) -> None:
        """Mark the group's batches COMPLETE with their results (committed with the group's writes)."""
        ...


class InventoryStore(Protocol):
    """Inventory catalogues with their positions and quantities, and the virtual catalogues clients created."""

    new_id: Callable[[], int]  # the id of a new catalogue, position or quantity

    def catalogue(self, ref: str) -> Catalogue | None: ...

    def catalogues(self) -> list[Catalogue]: ...

    def ensure_catalogue(self, ref: str, retailer_id: int, now: float) -> Catalogue: ...

    def find_position(self, catalogue_ref: str, ref: str) -> Position | None: ...

    def save(self, position: Position) -> None:
        """The position, or any of its quantities, changed."""
        ...

    def add_position(self, catalogue: Catalogue, position: Position) -> None: ...

    def stored_virtual_catalogue(self, ref: str) -> StoredVirtualCatalogue | None:
        """A virtual catalogue a client created (with its positions); derived BASE ones are not stored."""
        ...

    def stored_virtual_catalogues(self) -> list[StoredVirtualCatalogue]: ...

    def add_virtual_catalogue(self, catalogue: StoredVirtualCatalogue) -> None: ...

    def save_virtual(self, catalogue: StoredVirtualCatalogue) -> None:
        """The virtual catalogue, or any of its positions, changed."""

    def prefetch(self, catalogue_ref: str, refs: Iterable[str]) -> None:
        """The positions ``refs`` of the catalogue are about to be read (once per chunk of records)."""
        ...

    def base_sources(self) -> list[Catalogue]: ...

    def virtual_positions(self, virtual_catalogue_ref: str) -> Iterator[VirtualPosition]: ...


class EventStore(Protocol):
    """Events in arrival order; ids are the store's."""

    def append(self, name: str, generated_on: float, **fields: Any) -> Event: ...

    def save(self, event: Event) -> None:
        """The event changed (its status, once processed)."""
        ...

    def append_records(self, records: list[tuple[EventBlock, str, str, str, int]]) -> None:
        """Batch-record events (block, position ref, quantity ref, type, qty), in order."""
        ...

    def trim(self) -> None: ...

    def get(self, event_id: str) -> AnyEvent | None: ...

    def event_id(self, event: AnyEvent) -> str: ...

    def search(
        self,
        filters: dict[str, str],
        since: float,
        until: float,
        start: int,
        count: int,
        visible: Callable[[Any], bool],
        retailers: Collection[int | None] | None = None,
    ) -> tuple[list[AnyEvent], bool]:
        """Newest first, the page of events matching every filter that ``visible`` lets through; hasMore.

        Served from indexes (name, entity ref, type, time, retailer), not a scan of every event:
        ``retailers`` (None: any) is a superset of the retailers whose events ``visible`` may let through."""
        ...


class SettingsStore(Protocol):
    """Settings, unique by (name, context, contextId)."""

    def create(
        self, name: str, value_type: str, value: str | None, lob_value: Any, context: str, context_id: int
    ) -> Setting: ...

    def update(self, setting_id: int, **changes: Any) -> Setting: ...

    def get(self, setting_id: int) -> Setting | None: ...

    def search(self, **filters: list[Any] | None) -> list[Setting]: ...

    def lookup(self, name: str, context: str, context_id: int) -> Setting | None: ...


class FeedStore(Protocol):
    """Inventory feeds and their runs."""

    def create_feed(self, ref: str, **fields: Any) -> Feed | None:
        """A new feed; None when ``ref`` is taken."""
        ...

    def feed(self, ref: str) -> Feed | None: ...

    def feeds(self) -> list[Feed]: ...

    def save(self, feed: Feed) -> None: ...

    def create_run(self, feed: Feed, run_type: str, now: float) -> FeedRun: ...

    def save_run(self, run: FeedRun) -> None: ...

    def run(self, ref: str) -> FeedRun | None: ...

    def runs(self) -> list[FeedRun]: ...


class SecretStore(Protocol):
    """What tokens are signed with, and which refresh tokens were redeemed (they are single use)."""

    def signing_key(self) -> bytes: ...

    def redeem(self, token_id: str, expires_at: float) -> bool:
        """True the first time ``token_id`` is redeemed, False after."""
        ...


class Transaction(Protocol):
    """What a group of batches is processed in: its writes, events and outcomes commit together."""

    def begin(self) -> None: ...

    def commit(self) -> None: ...


class NoTransaction:
    """In memory every change is stored at once: nothing to begin or commit."""

    def begin(self) -> None:
        """Nothing to begin."""

    def commit(self) -> None:
        """Nothing to commit."""
