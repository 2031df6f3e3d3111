"""The embedded demo account, overridable by a JSON/YAML file or environment variables.

Defaults: account DEMO, retailers 1 and 2, client DEMO / demo-secret, users admin / admin
(retailer 1, may act for the whole account) and retailer2 / retailer2 (retailer 2 only).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from invharness import contracts

__all__ = [
    "ORJSON_MAX_DEPTH",
    "AccountConfig",
    "Behaviours",
    "ServerConfig",
    "User",
    "behaviours_from_profile",
    "load_config",
]

ORJSON_MAX_DEPTH = 254  # orjson.dumps refuses deeper values ("Recursion limit reached")
# Profile keys that are plain ServerConfig settings: a profile declaring one sets the field.
_CONFIG_FIELDS = {
    "feed.default_interval_s": "feed_interval_s",
    "bpp.processing_window_s": "processing_window_s",
    "limits.graphql.max_depth": "graphql_max_depth",
    "limits.graphql.max_aliases": "graphql_max_aliases",
    "limits.graphql.max_complexity": "graphql_max_complexity",
    "limits.json.max_depth": "max_json_depth",
}


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
class Behaviours:
    """The server's answer to each open question of the contract, by profile key (contracts/clauses.yaml
    ``profile_keys``): what is not given here plays the reference's value. Services read their keys with
    ``behaviours["bpp.dedup_scope"]``, the same names a profile declares and the suites read."""

    declared: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        problems = [_problem(key, value) for key, value in self.declared.items()]
        if any(problems):
            raise ValueError("; ".join(p for p in problems if p))

    def __getitem__(self, key: str) -> Any:
        return self.declared[key] if key in self.declared else contracts.catalogue().profile_keys[key].reference


def _problem(key: str, value: Any) -> str | None:
    """Why ``value`` cannot be played for ``key`` (None: it can)."""
    known = contracts.catalogue().profile_keys
    if key not in known:
        return f"unknown profile key {key!r} (known: {', '.join(sorted(known))})"
    allowed, reference = known[key].values, known[key].reference
    if allowed is not None:
        # bool is an int: True must not pass for 1, nor 400 for True
        if not any(value == a and type(value) is type(a) for a in allowed):
            return f"{key}: {value!r} is not one of the allowed values {list(allowed)}"
        return None
    if isinstance(reference, int | float) and not isinstance(reference, bool):
        fits = isinstance(value, int | float) and not isinstance(value, bool) and value >= 0
    else:
        fits = type(value) is type(reference)
    return None if fits else f"{key}: expected a value like {reference!r}, got {value!r}"


@dataclass(slots=True, frozen=True)
class ServerConfig:
    """Everything that shapes the server's behaviour where the contract leaves a choice."""

    account: AccountConfig = field(default_factory=AccountConfig)
    token_ttl_s: int = 86400
    refresh_ttl_s: int = 7 * 86400
    behaviours: Behaviours = field(default_factory=Behaviours)  # the declared answers the server plays
    # how long the worker gathers batches before it takes them; with bpp.dedup_scope processing_window,
    # batches of a job arriving this close together are de-duplicated as one
    processing_window_s: float = 0.05
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

    @property
    def job_lifetime(self) -> str:
        return str(self.behaviours["job.lifetime"])

    def declaring(self, declared: Mapping[str, Any]) -> ServerConfig:
        """This configuration playing the profile answers ``declared`` (ValueError on one it cannot play)."""
        fields = {_CONFIG_FIELDS[k]: v for k, v in declared.items() if k in _CONFIG_FIELDS}
        behaviours = Behaviours({**self.behaviours.declared, **declared})
        return dataclasses.replace(self, behaviours=behaviours, **fields)


def behaviours_from_profile(path: str | Path) -> dict[str, Any]:
    """The ``declared`` answers of the target profile ``path`` (YAML), each checked against the clause
    catalogue: an unknown key or a value the server cannot play is a ValueError."""
    loaded = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    if not isinstance(loaded, dict) or not isinstance(loaded.get("declared", {}), dict):
        raise ValueError(f"{path}: expected a target profile with a `declared` mapping")
    declared = dict(loaded.get("declared") or {})
    Behaviours(declared)  # raises on what cannot be played
    return declared


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
    behaviours = Behaviours(raw.pop("behaviours", None) or {})
    return ServerConfig(account=account, behaviours=behaviours, **raw)


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
