"""The durable stores: the same Protocols as the in-memory ones, kept in SQLite files under a data directory.

Two files, so that accepting a batch never commits half a group (db.py says why): ``intake.sqlite3``
holds jobs, batches (their records until processed), settings, feeds, runs and the token signing key;
``state.sqlite3`` holds the inventory, the event log and each processed batch's outcome.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from invharness.reference_impl.clock import Clock
from invharness.reference_impl.stores.sqlite import events, feeds, inventory, jobs, secrets, settings
from invharness.reference_impl.stores.sqlite.db import Database, GroupTransaction

__all__ = ["SqliteStores", "check_data_dir", "open_sqlite"]


@dataclass(slots=True, frozen=True)
class SqliteStores:
    """The durable stores over one data directory, and what closes them."""

    jobs: jobs.SqliteJobStore
    inventory: inventory.SqliteInventory
    events: events.SqliteEventLog
    settings: settings.SqliteSettingsStore
    feeds: feeds.SqliteFeedStore
    secrets: secrets.SqliteSecrets
    group: GroupTransaction
    databases: tuple[Database, ...]


def _databases(data_dir: Path) -> tuple[Database, Database]:
    """The intake and state databases of ``data_dir``, opened (created when new); DataFormatError when
    one holds data in a format this version does not read."""
    # The intake is synchronous=FULL: a batch answered 200 survives a power cut, not only a killed process.
    intake = Database(
        data_dir / "intake.sqlite3", jobs.INTAKE_SCHEMA + settings.SCHEMA + feeds.SCHEMA + secrets.SCHEMA, "FULL"
    )
    try:
        state = Database(data_dir / "state.sqlite3", inventory.SCHEMA + events.SCHEMA + jobs.OUTCOME_SCHEMA)
    except BaseException:
        intake.close()
        raise
    return intake, state


def check_data_dir(data_dir: Path) -> None:
    """Whether this version can read ``data_dir`` (DataFormatError, or the OSError or sqlite3.Error of a
    file it cannot open), without loading anything from it."""
    for db in _databases(data_dir):
        db.close()


def open_sqlite(data_dir: Path, clock: Clock, job_lifetime: str, event_retention: int) -> SqliteStores:
    """Open (or create) the stores kept in ``data_dir``."""
    intake, state = _databases(data_dir)
    group = GroupTransaction(state)
    job_store = jobs.SqliteJobStore(intake, state, clock, job_lifetime)
    group.after_commit.append(job_store.drop_records)
    return SqliteStores(
        jobs=job_store,
        inventory=inventory.SqliteInventory(state, group),
        events=events.SqliteEventLog(state, event_retention),
        settings=settings.SqliteSettingsStore(intake),
        feeds=feeds.SqliteFeedStore(intake),
        secrets=secrets.SqliteSecrets(intake),
        group=group,
        databases=(intake, state),
    )
