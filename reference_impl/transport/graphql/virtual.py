"""GraphQL virtual inventory: virtual catalogues and positions (the BASE ones derived from DEFAULT
catalogues, and those clients create), their queries and mutations."""

from __future__ import annotations

from typing import Any

from ariadne import MutationType, ObjectType, QueryType

from invharness.reference_impl.transport.graphql.common import context, input_mutations, page

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

    input_mutations(
        mutation,
        "virtual",
        {
            "createVirtualCatalogue": "create_catalogue",
            "updateVirtualCatalogue": "update_catalogue",
            "createVirtualPosition": "create_position",
            "updateVirtualPosition": "update_position",
        },
    )

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
