"""The token signing key and the refresh tokens redeemed (the SecretStore in memory: a key per process)."""

from __future__ import annotations

import secrets
import threading

__all__ = ["InMemorySecrets"]


class InMemorySecrets:
    """A random signing key for this process; redeemed refresh tokens until they expire."""

    def __init__(self) -> None:
        self._key = secrets.token_bytes(32)
        self._redeemed: dict[str, float] = {}
        self._lock = threading.Lock()

    def signing_key(self) -> bytes:
        return self._key

    def redeem(self, token_id: str, expires_at: float) -> bool:
        with self._lock:
            if token_id in self._redeemed:
                return False
            self._redeemed[token_id] = expires_at
            return True
