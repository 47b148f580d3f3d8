"""Fixtures of the ASGI middleware tests: a real Starlette app behind RefreshMiddleware."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from asgi_kit import client_for, starlette_app
from middleware_kit import middleware_config

from refreshgate.asgi import RefreshMiddleware
from refreshgate.clock import ManualClock
from refreshgate.core.engine import Engine
from refreshgate.core.keys import KeySet
from refreshgate.store import create_store


@pytest.fixture
async def mw_engine(keys: KeySet, clock: ManualClock) -> AsyncIterator[Engine]:
    """An engine on the middleware config, a memory store and the ManualClock."""
    engine = Engine(middleware_config(), keys=keys, store=create_store("memory://"), clock=clock)
    yield engine
    await engine.aclose()


@pytest.fixture
async def client(mw_engine: Engine) -> AsyncIterator[httpx.AsyncClient]:
    """The Starlette echo app behind RefreshMiddleware (endpoints served)."""
    async with client_for(RefreshMiddleware(starlette_app(), engine=mw_engine)) as made:
        yield made
