"""Feeds and their runs in SQLite, written through on every save; few enough to be held in memory as well."""

from __future__ import annotations

import itertools
from dataclasses import fields
from typing import Any

import orjson

from invharness.reference_impl.stores.feeds import Feed, FeedRun, InMemoryFeedStore
from invharness.reference_impl.stores.sqlite.db import Database

__all__ = ["SCHEMA", "SqliteFeedStore"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS feeds (id INTEGER PRIMARY KEY, ref TEXT UNIQUE, data BLOB);
CREATE TABLE IF NOT EXISTS feed_runs (id INTEGER PRIMARY KEY, ref TEXT UNIQUE, feed_ref TEXT, data BLOB);
"""
_FEED_FIELDS = [f.name for f in fields(Feed) if f.name not in ("id", "ref", "runs")]
_RUN_FIELDS = [f.name for f in fields(FeedRun) if f.name not in ("id", "ref", "feed")]


class SqliteFeedStore(InMemoryFeedStore):
    """The FeedStore in SQLite."""

    def __init__(self, db: Database) -> None:
        super().__init__()
        self._db = db
        for id_, ref, data in db.all("SELECT * FROM feeds ORDER BY id"):
            self._feeds[ref] = Feed(id_, ref, **orjson.loads(data))
        for id_, ref, feed_ref, data in db.all("SELECT * FROM feed_runs ORDER BY id"):
            feed = self._feeds[feed_ref]
            run = self._runs[ref] = FeedRun(id_, ref, feed, **orjson.loads(data))
            feed.runs.append(run)
        last = max([f.id for f in self._feeds.values()] + [r.id for r in self._runs.values()], default=0)
        self._ids = itertools.count(last + 1)

    def create_feed(self, ref: str, **values: Any) -> Feed | None:
        feed = super().create_feed(ref, **values)
        if feed is not None:
            self.save(feed)
        return feed

    def save(self, feed: Feed) -> None:
        data = orjson.dumps({name: getattr(feed, name) for name in _FEED_FIELDS})
        self._db.execute("INSERT OR REPLACE INTO feeds VALUES (?, ?, ?)", (feed.id, feed.ref, data))

    def create_run(self, feed: Feed, run_type: str, now: float) -> FeedRun:
        run = super().create_run(feed, run_type, now)
        self.save_run(run)
        return run

    def save_run(self, run: FeedRun) -> None:
        data = orjson.dumps({name: getattr(run, name) for name in _RUN_FIELDS})
        self._db.execute("INSERT OR REPLACE INTO feed_runs VALUES (?, ?, ?, ?)", (run.id, run.ref, run.feed.ref, data))
