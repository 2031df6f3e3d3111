"""Tokens: password and refresh_token grants, bearer verification, retailer permissions."""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass
from typing import Any

from invharness.reference_impl.clock import Clock
from invharness.reference_impl.config import ServerConfig, User
from invharness.reference_impl.errors import ApiError

__all__ = ["Authenticator", "Principal", "TokenError"]


class TokenError(Exception):
    """An OAuth-style refusal of /oauth/token: {"error", "error_description"} with a status."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


@dataclass(slots=True, frozen=True)
class Principal:
    """The user a valid bearer token stands for."""

    user: User

    @property
    def username(self) -> str:
        return self.user.username

    def may_act_for(self, retailer_id: int) -> bool:
        return self.user.account_admin or self.user.retailer_id == retailer_id

    def require_retailer(self, retailer_id: int) -> None:
        """403 unless this user may write the retailer's data."""
        if not self.may_act_for(retailer_id):
            raise ApiError.forbidden(f"User {self.username} may not act for retailer {retailer_id}")


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
        """Answer a token request whose parameters conform to token-request; TokenError otherwise."""
        clients = self._config.account.clients
        if clients.get(params["client_id"]) != params["client_secret"]:
            raise TokenError(401, "invalid_client", "Bad client credentials")
        if params["grant_type"] == "password":
            user = self._users.get(params["username"])
            if user is None or not secrets.compare_digest(user.password, params["password"]):
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
