"""The SQLite connections of the durable stores, and the group transaction.

A group of batches is processed in chunks, with requests answered in between; its writes, its events and its
batches' outcomes must commit together (nothing applied twice after a crash). So the state database runs
one transaction per group (``begin_group`` .. ``commit_group``); a request that writes the state database
meanwhile joins it. Accepting a batch must be durable before the 200 and must not commit half a group: the
intake database (jobs, batches, settings, feeds) is another file, another connection, committed per write.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["FORMAT", "Checkpointer", "DataFormatError", "Database", "GroupTransaction"]

log = logging.getLogger("reference_impl.stores.sqlite")

# What this version writes. 4: event rows keep their retailer. (3: a position is one packed row, record
# events a chunk per row; 2: a batch's records wait as compact tuples, a quantity keeps its record's
# attributes as they came; 1, unrecorded, kept the posted records and split attributes.)
FORMAT = 4


# Rows per multi-row INSERT: rows go in pieces of these sizes, so few distinct statements are parsed and
# cached (512 rows of 3 columns bind 1,536 parameters; SQLite allows 32,766).
PIECES = (512, 256, 128, 64, 32, 16, 8, 4, 2, 1)
WAL_RESTART_BYTES = 256 * 1024 * 1024  # a WAL past this is copied whole and started over before a group


class DataFormatError(ValueError):
    """A data directory written in another format than this version reads."""


class Database:
    """One SQLite file in WAL mode, used from the server's threads under one lock."""

    def __init__(self, path: Path, schema: str, synchronous: str = "NORMAL") -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: autocommit unless a transaction is begun explicitly (the group's).
        self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute(f"PRAGMA synchronous={synchronous}")
        # A bounded page cache (64 MB) big enough that a chunk's B-tree pages stay in it; memory stays flat.
        self.conn.execute("PRAGMA cache_size=-65536")
        self.conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value)")
        self._check_format(path)  # before the schema: a file of another format is left as it was
        self.conn.executescript(schema)
        self.lock = threading.RLock()
        self.in_group = False
        # The WAL is copied into the database by a thread of its own (SQLite works there without the GIL):
        # on the server's thread, the automatic checkpoint at commit cost a tenth of processing time and
        # held up the answers to requests meanwhile.
        self.conn.execute("PRAGMA wal_autocheckpoint=0")
        self._autocheckpoint = False
        self._wal = path.with_name(path.name + "-wal")
        self._checkpointer = Checkpointer(path)
        self._statements: dict[tuple[str, int, int], str] = {}

    def _check_format(self, path: Path) -> None:
        found = self.conn.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
        if found is None and self.conn.execute("SELECT count(*) FROM meta").fetchone()[0] == 0:  # a new file
            self.conn.execute("INSERT INTO meta (key, value) VALUES ('format', ?)", (FORMAT,))
        elif found is None or found[0] != FORMAT:
            self.conn.close()
            raise DataFormatError(
                f"{path} holds data in format {1 if found is None else found[0]}; this version reads format "
                f"{FORMAT} only: serve with a new --data-dir (or the version that wrote it)"
            )

    @contextmanager
    def locked(self) -> Iterator[sqlite3.Connection]:
        with self.lock:
            yield self.conn

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """Around what may write (the lock held): a transaction of its own begins with the WAL kept small;
        what committed outside a group, the checkpointer may copy."""
        with self.lock:
            if not self.conn.in_transaction:
                self._keep_wal_small()
            yield
            if not self.in_group:
                self._checkpointer.wake()

    def execute(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Cursor:
        with self._writing():
            return self.conn.execute(sql, tuple(params))

    def executemany(self, sql: str, rows: Iterable[Iterable[Any]]) -> None:
        with self._writing():
            self.conn.executemany(sql, rows)

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """The statements run within commit together or not at all (a savepoint: inside a group, part of
        it; outside one, committed at the end)."""
        with self._writing():
            self.conn.execute("SAVEPOINT atomic")
            try:
                yield
            except BaseException:
                self.conn.execute("ROLLBACK TO atomic")
                self.conn.execute("RELEASE atomic")
                raise
            self.conn.execute("RELEASE atomic")

    def insert_rows(self, head: str, width: int, rows: Sequence[Sequence[Any]]) -> None:
        """``head`` ("INSERT ... INTO table VALUES") for each row of ``width`` values: one statement per piece
        of up to 512 rows, which SQLite runs in one step (a fifth faster than executemany, measured)."""
        start = 0
        while start < len(rows):
            size = next(p for p in PIECES if p <= len(rows) - start)
            sql = self._statements.get((head, width, size))
            if sql is None:
                row = f"({', '.join('?' * width)})"
                sql = self._statements[head, width, size] = f"{head} {', '.join([row] * size)}"
            self.execute(sql, [value for row in rows[start : start + size] for value in row])
            start += size

    def all(self, sql: str, params: Iterable[Any] = ()) -> list[Any]:
        with self.lock:
            return self.conn.execute(sql, tuple(params)).fetchall()

    def one(self, sql: str, params: Iterable[Any] = ()) -> Any:
        with self.lock:
            return self.conn.execute(sql, tuple(params)).fetchone()

    def meta(self, key: str, default: Any) -> Any:
        """A value of the meta table, stored as ``default`` on first use."""
        with self.lock:
            row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
            if row is None:
                self.conn.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (key, default))
                return default
            return row[0]

    def set_meta(self, key: str, value: Any) -> None:
        self.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def begin_group(self) -> None:
        with self.lock:
            if not self.in_group:
                self._keep_wal_small()
                self.conn.execute("BEGIN")
                self.in_group = True

    def _keep_wal_small(self) -> None:
        """Before a write transaction (the lock held): when the WAL has grown past WAL_RESTART_BYTES, wait for
        the checkpointer to copy all of it, so that this write starts it over (else, with groups following
        each other, it grows with everything written, and so does the time to open it after a crash)."""
        if self._checkpointer.failed:
            if not self._autocheckpoint:
                self.conn.execute("PRAGMA wal_autocheckpoint=1000")
                self._autocheckpoint = True
        elif self._wal.exists() and self._wal.stat().st_size > WAL_RESTART_BYTES:
            self._checkpointer.drain()

    def commit_group(self) -> None:
        with self.lock:
            if self.in_group:
                self.conn.execute("COMMIT")
                self.in_group = False
        self._checkpointer.wake()

    def close(self) -> None:
        self._checkpointer.close()
        with self.lock:
            self.commit_group()
            self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self.conn.close()


class Checkpointer:
    """A thread that copies a database's WAL into it whenever woken (after a commit), so the committing thread
    need not. SQLite starts the WAL over only at a write that begins after a pass copied all of it; groups
    following each other leave no such moment, so ``drain`` makes one (Database calls it when the WAL has
    grown past WAL_RESTART_BYTES). A pass that fails is logged and sets ``failed``; the database then
    checkpoints itself again. Every wait is bounded, and so is close."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._changed = threading.Condition()
        self._asked = 0  # passes asked for
        self._done = 0  # the last pass done answers every ask up to this one
        self._closing = False
        self.failed = False
        self._thread = threading.Thread(target=self._run, name=f"checkpoint {path.name}", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        with self._changed:
            self._asked += 1
            self._changed.notify_all()

    def drain(self, timeout_s: float = 60.0) -> None:
        """Wake it and wait (at most ``timeout_s``) for a pass begun after now to end. The caller must not
        write meanwhile (it holds the database's lock), so the pass copies the whole WAL."""
        with self._changed:
            self._asked += 1
            asked = self._asked
            self._changed.notify_all()
            self._changed.wait_for(lambda: self._done >= asked or self._closing or self.failed, timeout_s)

    def _run(self) -> None:
        try:
            conn = sqlite3.connect(self._path, isolation_level=None)
        except sqlite3.Error:
            self._fail()
            return
        try:
            while True:
                with self._changed:
                    self._changed.wait_for(lambda: self._asked > self._done or self._closing, timeout=1.0)
                    if self._closing:
                        return
                    asked = self._asked
                if asked == self._done:
                    continue
                # PASSIVE: copies what no reader needs, never waits for the writer
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
                with self._changed:
                    self._done = asked
                    self._changed.notify_all()
        except Exception:  # any failure: logged, and the database checkpoints itself again
            self._fail()
        finally:
            conn.close()

    def _fail(self) -> None:
        log.exception("checkpointing %s failed; the database checkpoints at commit instead", self._path)
        with self._changed:
            self.failed = True
            self._changed.notify_all()

    def close(self) -> None:
        with self._changed:
            self._closing = True
            self._changed.notify_all()
        self._thread.join(timeout=60)


class GroupTransaction:
    """What the worker brackets a group with: every write of the group commits at ``commit``."""

    def __init__(self, state: Database) -> None:
        self._state = state
        self.before_commit: list[Callable[[], None]] = []  # flush what the stores buffer
        self.after_commit: list[Callable[[], None]] = []

    def begin(self) -> None:
        self._state.begin_group()

    def commit(self) -> None:
        for flush in self.before_commit:
            flush()
        self._state.commit_group()
        for done in self.after_commit:
            done()
