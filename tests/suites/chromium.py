"""Headless Chromium driven over the DevTools protocol, to assert on a page's DOM after its
script ran and after a reader's clicks and keystrokes (no screenshots)."""

from __future__ import annotations

import contextlib
import itertools
import json
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import requests

__all__ = ["CHROMIUM", "chromium_page"]

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@contextlib.contextmanager
def chromium_page(url: str, profile_dir: Path) -> Iterator[Callable[[str], Any]]:
    """Open ``url`` in headless Chromium; yield ``evaluate(js_expression) -> value``."""
    import websocket  # the dev extra websocket-client

    assert CHROMIUM is not None
    process = subprocess.Popen(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--remote-debugging-port=0",
            "--remote-allow-origins=*",
            f"--user-data-dir={profile_dir}",
            url,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        port = _devtools_port(profile_dir / "DevToolsActivePort", process)
        page = _wait(lambda: _page(port, url), "the page to open")
        socket = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=30, suppress_origin=True)
        ids = itertools.count(1)

        def evaluate(expression: str) -> Any:
            number = next(ids)
            params = {"expression": expression, "returnByValue": True, "awaitPromise": True}
            socket.send(json.dumps({"id": number, "method": "Runtime.evaluate", "params": params}))
            for _ in range(10_000):  # events may come first; the answer carries our id
                message = json.loads(socket.recv())
                if message.get("id") == number:
                    result = message["result"]
                    if "exceptionDetails" in result:
                        raise AssertionError(f"{expression}: {result['exceptionDetails']}")
                    return result["result"].get("value")
            raise AssertionError(f"no answer to {expression}")

        try:
            # the first document is about:blank (complete too): wait for ours, parsed and its script run
            loaded = f"document.readyState === 'complete' && location.href.startsWith({json.dumps(url.split('#')[0])})"
            _wait(lambda: evaluate(loaded), "the page to load")
            yield evaluate
        finally:
            socket.close()
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait(probe: Callable[[], Any], what: str, seconds: float = 30) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"Chromium: waited {seconds:g}s for {what}")


def _devtools_port(path: Path, process: subprocess.Popen[bytes]) -> int:
    def probe() -> int | None:
        if process.poll() is not None:
            raise AssertionError(f"Chromium exited with {process.returncode}")
        text = path.read_text() if path.is_file() else ""
        return int(text.split()[0]) if text.strip() else None

    return _wait(probe, "the DevTools port")


def _page(port: int, url: str) -> dict[str, Any] | None:
    targets = requests.get(f"http://127.0.0.1:{port}/json/list", timeout=10).json()
    pages = [t for t in targets if t.get("type") == "page"]
    return next((t for t in pages if t.get("url", "").startswith(url.split("#")[0])), None)
