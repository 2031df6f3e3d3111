"""Running the reference server: in the foreground (``invharness serve``), or embedded in a thread
on a loopback port for tests and for ``invharness verify`` with no target."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import ipaddress
import logging
import socket
import sqlite3
import sys
import threading
from pathlib import Path
from typing import Any

import uvicorn
import yaml

from invharness.reference_impl.backend import Backend
from invharness.reference_impl.clock import Clock
from invharness.reference_impl.config import ServerConfig, behaviours_from_profile, load_config
from invharness.reference_impl.local_s3 import LocalS3
from invharness.reference_impl.stores.sqlite import check_data_dir
from invharness.reference_impl.stores.sqlite.db import DataFormatError
from invharness.reference_impl.transport.app import create_app
from invharness.reference_impl.transport.head_timeout import head_timeout_protocol

__all__ = ["EmbeddedServer", "add_arguments", "is_loopback", "main", "run_from_args", "serve"]

DESCRIPTION = (
    "Run the reference implementation of the contract (REST + GraphQL) until interrupted. Ctrl-C "
    "finishes every accepted batch before exit. The embedded demo account: client DEMO / demo-secret, "
    "users admin / admin (retailer 1, acts for the account) and retailer2 / retailer2 (retailer 2)."
)
EPILOG = """examples:
  invharness serve --port 8080
  invharness serve --clock-control    # POST /_invharness/clock {"advance_s": N} moves time (loopback only)
  invharness serve --profile examples/profile-served.yaml    # play the profile's declared answers
  curl -X POST 'http://127.0.0.1:8080/oauth/token?username=admin&password=admin&client_id=DEMO&client_secret=demo-secret&grant_type=password&scope=api'
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `invharness serve` and `python -m invharness.reference_impl`."""
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port to listen on (default: 8080)")
    parser.add_argument(
        "--config", type=Path, metavar="FILE", help="JSON or YAML file overriding the demo account and server settings"
    )
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="FILE",
        help="a target profile (YAML, as verify takes it) whose `declared` answers the server plays: any "
        "profile key `invharness clauses` lists, with any of its allowed values, "
        "e.g. bpp.dedup_scope: batch; an unknown key or value stops the server (exit 2)",
    )
    parser.add_argument(
        "--log-level",
        default="info",
        choices=["debug", "info", "warning", "error"],
        help="info logs one line per request: method, path (never the query string), status, ms (default: info)",
    )
    parser.add_argument(
        "--clock-control",
        action="store_true",
        help='let POST /_invharness/clock {"advance_s": N} move the server\'s clock forward, so a verify run '
        "can judge job closing and token expiry; for a harness only: loopback --host only, off by default",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="keep the state in SQLite files under DIR (created if missing): jobs, batches, inventory, events, "
        "settings, feeds and tokens survive a restart, and batches accepted but not processed are processed "
        "after it (default: in memory, lost when the server stops)",
    )
    parser.add_argument(
        "--feed-interval",
        type=_interval,
        default=None,
        metavar="SECONDS",
        help="seconds between runs of an ACTIVE inventory feed, at least 1 (default 300)",
    )
    parser.add_argument(
        "--s3-endpoint",
        default=None,
        metavar="URL",
        help="S3 endpoint for feed files (AWS, MinIO, ...); default: a local moto S3 on loopback",
    )
    parser.add_argument(
        "--feed-region",
        default=None,
        metavar="NAME",
        help="the region feed destinations must be in (default us-east-1)",
    )


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback interface (an address, or the name localhost)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _interval(text: str) -> float:
    value = float(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"the feed interval is at least 1 second, not {text}")
    return value


def run_from_args(args: argparse.Namespace) -> int:
    """Serve as the parsed options say; 2 on a bad --config or clock control off loopback."""
    try:
        config = load_config(args.config)
    except (OSError, ValueError, TypeError) as exc:
        print(f"bad --config: {exc}", file=sys.stderr)
        return 2
    if args.profile is not None:
        try:
            config = config.declaring(behaviours_from_profile(args.profile))
        except (OSError, ValueError, yaml.YAMLError) as exc:
            print(f"bad --profile: {exc}", file=sys.stderr)
            return 2
    overrides = {
        name: value
        for name, value in (
            ("feed_interval_s", args.feed_interval),
            ("s3_endpoint", args.s3_endpoint),
            ("feed_region", args.feed_region),
            ("data_dir", None if args.data_dir is None else str(args.data_dir)),
        )
        if value is not None
    }
    if args.clock_control:
        overrides["clock_control"] = True
    config = dataclasses.replace(config, **overrides)
    if config.clock_control and not is_loopback(args.host):
        source = "--clock-control" if args.clock_control else "clock_control in --config"
        print(
            f"invharness serve: {source} is for loopback only (--host 127.0.0.1, ::1 or localhost), not {args.host} "
            "(see `invharness serve --help`)",
            file=sys.stderr,
        )
        return 2
    if config.data_dir is not None:
        try:
            check_data_dir(Path(config.data_dir))  # a data directory this version cannot read: say so now
        except (OSError, sqlite3.Error, DataFormatError) as exc:
            print(f"invharness serve: --data-dir {config.data_dir}: {exc}", file=sys.stderr)
            return 2
    local_s3 = None
    if config.s3_endpoint is None:
        local_s3 = LocalS3().start()
        config = dataclasses.replace(config, s3_endpoint=local_s3.url)
        print(f"feed files go to a local S3 (moto) at {local_s3.url}", flush=True)
    store = f"SQLite in {config.data_dir}" if config.data_dir else "in memory"
    print(
        f"reference server on http://{args.host}:{args.port} (account {config.account.account_id}, state {store})",
        flush=True,
    )
    try:
        serve(args.host, args.port, config, args.log_level)
    except KeyboardInterrupt:  # uvicorn has shut down gracefully, then re-raises the Ctrl-C it caught
        print("reference server stopped", flush=True)
    finally:
        if local_s3 is not None:
            local_s3.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python -m invharness.reference_impl``."""
    parser = argparse.ArgumentParser(
        prog="python -m invharness.reference_impl",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(parser)
    return run_from_args(parser.parse_args(argv))


def _uvicorn_config(app: Any, host: str, port: int, log_level: str) -> uvicorn.Config:
    # access_log=False: uvicorn's own access log prints query strings, which can carry credentials.
    # Slow clients: a request head must arrive within header_timeout_s, an idle kept-alive connection
    # closes after keep_alive_timeout_s (the body's deadline is the app's BodyLimit).
    config: ServerConfig = app.state.backend.config
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=30,
        http=head_timeout_protocol(config.header_timeout_s),
        timeout_keep_alive=config.keep_alive_timeout_s,
    )


def serve(
    host: str = "127.0.0.1", port: int = 8080, config: ServerConfig | None = None, log_level: str = "info"
) -> None:
    """Serve until interrupted; on Ctrl-C accepted batches are finished before exit."""
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(name)s %(levelname)s %(message)s")
    config = dataclasses.replace(config or ServerConfig(), manage_gc=True)  # this process is the server's own
    sock = listening_socket(host, port)
    uvicorn.Server(_uvicorn_config(create_app(config), host, port, log_level)).run(sockets=[sock])


def listening_socket(host: str, port: int) -> socket.socket:
    """A bound TCP socket whose connections send small answers at once (TCP_NODELAY, inherited on
    accept): without it a JSON answer's headers and body leave 40 ms apart (delayed ACK + Nagle)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()  # e.g. the port is taken: the caller says so, and no socket is left open
        raise
    return sock


class EmbeddedServer:
    """The reference server on a free loopback port, in a background thread.

    >>> with EmbeddedServer() as server:
    ...     server.url  # 'http://127.0.0.1:PORT'
    """

    def __init__(self, config: ServerConfig | None = None, clock: Clock | None = None) -> None:
        self.backend = Backend(config, clock)
        self._app = create_app(backend=self.backend)
        self._socket = listening_socket("127.0.0.1", 0)
        self.port: int = self._socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._server = uvicorn.Server(_uvicorn_config(self._app, "127.0.0.1", self.port, "warning"))
        self._server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
        self._thread = threading.Thread(target=self._run, name=f"reference-server-{self.port}", daemon=True)
        self._loop: asyncio.AbstractEventLoop | None = None

    def _run(self) -> None:
        self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._server.serve(sockets=[self._socket]))
        finally:
            self._loop.run_until_complete(self._loop.shutdown_asyncgens())
            self._loop.close()

    def start(self, timeout_s: float = 15.0) -> EmbeddedServer:
        self._thread.start()
        for _ in range(int(timeout_s / 0.01)):
            if self._server.started:
                return self
            if not self._thread.is_alive():
                break
            threading.Event().wait(0.01)
        raise RuntimeError(f"the reference server did not start on {self.url}")

    def call(self, coroutine_function: Any, *args: Any) -> Any:
        """Run a coroutine function on the server's loop (e.g. the worker's drain) and wait for it."""
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(coroutine_function(*args), self._loop).result(timeout=60)

    def run_on_loop(self, function: Any, *args: Any) -> Any:
        """Call a plain function on the server's loop thread and wait for its result."""

        async def wrapper() -> Any:
            return function(*args)

        return self.call(wrapper)

    def drain(self) -> None:
        """Wait until every accepted batch is COMPLETE."""
        self.call(self.backend.worker.drain)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=60)
        self._socket.close()

    def __enter__(self) -> EmbeddedServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
