"""Engine builders and an audit-event reader for the core tests."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from refreshgate.clock import ManualClock
from refreshgate.config import parse_config
from refreshgate.core.engine import Engine
from refreshgate.core.keys import KeySet
from refreshgate.store import create_store

ROUTES = [
    {"path": "/api/**", "profile": "custom"},
    {"path": "/portal/**", "profile": "tara", "token_from": "cookie:TIM_TARA_JWT"},
    {"path": "/**", "auth": "none"},
]

EngineFactory = Callable[..., Engine]
AuditReader = Callable[..., list[dict[str, Any]]]


@pytest.fixture
async def make_engine(keys: KeySet, clock: ManualClock) -> AsyncIterator[EngineFactory]:
    """``make_engine(custom={...profile keys}, tara={...}, store_url=..., **sections)`` → Engine.

    Every engine shares the session KeySet and the test's ManualClock; the default routes are
    ``/api/**`` (custom, header), ``/portal/**`` (tara, cookie) and ``/**`` (no auth).
    """
    made: list[Engine] = []

    def factory(
        *, store_url: str = "memory://", custom: dict[str, Any] | None = None,
        tara: dict[str, Any] | None = None, **sections: Any,
    ) -> Engine:  # fmt: skip
        raw: dict[str, Any] = {
            "tokens": {"issuer": "https://auth.test", "audience": "portal", "clock_skew": 30},
            "routes": ROUTES,
            "profiles": {
                **({"custom": custom} if custom else {}),
                **({"tara": tara} if tara else {}),
            },
            **sections,
        }
        config = parse_config(raw, env={})
        engine = Engine(config, keys=keys, store=create_store(store_url, timeout=2.0), clock=clock)
        made.append(engine)
        return engine

    yield factory
    for engine in made:
        await engine.aclose()


@pytest.fixture
def audit(caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> AuditReader:
    """``audit()`` → every audit event so far as dicts; ``audit("refresh.succeeded")`` filters."""
    logger = logging.getLogger("refreshgate.audit")
    monkeypatch.setattr(logger, "propagate", True)  # a configured sink may have turned it off
    caplog.set_level(logging.INFO, logger="refreshgate.audit")

    def read(event: str | None = None) -> list[dict[str, Any]]:
        records = [json.loads(r.getMessage()) for r in caplog.records if r.name == "refreshgate.audit"]
        return [r for r in records if event is None or r["event"] == event]

    return read
