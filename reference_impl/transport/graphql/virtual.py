"""GraphQL virtual inventory: the BASE virtual catalogues and positions derived from DEFAULT catalogues."""

from __future__ import annotations

from typing import Any

from ariadne import MutationType, ObjectType, QueryType

from invharness.reference_impl.transport.graphql.common import context, page

__all__ = ["bind"]


def bind(query: QueryType, _mutation: MutationType) -> list[ObjectType]:
    virtual_catalogue_type, virtual_position_type = ObjectType("VirtualCatalogue"), ObjectType("VirtualPosition")

    @query.field("virtualCatalogue")
    def resolve_virtual_catalogue(_: Any, info: Any, ref: str) -> Any:
        backend, principal = context(info)
        return backend.inventory.virtual_catalogue(principal, ref)

    @query.field("virtualCatalogues")
    def resolve_virtual_catalogues(
        _: Any, info: Any, first: int | None = None, after: str | None = None, **f: Any
    ) -> Any:
        backend, principal = context(info)
        return page(info, backend.inventory.virtual_catalogues(principal, **f), first, after)

    @query.field("virtualPosition")
    def resolve_virtual_position(_: Any, info: Any, ref: str, catalogue: dict[str, str]) -> Any:
        backend, principal = context(info)
        return next(iter(backend.inventory.virtual_positions(principal, catalogue["ref"], ref=[ref])), None)

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
        items = backend.inventory.virtual_positions(principal, catalogue["ref"] if catalogue else None, **f)
        return page(info, items, first, after)

    virtual_catalogue_type.set_field("id", lambda v, _i: str(v.id))
    virtual_catalogue_type.set_field("name", lambda v, _i: v.ref)
    virtual_catalogue_type.set_field("retailerRefs", lambda v, _i: [str(v.retailer_id)])
    virtual_catalogue_type.set_field("attributes", lambda _v, _i: [])

    @virtual_catalogue_type.field("virtualPositions")
    def resolve_catalogue_virtual_positions(
        catalogue: Any, info: Any, first: int | None = None, after: str | None = None, **f: Any
    ) -> Any:
        return page(info, context(info)[0].inventory.catalogue_virtual_positions(catalogue, **f), first, after)

    virtual_position_type.set_field("id", lambda v, _i: str(v.id))
    virtual_position_type.set_field("workflowRef", lambda _v, _i: "VIRTUAL_POSITION::BASE")
    virtual_position_type.set_field("workflowVersion", lambda _v, _i: 1)
    virtual_position_type.set_field("attributes", lambda _v, _i: [])
    virtual_position_type.set_field("catalogue", lambda v, info: resolve_virtual_catalogue(None, info, v.catalogue_ref))
    return [virtual_catalogue_type, virtual_position_type]
