"""SPEC §9 (conformance review): store errors are counted wherever the store fails, and refusals of
an explicit or transparent refresh are audited (``refresh.refused``, ``refresh.rate_limited``)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from refreshgate.clock import ManualClock
from refreshgate.core.context import TokenResponse
from refreshgate.core.engine import Engine
from refreshgate.core.request import RequestView
from refreshgate.errors import InvalidGrant, RateLimited, StoreUnavailable

EngineFactory = Callable[..., Engine]
AuditReader = Callable[..., list[dict[str, Any]]]
DOWN = "redis://127.0.0.1:6399/0"  # nothing listens there


def rt_of(response: TokenResponse) -> str:
    assert response.refresh_token is not None
    return response.refresh_token


def store_errors(engine: Engine) -> float:
    text = engine.ctx.metrics.render().decode()
    found = re.findall(r"^refreshgate_store_errors_total\{[^}]*\} (\S+)$", text, re.MULTILINE)
    return sum(float(value) for value in found)


async def test_a_failed_explicit_refresh_counts_a_store_error(make_engine: EngineFactory) -> None:
    issued = await make_engine().issue("alice")
    down = make_engine(store_url=DOWN)

    with pytest.raises(StoreUnavailable):
        await down.refresh(rt_of(issued))
    assert store_errors(down) >= 1


async def test_a_failed_issuance_counts_a_store_error(make_engine: EngineFactory) -> None:
    down = make_engine(store_url=DOWN)

    with pytest.raises(StoreUnavailable):
        await down.issue("bob")
    assert store_errors(down) >= 1


async def test_an_explicit_refresh_over_the_rate_limit_is_audited_as_rate_limited(
    make_engine: EngineFactory, audit: AuditReader
) -> None:
    engine = make_engine(custom={"rate_limit": "1/minute"})
    issued = await engine.issue("alice")
    rotated = await engine.refresh(rt_of(issued), remote="192.0.2.7")

    with pytest.raises(RateLimited):
        await engine.refresh(rt_of(rotated), remote="192.0.2.7")
    [event] = audit("refresh.rate_limited")
    assert event["sid"] == issued.session_id and event["sub"] == "alice"
    assert event["remote"] == "192.0.2.7" and event["reason"]


async def test_an_explicit_refresh_refused_by_a_limit_is_audited_with_the_reason(
    make_engine: EngineFactory, audit: AuditReader
) -> None:
    engine = make_engine(custom={"max_refreshes": 1})
    issued = await engine.issue("alice")
    rotated = await engine.refresh(rt_of(issued))

    with pytest.raises(InvalidGrant, match="max_refreshes"):
        await engine.refresh(rt_of(rotated))
    [event] = audit("refresh.refused")
    assert event["sid"] == issued.session_id and "max_refreshes" in event["reason"]


async def test_reuse_detection_is_audited_once_not_also_as_refused(
    make_engine: EngineFactory, audit: AuditReader, clock: ManualClock
) -> None:
    engine = make_engine()
    issued = await engine.issue("alice")
    await engine.refresh(rt_of(issued))
    clock.advance(120)

    with pytest.raises(InvalidGrant):
        await engine.refresh(rt_of(issued))
    assert len(audit("refresh.reuse_detected")) == 1
    assert audit("refresh.refused") == []


async def test_a_transparent_refresh_over_the_rate_limit_is_audited_as_rate_limited(
    make_engine: EngineFactory, audit: AuditReader, clock: ManualClock
) -> None:
    engine = make_engine(custom={"rate_limit": "1/minute", "access_ttl": "10m", "refresh_window": "5m"})
    issued = await engine.issue("alice")
    clock.advance(6 * 60)  # the access token is near expiry
    await engine.refresh(rt_of(issued))  # spends the session's budget for this minute

    view = RequestView("GET", "/api/x", authorization=f"Bearer {issued.access_token}")
    refused = await engine.decide(view)
    assert refused.action == "pass" and refused.refreshed is None
    [event] = audit("refresh.rate_limited")
    assert event["sid"] == issued.session_id and event["route"] == "/api/**"
