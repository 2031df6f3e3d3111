"""The embedded demo account, overridable by a JSON/YAML file or environment variables.

Defaults: account DEMO, retailers 1 and 2, client DEMO / demo-secret, users admin / admin
(retailer 1, may act for the whole account) and retailer2 / retailer2 (retailer 2 only).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

__all__ = ["ORJSON_MAX_DEPTH", "AccountConfig", "ServerConfig", "User", "load_config"]

ORJSON_MAX_DEPTH = 254  # orjson.dumps refuses deeper values ("Recursion limit reached")


@dataclass(slots=True, frozen=True)
class User:
    """A user who can obtain tokens; ``account_admin`` may act for every retailer of the account."""

    username: str
    password: str
    retailer_id: int
    account_admin: bool = False
    first_name: str = ""


@dataclass(slots=True, frozen=True)
class AccountConfig:
    """Who may call the server, and which retailers exist."""

    account_id: str = "DEMO"
    retailers: tuple[int, ...] = (1, 2)
    clients: dict[str, str] = field(default_factory=lambda: {"DEMO": "demo-secret"})
    users: tuple[User, ...] = (
        User("admin", "admin", 1, account_admin=True, first_name="Admin"),
        User("retailer2", "retailer2", 2, first_name="Retailer Two"),
    )


@dataclass(slots=True, frozen=True)
class ServerConfig:
    """Everything that shapes the server's behaviour where the contract leaves a choice."""

    account: AccountConfig = field(default_factory=AccountConfig)
    token_ttl_s: int = 86400
    refresh_ttl_s: int = 7 * 86400
    job_lifetime: str = "midnight_utc"  # or "24h" (profile key job.lifetime)
    processing_window_s: float = 0.05  # batches of a job arriving this close together are de-duplicated as one
    max_body_bytes: int = 16 * 1024 * 1024
    page_size_cap: int = 500
    event_retention: int = 2_000_000  # the event log keeps at most this many events, oldest dropped first
    manage_gc: bool = False  # True where the server owns its process (`invharness serve`): see BatchWorker
    feed_interval_s: float = 300.0  # an ACTIVE feed runs this often (decision 25)
    feed_region: str = "us-east-1"  # destinations must be in this region
    s3_endpoint: str | None = None  # any S3 (AWS, MinIO, moto); `invharness serve` starts moto when None
    feed_source_bucket: str = "invharness-feed-source"
    data_dir: str | None = None  # SQLite stores kept here (`invharness serve --data-dir`); None: in memory
    # With SQLite, a group (one transaction) holds at most this many records, so memory stays flat however
    # many wait; batches beyond it form the next group (de-duplication spans a group).
    max_group_records: int = 100_000
    clock_control: bool = False  # POST /_invharness/clock {"advance_s": N} moves the server's clock (harness only)
    # Resource limits (issue 15; README "Resource limits"). A GraphQL document over one is refused before
    # it runs; complexity is the nodes a query can answer (each connection: its page x (1 + nodes below)).
    graphql_max_depth: int = 12  # profile key limits.graphql.max_depth
    graphql_max_aliases: int = 100  # profile key limits.graphql.max_aliases
    graphql_max_complexity: int = 100_000  # profile key limits.graphql.max_complexity
    # JSON input nested deeper is refused (400): every answer can then write back what was stored, its
    # envelope (at most 2 x graphql_max_depth + 2 levels) included, within orjson's 254 levels.
    max_json_depth: int = 128  # profile key limits.json.max_depth
    body_read_timeout_s: float = 30.0  # a request body not fully received in this time answers 408
    header_timeout_s: float = 10.0  # a connection that has not sent a whole request head in this time is closed
    keep_alive_timeout_s: int = 5  # an idle kept-alive connection is closed after this
    s3_connect_timeout_s: float = 2.0  # every S3 call of feeds: bounded connect, read and attempts
    s3_read_timeout_s: float = 5.0
    s3_max_attempts: int = 2

    def __post_init__(self) -> None:
        envelope = 2 * self.graphql_max_depth + 2
        if self.max_json_depth + envelope > ORJSON_MAX_DEPTH:
            raise ValueError(
                f"max_json_depth {self.max_json_depth} + answer envelope {envelope} exceeds the {ORJSON_MAX_DEPTH}"
                " levels orjson writes: a stored value could not be answered"
            )


def load_config(path: str | Path | None = None, environ: dict[str, str] | None = None) -> ServerConfig:
    """Defaults, then the file ``path`` (JSON or YAML), then INVHARNESS_* variables of ``environ``.

    The file holds ``account`` (account_id, retailers, clients, users) and any ServerConfig field.
    INVHARNESS_ACCOUNT_ID, INVHARNESS_CLIENT_ID and INVHARNESS_CLIENT_SECRET override the account.
    """
    environ = os.environ if environ is None else environ
    raw: dict[str, Any] = {}
    if path is not None:
        loaded = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        if not isinstance(loaded, dict):
            raise ValueError(f"{path}: expected a mapping of settings, got {type(loaded).__name__}")
        raw = loaded
    account = _account(raw.pop("account", {}) or {}, environ)
    unknown = set(raw) - set(ServerConfig.__dataclass_fields__)
    if unknown:
        raise ValueError(f"unknown server settings: {', '.join(sorted(unknown))}")
    return ServerConfig(account=account, **raw)


def _account(raw: dict[str, Any], environ: dict[str, str]) -> AccountConfig:
    defaults = AccountConfig()
    users = tuple(User(**u) for u in raw["users"]) if "users" in raw else defaults.users
    clients = dict(raw.get("clients", defaults.clients))
    if "INVHARNESS_CLIENT_ID" in environ:
        clients = {environ["INVHARNESS_CLIENT_ID"]: environ.get("INVHARNESS_CLIENT_SECRET", "")}
    return AccountConfig(
        account_id=environ.get("INVHARNESS_ACCOUNT_ID", raw.get("account_id", defaults.account_id)),
        retailers=tuple(int(r) for r in raw.get("retailers", defaults.retailers)),
        clients=clients,
        users=users,
    )
