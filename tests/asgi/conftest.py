"""Fixtures of the ASGI middleware tests: a real Starlette app behind RefreshMiddleware."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from middleware_kit import middleware_config
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from refreshgate.asgi import RefreshMiddleware
from refreshgate.clock import ManualClock
from refreshgate.core.engine import Engine
from refreshgate.core.keys import KeySet
from refreshgate.store import create_store


async def echo(request: Request) -> JSONResponse:
    """What the app saw: its Authorization and Cookie headers and the refreshgate state."""
    info = request.state.refreshgate
    return JSONResponse(
        {
            "authorization": request.headers.get("authorization"),
            "cookie": request.headers.get("cookie"),
            "info": None
            if info is None
            else {"sub": info.subject, "sid": info.session_id, "refreshed": info.refreshed,
                  "claims": dict(info.claims), "token": info.access_token},
        }
    )  # fmt: skip


def starlette_app() -> Starlette:
    """Every path and method answers with :func:`echo`."""
    return Starlette(routes=[Route("/{path:path}", echo, methods=["GET", "POST", "DELETE"])])


@pytest.fixture
async def mw_engine(keys: KeySet, clock: ManualClock) -> AsyncIterator[Engine]:
    """An engine on the middleware config, a memory store and the ManualClock."""
    engine = Engine(middleware_config(), keys=keys, store=create_store("memory://"), clock=clock)
    yield engine
    await engine.aclose()


def client_for(app: Any) -> httpx.AsyncClient:
    """An httpx client that calls ``app`` in-process."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


@pytest.fixture
async def client(mw_engine: Engine) -> AsyncIterator[httpx.AsyncClient]:
    """The Starlette echo app behind RefreshMiddleware (endpoints served)."""
    async with client_for(RefreshMiddleware(starlette_app(), engine=mw_engine)) as made:
        yield made
