"""Time as a value you control: the engine asks a clock, tests move it."""

from __future__ import annotations

import os
import time
from typing import Protocol

__all__ = ["Clock", "ManualClock", "OffsetFileClock", "SystemClock"]


class Clock(Protocol):
    """Anything that tells the current time in seconds since the epoch."""

    def now(self) -> float: ...


class SystemClock:
    """The real wall clock."""

    def now(self) -> float:
        return time.time()


class ManualClock:
    """A clock that only moves when told to: test expiry without sleeping."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self._now = start

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        self._now += seconds

    def set(self, when: float) -> None:
        """Jump to an absolute time."""
        self._now = when


class OffsetFileClock:
    """TEST-ONLY: wall time plus an offset in seconds read from a file.

    ``refreshgate serve --dev`` uses it when ``REFRESHGATE_DEV_CLOCK_FILE`` names a file, so an
    end-to-end test can move a real server through expiry without sleeping: it writes a new
    offset (replace the file atomically) and the next reading picks it up. Never in production.
    """

    def __init__(self, path: str) -> None:
        self._path = path
        self._seen: tuple[int, int, int] | None = None
        self._offset = 0.0

    def now(self) -> float:
        try:
            stat = os.stat(self._path)
        except OSError:
            return time.time() + self._offset
        seen = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        if seen != self._seen:
            try:
                with open(self._path, encoding="ascii") as file:
                    self._offset = float(file.read().strip() or 0)
            except (OSError, ValueError):
                pass  # half-written or unreadable: keep the previous offset
            self._seen = seen
        return time.time() + self._offset
