"""Settings in SQLite, written through; few enough to be held in memory as well."""

from __future__ import annotations

import itertools
from typing import Any

import orjson

from invharness.reference_impl.stores.settings import InMemorySettingsStore, Setting
from invharness.reference_impl.stores.sqlite.db import Database

__all__ = ["SCHEMA", "SqliteSettingsStore"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS settings (
    id INTEGER PRIMARY KEY, name TEXT, value_type TEXT, value TEXT, lob_value BLOB, context TEXT, context_id INTEGER);
"""


class SqliteSettingsStore(InMemorySettingsStore):
    """The SettingsStore in SQLite."""

    def __init__(self, db: Database) -> None:
        super().__init__()
        self._db = db
        for id_, name, value_type, value, lob, context, context_id in db.all("SELECT * FROM settings"):
            setting = Setting(id_, name, value_type, value, orjson.loads(lob), context, context_id)
            self._by_id[id_] = self._by_key[(name, context, context_id)] = setting
        self._ids = itertools.count(max(self._by_id, default=0) + 1)

    def _write(self, s: Setting) -> Setting:
        self._db.execute(
            "INSERT OR REPLACE INTO settings VALUES (?, ?, ?, ?, ?, ?, ?)",
            (s.id, s.name, s.value_type, s.value, orjson.dumps(s.lob_value), s.context, s.context_id),
        )
        return s

    def create(
        self, name: str, value_type: str, value: str | None, lob_value: Any, context: str, context_id: int
    ) -> Setting:
        return self._write(super().create(name, value_type, value, lob_value, context, context_id))

    def update(self, setting_id: int, **changes: Any) -> Setting:
        return self._write(super().update(setting_id, **changes))
