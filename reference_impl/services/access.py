"""Who may act for what: the one place every access check (account, retailer) lives.

A user acts for their own retailer; an account admin for every retailer of the account, account-level
settings and inventory feeds. Every refusal is an ApiError the transports word their own way.
"""

from __future__ import annotations

from dataclasses import dataclass

from invharness.reference_impl.config import User
from invharness.reference_impl.errors import ApiError

__all__ = ["Principal", "require_admin", "require_retailer", "require_setting_context"]


@dataclass(slots=True, frozen=True)
class Principal:
    """The user a valid bearer token stands for."""

    user: User

    @property
    def username(self) -> str:
        return self.user.username

    def may_act_for(self, retailer_id: int | None) -> bool:
        """Whether this user may read or write the retailer's data (None: data of no retailer)."""
        return retailer_id is None or self.user.account_admin or self.user.retailer_id == retailer_id

    def require_retailer(self, retailer_id: int) -> None:
        require_retailer(self, retailer_id)


def require_retailer(principal: Principal, retailer_id: int) -> None:
    """403 unless the user may write the retailer's data."""
    if not principal.may_act_for(retailer_id):
        raise ApiError.forbidden(f"User {principal.username} may not act for retailer {retailer_id}")


def require_admin(principal: Principal, what: str) -> None:
    """403 unless the user acts for the whole account (``what``: what they tried, for the message)."""
    if not principal.user.account_admin:
        raise ApiError.forbidden(f"User {principal.username} may not {what}")


def require_setting_context(principal: Principal, context: str, context_id: int) -> None:
    """RETAILER settings: the retailer's users; any other context: account admins."""
    allowed = principal.may_act_for(context_id) if context == "RETAILER" else principal.user.account_admin
    if not allowed:
        raise ApiError.forbidden(f"User {principal.username} may not write {context} {context_id} settings")
