"""Bare hello apps: the baselines everything else is a ratio of.

- `raw`: a raw ASGI app (no framework) — the upstream behind proxies;
- `starlette_app`: a one-route Starlette app — the ASGI middleware baseline;
- `fastapi_app`: a one-route FastAPI app — the AuthX peer's baseline;
- `flask_app`: a one-route Flask app (WSGI) — the WSGI middleware baseline.

Every one answers any path with 13 bytes, so a bench can request `/api/hello` through any of them.
"""

from __future__ import annotations

from typing import Any

BODY = b"Hello, world!"
_HEADERS = [(b"content-type", b"text/plain"), (b"content-length", str(len(BODY)).encode())]


async def raw(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """A framework-free ASGI hello (also answers lifespan)."""
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    await send({"type": "http.response.start", "status": 200, "headers": _HEADERS})
    await send({"type": "http.response.body", "body": BODY})


def _starlette() -> Any:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    async def hello(request: Request) -> PlainTextResponse:
        return PlainTextResponse(BODY)

    return Starlette(routes=[Route("/{path:path}", hello)])


def _fastapi() -> Any:
    from fastapi import FastAPI
    from fastapi.responses import PlainTextResponse

    app = FastAPI()

    @app.get("/{path:path}", response_class=PlainTextResponse)
    async def hello(path: str) -> PlainTextResponse:
        return PlainTextResponse(BODY)

    return app


def _flask() -> Any:
    from flask import Flask, Response

    app = Flask(__name__)

    @app.route("/", defaults={"path": ""})
    @app.route("/<path:path>")
    def hello(path: str) -> Response:
        return Response(BODY, mimetype="text/plain")

    return app


def __getattr__(name: str) -> Any:
    # Built on first access, so importing this module for `raw` loads no framework.
    factories = {"starlette_app": _starlette, "fastapi_app": _fastapi, "flask_app": _flask}
    if name in factories:
        app = factories[name]()
        globals()[name] = app
        return app
    raise AttributeError(name)
