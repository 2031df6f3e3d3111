"""Mutants of the input hardening (issue 15): each brings back one defect the issue found, and the security
group run against it must fail on the SEC-INPUT clause it breaks (tests/suites/test_mutants_input.py)."""

from __future__ import annotations

import secrets
from typing import Any

import pytest

from invharness.reference_impl.errors import ApiError, TokenError
from invharness.reference_impl.services import auth, feeds, validation
from invharness.reference_impl.transport import http_api
from tests.suites.mutants import Mutant, applied

__all__ = ["INPUT_MUTANTS", "Mutant", "applied"]


def _isdigit_then_int(mp: pytest.MonkeyPatch) -> None:
    """The issue's code: str.isdigit() takes "²", which int() then refuses (500)."""

    def int_param(request: Any, name: str, default: int, low: int, high: int) -> int:
        raw = request.query_params.get(name)
        if raw is None:
            return default
        if not raw.isdigit() or not low <= int(raw) <= high:
            raise http_api.ApiError.bad_request(f"'{name}' must be a whole number from {low} to {high}")
        return int(raw)

    mp.setattr(http_api, "_int_param", int_param)


def _null_attributes_unchecked(mp: pytest.MonkeyPatch) -> None:
    """A null attribute reaches the code that reads its name (TypeError, an internal error)."""
    mp.setattr(validation, "quantity_input", lambda data: None)


def _credentials_compared_as_str(mp: pytest.MonkeyPatch) -> None:
    """The issue's code: compare_digest on str, which raises TypeError for a non-ASCII str (a 500)."""

    def same(expected: str, given: str) -> bool:
        return secrets.compare_digest(expected, given)

    mp.setattr(auth, "_same", same)


def _wrong_password_echoed(mp: pytest.MonkeyPatch) -> None:
    """A helpful refusal that repeats what it was sent."""
    original = auth.Authenticator.issue

    def issue(self: Any, params: dict[str, str]) -> Any:
        try:
            return original(self, params)
        except TokenError as refused:
            sent = params.get("password") or params.get("client_secret")
            raise TokenError(refused.status, refused.error, f"{refused.description} (sent: {sent})") from None

    mp.setattr(auth.Authenticator, "issue", issue)


def _colon_refs_taken(mp: pytest.MonkeyPatch) -> None:
    """Product and location refs taken as given, colons included: two records share one position."""
    original = validation.batch_request

    def batch_request(payload: Any) -> dict[int, str]:
        return {i: why for i, why in original(payload).items() if "does not match" not in why}

    mp.setattr(validation, "batch_request", batch_request)


def _feed_refs_used_raw_as_keys(mp: pytest.MonkeyPatch) -> None:
    """The issue's code: any feed ref taken, and written as the first segment of its files' keys."""
    original = validation.feed_input

    def feed_input(data: dict[str, Any]) -> None:
        try:
            original(data)
        except ApiError as refused:
            if "$.ref" not in refused.message:
                raise

    mp.setattr(validation, "feed_input", feed_input)
    mp.setattr(feeds, "feed_object_key", lambda feed_ref, run_ref: f"{feed_ref}/{run_ref}.parquet")


INPUT_MUTANTS = [
    Mutant("integer parameters read with isdigit then int", "security", "SEC-INPUT-01", _isdigit_then_int),
    Mutant("a null quantity attribute read unchecked", "security", "SEC-INPUT-02", _null_attributes_unchecked),
    Mutant("credentials compared as str", "security", "SEC-INPUT-03", _credentials_compared_as_str),
    Mutant("a refused token request echoes the secret", "security", "SEC-INPUT-04", _wrong_password_echoed),
    Mutant("colons in product and location refs taken", "security", "SEC-INPUT-05", _colon_refs_taken),
    Mutant("feed refs used raw as object keys", "security", "SEC-INPUT-06", _feed_refs_used_raw_as_keys),
]
