"""The ASGI application: routes, error handlers, the batch worker's lifespan, redacted access log, body limit."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.middleware import Middleware

from invharness.reference_impl.backend import Backend
from invharness.reference_impl.clock import Clock
from invharness.reference_impl.config import ServerConfig
from invharness.reference_impl.errors import ApiError
from invharness.reference_impl.services.feed_scheduler import FeedScheduler
from invharness.reference_impl.transport.graphql.schema import build_schema
from invharness.reference_impl.transport.http_api import error_handlers, routes

__all__ = ["AccessLog", "BodyLimit", "create_app"]

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


class BodyLimit:
    """413 for a request body over ``limit`` bytes, before it is read: at once when its Content-Length
    says so; by counting as it streams when there is none (chunked), the handler's read failing then."""

    def __init__(self, app: Any, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = next((v for k, v in scope["headers"] if k == b"content-length"), None)
        if declared is not None:
            if declared.isdigit() and int(declared) > self.limit:
                await self._refuse(send)
                return
            await self.app(scope, receive, send)  # the server holds the body to its declared length
            return
        received = 0

        async def counted() -> dict:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.limit:
                raise self._error()
            return message

        await self.app(scope, counted, send)

    def _error(self) -> ApiError:
        return ApiError(413, f"Request body over {self.limit} bytes")

    async def _refuse(self, send: Any) -> None:
        body = orjson.dumps(self._error().body())
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 413, "headers": [*headers, (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})


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
            backend.stores.close()

    app = Starlette(
        routes=routes,
        exception_handlers=error_handlers,
        lifespan=lifespan,
        middleware=[Middleware(AccessLog, backend=backend), Middleware(BodyLimit, limit=backend.config.max_body_bytes)],
    )
    app.state.backend = backend
    app.state.graphql_schema = build_schema()
    logging.getLogger("ariadne").setLevel(logging.CRITICAL)
    return app
