"""uvicorn's HTTP/1.1 protocol (h11) with a deadline for the request head.

uvicorn bounds an idle kept-alive connection (``timeout_keep_alive``) but not a client that sends a
request head a byte at a time: its first byte cancels that timer. A connection whose head is not
complete ``head_timeout_s`` after it opened (or after its last answer) is closed. The body's own
deadline is the app's (transport/app.py BodyLimit)."""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["head_timeout_protocol"]


def head_timeout_protocol(head_timeout_s: float) -> type[H11Protocol]:
    """An H11Protocol class closing connections whose request head takes over ``head_timeout_s``."""

    class HeadTimeoutProtocol(H11Protocol):
        _head_timer: asyncio.TimerHandle | None = None
        _waiting_after: Any = None  # the request cycle the awaited head will follow (None: the first)

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._await_head()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing() and self.cycle is self._waiting_after:
                self._await_head()  # unless a pipelined request already started

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            if self.cycle is not self._waiting_after:  # a new request's head has been parsed
                self._cancel()

        def connection_lost(self, exc: Exception | None) -> None:
            self._cancel()
            super().connection_lost(exc)

        def _await_head(self) -> None:
            self._cancel()
            self._waiting_after = self.cycle
            self._head_timer = self.loop.call_later(head_timeout_s, self._head_timed_out)

        def _head_timed_out(self) -> None:
            self._head_timer = None
            if self.cycle is self._waiting_after and not self.transport.is_closing():
                self.transport.close()

        def _cancel(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None

    return HeadTimeoutProtocol
