"""Tokens: password and refresh_token grants and bearer verification (who may act for what: access.py)."""

from __future__ import annotations

import hmac
import secrets
import threading
from dataclasses import dataclass
from typing import Any

from invharness.reference_impl.clock import Clock
from invharness.reference_impl.config import ServerConfig, User
from invharness.reference_impl.errors import ApiError, TokenError
from invharness.reference_impl.services import validation
from invharness.reference_impl.services.access import Principal

__all__ = ["Authenticator", "Principal", "TokenError"]


_NOBODY = secrets.token_urlsafe(24)  # what an unknown client's secret or user's password is compared with


def _same(expected: str, given: str) -> bool:
    """Credentials compared in constant time as UTF-8 bytes: hmac.compare_digest refuses a str that is not
    ASCII (TypeError, a 500 once), and a lone surrogate is still bytes (surrogatepass)."""
    return hmac.compare_digest(expected.encode("utf-8", "surrogatepass"), given.encode("utf-8", "surrogatepass"))


@dataclass(slots=True)
class _Grant:
    user: User
    expires_at: float


class Authenticator:
    """Issues and checks tokens; refresh tokens are single use."""

    def __init__(self, config: ServerConfig, clock: Clock) -> None:
        self._config = config
        self._clock = clock
        self._users = {u.username: u for u in config.account.users}
        self._access: dict[str, _Grant] = {}
        self._refresh: dict[str, _Grant] = {}
        self._lock = threading.Lock()

    def issue(self, params: dict[str, str]) -> dict[str, Any]:
        """Answer a token request (query string and body merged); TokenError when it is refused."""
        validation.token_request(params)
        secret = self._config.account.clients.get(params["client_id"])
        # an unknown client or user is compared all the same, so the time taken tells nothing either
        if not _same(secret if secret is not None else _NOBODY, params["client_secret"]) or secret is None:
            raise TokenError(401, "invalid_client", "Bad client credentials")
        if params["grant_type"] == "password":
            user = self._users.get(params["username"])
            if not _same(user.password if user else _NOBODY, params["password"]) or user is None:
                raise TokenError(400, "invalid_grant", "Bad credentials")
        else:
            user = self._redeem(params["refresh_token"])
        return self._grant(user)

    def _redeem(self, refresh_token: str) -> User:
        with self._lock:
            grant = self._refresh.pop(refresh_token, None)
        if grant is None or grant.expires_at <= self._clock.now():
            raise TokenError(400, "invalid_grant", "Invalid refresh token")
        return grant.user

    def _grant(self, user: User) -> dict[str, Any]:
        now = self._clock.now()
        access, refresh = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        with self._lock:
            self._access[access] = _Grant(user, now + self._config.token_ttl_s)
            self._refresh[refresh] = _Grant(user, now + self._config.refresh_ttl_s)
        return {
            "access_token": access,
            "token_type": "bearer",
            "expires_in": self._config.token_ttl_s,
            "scope": "api",
            "refresh_token": refresh,
            "Retailer_id": str(user.retailer_id),
            "FirstName": user.first_name,
        }

    def authenticate(self, authorization: str | None) -> Principal:
        """The principal of an ``Authorization: Bearer <token>`` header (scheme in any case); 401 else."""
        scheme, _, token = (authorization or "").strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError.unauthorized()
        grant = self._access.get(token.strip())
        if grant is None or grant.expires_at <= self._clock.now():
            raise ApiError.unauthorized()
        return Principal(grant.user)
