"""The ASGI application: routes, error handlers, the batch worker's lifespan, redacted access log."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware

from invharness.reference_impl.backend import Backend
from invharness.reference_impl.clock import Clock
from invharness.reference_impl.config import ServerConfig
from invharness.reference_impl.services.feed_scheduler import FeedScheduler
from invharness.reference_impl.transport.graphql.schema import build_schema
from invharness.reference_impl.transport.http_api import error_handlers, routes

__all__ = ["AccessLog", "create_app"]

access_log = logging.getLogger("reference_impl.access")


class AccessLog:
    """One line per request: method, path, status, milliseconds. Never the query string (the token
    endpoint takes credentials there) nor any header. Also counts the requests in flight, which
    the batch worker gives way to."""

    def __init__(self, app: Any, backend: Backend) -> None:
        self.app = app
        self.backend = backend

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.backend.requests_in_flight += 1
        started = time.perf_counter()
        status = [0]

        async def send_and_note(message: dict) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            self.backend.requests_in_flight -= 1
            if access_log.isEnabledFor(logging.INFO):
                elapsed = (time.perf_counter() - started) * 1000
                access_log.info("%s %s %d %.1fms", scope["method"], scope["path"], status[0], elapsed)


def create_app(
    config: ServerConfig | None = None, clock: Clock | None = None, backend: Backend | None = None
) -> Starlette:
    """The reference server as an ASGI app; its Backend is ``app.state.backend``."""
    backend = backend or Backend(config, clock)

    scheduler = FeedScheduler(backend.feeds)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await backend.worker.start()
        await scheduler.start()
        try:
            yield
        finally:
            await scheduler.stop()
            await backend.worker.stop()  # accepted batches are finished before exit

    app = Starlette(
        routes=routes,
        exception_handlers=error_handlers,
        lifespan=lifespan,
        middleware=[Middleware(AccessLog, backend=backend)],
    )
    app.state.backend = backend
    app.state.graphql_schema = build_schema()
    logging.getLogger("ariadne").setLevel(logging.CRITICAL)
    return app
