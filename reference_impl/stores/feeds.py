"""Inventory feeds and their runs (the FeedStore in memory): ids and run refs issued here."""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Feed", "FeedRun", "InMemoryFeedStore"]


@dataclass(slots=True, eq=False)
class FeedRun:
    """One execution of a feed."""

    id: int
    ref: str
    feed: Feed
    run_type: str
    created_on: float
    status: str = "PENDING"
    record_count: int | None = None
    error_message: str | None = None
    started_on: float | None = None
    completed_on: float | None = None
    file_location: str | None = None

    @property
    def updated_on(self) -> float:
        return self.completed_on or self.started_on or self.created_on


@dataclass(slots=True, eq=False)
class Feed:
    """An inventory feed's configuration and its runs."""

    id: int
    ref: str
    name: str | None
    source_type: str
    filters: list[dict[str, Any]]
    account_id: str
    bucket: str
    created_on: float
    updated_on: float
    status: str = "CREATED"
    data_format: str = "PARQUET"
    runs: list[FeedRun] = field(default_factory=list)
    next_run_at: float | None = None
    last_success_started: float | None = None

    def as_input(self) -> dict[str, Any]:
        """The feed in the shape of its create input (GraphQL source / destination objects)."""
        return {
            "source": {"type": self.source_type, "filters": self.filters},
            "destination": {
                "type": "AWS_S3",
                "destinationAttributes": [
                    {"key": "AWS_ACCOUNT_ID", "value": self.account_id},
                    {"key": "AWS_S3_BUCKET_NAME", "value": self.bucket},
                ],
            },
        }


class InMemoryFeedStore:
    """Feeds by ref, runs by ref."""

    def __init__(self) -> None:
        self._feeds: dict[str, Feed] = {}
        self._runs: dict[str, FeedRun] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def create_feed(self, ref: str, **fields: Any) -> Feed | None:
        """A new feed with a store-issued id; None when ``ref`` is taken."""
        with self._lock:
            if ref in self._feeds:
                return None
            feed = self._feeds[ref] = Feed(next(self._ids), ref, **fields)
        return feed

    def feed(self, ref: str) -> Feed | None:
        return self._feeds.get(ref)

    def feeds(self) -> list[Feed]:
        return list(self._feeds.values())

    def save(self, feed: Feed) -> None:
        """The feed changed (in memory: already stored)."""

    def create_run(self, feed: Feed, run_type: str, now: float) -> FeedRun:
        """A new PENDING run of ``feed``, its ref <feed ref>-<number of the run>."""
        with self._lock:
            run = FeedRun(next(self._ids), f"{feed.ref}-{len(feed.runs) + 1:06d}", feed, run_type, now)
            feed.runs.append(run)
            self._runs[run.ref] = run
        return run

    def save_run(self, run: FeedRun) -> None:
        """The run changed (in memory: already stored)."""

    def run(self, ref: str) -> FeedRun | None:
        return self._runs.get(ref)

    def runs(self) -> list[FeedRun]:
        return list(self._runs.values())
