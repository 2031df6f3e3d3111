"""Every problem of a target profile, each named where it is and with what to do about it.

``problems(raw)`` takes the profile as YAML loads it and answers a list of one-line problems (empty:
the profile is usable): the shape (profile.schema.json), unknown keys with a did-you-mean, declared
answers against the allowed values of contracts/clauses.yaml, features, and deviations that name a
clause that does not exist or expire on no date. It reads nothing but the contract and the schema,
so the profile loader and `invharness profile check` share it.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import jsonschema

from invharness import contracts

__all__ = ["SCHEMA", "allowed", "kind", "problems"]

SCHEMA: dict[str, Any] = json.loads(Path(__file__).with_name("profile.schema.json").read_text(encoding="utf-8"))
_YAML_BOOLEANS = "YAML reads on/off/yes/no without quotes as true/false; quote it"


def _suggest(word: str, known: Iterable[str], otherwise: str | None = None) -> str:
    known = list(known)
    close = difflib.get_close_matches(word, known, n=1, cutoff=0.6)
    return f"did you mean {close[0]}?" if close else otherwise or f"known: {', '.join(known)}"


def kind(value: Any) -> str:
    """What sort of YAML value this is, in words ("a number", "a list", ...)."""
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def allowed(key: str, value: Any) -> str | None:
    """Why ``value`` is not an allowed answer to the profile key ``key`` (None when it is). Keys with
    free values take any value of the same kind as the reference's."""
    entry = contracts.catalogue().profile_keys[key]
    if entry.values is None:
        same = kind(value) == kind(entry.reference)
        return None if same else f"{value!r} is not {kind(entry.reference)} (the reference's: {entry.reference!r})"
    # 1 == True in Python: an answer matches an allowed value of its own type only
    if any(value == v and type(value) is type(v) for v in entry.values):
        return None
    choices = " | ".join(json.dumps(v) for v in entry.values)
    hint = f" ({_YAML_BOOLEANS})" if isinstance(value, bool) and any(isinstance(v, str) for v in entry.values) else ""
    return f"{json.dumps(value, default=str)} is not allowed; choose one of {choices}{hint}"


def _plain(raw: Any) -> Any:
    """The profile with YAML's dates as ISO strings (YAML reads 2027-01-31 as a date)."""
    if isinstance(raw, dict):
        return {k: _plain(v) for k, v in raw.items()}
    if isinstance(raw, list):
        return [_plain(v) for v in raw]
    return raw.isoformat() if isinstance(raw, dt.date) else raw


def _shape(raw: dict[str, Any]) -> list[str]:
    found = []
    for error in sorted(jsonschema.Draft202012Validator(SCHEMA).iter_errors(raw), key=lambda e: list(e.path)):
        where = ".".join(str(p) for p in error.absolute_path) or "(top)"
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            known = list(error.schema.get("properties", {}))
            for extra in sorted(set(error.instance) - set(known)):
                prefix = f"{where}." if error.absolute_path else ""
                found.append(f"{prefix}{extra}: unknown key; {_suggest(extra, known)}")
        else:
            found.append(f"{where}: {error.message}")
    return found


def problems(raw: Any) -> list[str]:
    """Every problem of the profile ``raw`` (as YAML loads it), one line each; [] when usable."""
    if raw is None:
        return []
    if not isinstance(raw, dict):
        return [f"(top): a profile is a mapping of keys (credentials, declared, ...), not {kind(raw)}"]
    raw = _plain(raw)
    found = _shape(raw)
    keys = contracts.catalogue().profile_keys
    declared = raw.get("declared")
    for key, value in declared.items() if isinstance(declared, dict) else ():
        if key not in keys:
            found.append(f"declared.{key}: not a profile key; {_suggest(key, keys, 'see `invharness clauses --json`')}")
        elif (why := allowed(key, value)) is not None:
            found.append(f"declared.{key}: {why}")
    # FEATURES lives with the loader, which imports this module: read it when called
    from invharness.suites.profile import FEATURES

    features = raw.get("features")
    for name in features if isinstance(features, dict) else ():
        if name not in FEATURES:
            found.append(f"features.{name}: unknown feature; {_suggest(name, FEATURES)}")
    clause_ids = [c.id for c in contracts.clauses()]
    deviations = raw.get("deviations")
    for n, entry in enumerate(deviations if isinstance(deviations, list) else []):
        if not isinstance(entry, dict):
            continue
        clause = entry.get("clause")
        if isinstance(clause, str) and clause not in clause_ids:
            hint = _suggest(clause, clause_ids, "see `invharness clauses`")
            found.append(f"deviations.{n}.clause: {clause} is not a clause; {hint}")
        expires = entry.get("expires")
        if isinstance(expires, str):
            try:
                dt.date.fromisoformat(expires)
            except ValueError:
                found.append(f"deviations.{n}.expires: a date as YYYY-MM-DD, not {expires!r}")
    return found
