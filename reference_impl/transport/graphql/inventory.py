"""GraphQL inventory: catalogues, positions and quantities (queries, nested fields, position and quantity mutations)."""

from __future__ import annotations

from typing import Any

from ariadne import MutationType, ObjectType, QueryType

from invharness.reference_impl.transport.graphql.common import context, input_mutations, page
from invharness.reference_impl.transport.graphql.names import to_graphql_keys
from invharness.reference_impl.vocabulary import SEGMENT_FIELDS

__all__ = ["bind"]

_KINDS = {str: "STRING", int: "INTEGER", float: "FLOAT", bool: "BOOLEAN"}


def bind(query: QueryType, mutation: MutationType) -> list[ObjectType]:
    catalogue_type, position_type, quantity_type = (
        ObjectType("InventoryCatalogue"),
        ObjectType("InventoryPosition"),
        ObjectType("InventoryQuantity"),
    )

    @query.field("inventoryCatalogue")
    def resolve_catalogue(_: Any, info: Any, ref: str) -> Any:
        backend, principal = context(info)
        return backend.inventory.catalogue(principal, ref)

    @query.field("inventoryCatalogues")
    def resolve_catalogues(_: Any, info: Any, first: int | None = None, after: str | None = None, **f: Any) -> Any:
        backend, principal = context(info)
        items = backend.inventory.catalogues(principal, f.get("ref"), type=f.get("type"), status=f.get("status"))
        return page(info, items, first, after)

    @query.field("inventoryPosition")
    def resolve_position(_: Any, info: Any, ref: str, catalogue: dict[str, str]) -> Any:
        backend, principal = context(info)
        return backend.inventory.position(principal, catalogue["ref"], ref)

    @query.field("inventoryPositions")
    def resolve_positions(
        _: Any,
        info: Any,
        first: int | None = None,
        after: str | None = None,
        catalogue: dict[str, str] | None = None,
        **f: Any,
    ) -> Any:
        backend, principal = context(info)
        items = backend.inventory.positions(principal, catalogue["ref"] if catalogue else None, **f)
        return page(info, items, first, after)

    @query.field("inventoryQuantity")
    def resolve_quantity(_: Any, info: Any, ref: str, catalogue: dict[str, str]) -> Any:
        backend, principal = context(info)
        return backend.inventory.quantity(principal, catalogue["ref"], ref)

    @query.field("inventoryQuantities")
    def resolve_quantities(
        _: Any,
        info: Any,
        first: int | None = None,
        after: str | None = None,
        catalogue: dict[str, str] | None = None,
        position: dict[str, Any] | None = None,
        **f: Any,
    ) -> Any:
        backend, principal = context(info)
        items = backend.inventory.quantities(
            principal, catalogue["ref"] if catalogue else None, position, to_graphql_keys(f)
        )
        return page(info, items, first, after)

    input_mutations(
        mutation,
        "inventory",
        {
            "createInventoryPosition": "create_position",
            "updateInventoryPosition": "update_position",
            "createInventoryQuantity": "create_quantity",
            "updateInventoryQuantity": "update_quantity",
        },
    )

    for kind, workflow in (
        (catalogue_type, "INVENTORY_CATALOGUE"),
        (position_type, "INVENTORY_POSITION"),
        (quantity_type, "INVENTORY_QUANTITY"),
    ):
        kind.set_field("workflowRef", lambda o, _i, w=workflow: f"{w}::{o.type}")
        kind.set_field("workflowVersion", lambda _o, _i: 1)
        kind.set_field("id", lambda o, _i: str(o.id))
    catalogue_type.set_field("name", lambda c, _i: c.ref)
    catalogue_type.set_field("retailerRefs", lambda c, _i: [str(c.retailer_id)])
    catalogue_type.set_field("attributes", lambda _c, _i: [])

    @catalogue_type.field("inventoryPositions")
    def resolve_catalogue_positions(
        catalogue: Any, info: Any, first: int | None = None, after: str | None = None, **f: Any
    ) -> Any:
        return page(info, context(info)[0].inventory.catalogue_positions(catalogue, **f), first, after)

    position_type.set_field("attributes", lambda _p, _i: [])
    position_type.set_field("catalogue", lambda p, info: context(info)[0].inventory.catalogue_of(p))

    @position_type.field("quantities")
    def resolve_position_quantities(
        position: Any, info: Any, first: int | None = None, after: str | None = None, **f: Any
    ) -> Any:
        items = context(info)[0].inventory.position_quantities(position, to_graphql_keys(f))
        return page(info, items, first, after)

    for name in SEGMENT_FIELDS:
        quantity_type.set_field(name, lambda q, _i, n=name: (q.segment or {}).get(n))
    quantity_type.set_field("attributes", lambda q, _i: _attributes(q.attributes))
    quantity_type.set_field("catalogue", lambda q, info: context(info)[0].inventory.catalogue_of(q))
    quantity_type.set_field("parent", lambda q, info: context(info)[0].inventory.parent(q))
    return [catalogue_type, position_type, quantity_type]


def _attributes(custom: dict[str, Any] | None) -> list[dict[str, Any]]:
    return [{"name": k, "type": _KINDS.get(type(v), "JSON"), "value": v} for k, v in (custom or {}).items()]
