"""A local S3 for feeds when no endpoint is given: moto's server on a loopback port."""

from __future__ import annotations

import logging

from moto.server import ThreadedMotoServer

__all__ = ["LocalS3"]


class LocalS3:
    """moto's S3 in a thread on 127.0.0.1 (a free port unless one is given)."""

    def __init__(self, port: int = 0) -> None:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per S3 call otherwise
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        self.url = ""

    def start(self) -> LocalS3:
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.url = f"http://{host}:{port}"
        return self

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> LocalS3:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
