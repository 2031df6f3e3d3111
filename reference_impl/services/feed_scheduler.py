"""Runs ACTIVE feeds when they are due: rows are read on the server's loop in chunks, yielding between
them so requests are still answered; the Parquet file is written and replicated in a thread (S3
calls block)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from invharness.reference_impl.services.feeds import FeedService

__all__ = ["FeedScheduler"]

log = logging.getLogger("reference_impl.services.feeds")


class FeedScheduler:
    """The task that checks for due feeds every ``tick_s`` seconds."""

    def __init__(self, feeds: FeedService, tick_s: float = 0.5) -> None:
        self._feeds = feeds
        self._tick_s = tick_s
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="feed-scheduler")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(min(self._tick_s, self._feeds.interval_s))
            for feed in self._feeds.due():
                run, chunks = self._feeds.start_run(feed)
                try:
                    rows = []
                    for chunk in chunks:  # a big export must not stop the server answering
                        rows += chunk
                        await asyncio.sleep(0)
                    await asyncio.to_thread(self._feeds.finish_run, run, rows)
                except Exception as exc:  # one broken run must not stop every feed's schedule
                    log.exception("feed %s run %s failed", feed.ref, run.ref)
                    self._feeds.fail_run(run, f"the run failed: {type(exc).__name__}: {exc}")
                log.info("feed %s run %s: %s, %s rows", feed.ref, run.ref, run.status, run.record_count)
