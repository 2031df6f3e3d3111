"""Ctrl-C held back while short work that must not be cut halfway runs: writing reports, tearing
down a target whose verdicts are already in. A report cut in half loses what a run judged; a
KeyboardInterrupt raised inside a teardown leaves a traceback instead of a verdict.

The work shielded must be bounded (it delays the user's Ctrl-C by as long as it takes); the
interruption is not lost: it is raised when the block ends, or answered by ``arrived()``."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

__all__ = ["held_back"]


class _Latch:
    __slots__ = ("seen",)

    def __init__(self) -> None:
        self.seen = False

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        self.seen = True

    def arrived(self) -> bool:
        """Whether a Ctrl-C came while held back."""
        return self.seen


@contextlib.contextmanager
def held_back(reraise: bool = True) -> Iterator[_Latch]:
    """A Ctrl-C during the block is noted, not raised; at its end it is raised (``reraise``) or left to
    the caller (``latch.arrived()``). Outside the main thread (no signals there) it holds nothing back."""
    latch = _Latch()
    if threading.current_thread() is not threading.main_thread():
        yield latch
        return
    previous = signal.signal(signal.SIGINT, latch)
    try:
        yield latch
    finally:
        signal.signal(signal.SIGINT, previous)
    if latch.seen and reraise:
        raise KeyboardInterrupt
