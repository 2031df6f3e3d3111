"""GraphQL ``me``: the user the bearer token stands for."""

from __future__ import annotations

from typing import Any

from ariadne import MutationType, ObjectType, QueryType

from invharness.reference_impl.services.access import Principal
from invharness.reference_impl.transport.graphql.common import context

__all__ = ["bind"]


def bind(query: QueryType, _mutation: MutationType) -> list[ObjectType]:
    @query.field("me")
    def resolve_me(_: Any, info: Any) -> Any:
        backend, principal = context(info)
        return _user(principal, backend.config.account.account_id)

    return []


def _user(principal: Principal, account_id: str) -> dict[str, Any]:
    """The token's user as the User type answers it (snake_case keys, as ariadne reads them)."""
    user = principal.user
    retailer = {"id": str(user.retailer_id), "ref": str(user.retailer_id)}
    if user.account_admin:
        role, scope = "ADMIN", {"context_type": "ACCOUNT", "context_id": account_id}
    else:
        role, scope = "RETAILER", {"context_type": "RETAILER", "context_id": str(user.retailer_id)}
    return {
        "id": user.username,
        "ref": user.username,
        "username": user.username,
        "first_name": user.first_name or None,
        "status": "ACTIVE",
        "primary_retailer": retailer,
        "roles": [{"role": {"id": role, "name": role}, "contexts": [scope]}],
    }
