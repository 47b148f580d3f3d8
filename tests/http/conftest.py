"""Fixtures for the HTTP tests: the token service in-process (ASGI), a manual clock, two clients."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from http_helpers import PORTAL, Issue, make_config

from refreshgate.clock import ManualClock
from refreshgate.config.model import Config
from refreshgate.core.engine import Engine
from refreshgate.shells.token_service import TokenServiceApp


@pytest.fixture
def clock() -> ManualClock:
    # starts at the real time so that standard JWT libraries accept the tokens' iat/nbf
    return ManualClock(start=float(int(time.time())))


@pytest.fixture
def config() -> Config:
    return make_config()


@pytest.fixture
async def engine(config: Config, clock: ManualClock) -> AsyncIterator[Engine]:
    engine = Engine.development(config, clock=clock)
    yield engine
    await engine.aclose()


@pytest.fixture
async def http(engine: Engine) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the token service in-process."""
    transport = httpx.ASGITransport(app=TokenServiceApp(engine))
    async with httpx.AsyncClient(transport=transport, base_url="http://rg.test") as client:
        yield client


@pytest.fixture
def issue(http: httpx.AsyncClient) -> Issue:
    """Issue tokens through ``POST /jwt/token`` as the portal client; returns the JSON body."""

    async def issue(sub: str = "alice", **body: Any) -> dict[str, Any]:
        response = await http.post("/jwt/token", json={"sub": sub, **body}, auth=PORTAL)
        assert response.status_code == 200, response.text
        payload: dict[str, Any] = response.json()
        return payload

    return issue
