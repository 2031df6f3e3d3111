"""Time, injectable: the server reads the clock only through a Clock so tests can move it."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol

__all__ = [
    "Clock",
    "ManualClock",
    "OffsetClock",
    "SystemClock",
    "fluent_timestamp",
    "iso_timestamp",
    "next_midnight_utc",
]


class Clock(Protocol):
    """Anything that tells the time as seconds since the epoch (UTC)."""

    def now(self) -> float: ...


class SystemClock:
    """The real time."""

    def now(self) -> float:
        return time.time()


class OffsetClock:
    """The real time plus an offset that only grows (the harness's clock control moves it)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        self.offset += seconds


class ManualClock:
    """A clock that stands still until moved; starts at the real time unless told otherwise."""

    def __init__(self, start: float | None = None) -> None:
        self._now = time.time() if start is None else start
        self._lock = threading.Lock()

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds

    def set(self, epoch_seconds: float) -> None:
        with self._lock:
            self._now = epoch_seconds


def fluent_timestamp(epoch_seconds: float) -> str:
    """The Job API's form: 2022-10-06T00:31:08.104+0000."""
    moment = datetime.fromtimestamp(epoch_seconds, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def iso_timestamp(epoch_seconds: float) -> str:
    """ISO-8601 with a Z, for GraphQL DateTime fields: 2026-11-23T10:00:00.123Z."""
    moment = datetime.fromtimestamp(epoch_seconds, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def next_midnight_utc(epoch_seconds: float) -> float:
    """The first 00:00 UTC strictly after the given moment."""
    moment = datetime.fromtimestamp(epoch_seconds, UTC)
    midnight = datetime(moment.year, moment.month, moment.day, tzinfo=UTC) + timedelta(days=1)
    return midnight.timestamp()
