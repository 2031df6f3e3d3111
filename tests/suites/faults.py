"""A fault-injecting HTTP proxy for end-to-end runs of `invharness verify` against a misbehaving target.

It sits on a loopback port in front of a real target (the embedded reference server) and, request
by request, forwards, delays, resets the connection, answers 503, answers 500 echoing the request
(as careless servers do, secrets and all), redirects to a URL that carries the request's form in
its query string, or strips GraphQL cursors (a target that ignores ``after``). After ``die_after``
requests it stops listening: the target dies mid-run.

One request per connection (the proxy answers ``Connection: close``): simple, and enough for a
client that reconnects, as requests does.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode, urlparse

__all__ = ["FaultProxy", "Request"]

_CURSOR_VARIABLE = re.compile(r"(?i)after|cursor")


@dataclass(slots=True, frozen=True)
class Request:
    """What a plan sees of a request: its number (from 1), method, path and body."""

    number: int
    method: str
    path: str
    body: bytes


# a plan answers what to do with a request: "forward", "reset", "503", "echo500", "redirect", "no_after",
# or ("delay", seconds)
Plan = Callable[[Request], "str | tuple[str, float]"]


class FaultProxy:
    """``with FaultProxy(upstream_url, plan) as proxy: proxy.url`` -- faults as ``plan`` decides."""

    def __init__(self, upstream: str, plan: Plan, die_after: int | None = None) -> None:
        parsed = urlparse(upstream)
        self._upstream = (parsed.hostname or "127.0.0.1", parsed.port or 80)
        self._plan = plan
        self._die_after = die_after
        self.count = 0
        self.url = ""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="fault-proxy", daemon=True)

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the fault proxy did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    def _run(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._server = self._loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            self._server.close()
            # unwind the handlers still waiting while the loop is open: a socket left to the garbage
            # collector warns later, inside whichever test is running then (warnings are errors)
            tasks = asyncio.all_tasks(self._loop)
            for task in tasks:
                task.cancel()
            if tasks:
                self._loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
            self._loop.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await self._serve(reader, writer)
        finally:
            writer.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, ConnectionError):
            writer.close()
            return
        length = int(re.search(rb"(?i)\r\ncontent-length:\s*(\d+)", head).group(1)) if b"ength:" in head else 0
        body = await reader.readexactly(length) if length else b""
        method, target, _ = head.split(b"\r\n", 1)[0].decode().split(" ", 2)
        self.count += 1
        if self._die_after is not None and self.count >= self._die_after and self._server is not None:
            self._server.close()  # from now on: connection refused
        action = self._plan(Request(self.count, method, target, body))
        if isinstance(action, tuple):
            await asyncio.sleep(action[1])
            action = "forward"
        if action == "reset":
            writer.transport.abort()
            return
        if action == "503":
            await self._answer(writer, 503, b'{"errors": [{"message": "Service Unavailable"}]}')
        elif action == "echo500":
            await self._answer(writer, 500, b"Internal error while handling:\n" + head + body, "text/plain")
        elif action == "redirect":
            query = urlencode(dict(re.findall(r"([^&=]+)=([^&]*)", body.decode(errors="replace"))))
            await self._answer(writer, 302, b"", extra=f"Location: {self.url}/moved?{query}\r\n")
        else:
            if action == "no_after":
                head, body = _without_cursors(head, body)
            await self._forward(writer, head, body)
        writer.close()

    async def _forward(self, writer: asyncio.StreamWriter, head: bytes, body: bytes) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(*self._upstream)
        head = re.sub(rb"(?i)\r\nconnection:[^\r]*", b"", head).replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n")
        upstream_writer.write(head + body)
        await upstream_writer.drain()
        writer.write(await upstream_reader.read())
        upstream_writer.close()
        await writer.drain()

    @staticmethod
    async def _answer(
        writer: asyncio.StreamWriter, status: int, body: bytes, kind: str = "application/json", extra: str = ""
    ) -> None:
        head = (
            f"HTTP/1.1 {status} Fault\r\nContent-Type: {kind}\r\nContent-Length: {len(body)}\r\n{extra}"
            "Connection: close\r\n\r\n"
        )
        writer.write(head.encode() + body)
        await writer.drain()


def _without_cursors(head: bytes, body: bytes) -> tuple[bytes, bytes]:
    """A GraphQL request whose cursor variables are dropped: what a target that ignores ``after`` sees."""
    try:
        request = json.loads(body)
    except ValueError:
        return head, body
    variables = request.get("variables") or {}
    request["variables"] = {k: (None if _CURSOR_VARIABLE.search(k) else v) for k, v in variables.items()}
    new = json.dumps(request).encode()
    head = re.sub(rb"(?i)(\r\ncontent-length:\s*)\d+", rb"\g<1>" + str(len(new)).encode(), head)
    return head, new
