"""GraphQL settings: the ``settings`` query, createSetting and updateSetting."""

from __future__ import annotations

from typing import Any

from ariadne import MutationType, ObjectType, QueryType

from invharness.reference_impl.transport.graphql.common import context, page
from invharness.reference_impl.transport.graphql.names import to_graphql_keys

__all__ = ["bind"]


def bind(query: QueryType, mutation: MutationType) -> list[ObjectType]:
    setting_type = ObjectType("Setting")

    @query.field("settings")
    def resolve_settings(_: Any, info: Any, first: int | None = None, after: str | None = None, **filters: Any) -> Any:
        backend, principal = context(info)
        return page(info, backend.settings.search(principal, **filters), first, after)

    @mutation.field("createSetting")
    def resolve_create_setting(_: Any, info: Any, input: dict[str, Any] | None = None) -> Any:
        backend, principal = context(info)
        return backend.settings.create(principal, to_graphql_keys(input or {}))

    @mutation.field("updateSetting")
    def resolve_update_setting(_: Any, info: Any, input: dict[str, Any] | None = None) -> Any:
        backend, principal = context(info)
        return backend.settings.update(principal, to_graphql_keys(input or {}))

    setting_type.set_field("id", lambda s, _info: str(s.id))
    return [setting_type]
