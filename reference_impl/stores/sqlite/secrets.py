"""The token signing key and the redeemed refresh tokens in SQLite: tokens outlive a restart."""

from __future__ import annotations

import secrets

from invharness.reference_impl.stores.sqlite.db import Database

__all__ = ["SCHEMA", "SqliteSecrets"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS redeemed_tokens (id TEXT PRIMARY KEY, expires_at REAL);
"""


class SqliteSecrets:
    """The SecretStore in SQLite: the key is made once per data directory."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._key: bytes = db.meta("signing_key", secrets.token_bytes(32))

    def signing_key(self) -> bytes:
        return self._key

    def redeem(self, token_id: str, expires_at: float) -> bool:
        cursor = self._db.execute("INSERT OR IGNORE INTO redeemed_tokens VALUES (?, ?)", (token_id, expires_at))
        return cursor.rowcount == 1
