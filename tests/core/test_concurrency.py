"""Concurrency: one rotation per generation and one mint per access token, in-process and across
replicas (two engines sharing one Redis database and one key set)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from refreshgate.clock import ManualClock
from refreshgate.core.context import TokenResponse
from refreshgate.core.engine import Engine
from refreshgate.core.request import Decision, RequestView
from refreshgate.store import create_store
from refreshgate.store.base import Store

EngineFactory = Callable[..., Engine]
AuditReader = Callable[..., list[dict[str, Any]]]

CALLERS = 50
#: every loser may count as a grace replay (it can read the finished result); no limit interferes
GENEROUS = {"custom": {"grace_replays": 100, "rate_limit": "off"}, "api": {"address_rate_limit": "off"}}
NEAR_EXPIRY = 3600 - 299


def replicas(make_engine: EngineFactory, store_url: str) -> list[Engine]:
    if store_url == "memory://":
        return [make_engine(**GENEROUS)]
    return [make_engine(store_url=store_url, **GENEROUS) for _ in range(2)]


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def store_url(request: pytest.FixtureRequest) -> str:
    """memory:// (one engine) or the shared Redis database 1 (two engines, half the calls each)."""
    if request.param == "memory":
        return "memory://"
    url: str = request.getfixturevalue("redis_url")
    return url


async def test_concurrent_refreshes_of_one_token_rotate_once_and_answer_identically(
    make_engine: EngineFactory, store_url: str, audit: AuditReader
) -> None:
    engines = replicas(make_engine, store_url)
    issued = await engines[0].issue("alice")
    assert issued.refresh_token is not None
    token = issued.refresh_token

    results = await asyncio.gather(
        *(engines[i % len(engines)].refresh(token, remote="192.0.2.1") for i in range(CALLERS)),
        return_exceptions=True,
    )

    responses = [r for r in results if isinstance(r, TokenResponse)]
    assert [r for r in results if not isinstance(r, TokenResponse)] == []
    assert len(audit("refresh.succeeded")) == 1
    assert len({(r.access_token, r.refresh_token) for r in responses}) == 1
    assert audit("refresh.reuse_detected") == []
    successor = responses[0].refresh_token
    assert successor is not None
    assert (
        engines[-1].ctx.codec.read_refresh((await engines[-1].refresh(successor)).refresh_token or "").gen
        == 2
    )


async def test_concurrent_requests_with_one_near_expiry_token_share_one_mint(
    make_engine: EngineFactory, store_url: str, clock: ManualClock, audit: AuditReader
) -> None:
    engines = replicas(make_engine, store_url)
    issued = await engines[0].issue("alice")
    clock.advance(NEAR_EXPIRY)
    request = RequestView("GET", "/api/orders", authorization=f"Bearer {issued.access_token}")

    decisions = await asyncio.gather(
        *(engines[i % len(engines)].decide(request) for i in range(CALLERS)), return_exceptions=True
    )

    assert all(isinstance(d, Decision) and d.action == "pass" and d.refreshed is not None for d in decisions)
    assert len({d.refreshed.token for d in decisions if isinstance(d, Decision) and d.refreshed}) == 1
    minted = [e for e in audit("refresh.succeeded") if e.get("reason") == "transparent"]
    assert len(minted) == 1


async def test_two_replicas_never_rotate_one_generation_twice_even_when_called_in_turn(
    make_engine: EngineFactory, redis_url: str, audit: AuditReader
) -> None:
    first, second = replicas(make_engine, redis_url)
    issued = await first.issue("alice")
    assert issued.refresh_token is not None

    one = await first.refresh(issued.refresh_token)
    other = await second.refresh(issued.refresh_token)  # a retry that reached the other replica

    assert one.to_json() == other.to_json()
    assert len(audit("refresh.succeeded")) == 1
    assert len(audit("refresh.grace_replayed")) == 1


class _SlowPublish:
    """A store whose rotation results are published only when the test says so."""

    def __init__(self, inner: Store) -> None:
        self.inner = inner
        self.publish = asyncio.Event()
        self.holding = asyncio.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def set(self, key: str, value: Any, ttl: float) -> None:
        if ":r:" in key and isinstance(value, dict) and value.get("state") == "done":
            self.holding.set()
            await self.publish.wait()
        await self.inner.set(key, value, ttl)


async def test_replica_that_sees_the_advanced_generation_before_the_result_shares_it(
    make_engine: EngineFactory, audit: AuditReader
) -> None:
    """Regression: the winner advances the generation, then publishes; a loser on another replica
    that reads in between used to find a "pending" record and call it reuse (revoking the session)."""
    shared = _SlowPublish(create_store("memory://"))
    base = make_engine(**GENEROUS)
    first, second = (
        Engine(base.config, keys=base.ctx.keys, store=shared, clock=base.clock) for _ in range(2)
    )
    issued = await first.issue("alice")
    assert issued.refresh_token is not None

    winner = asyncio.create_task(first.refresh(issued.refresh_token))
    await shared.holding.wait()  # the generation is advanced, the result not yet published
    loser = asyncio.create_task(second.refresh(issued.refresh_token))
    await asyncio.sleep(0.01)
    shared.publish.set()

    assert (await winner).to_json() == (await loser).to_json()
    assert audit("refresh.reuse_detected") == []
