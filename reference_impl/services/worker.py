"""The batch worker: takes PENDING batches, groups them per job, processes them asynchronously.

It runs as a task on the server's event loop and yields between chunks of records, so requests
are answered while it works. Woken by a batch, it gathers for ``window_s``, then takes every PENDING
batch and processes them in groups, de-duplicated group by group; which batches form a group is the
declared bpp.dedup_scope: ``job`` -- all the PENDING batches of a job, however far apart they
arrived (SPEC §5.1, decision 12); ``processing_window`` -- the batches of a job that arrived within
``window_s`` of the group's first; ``batch`` -- each batch alone. A group is processed in one store
transaction (its writes, events and outcomes commit together); with ``max_group_records`` (the durable
store's bound on memory) a group is cut into parts of at most that many records, each its own
transaction. At start the batches a durable store kept PENDING are queued again. On shutdown every
accepted batch is finished before the worker stops.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections import OrderedDict
from collections.abc import Callable

from invharness.reference_impl.services.preprocessing import BatchProcessor, GroupOutcome
from invharness.reference_impl.stores.jobs import RUNNING, Batch, Job
from invharness.reference_impl.stores.protocols import JobStore, Transaction

__all__ = ["BatchWorker"]

log = logging.getLogger("reference_impl.services.worker")
IDLE_COLLECT_S = 30.0
DEFER_TICK_S = 0.001
MAX_DEFER_TICKS = 20
SCOPES = ("job", "processing_window", "batch")
FLAT_HEAP_COLLECT = 200_000  # objects made and not freed since the last collection (about 50 MB)


class BatchWorker:
    """A queue of PENDING batches and the task that drains it."""

    def __init__(
        self,
        processor: BatchProcessor,
        store: JobStore,
        transaction: Transaction,
        window_s: float = 0.05,
        manage_gc: bool = False,
        heap_flat: bool = False,
        busy: Callable[[], bool] = lambda: False,
        max_group_records: int | None = None,
        scope: str = "job",
    ) -> None:
        if scope not in SCOPES:
            raise ValueError(f"bpp.dedup_scope is one of {', '.join(SCOPES)}, not {scope!r}")
        self._scope = scope
        self._arrived: dict[int, float] = {}  # id(batch) -> when it was queued (monotonic), while PENDING
        self._processor = processor
        self._store = store
        self._transaction = transaction
        self._busy = busy
        self._max_group_records = max_group_records
        self._manage_gc = manage_gc
        self._heap_flat = heap_flat
        self._window_s = window_s
        self._pending: OrderedDict[str, tuple[Job, list[Batch]]] = OrderedDict()
        self._wakeup: asyncio.Event | None = None
        self._idle: asyncio.Event | None = None
        self._resumed: asyncio.Event | None = None
        self._task: asyncio.Task | None = None
        self._stopping = False

    async def start(self) -> None:
        self._wakeup, self._idle, self._resumed = asyncio.Event(), asyncio.Event(), asyncio.Event()
        self._idle.set()
        self._resumed.set()
        self._task = asyncio.get_running_loop().create_task(self._run(), name="batch-worker")
        if self._manage_gc:
            # The server owns its process: the cyclic collector would rescan millions of long-lived
            # quantities again and again (half of the processing time, measured). Instead it runs between
            # groups (see _collect), and fully when idle; what exists at start (the code) is frozen.
            gc.disable()
            gc.freeze()
        for batch in self._store.pending():  # accepted before a restart, never processed
            self.submit(batch)

    def submit(self, batch: Batch) -> None:
        """Queue a PENDING batch (called on the event loop)."""
        _, batches = self._pending.setdefault(batch.job.id, (batch.job, []))
        batches.append(batch)
        self._arrived[id(batch)] = time.monotonic()
        assert self._wakeup is not None and self._idle is not None, "the worker is not started"
        self._idle.clear()
        self._wakeup.set()

    def pause(self) -> None:
        """Hold PENDING batches until resume() (for tests that need several batches in one group)."""
        assert self._resumed is not None
        self._resumed.clear()

    def resume(self) -> None:
        assert self._resumed is not None
        self._resumed.set()

    async def drain(self) -> None:
        """Wait until every accepted batch is COMPLETE."""
        assert self._idle is not None
        await self._idle.wait()

    async def stop(self) -> None:
        """Finish every accepted batch, then stop (and hand the collector back)."""
        if self._task is None:
            return
        if self._manage_gc:
            gc.enable()
        self.resume()
        await self.drain()
        self._stopping = True
        assert self._wakeup is not None
        self._wakeup.set()
        await self._task
        self._task = None

    async def _run(self) -> None:
        assert self._wakeup is not None and self._idle is not None and self._resumed is not None
        while True:
            try:
                await asyncio.wait_for(self._wakeup.wait(), timeout=IDLE_COLLECT_S)
            except TimeoutError:
                self._collect_idle()
                continue
            if self._stopping and not self._pending:
                return
            if self._window_s:
                await asyncio.sleep(self._window_s)
            await self._resumed.wait()
            self._wakeup.clear()
            while self._pending:
                _, (job, batches) = self._pending.popitem(last=False)
                for group in self._groups(batches):
                    for part in self._parts(group):
                        await self._process(job, part)
            self._idle.set()

    def _groups(self, batches: list[Batch]) -> list[list[Batch]]:
        """The PENDING batches of one job (in arrival order) split into groups by the declared scope."""
        arrived = [self._arrived.pop(id(b), 0.0) for b in batches]
        if self._scope == "job":
            return [batches]
        if self._scope == "batch":
            return [[b] for b in batches]
        groups: list[list[Batch]] = []
        opened = float("-inf")
        for batch, at in zip(batches, arrived, strict=True):
            if at - opened > self._window_s or not groups:
                groups.append([])
                opened = at
            groups[-1].append(batch)
        return groups

    def _parts(self, group: list[Batch]) -> list[list[Batch]]:
        """The group cut into parts of at most ``max_group_records`` records (at least one batch each)."""
        if self._max_group_records is None:
            return [group]
        parts: list[list[Batch]] = [[]]
        records = 0
        for batch in group:
            if parts[-1] and records + batch.size > self._max_group_records:
                parts.append([])
                records = 0
            parts[-1].append(batch)
            records += batch.size
        return parts

    def _collect(self) -> None:
        # After a group. In memory, what it made is long-lived: frozen out of later collections (cheap).
        # A durable store (heap_flat) let go of what it made, mostly freed as it went (see the SQLite
        # inventory's cache); a collection runs once what is left since the last one is many objects
        # (the collector running all along cost a quarter of the time SQLite took for 1M records, and
        # a collection after every group a tenth, measured).
        if not self._manage_gc:
            return
        if not self._heap_flat:
            gc.freeze()
        elif gc.get_count()[0] > FLAT_HEAP_COLLECT:
            gc.collect()

    def _collect_idle(self) -> None:
        # Idle: a full collection, garbage frozen by _collect included, costs nobody a wait now.
        if self._manage_gc:
            gc.unfreeze()
            gc.collect()
            gc.freeze()

    async def _process(self, job: Job, batches: list[Batch]) -> None:
        for batch in batches:
            batch.status = RUNNING
        outcome = GroupOutcome()
        self._transaction.begin()
        try:
            for _ in self._processor.process(job, batches, outcome):
                await asyncio.sleep(0)
                # Answering clients comes first: while requests are in flight, wait (boundedly, so a
                # flood of requests slows processing down but never starves it).
                for _ in range(MAX_DEFER_TICKS):
                    if not self._busy():
                        break
                    await asyncio.sleep(DEFER_TICK_S)
        except Exception:  # a bug must not wedge the queue: report it on every record left
            log.exception("processing job %s failed", job.id)
            for batch in batches:
                batch.results.append(
                    {
                        "index": 0,
                        "entityRef": None,
                        "code": "INTERNAL_ERROR",
                        "message": "the server failed while processing this batch",
                    }
                )
        self._store.complete(batches)
        self._transaction.commit()
        self._collect()
        log.debug("job %s: %d batch(es) %s", job.id, len(batches), outcome)
