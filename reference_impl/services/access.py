"""Who may act for what: the one place every access check (account, retailer) lives.

A user acts for their own retailer; an account admin for every retailer of the account, account-level
settings and inventory feeds. Every refusal is an ApiError the transports word their own way.

Retailer isolation (contracts/decisions.md D-ISO-CATALOGUE, D-ISO-HIDDEN):

- A catalogue belongs to one retailer: the one its ref names (``DEFAULT:1`` -> 1, the ASCII decimal after
  the last colon), or the one it was created for. A batch writes only into a catalogue of its job's retailer;
  a ref naming no retailer (``MYCAT``, ``R1ONLY:x``) is refused, so no retailer can squat an account-wide name.
- What the request itself names (a job's or an event's ``retailerId``, a batch entity's, a setting's
  context) is refused with 403: the answer depends on the request only, and reveals nothing stored.
- What is stored for another retailer (a job, an event, a catalogue and what is in it, a setting) is
  answered exactly like a missing one: same status, same body, same message form. No existence oracle.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from invharness.reference_impl.config import User
from invharness.reference_impl.errors import ApiError

__all__ = [
    "Principal",
    "catalogue_retailer",
    "may_read_setting",
    "require_admin",
    "require_batch_catalogue",
    "require_found",
    "require_retailer",
    "require_setting_context",
    "require_visible",
]

# The retailer suffix of a catalogue ref: ASCII digits only (no superscripts), short enough to be an id.
_RETAILER_SUFFIX = re.compile(r":([0-9]{1,18})\Z", re.ASCII)


@dataclass(slots=True, frozen=True)
class Principal:
    """The user a valid bearer token stands for."""

    user: User

    @property
    def username(self) -> str:
        return self.user.username

    def may_act_for(self, retailer_id: int | None) -> bool:
        """Whether this user may read or write the retailer's data (None: account-level data, admins only)."""
        return self.user.account_admin or (retailer_id is not None and self.user.retailer_id == retailer_id)

    def require_retailer(self, retailer_id: int) -> None:
        require_retailer(self, retailer_id)


def catalogue_retailer(ref: str) -> int | None:
    """The retailer a catalogue ref names by its ``:<retailerId>`` suffix; None when it names none."""
    match = _RETAILER_SUFFIX.search(ref)
    return int(match.group(1)) if match else None


def require_retailer(principal: Principal, retailer_id: int) -> None:
    """403 unless the user may act for the retailer the request names."""
    if not principal.may_act_for(retailer_id):
        raise ApiError.forbidden(f"User {principal.username} may not act for retailer {retailer_id}")


def require_visible(
    principal: Principal, retailer_id: int | None, missing: Callable[[], ApiError], hidden: bool = True
) -> None:
    """Raise ``missing()`` (the answer for a resource that does not exist) unless the user may act for
    the retailer the stored resource belongs to: another retailer's resource is a missing one. ``hidden``
    False plays profile key security.foreign_resource_status 403: refused as forbidden instead."""
    if not principal.may_act_for(retailer_id):
        if not hidden and retailer_id is not None:
            require_retailer(principal, retailer_id)
        raise missing()


class _Owned(Protocol):
    @property
    def retailer_id(self) -> int | None: ...


_T = TypeVar("_T", bound=_Owned)


def require_found(principal: Principal, item: _T | None, missing: str, foreign_status: int = 404) -> _T:
    """The stored ``item`` (a job, an event) the user asked for by id: 404 ``missing`` when there is none, and
    when it is another retailer's unless ``foreign_status`` (profile key security.foreign_resource_status)
    is 403."""
    not_found = lambda: ApiError.not_found(missing)  # noqa: E731
    if item is None:
        raise not_found()
    require_visible(principal, item.retailer_id, not_found, hidden=foreign_status == 404)
    return item


def require_batch_catalogue(job_retailer: int, catalogue_ref: str, recorded_retailer: int | None) -> None:
    """400 unless the catalogue a batch names belongs to its job's retailer: by the retailer it was created
    for (``recorded_retailer``, when it exists), else by its ref's suffix. The message is the same whether
    the catalogue exists or not."""
    owner = recorded_retailer if recorded_retailer is not None else catalogue_retailer(catalogue_ref)
    if owner != job_retailer:
        raise ApiError.bad_request(
            f"catalogueRef {catalogue_ref} is not a catalogue of the job's retailer {job_retailer}: "
            f"catalogue refs end in :<retailerId> (e.g. DEFAULT:{job_retailer})"
        )


def require_admin(principal: Principal, what: str) -> None:
    """403 unless the user acts for the whole account (``what``: what they tried, for the message)."""
    if not principal.user.account_admin:
        raise ApiError.forbidden(f"User {principal.username} may not {what}")


def may_read_setting(principal: Principal, context: str, context_id: int) -> bool:
    """RETAILER settings: the retailer's users; any other context (ACCOUNT, ...): account admins."""
    return principal.may_act_for(context_id) if context == "RETAILER" else principal.user.account_admin


def require_setting_context(principal: Principal, context: str, context_id: int) -> None:
    """403 unless the user may write settings of the context the request names."""
    if not may_read_setting(principal, context, context_id):
        raise ApiError.forbidden(f"User {principal.username} may not write {context} {context_id} settings")
