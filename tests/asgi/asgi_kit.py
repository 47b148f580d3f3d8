"""The real Starlette app the ASGI middleware tests wrap, and an in-process httpx client."""

from __future__ import annotations

from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


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


def client_for(app: Any) -> httpx.AsyncClient:
    """An httpx client that calls ``app`` in-process."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
