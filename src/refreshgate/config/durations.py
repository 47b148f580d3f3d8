"""Durations and rates as users write them: ``"30s" "15m" "12h" "7d"``, integers are seconds."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated

from pydantic import BeforeValidator

__all__ = ["Duration", "Rate", "RateLimit", "parse_duration", "parse_rate"]

_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$")
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*(second|minute|hour|day|s|m|h|d)\s*$")
_RATE_UNITS = {"second": 1, "s": 1, "minute": 60, "m": 60, "hour": 3600, "h": 3600, "day": 86400}
_RATE_UNITS["d"] = 86400


def parse_duration(value: object) -> float:
    """Seconds from ``"30s"``, ``"15m"``, ``"12h"``, ``"7d"``, ``"500ms"`` or a number."""
    if isinstance(value, bool):
        raise ValueError("a duration, not a boolean")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError("a duration cannot be negative")
        return float(value)
    if isinstance(value, str):
        match = _DURATION.match(value)
        if match:
            return float(match.group(1)) * _UNITS[match.group(2) or "s"]
    raise ValueError(f"not a duration: {value!r} (use e.g. 30s, 15m, 12h, 7d or seconds)")


@dataclass(frozen=True)
class RateLimit:
    """``count`` events per ``period`` seconds."""

    count: int
    period: int

    def __str__(self) -> str:
        return f"{self.count}/{self.period}s"


def parse_rate(value: object) -> RateLimit | None:
    """A rate from ``"30/minute"``, ``"5/10s"``; ``None`` or ``"off"`` disables it."""
    if value is None or value == "off":
        return None
    if isinstance(value, RateLimit):
        return value
    if isinstance(value, str):
        match = _RATE.match(value)
        if match:
            count, multiple, unit = match.groups()
            period = int(multiple or 1) * _RATE_UNITS[unit]
            if int(count) > 0 and period > 0:
                return RateLimit(int(count), period)
    raise ValueError(f"not a rate: {value!r} (use e.g. 30/minute, 5/10s or off)")


Duration = Annotated[float, BeforeValidator(parse_duration)]
Rate = Annotated[RateLimit | None, BeforeValidator(parse_rate)]
