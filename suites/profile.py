"""The target profile: how to reach a target and what it declares about itself.

A profile is a YAML file. Every key is optional; what is left out takes the reference server's
value (SPEC §15), so the embedded default needs no file at all:

    credentials: {client_id: DEMO, client_secret: demo-secret, username: admin, password: admin}
    other_user: {username: retailer2, password: retailer2}   # a user of another retailer (403 checks)
    account_id: DEMO
    retailers: {primary: 1, secondary: 2, account_only: 3}   # account_only: never given a RETAILER setting
    s3: {endpoint: http://127.0.0.1:9000, region: us-east-1}
    timeouts: {request_s: 30, batch_s: 60, poll_s: 0.05}
    declared: {job.lifetime: 24h, bpp.dedup_winner: last}    # answers to the open questions
    features: {feeds: true, settings_writes: true}
    deviations:
      - {clause: BPP-PREC-12, reason: "SKIP is read as skip", expires: 2027-01-31}
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from invharness import contracts

__all__ = ["FEATURES", "Deviation", "ProfileError", "TargetProfile", "load_profile"]

FEATURES = {
    "feeds": "inventory feeds (GraphQL) and an S3 the harness can reach",
    "settings_writes": "the harness may create and update fc.enable.batch.preprocessing settings",
    "account_settings": "the harness may change the ACCOUNT-level setting (affects every retailer)",
    "clock_control": "POST /_invharness/clock {advance_s} moves the target's clock (the embedded server only)",
}
_OFF_UNLESS_DECLARED = {"clock_control"}
_SCHEMA = json.loads((Path(__file__).with_name("profile.schema.json")).read_text(encoding="utf-8"))


class ProfileError(ValueError):
    """A profile file that cannot be used; the message says where and why."""


@dataclass(slots=True, frozen=True)
class Deviation:
    """A clause the target declares it does not follow, with why and until when."""

    clause: str
    reason: str
    expires: dt.date

    def active(self, today: dt.date) -> bool:
        return today <= self.expires


@dataclass(slots=True, frozen=True)
class TargetProfile:
    """Everything the suites need to know about one target."""

    client_id: str = "DEMO"
    client_secret: str = field(default="demo-secret", repr=False)
    username: str = "admin"
    password: str = field(default="admin", repr=False)
    other_username: str | None = "retailer2"
    other_password: str | None = field(default="retailer2", repr=False)
    account_id: str = "DEMO"
    primary_retailer: int = 1
    secondary_retailer: int = 2
    # a retailer the harness never gives a RETAILER setting: the ACCOUNT setting alone governs it
    account_only_retailer: int | None = None
    s3_endpoint: str | None = None
    s3_region: str = "us-east-1"
    request_timeout_s: float = 30.0
    batch_timeout_s: float = 60.0
    poll_interval_s: float = 0.05
    declared: dict[str, Any] = field(default_factory=dict)
    features: dict[str, bool] = field(default_factory=dict)
    deviations: tuple[Deviation, ...] = ()

    def value(self, key: str) -> Any:
        """The target's declared answer to the open question ``key`` (the reference's by default)."""
        return self.declared[key] if key in self.declared else contracts.catalogue().profile_keys[key].reference

    def supports(self, feature: str) -> bool:
        return self.features.get(feature, feature not in _OFF_UNLESS_DECLARED)

    def deviation(self, clause_id: str) -> Deviation | None:
        return next((d for d in self.deviations if d.clause == clause_id), None)

    def secrets(self) -> list[str]:
        """Every secret a report must never show."""
        return [s for s in (self.client_secret, self.password, self.other_password) if s]


def load_profile(path: str | Path | None, overrides: dict[str, Any] | None = None) -> TargetProfile:
    """The profile in ``path`` (None: the reference's own), checked against profile.schema.json."""
    raw: dict[str, Any] = {}
    if path is not None:
        try:
            raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ProfileError(f"{path}: cannot read the profile: {exc}") from None
    raw = _merge(raw, overrides or {})
    for entry in raw.get("deviations", []) if isinstance(raw.get("deviations"), list) else []:
        if isinstance(entry, dict) and isinstance(entry.get("expires"), dt.date):
            entry["expires"] = entry["expires"].isoformat()  # YAML reads 2027-01-31 as a date
    problem = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(_SCHEMA).iter_errors(raw))
    if problem is not None:
        raise ProfileError(f"{path or 'profile'}: {problem.json_path}: {problem.message}")
    keys = contracts.catalogue().profile_keys
    unknown = set(raw.get("declared", {})) - set(keys)
    if unknown:
        raise ProfileError(f"{path}: declared keys not in the clause catalogue: {', '.join(sorted(unknown))}")
    known_clauses = {c.id for c in contracts.clauses()}
    for entry in raw.get("deviations", []):
        if entry["clause"] not in known_clauses:
            raise ProfileError(f"{path}: a deviation names {entry['clause']}, which is not a clause")
    unknown_features = set(raw.get("features", {})) - set(FEATURES)
    if unknown_features:
        raise ProfileError(
            f"{path}: unknown features {', '.join(sorted(unknown_features))}; known: {', '.join(FEATURES)}"
        )
    from invharness.suites.profile_check import problems  # it reads FEATURES from here

    found = problems(raw)  # declared values against the catalogue's allowed values, dates, did-you-mean
    if found:
        raise ProfileError(f"{path or 'profile'}: " + "; ".join(found))
    credentials, other = raw.get("credentials", {}), raw.get("other_user", {})
    retailers, s3, timeouts = raw.get("retailers", {}), raw.get("s3", {}), raw.get("timeouts", {})
    defaults = TargetProfile()
    return TargetProfile(
        client_id=credentials.get("client_id", defaults.client_id),
        client_secret=credentials.get("client_secret", defaults.client_secret),
        username=credentials.get("username", defaults.username),
        password=credentials.get("password", defaults.password),
        other_username=other.get("username", defaults.other_username if not raw.get("credentials") else None),
        other_password=other.get("password", defaults.other_password if not raw.get("credentials") else None),
        account_id=raw.get("account_id", defaults.account_id),
        primary_retailer=int(retailers.get("primary", defaults.primary_retailer)),
        secondary_retailer=int(retailers.get("secondary", defaults.secondary_retailer)),
        account_only_retailer=retailers.get("account_only"),
        s3_endpoint=s3.get("endpoint"),
        s3_region=s3.get("region", defaults.s3_region),
        request_timeout_s=float(timeouts.get("request_s", defaults.request_timeout_s)),
        batch_timeout_s=float(timeouts.get("batch_s", defaults.batch_timeout_s)),
        poll_interval_s=float(timeouts.get("poll_s", defaults.poll_interval_s)),
        declared=dict(raw.get("declared", {})),
        features=dict(raw.get("features", {})),
        deviations=tuple(
            Deviation(d["clause"], d["reason"], _date(d["expires"], path)) for d in raw.get("deviations", [])
        ),
    )


def _date(value: str, path: Any) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ProfileError(f"{path}: a deviation expires on a date (YYYY-MM-DD), not {value!r}") from None


def _merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """``overrides`` over ``base``, one level into nested mappings (declared, features, s3, ...)."""
    merged = dict(base)
    for key, value in overrides.items():
        merged[key] = {**base.get(key, {}), **value} if isinstance(value, dict) else value
    return merged
