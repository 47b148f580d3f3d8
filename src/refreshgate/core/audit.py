"""Audit events: one JSON line per refresh-related event on logger ``refreshgate.audit``.

Only identifiers go in (``sid``, ``sub``, ``jti``); never a token, secret or key.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

from refreshgate.clock import Clock
from refreshgate.config.model import AuditConfig

__all__ = ["AuditLog", "configure_audit_sink"]

logger = logging.getLogger("refreshgate.audit")
_FIELDS = ("sid", "sub", "jti_old", "jti_new", "client", "remote", "route", "reason", "profile")


class AuditLog:
    """Writes audit events with the engine's clock."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    def event(self, event: str, **fields: Any) -> None:
        """Record one event; unknown or empty fields are dropped."""
        if not logger.isEnabledFor(logging.INFO):
            return
        record: dict[str, Any] = {
            "ts": datetime.fromtimestamp(self._clock.now(), UTC).isoformat(timespec="milliseconds"),
            "event": event,
        }
        record.update({k: fields[k] for k in _FIELDS if fields.get(k) is not None})
        logger.info(json.dumps(record, ensure_ascii=False))


class _MessageOnly(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return record.getMessage()


def configure_audit_sink(config: AuditConfig) -> None:
    """Attach the configured sink to ``refreshgate.audit`` (once; ``logger`` leaves it alone)."""
    if config.sink == "logger":
        return
    for handler in list(logger.handlers):
        if getattr(handler, "_refreshgate_sink", False):
            logger.removeHandler(handler)
    if config.sink == "off":
        logger.setLevel(logging.WARNING)
        return
    sink: logging.Handler
    if config.sink == "file":
        assert config.file is not None
        sink = logging.FileHandler(config.file, encoding="utf-8")
    else:
        sink = logging.StreamHandler(sys.stdout if config.sink == "stdout" else sys.stderr)
    sink.setFormatter(_MessageOnly())
    setattr(sink, "_refreshgate_sink", True)  # noqa: B010 - marks our own handler
    logger.addHandler(sink)
    logger.setLevel(logging.INFO)
    logger.propagate = False
