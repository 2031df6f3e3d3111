"""What a load run needs to know about its target, read from the environment.

Locustfiles take no arguments of their own, and secrets must never sit on a command line (where
`ps` and logs show them), so `invharness load` passes the profile's answers through environment
variables; a plain `locust -f loadtests/ingest.py --host URL` without them judges the reference
server's demo account:

    INVHARNESS_USERNAME / INVHARNESS_PASSWORD / INVHARNESS_CLIENT_ID / INVHARNESS_CLIENT_SECRET
    INVHARNESS_RUN_ID     the ref prefix of this run (same id -> same refs and data; default random)
    INVHARNESS_LOAD_OUT   directory for reconciliation.json and progress.json (master or local only)
    INVHARNESS_LOAD       JSON of the non-secret knobs below (retailer, timeouts, declared semantics)
    INVHARNESS_DATASET    the directory the replay scenario puts into the target
"""

from __future__ import annotations

import json
import os
import re
import secrets
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

__all__ = ["LoadSettings", "redact"]

_TOKENISH = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+")
_SECRET_FIELDS = re.compile(
    r"""(?i)(["']?(?:access_token|refresh_token|client_secret|password)["']?\s*[:=]\s*["']?)[^"'&,\s}]+"""
)


@dataclass(slots=True, frozen=True)
class LoadSettings:
    """One run's target facts and knobs (defaults: the reference server's demo account)."""

    username: str = "admin"
    password: str = field(default="admin", repr=False)
    client_id: str = "DEMO"
    client_secret: str = field(default="demo-secret", repr=False)
    run_id: str = ""
    out: Path | None = None
    retailer: int = 1
    seed: int = 1
    request_timeout_s: float = 30.0
    batch_timeout_s: float = 60.0
    poll_s: float = 0.05
    settle_s: float = 10.0  # how long reconciliation waits for a target to settle (async events)
    job_lifetime: str = "midnight_utc"  # declared job.lifetime: midnight_utc or 24h
    dedup_winner: str = "last"  # declared bpp.dedup_winner
    idempotent_delta_id: bool = True  # declared delta.idempotent_delta_id
    delta_rate: float = 20.0  # INVENTORY_DELTA events per second per delta-storm user
    replay_share: float = 0.2  # share of delta events that resend an earlier one
    hot_positions: int = 20  # positions each delta-storm user hammers
    records_per_batch: int = 4400  # before duplicates; a step stays within 5,000
    replay_rate: float = 0.0  # replay: requests/s over all users (0: as fast as the target takes them)
    steps: int = 4  # pre-built steps per ingest user: the load, then changes cycled (at least 2 of them)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> LoadSettings:
        env = os.environ if environ is None else environ
        knobs: dict[str, Any] = json.loads(env.get("INVHARNESS_LOAD", "") or "{}")
        known = {f.name for f in fields(cls)} - {"username", "password", "client_id", "client_secret", "run_id", "out"}
        unknown = set(knobs) - known
        if unknown:
            raise ValueError(f"INVHARNESS_LOAD: unknown keys {', '.join(sorted(unknown))}")
        if knobs.get("steps", 3) < 3:
            raise ValueError("INVHARNESS_LOAD: steps is at least 3 (the load and two changes to cycle)")
        defaults = cls()
        return cls(
            username=env.get("INVHARNESS_USERNAME", defaults.username),
            password=env.get("INVHARNESS_PASSWORD", defaults.password),
            client_id=env.get("INVHARNESS_CLIENT_ID", defaults.client_id),
            client_secret=env.get("INVHARNESS_CLIENT_SECRET", defaults.client_secret),
            run_id=env.get("INVHARNESS_RUN_ID") or f"lt{secrets.token_hex(3)}",
            out=Path(env["INVHARNESS_LOAD_OUT"]) if env.get("INVHARNESS_LOAD_OUT") else None,
            **knobs,
        )

    def token_form(self) -> dict[str, str]:
        return {
            "username": self.username,
            "password": self.password,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "grant_type": "password",
            "scope": "api",
        }

    def secrets(self) -> list[str]:
        return [s for s in (self.password, self.client_secret) if s]


def redact(text: str, secrets_: list[str]) -> str:
    """``text`` with every secret and bearer token replaced by ***."""
    for secret in secrets_:
        text = text.replace(secret, "***")
    return _TOKENISH.sub(r"\1***", _SECRET_FIELDS.sub(r"\1***", text))
