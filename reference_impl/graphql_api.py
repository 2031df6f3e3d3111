"""GraphQL (ariadne, schema-first from contracts/schema.graphql): settings, inventory, virtual inventory.

Names are converted between the SDL's camelCase and the resolvers' snake_case by one mapping
(graphql_names), which ariadne and the resolvers below both use. Connections
page with first/after (at most ``page_size_cap`` nodes a page); cursors are opaque offsets.
"""

from __future__ import annotations

import base64
import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson
from ariadne import MutationType, ObjectType, QueryType, ScalarType, graphql, make_executable_schema
from graphql import GraphQLError, GraphQLSchema

from invharness import contracts
from invharness.reference_impl.auth import Principal
from invharness.reference_impl.backend import Backend
from invharness.reference_impl.clock import iso_timestamp
from invharness.reference_impl.feeds import FeedError
from invharness.reference_impl.graphql_names import (
    check_round_trip,
    python_name,
    schema_name_converter,
    to_graphql_keys,
)
from invharness.reference_impl.inventory import (
    SEGMENT_FIELDS,
    Catalogue,
    Position,
    Quantity,
    VirtualPosition,
    base_catalogue_ref,
)
from invharness.reference_impl.settings import ConstraintViolation

__all__ = ["build_schema", "execute"]

_SETTING_INPUT = contracts.validator("setting-input")
DEFAULT_PAGE = 100
_RANGED = ("expectedOn", "expiresOn")  # segment fields filtered by a DateRange, not by a list of values


@dataclass(slots=True, frozen=True)
class VirtualCatalogue:
    """BASE:<retailerId>, derived from the retailer's DEFAULT inventory catalogue."""

    id: int
    ref: str
    retailer_id: int
    created_on: float
    status: str = "ACTIVE"
    type: str = "BASE"
    workflow_ref: str = "VIRTUAL_CATALOGUE::BASE"
    workflow_version: int = 1

    @property
    def inventory_catalogue_ref(self) -> str:
        return f"DEFAULT:{self.retailer_id}"


def _serialize_datetime(value: Any) -> str:
    return iso_timestamp(value) if isinstance(value, int | float) else str(value)


def _context(info: Any) -> tuple[Backend, Principal]:
    return info.context["backend"], info.context["principal"]


def connection(items: list[Any], first: int | None, after: str | None, cap: int) -> dict[str, Any]:
    """A Relay connection page over ``items``."""
    if first is not None and first < 0:
        raise GraphQLError("first must not be negative", extensions={"code": "C0120E"})
    start = _offset(after) + 1 if after else 0
    size = min(DEFAULT_PAGE if first is None else first, cap)
    page = items[start : start + size]
    # snake_case keys: ariadne converts the SDL's names (pageInfo -> page_info) for every field.
    return {
        "edges": [{"node": node, "cursor": _cursor(start + i)} for i, node in enumerate(page)],
        "page_info": {"has_next_page": start + size < len(items), "has_previous_page": start > 0},
    }


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode()


def _offset(cursor: str) -> int:
    try:
        kind, _, number = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
        if kind == "o" and number.isdigit():
            return int(number)
    except (ValueError, UnicodeDecodeError):
        pass
    raise GraphQLError(f"invalid cursor {cursor!r}", extensions={"code": "C0120E"})


def _keep(items: Iterable[Any], **filters: Any) -> list[Any]:
    """Items whose attribute equals one of the listed values, for every filter given (exact match)."""
    chosen = [(name, set(values)) for name, values in filters.items() if values is not None]
    return [i for i in items if all(getattr(i, name) in values for name, values in chosen)]


def _attributes(custom: dict[str, Any] | None) -> list[dict[str, Any]]:
    kinds = {str: "STRING", int: "INTEGER", float: "FLOAT", bool: "BOOLEAN"}
    return [{"name": k, "type": kinds.get(type(v), "JSON"), "value": v} for k, v in (custom or {}).items()]


def _visible_catalogues(backend: Backend, principal: Principal, ref_filter: list[str] | None = None) -> list[Catalogue]:
    found = [c for c in backend.inventory.catalogues.values() if principal.may_act_for(c.retailer_id)]
    return found if ref_filter is None else [c for c in found if c.ref in set(ref_filter)]


def _segment_match(quantity: Quantity, wanted: dict[str, list[Any]]) -> bool:
    segment = quantity.segment or {}
    return all(segment.get(name) in values for name, values in wanted.items())


def _in_range(value: Any, bounds: dict[str, Any] | None) -> bool:
    if bounds is None:
        return True
    if value is None:
        return False
    text = str(value)
    low, high = bounds.get("from"), bounds.get("to")
    return (low is None or text >= str(low)) and (high is None or text <= str(high))


def _filter_quantities(quantities: Iterable[Quantity], kwargs: dict[str, Any]) -> list[Quantity]:
    plain = {k: kwargs.get(k) for k in ("ref", "type", "status", "quantity")}
    segments = {
        name: kwargs[snake]
        for name in SEGMENT_FIELDS
        if name not in _RANGED and kwargs.get(snake := python_name(name)) is not None
    }
    expected, expires = (kwargs.get(python_name(name)) for name in _RANGED)
    found = _keep(quantities, **plain)
    return [
        q
        for q in found
        if _segment_match(q, segments)
        and _in_range((q.segment or {}).get("expectedOn"), expected)
        and _in_range((q.segment or {}).get("expiresOn"), expires)
    ]


@functools.cache
def build_schema() -> GraphQLSchema:
    """The executable schema: contracts/schema.graphql bound to the resolvers below (built once)."""
    query, mutation = QueryType(), MutationType()
    datetime = ScalarType("DateTime", serializer=_serialize_datetime)
    json_scalar = ScalarType("Json")
    catalogue_type, position_type, quantity_type = (
        ObjectType("InventoryCatalogue"),
        ObjectType("InventoryPosition"),
        ObjectType("InventoryQuantity"),
    )
    virtual_catalogue_type, virtual_position_type = ObjectType("VirtualCatalogue"), ObjectType("VirtualPosition")
    setting_type = ObjectType("Setting")

    # ---------------------------------------------------------------- the token's user
    @query.field("me")
    def resolve_me(_: Any, info: Any) -> Any:
        backend, principal = _context(info)
        return _user(principal, backend.config.account.account_id)

    # ---------------------------------------------------------------- settings
    @query.field("settings")
    def resolve_settings(_: Any, info: Any, first: int | None = None, after: str | None = None, **filters: Any) -> Any:
        backend, _principal = _context(info)
        return connection(backend.settings.search(**filters), first, after, backend.config.page_size_cap)

    @mutation.field("createSetting")
    def resolve_create_setting(_: Any, info: Any, input: dict[str, Any] | None = None) -> Any:
        backend, principal = _context(info)
        data = _setting_input(to_graphql_keys(input or {}), principal)
        try:
            return backend.settings.create(
                data["name"],
                data["valueType"],
                data.get("value"),
                data.get("lobValue"),
                data["context"],
                data["contextId"],
            )
        except ConstraintViolation as exc:
            raise GraphQLError(
                str(exc), extensions={"code": "C0140E", "type": "ConstraintViolationException"}
            ) from None

    @mutation.field("updateSetting")
    def resolve_update_setting(_: Any, info: Any, input: dict[str, Any] | None = None) -> Any:
        backend, principal = _context(info)
        changes = to_graphql_keys(input or {})
        existing = backend.settings.get(int(changes["id"])) if str(changes.get("id", "")).isdigit() else None
        if existing is None:
            raise GraphQLError(f"no setting with id {changes.get('id')}", extensions={"code": "S0001E"})
        _allowed(principal, existing.context, existing.context_id)
        current = {
            "name": existing.name,
            "valueType": existing.value_type,
            "value": existing.value,
            "lobValue": existing.lob_value,
            "context": existing.context,
            "contextId": existing.context_id,
        }
        data = _setting_input(
            {**current, **{k: v for k, v in changes.items() if v is not None and k != "id"}}, principal
        )
        try:
            return backend.settings.update(
                existing.id,
                name=data["name"],
                value_type=data["valueType"],
                value=data.get("value"),
                lob_value=data.get("lobValue"),
                context=data["context"],
                context_id=data["contextId"],
            )
        except ConstraintViolation as exc:
            raise GraphQLError(
                str(exc), extensions={"code": "C0140E", "type": "ConstraintViolationException"}
            ) from None

    setting_type.set_field("id", lambda s, _info: str(s.id))

    # ---------------------------------------------------------------- inventory
    @query.field("inventoryCatalogue")
    def resolve_catalogue(_: Any, info: Any, ref: str) -> Any:
        backend, principal = _context(info)
        found = _visible_catalogues(backend, principal, [ref])
        return found[0] if found else None

    @query.field("inventoryCatalogues")
    def resolve_catalogues(_: Any, info: Any, first: int | None = None, after: str | None = None, **f: Any) -> Any:
        backend, principal = _context(info)
        items = _keep(_visible_catalogues(backend, principal, f.get("ref")), type=f.get("type"), status=f.get("status"))
        return connection(items, first, after, backend.config.page_size_cap)

    @query.field("inventoryPosition")
    def resolve_position(_: Any, info: Any, ref: str, catalogue: dict[str, str]) -> Any:
        backend, principal = _context(info)
        return next((c.positions.get(ref) for c in _visible_catalogues(backend, principal, [catalogue["ref"]])), None)

    @query.field("inventoryPositions")
    def resolve_positions(
        _: Any,
        info: Any,
        first: int | None = None,
        after: str | None = None,
        catalogue: dict[str, str] | None = None,
        **f: Any,
    ) -> Any:
        backend, principal = _context(info)
        catalogues = _visible_catalogues(backend, principal, [catalogue["ref"]] if catalogue else None)
        refs = f.pop("ref", None)
        if refs is not None:  # a lookup, not a scan
            candidates: list[Position] = [
                p for c in catalogues for r in dict.fromkeys(refs) if (p := c.positions.get(r))
            ]
        else:
            candidates = [p for c in catalogues for p in c.positions.values()]
        return connection(_keep(candidates, **f), first, after, backend.config.page_size_cap)

    @query.field("inventoryQuantity")
    def resolve_quantity(_: Any, info: Any, ref: str, catalogue: dict[str, str]) -> Any:
        backend, principal = _context(info)
        return next((c.find_quantity(ref) for c in _visible_catalogues(backend, principal, [catalogue["ref"]])), None)

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
        backend, principal = _context(info)
        if position is not None:
            catalogues = _visible_catalogues(backend, principal, [position["catalogue"]["ref"]])
            found = catalogues[0].positions.get(position["ref"]) if catalogues else None
            candidates: Iterable[Quantity] = found.quantities.values() if found else []
        else:
            catalogues = _visible_catalogues(backend, principal, [catalogue["ref"]] if catalogue else None)
            candidates = [q for c in catalogues for q in c.quantities()]
        return connection(_filter_quantities(candidates, f), first, after, backend.config.page_size_cap)

    @mutation.field("createInventoryQuantity")
    def resolve_create_quantity(_: Any, info: Any, input: dict[str, Any] | None = None) -> Any:
        backend, principal = _context(info)
        return _create_quantity(backend, principal, _required(input))

    @mutation.field("updateInventoryQuantity")
    def resolve_update_quantity(_: Any, info: Any, input: dict[str, Any] | None = None) -> Any:
        backend, principal = _context(info)
        return _update_quantity(backend, principal, _required(input))

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
        catalogue: Catalogue, info: Any, first: int | None = None, after: str | None = None, **f: Any
    ) -> Any:
        backend, _principal = _context(info)
        return connection(_keep(catalogue.positions.values(), **f), first, after, backend.config.page_size_cap)

    position_type.set_field("attributes", lambda _p, _i: [])
    position_type.set_field("catalogue", lambda p, info: _context(info)[0].inventory.catalogues.get(p.catalogue_ref))

    @position_type.field("quantities")
    def resolve_position_quantities(
        position: Position, info: Any, first: int | None = None, after: str | None = None, **f: Any
    ) -> Any:
        backend, _principal = _context(info)
        items = _filter_quantities(position.quantities.values(), f)
        return connection(items, first, after, backend.config.page_size_cap)

    for name in SEGMENT_FIELDS:
        quantity_type.set_field(name, lambda q, _i, n=name: (q.segment or {}).get(n))
    quantity_type.set_field("attributes", lambda q, _i: _attributes(q.attributes))
    quantity_type.set_field("catalogue", lambda q, info: _context(info)[0].inventory.catalogues.get(q.catalogue_ref))
    quantity_type.set_field("parent", lambda q, _i: q.position.quantities.get(q.parent_ref) if q.parent_ref else None)

    # ---------------------------------------------------------------- virtual inventory
    def virtual_catalogues(backend: Backend, principal: Principal) -> list[VirtualCatalogue]:
        return [
            VirtualCatalogue(c.id, base_catalogue_ref(c.retailer_id), c.retailer_id, c.created_on)
            for c in backend.inventory.base_sources()
            if principal.may_act_for(c.retailer_id)
        ]

    @query.field("virtualCatalogue")
    def resolve_virtual_catalogue(_: Any, info: Any, ref: str) -> Any:
        return next((v for v in virtual_catalogues(*_context(info)) if v.ref == ref), None)

    @query.field("virtualCatalogues")
    def resolve_virtual_catalogues(
        _: Any, info: Any, first: int | None = None, after: str | None = None, **f: Any
    ) -> Any:
        backend, principal = _context(info)
        return connection(
            _keep(virtual_catalogues(backend, principal), **f), first, after, backend.config.page_size_cap
        )

    def virtual_positions(backend: Backend, principal: Principal, catalogue_ref: str | None) -> list[VirtualPosition]:
        refs = [v.ref for v in virtual_catalogues(backend, principal) if catalogue_ref in (None, v.ref)]
        return [vp for ref in refs for vp in backend.inventory.virtual_positions(ref)]

    @query.field("virtualPosition")
    def resolve_virtual_position(_: Any, info: Any, ref: str, catalogue: dict[str, str]) -> Any:
        backend, principal = _context(info)
        return next((v for v in virtual_positions(backend, principal, catalogue["ref"]) if v.ref == ref), None)

    @query.field("virtualPositions")
    def resolve_virtual_positions(
        _: Any,
        info: Any,
        first: int | None = None,
        after: str | None = None,
        catalogue: dict[str, str] | None = None,
        **f: Any,
    ) -> Any:
        backend, principal = _context(info)
        items = _keep(virtual_positions(backend, principal, catalogue["ref"] if catalogue else None), **f)
        return connection(items, first, after, backend.config.page_size_cap)

    virtual_catalogue_type.set_field("id", lambda v, _i: str(v.id))
    virtual_catalogue_type.set_field("name", lambda v, _i: v.ref)
    virtual_catalogue_type.set_field("retailerRefs", lambda v, _i: [str(v.retailer_id)])
    virtual_catalogue_type.set_field("attributes", lambda _v, _i: [])

    @virtual_catalogue_type.field("virtualPositions")
    def resolve_catalogue_virtual_positions(
        catalogue: VirtualCatalogue, info: Any, first: int | None = None, after: str | None = None, **f: Any
    ) -> Any:
        backend, _principal = _context(info)
        items = _keep(backend.inventory.virtual_positions(catalogue.ref), **f)
        return connection(items, first, after, backend.config.page_size_cap)

    virtual_position_type.set_field("id", lambda v, _i: str(v.id))
    virtual_position_type.set_field("workflowRef", lambda _v, _i: "VIRTUAL_POSITION::BASE")
    virtual_position_type.set_field("workflowVersion", lambda _v, _i: 1)
    virtual_position_type.set_field("attributes", lambda _v, _i: [])
    virtual_position_type.set_field("catalogue", lambda v, info: resolve_virtual_catalogue(None, info, v.catalogue_ref))

    feed_type, run_type = _feed_types(query, mutation)

    schema = make_executable_schema(
        contracts.sdl(),
        query,
        mutation,
        datetime,
        json_scalar,
        catalogue_type,
        position_type,
        quantity_type,
        virtual_catalogue_type,
        virtual_position_type,
        setting_type,
        feed_type,
        run_type,
        convert_names_case=schema_name_converter,
    )
    check_round_trip(schema)
    return schema


def _camel_deep(value: Any) -> Any:
    """Back from ariadne's snake_case to the contract's camelCase, at every depth (dict keys only)."""
    if isinstance(value, dict):
        return to_graphql_keys({k: _camel_deep(v) for k, v in value.items()})
    if isinstance(value, list):
        return [_camel_deep(v) for v in value]
    return value


def _feed_types(query: QueryType, mutation: MutationType) -> tuple[ObjectType, ObjectType]:
    feed_type, run_type = ObjectType("InventoryFeed"), ObjectType("InventoryFeedRun")

    def admin(info: Any) -> Backend:
        backend, principal = _context(info)
        if not principal.user.account_admin:
            raise GraphQLError(
                f"User {principal.username} may not manage inventory feeds", extensions={"code": "C0003E"}
            )
        return backend

    @mutation.field("createInventoryFeed")
    def resolve_create_feed(_: Any, info: Any, input: dict[str, Any] | None = None) -> Any:
        backend = admin(info)
        try:
            return backend.feeds.create(_camel_deep(input or {}), backend.config.account.account_id)
        except FeedError as exc:
            raise GraphQLError(str(exc), extensions={"code": "C0120E"}) from None

    @mutation.field("updateInventoryFeed")
    def resolve_update_feed(_: Any, info: Any, input: dict[str, Any] | None = None) -> Any:
        backend = admin(info)
        try:
            return backend.feeds.update(_camel_deep(input or {}))
        except FeedError as exc:
            raise GraphQLError(str(exc), extensions={"code": "C0120E"}) from None

    @query.field("inventoryFeed")
    def resolve_feed(_: Any, info: Any, ref: str) -> Any:
        return admin(info).feeds.feed(ref)

    @query.field("inventoryFeeds")
    def resolve_feeds(_: Any, info: Any, first: int | None = None, after: str | None = None, **f: Any) -> Any:
        backend = admin(info)
        return connection(_keep(backend.feeds.feeds(), **f), first, after, backend.config.page_size_cap)

    @query.field("inventoryFeedRun")
    def resolve_feed_run(_: Any, info: Any, ref: str) -> Any:
        return admin(info).feeds.run_by_ref(ref)

    @query.field("inventoryFeedRuns")
    def resolve_feed_runs(
        _: Any,
        info: Any,
        first: int | None = None,
        after: str | None = None,
        feed: dict[str, str] | None = None,
        **f: Any,
    ) -> Any:
        backend = admin(info)
        runs = backend.feeds.runs() if feed is None else list((backend.feeds.feed(feed["ref"]) or _NoRuns).runs)
        return connection(_keep(runs, **f), first, after, backend.config.page_size_cap)

    feed_type.set_field("id", lambda f, _i: str(f.id))
    feed_type.set_field("source", lambda f, _i: {"type": f.source_type, "filters": f.filters})
    feed_type.set_field(
        "destination",
        lambda f, _i: {
            "type": "AWS_S3",
            "destination_attributes": [
                {"key": "AWS_ACCOUNT_ID", "value": f.account_id},
                {"key": "AWS_S3_BUCKET_NAME", "value": f.bucket},
            ],
        },
    )
    feed_type.set_field("attributes", lambda f, _i: [{"name": "S3_BUCKET_POLICY", "type": "JSON", "value": f.policy}])

    @feed_type.field("runs")
    def resolve_runs(feed: Any, info: Any, first: int | None = None, after: str | None = None, **f: Any) -> Any:
        backend, _principal = _context(info)
        return connection(_keep(list(reversed(feed.runs)), **f), first, after, backend.config.page_size_cap)

    run_type.set_field("id", lambda r, _i: str(r.id))
    return feed_type, run_type


class _NoRuns:
    runs: tuple[Any, ...] = ()


def _user(principal: Principal, account_id: str) -> dict[str, Any]:
    """The token's user as the User type answers it (snake_case keys, as ariadne reads them)."""
    user = principal.user
    retailer = {"id": str(user.retailer_id), "ref": str(user.retailer_id)}
    if user.account_admin:
        role, context = "ADMIN", {"context_type": "ACCOUNT", "context_id": account_id}
    else:
        role, context = "RETAILER", {"context_type": "RETAILER", "context_id": str(user.retailer_id)}
    return {
        "id": user.username,
        "ref": user.username,
        "username": user.username,
        "first_name": user.first_name or None,
        "status": "ACTIVE",
        "primary_retailer": retailer,
        "roles": [{"role": {"id": role, "name": role}, "contexts": [context]}],
    }


def _setting_input(data: dict[str, Any], principal: Principal) -> dict[str, Any]:
    """A setting's fields (camelCase), checked against the contract and the user's rights."""
    problem = _SETTING_INPUT.explain(data)
    if problem is not None:
        raise GraphQLError(f"invalid setting input: {problem}", extensions={"code": "C0120E"})
    _allowed(principal, data["context"], data["contextId"])
    return data


def _allowed(principal: Principal, context: str, context_id: int) -> None:
    allowed = principal.may_act_for(context_id) if context == "RETAILER" else principal.user.account_admin
    if not allowed:
        raise GraphQLError(
            f"User {principal.username} may not write {context} {context_id} settings", extensions={"code": "C0003E"}
        )


def _quantity_fields(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    segment = {name: data[python_name(name)] for name in SEGMENT_FIELDS if data.get(python_name(name)) is not None}
    custom = {a["name"]: a["value"] for a in data.get("attributes") or []}
    return segment, custom or None


def _create_quantity(backend: Backend, principal: Principal, data: dict[str, Any]) -> Quantity:
    position_key = data["position"]
    catalogue = backend.inventory.catalogues.get(data["catalogue"]["ref"])
    if catalogue is None or not principal.may_act_for(catalogue.retailer_id):
        raise GraphQLError(f"no inventory catalogue {data['catalogue']['ref']}", extensions={"code": "C0120E"})
    if position_key["catalogue"]["ref"] != catalogue.ref:
        raise GraphQLError("the position must be in the quantity's catalogue", extensions={"code": "C0120E"})
    position = catalogue.positions.get(position_key["ref"])
    if position is None:
        raise GraphQLError(
            f"no inventory position {position_key['ref']} in {catalogue.ref}", extensions={"code": "C0120E"}
        )
    if catalogue.find_quantity(data["ref"]) is not None:
        raise GraphQLError(
            f"ConstraintViolationException: quantity {data['ref']} exists", extensions={"code": "C0140E"}
        )
    parent_ref = _parent_ref(data, position)
    now = backend.clock.now()
    segment, custom = _quantity_fields(data)
    quantity = Quantity(
        data["ref"],
        catalogue.ref,
        position,
        data["type"],
        data.get("status") or "CREATED",
        data["quantity"],
        now,
        now,
        segment=segment or None,
        attributes=custom,
        parent_ref=parent_ref,
    )
    catalogue.add_quantity(quantity)
    position.recompute(now)
    return quantity


def _update_quantity(backend: Backend, principal: Principal, data: dict[str, Any]) -> Quantity:
    catalogue = backend.inventory.catalogues.get(data["catalogue"]["ref"])
    quantity = catalogue.find_quantity(data["ref"]) if catalogue else None
    if quantity is None or not principal.may_act_for(catalogue.retailer_id):
        raise GraphQLError(
            f"no inventory quantity {data['ref']} in {data['catalogue']['ref']}", extensions={"code": "C0120E"}
        )
    now = backend.clock.now()
    for name in ("status", "type", "quantity"):
        if data.get(name) is not None:
            setattr(quantity, name, data[name])
    segment, custom = _quantity_fields(data)
    if segment:
        quantity.segment = {**(quantity.segment or {}), **segment}
    if custom is not None:
        quantity.attributes = custom
    if data.get("parent") is not None:
        quantity.parent_ref = _parent_ref(data, quantity.position)
    quantity.updated_on = now
    quantity.position.recompute(now)
    return quantity


def _parent_ref(data: dict[str, Any], position: Position) -> str | None:
    parent = data.get("parent")
    if parent is None:
        return None
    if parent["ref"] not in position.quantities:
        raise GraphQLError(
            f"parent {parent['ref']} is not a quantity of position {position.ref}", extensions={"code": "C0120E"}
        )
    return parent["ref"]


async def execute(schema: GraphQLSchema, backend: Backend, principal: Principal, body: Any) -> tuple[bool, Any]:
    """Run one GraphQL request body; (success, result as ariadne formats it).

    A request error (the document does not parse or validate, no operation, a variable that does not
    coerce) answers no "data" entry, as the GraphQL specification says: graphql-core answers
    ``data: null`` for variable errors, which are told from field errors by having no path."""
    success, result = await graphql(
        schema, body, context_value={"backend": backend, "principal": principal}, error_formatter=_format_error
    )
    if result.get("data", ...) is None and not any(e.get("path") for e in result.get("errors") or []):
        del result["data"]
    return success, result


def _required(input: dict[str, Any] | None) -> dict[str, Any]:
    """The ``input`` of a quantity mutation; the SDL lets it be null, the mutation cannot do without it."""
    if input is None:
        raise GraphQLError("input is required", extensions={"code": "C0120E"})
    return input


# Fluent's codes of a refused input; the classification says so to generic clients (graphql-java's field)
_REFUSED = {"C0120E", "C0140E", "S0001E"}


def _format_error(error: GraphQLError, debug: bool = False) -> dict[str, Any]:
    formatted = error.formatted
    if error.original_error is not None and not isinstance(error.original_error, GraphQLError):
        formatted["message"] = f"internal error: {type(error.original_error).__name__}"
    extensions = formatted.get("extensions")
    if isinstance(extensions, dict) and extensions.get("code") in _REFUSED:
        extensions["classification"] = "BAD_REQUEST"
    return orjson.loads(orjson.dumps(formatted, default=str))
