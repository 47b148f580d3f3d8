"""A FastAPI app behind RefreshMiddleware.  Run: ``.venv/bin/python examples/fastapi_app.py``

Then (http://127.0.0.1:8001)::

    curl -s -X POST localhost:8001/login -H 'content-type: application/json' \\
         -d '{"username": "alice", "access_ttl": 60}'
    curl -si localhost:8001/api/me -H "authorization: Bearer <access_token>"

``access_ttl: 60`` is inside the 5-minute refresh window, so the next request is refreshed: the
response carries ``X-Refreshed-Access-Token`` and ``/api/me`` says ``"refreshed": true``.
The token endpoints (``/jwt/refresh``, ``/jwt/revoke``, JWKS, ``/healthz``) are served too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI, Request, Response
from pydantic import BaseModel, Field

from refreshgate import AuthInfo, RefreshMiddleware, load_config
from refreshgate.core.rewrite import set_cookie
from refreshgate.server import build_engine

CONFIG = load_config(Path(__file__).with_name("middleware.yaml"))
engine = build_engine(CONFIG, dev=True)  # ephemeral keys: examples only

app = FastAPI(title="refreshgate FastAPI example")
app.add_middleware(RefreshMiddleware, engine=engine)


class Login(BaseModel):
    username: str = Field(min_length=1)
    access_ttl: int | None = Field(default=None, ge=1, le=900)


@app.post("/login")
async def login(body: Login, response: Response) -> dict[str, Any]:
    """Your own credential check goes here; then start a refreshgate session."""
    tokens = await engine.issue(body.username, claims={"name": body.username}, access_ttl=body.access_ttl)
    response.headers["cache-control"] = "no-store"
    response.headers.append(
        "set-cookie", set_cookie("EXAMPLE_AT", tokens.access_token, tokens.expires_in, CONFIG.cookies)
    )
    return tokens.to_json()


def _me(info: AuthInfo) -> dict[str, Any]:
    return {"sub": info.subject, "session_id": info.session_id, "refreshed": info.refreshed,
            "claims": dict(info.claims)}  # fmt: skip


@app.get("/api/me")
async def api_me(request: Request) -> dict[str, Any]:
    """Header token: ``Authorization: Bearer ...``."""
    return _me(request.state.refreshgate)


@app.get("/app/me")
async def app_me(request: Request) -> dict[str, Any]:
    """Cookie token: ``EXAMPLE_AT`` (set by /login)."""
    return _me(request.state.refreshgate)


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=8001)
