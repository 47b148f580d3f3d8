"""Claims and shared results live as long as they can matter, so nothing is minted twice."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import redis

from refreshgate.clock import ManualClock
from refreshgate.config import parse_config
from refreshgate.core.context import claim_ttl
from refreshgate.core.request import RequestView

TARA = {
    "issuer": "https://govsso-demo.ria.ee/",
    "client_id": "portal",
    "client_secret": "s",
    "redirect_uri": "https://portal.example.ee/tara/callback",
    "provider_refresh": True,
    "connect_timeout": 2,
    "read_timeout": 30,
}


def test_a_claim_outlives_the_slowest_provider_refresh_with_its_retries() -> None:
    config = parse_config({"tara": TARA}, env={})
    assert claim_ttl(config) > 3 * (2 + 30)


def test_a_claim_without_a_provider_still_outlives_store_round_trips() -> None:
    assert claim_ttl(parse_config({}, env={})) >= 30


@pytest.mark.redis
async def test_a_mint_result_is_kept_while_the_old_token_is_still_accepted(
    make_engine: Callable[..., Any], redis_url: str, clock: ManualClock
) -> None:
    engine = make_engine(store_url=redis_url, custom={"grace_period": 10, "refresh_window": 300})
    issued = await engine.issue("alice", access_ttl=100)
    decision = await engine.decide(
        RequestView("GET", "/api/x", authorization=f"Bearer {issued.access_token}")
    )
    assert decision.refreshed is not None
    client = redis.Redis.from_url(redis_url)
    try:
        keys = [key for key in client.keys("*") if b":m:" in key]
        assert len(keys) == 1
        # old token: 100 s left, then grace 10 s and clock skew 30 s; plus the claim's own budget
        assert client.ttl(keys[0]) >= 100 + 10 + 30 + claim_ttl(engine.config)
    finally:
        client.close()
