"""Tokens: password and refresh_token grants and bearer verification (who may act for what: access.py)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from typing import Any

import orjson

from invharness.reference_impl.clock import Clock
from invharness.reference_impl.config import ServerConfig, User
from invharness.reference_impl.errors import ApiError, TokenError
from invharness.reference_impl.services import validation
from invharness.reference_impl.services.access import Principal
from invharness.reference_impl.stores.protocols import SecretStore
from invharness.reference_impl.stores.secrets import InMemorySecrets

__all__ = ["Authenticator", "Principal", "TokenError"]

_NOBODY = secrets.token_urlsafe(24)  # what an unknown client's secret or user's password is compared with


def _same(expected: str, given: str) -> bool:
    """Credentials compared in constant time as UTF-8 bytes: hmac.compare_digest refuses a str that is not
    ASCII (TypeError, a 500 once), and a lone surrogate is still bytes (surrogatepass)."""
    return hmac.compare_digest(expected.encode("utf-8", "surrogatepass"), given.encode("utf-8", "surrogatepass"))


class Authenticator:
    """Issues and checks tokens; refresh tokens are single use.

    A token is signed, not remembered: <payload>.<HMAC-SHA256 of it> with the store's signing key, the payload
    naming the user, the kind (access or refresh), the expiry and a nonce. With a durable store the key
    survives a restart, and so do the tokens issued before it.
    """

    def __init__(self, config: ServerConfig, clock: Clock, secrets_store: SecretStore | None = None) -> None:
        self._config = config
        self._clock = clock
        self._users = {u.username: u for u in config.account.users}
        self._secrets = secrets_store or InMemorySecrets()

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
        claims = self._verify(refresh_token, "refresh")
        if claims is None or not self._secrets.redeem(claims["n"], claims["e"]):
            raise TokenError(400, "invalid_grant", "Invalid refresh token")
        return self._users[claims["u"]]

    def _grant(self, user: User) -> dict[str, Any]:
        now = self._clock.now()
        access = self._sign(user, "access", now + self._config.token_ttl_s)
        refresh = self._sign(user, "refresh", now + self._config.refresh_ttl_s)
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
        claims = self._verify(token.strip(), "access")
        if claims is None:
            raise ApiError.unauthorized()
        return Principal(self._users[claims["u"]])

    def _sign(self, user: User, kind: str, expires_at: float) -> str:
        claims = {"u": user.username, "k": kind, "e": expires_at, "n": secrets.token_urlsafe(12)}
        payload = base64.urlsafe_b64encode(orjson.dumps(claims)).rstrip(b"=")
        return f"{payload.decode()}.{self._mac(payload)}"

    def _mac(self, payload: bytes) -> str:
        digest = hmac.new(self._secrets.signing_key(), payload, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def _verify(self, token: str, kind: str) -> dict[str, Any] | None:
        """The claims of a token of ``kind`` signed with our key, for a known user, unexpired; None else."""
        payload, _, mac = token.partition(".")
        if not mac or not hmac.compare_digest(mac.encode(), self._mac(payload.encode()).encode()):
            return None
        try:
            claims = orjson.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        except (ValueError, orjson.JSONDecodeError):
            return None
        if claims.get("k") != kind or claims.get("u") not in self._users or claims["e"] <= self._clock.now():
            return None
        return claims
