"""GraphQL inventory feeds (account admins): createInventoryFeed, updateInventoryFeed, feeds and runs."""

from __future__ import annotations

from typing import Any

from ariadne import MutationType, ObjectType, QueryType

from invharness.reference_impl.transport.graphql.common import context, page
from invharness.reference_impl.transport.graphql.names import to_graphql_keys

__all__ = ["bind"]


def bind(query: QueryType, mutation: MutationType) -> list[ObjectType]:
    feed_type, run_type = ObjectType("InventoryFeed"), ObjectType("InventoryFeedRun")

    @mutation.field("createInventoryFeed")
    def resolve_create_feed(_: Any, info: Any, input: dict[str, Any] | None = None) -> Any:
        backend, principal = context(info)
        return backend.feeds.create(principal, _camel_deep(input or {}))

    @mutation.field("updateInventoryFeed")
    async def resolve_update_feed(_: Any, info: Any, input: dict[str, Any] | None = None) -> Any:
        backend, principal = context(info)
        return await backend.feeds.update_off_loop(principal, _camel_deep(input or {}))

    @query.field("inventoryFeed")
    def resolve_feed(_: Any, info: Any, ref: str) -> Any:
        backend, principal = context(info)
        return backend.feeds.find(principal, ref)

    @query.field("inventoryFeeds")
    def resolve_feeds(_: Any, info: Any, first: int | None = None, after: str | None = None, **f: Any) -> Any:
        backend, principal = context(info)
        return page(info, backend.feeds.list_feeds(principal, **f), first, after)

    @query.field("inventoryFeedRun")
    def resolve_feed_run(_: Any, info: Any, ref: str) -> Any:
        backend, principal = context(info)
        return backend.feeds.find_run(principal, ref)

    @query.field("inventoryFeedRuns")
    def resolve_feed_runs(
        _: Any,
        info: Any,
        first: int | None = None,
        after: str | None = None,
        feed: dict[str, str] | None = None,
        **f: Any,
    ) -> Any:
        backend, principal = context(info)
        return page(info, backend.feeds.list_runs(principal, feed["ref"] if feed else None, **f), first, after)

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
    feed_type.set_field(
        "attributes",
        lambda f, info: [
            {"name": context(info)[0].feeds.policy_attribute, "type": "JSON", "value": context(info)[0].feeds.policy(f)}
        ],
    )

    @feed_type.field("runs")
    def resolve_runs(feed: Any, info: Any, first: int | None = None, after: str | None = None, **f: Any) -> Any:
        return page(info, context(info)[0].feeds.feed_runs(feed, **f), first, after)

    run_type.set_field("id", lambda r, _i: str(r.id))
    return [feed_type, run_type]


def _camel_deep(value: Any) -> Any:
    """Back from ariadne's snake_case to the contract's camelCase, at every depth (dict keys only)."""
    if isinstance(value, dict):
        return to_graphql_keys({k: _camel_deep(v) for k, v in value.items()})
    if isinstance(value, list):
        return [_camel_deep(v) for v in value]
    return value
