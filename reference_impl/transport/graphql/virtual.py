"""GraphQL virtual inventory: virtual catalogues and positions (the BASE ones derived from DEFAULT
catalogues, and those clients create), their queries and mutations."""

from __future__ import annotations

from typing import Any

from ariadne import MutationType, ObjectType, QueryType

from invharness.reference_impl.transport.graphql.common import context, page, required
from invharness.reference_impl.transport.graphql.names import to_graphql_keys

__all__ = ["bind"]


def bind(query: QueryType, mutation: MutationType) -> list[ObjectType]:
    virtual_catalogue_type, virtual_position_type = ObjectType("VirtualCatalogue"), ObjectType("VirtualPosition")

    @query.field("virtualCatalogue")
    def resolve_virtual_catalogue(_: Any, info: Any, ref: str) -> Any:
        backend, principal = context(info)
        return backend.virtual.catalogue(principal, ref)

    @query.field("virtualCatalogues")
    def resolve_virtual_catalogues(
        _: Any, info: Any, first: int | None = None, after: str | None = None, **f: Any
    ) -> Any:
        backend, principal = context(info)
        return page(info, backend.virtual.catalogues(principal, **f), first, after)

    @query.field("virtualPosition")
    def resolve_virtual_position(_: Any, info: Any, ref: str, catalogue: dict[str, str]) -> Any:
        backend, principal = context(info)
        return next(iter(backend.virtual.positions(principal, catalogue["ref"], ref=[ref])), None)

    @query.field("virtualPositions")
    def resolve_virtual_positions(
        _: Any,
        info: Any,
        first: int | None = None,
        after: str | None = None,
        catalogue: dict[str, str] | None = None,
        **f: Any,
    ) -> Any:
        backend, principal = context(info)
        items = backend.virtual.positions(principal, catalogue["ref"] if catalogue else None, **f)
        return page(info, items, first, after)

    @mutation.field("createVirtualCatalogue")
    def resolve_create_catalogue(_: Any, info: Any, input: dict[str, Any] | None = None) -> Any:
        backend, principal = context(info)
        return backend.virtual.create_catalogue(principal, to_graphql_keys(required(input)))

    @mutation.field("updateVirtualCatalogue")
    def resolve_update_catalogue(_: Any, info: Any, input: dict[str, Any] | None = None) -> Any:
        backend, principal = context(info)
        return backend.virtual.update_catalogue(principal, to_graphql_keys(required(input)))

    @mutation.field("createVirtualPosition")
    def resolve_create_position(_: Any, info: Any, input: dict[str, Any] | None = None) -> Any:
        backend, principal = context(info)
        return backend.virtual.create_position(principal, to_graphql_keys(required(input)))

    @mutation.field("updateVirtualPosition")
    def resolve_update_position(_: Any, info: Any, input: dict[str, Any] | None = None) -> Any:
        backend, principal = context(info)
        return backend.virtual.update_position(principal, to_graphql_keys(required(input)))

    virtual_catalogue_type.set_field("id", lambda v, _i: str(v.id))
    virtual_catalogue_type.set_field("workflowVersion", lambda _v, _i: 1)
    virtual_catalogue_type.set_field("attributes", lambda v, _i: getattr(v, "attributes", []))

    @virtual_catalogue_type.field("virtualPositions")
    def resolve_catalogue_virtual_positions(
        catalogue: Any, info: Any, first: int | None = None, after: str | None = None, **f: Any
    ) -> Any:
        return page(info, context(info)[0].virtual.catalogue_positions(catalogue, **f), first, after)

    virtual_position_type.set_field("id", lambda v, _i: str(v.id))
    virtual_position_type.set_field("workflowRef", lambda v, _i: f"VIRTUAL_POSITION::{v.type}")
    virtual_position_type.set_field("workflowVersion", lambda _v, _i: 1)
    virtual_position_type.set_field("attributes", lambda v, _i: getattr(v, "attributes", []))
    virtual_position_type.set_field("catalogue", lambda v, info: resolve_virtual_catalogue(None, info, v.catalogue_ref))
    return [virtual_catalogue_type, virtual_position_type]
