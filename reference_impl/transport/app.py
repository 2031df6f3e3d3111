"""The ASGI application: routes, error handlers, the batch worker's lifespan, redacted access log, body limit."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect

from invharness.reference_impl.backend import Backend
from invharness.reference_impl.clock import Clock
from invharness.reference_impl.config import ServerConfig
from invharness.reference_impl.errors import ApiError, envelope
from invharness.reference_impl.services.feed_scheduler import FeedScheduler
from invharness.reference_impl.transport.graphql.schema import build_schema
from invharness.reference_impl.transport.http_api import error_handlers, routes

__all__ = ["AccessLog", "BodyLimit", "create_app"]

access_log = logging.getLogger("reference_impl.access")
error_log = logging.getLogger("reference_impl.http")  # a server's own fault: never silenced with the access log


class AccessLog:
    """One line per request: method, path, the status sent, milliseconds. Never the query string (the token
    endpoint takes credentials there) nor any header. Also counts the requests in flight, which
    the batch worker gives way to.

    The last word on a request, so that each outcome is logged once: an exception no handler answered is
    one error line with its traceback and a 500 with the errors envelope, and goes no further (re-raised,
    Starlette's ServerErrorMiddleware would answer it again and uvicorn log it a second time); a client that
    went away before its request was read is one info line, for it is no fault of the server's."""

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

        outcome = ""
        try:
            await self.app(scope, receive, send_and_note)
        except ClientDisconnect:
            outcome = "client went away"
        except Exception:
            error_log.exception("unexpected error on %s %s", scope["method"], scope["path"])
            if status[0] == 0:
                await _server_error(send_and_note)
        finally:
            self.backend.requests_in_flight -= 1
            if access_log.isEnabledFor(logging.INFO):
                elapsed = (time.perf_counter() - started) * 1000
                sent = outcome or str(status[0])
                access_log.info("%s %s %s %.1fms", scope["method"], scope["path"], sent, elapsed)


async def _server_error(send: Any) -> None:
    body = orjson.dumps(envelope("500", "Internal server error"))
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 500, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """413 for a request body over ``limit`` bytes, before it is read: at once when its Content-Length
    says so; by counting as it streams when there is none (chunked), the handler's read failing then.
    408 for a body not wholly received ``read_timeout_s`` after the request began (a slow client holds
    no more than its own request, and not for long)."""

    def __init__(self, app: Any, limit: int, read_timeout_s: float = 30.0) -> None:
        self.app = app
        self.limit = limit
        self.read_timeout_s = read_timeout_s

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = next((v for k, v in scope["headers"] if k == b"content-length"), None)
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._refuse(send)
            return
        timed = self._timed(receive)
        if declared is not None:
            await self.app(scope, timed, send)  # the server holds the body to its declared length
            return
        received = 0

        async def counted() -> dict:
            nonlocal received
            message = await timed()
            received += len(message.get("body", b""))
            if received > self.limit:
                raise self._error()
            return message

        await self.app(scope, counted, send)

    def _timed(self, receive: Any) -> Any:
        """``receive`` with a deadline for the body; after its last part (a wait for disconnect) none."""
        deadline = asyncio.get_running_loop().time() + self.read_timeout_s
        whole = False

        async def timed() -> dict:
            nonlocal whole
            if whole:
                return await receive()
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                raise ApiError(408, f"Request body not received within {self.read_timeout_s:g} s") from None
            whole = message["type"] != "http.request" or not message.get("more_body", False)
            return message

        return timed

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
        warming = None
        if backend.config.manage_gc:  # `invharness serve`, the process its own: see FeedService.warm_up
            warming = asyncio.create_task(asyncio.to_thread(backend.feeds.warm_up))
        try:
            yield
        finally:
            if warming is not None:
                with contextlib.suppress(Exception):  # a client that cannot be made fails where it is used
                    await warming
            await scheduler.stop()
            await backend.worker.stop()  # accepted batches are finished before exit
            backend.stores.close()

    app = Starlette(
        routes=routes,
        exception_handlers=error_handlers,
        lifespan=lifespan,
        middleware=[
            Middleware(AccessLog, backend=backend),
            Middleware(
                BodyLimit, limit=backend.config.max_body_bytes, read_timeout_s=backend.config.body_read_timeout_s
            ),
        ],
    )
    app.state.backend = backend
    app.state.graphql_schema = build_schema()
    logging.getLogger("ariadne").setLevel(logging.CRITICAL)
    return app
