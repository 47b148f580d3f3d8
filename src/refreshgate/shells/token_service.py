"""The token service as a pure ASGI app: ``/jwt/*``, JWKS, health, readiness and metrics."""

from __future__ import annotations

import logging

from refreshgate.core.api import ApiResponse, TokenApi
from refreshgate.core.engine import Engine
from refreshgate.errors import NotFound, OAuthError
from refreshgate.shells.asgi_io import Receive, Scope, Send, api_request, send_api_response

__all__ = ["TokenServiceApp", "serve_api"]

log = logging.getLogger("refreshgate")


async def serve_api(
    api: TokenApi, scope: Scope, receive: Receive, send: Send, extra: list[tuple[str, str]] | None = None
) -> None:
    """Answer one endpoint request; bad input is a 4xx, an unexpected failure a logged 500."""
    try:
        request = await api_request(scope, receive, api.max_body)
        response = await api.handle(request)
    except OAuthError as exc:
        response = ApiResponse.error(exc)
    except Exception:
        log.exception("refreshgate: unexpected error on %s %s", scope["method"], scope["path"])
        response = ApiResponse.json({"error": "server_error", "error_description": "internal error"}, 500)
    await send_api_response(send, response, extra)


class TokenServiceApp:
    """Serves the HTTP API of an engine (``refreshgate serve`` without an upstream)."""

    def __init__(self, engine: Engine, *, hsts: bool = False) -> None:
        self.engine = engine
        self.api = TokenApi(engine)
        self._extra = [("strict-transport-security", "max-age=31536000")] if hsts else []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await lifespan(self.engine, receive, send)
            return
        if scope["type"] != "http":
            return
        if not self.api.handles(scope["path"]):
            await send_api_response(send, ApiResponse.error(NotFound("no such endpoint")), self._extra)
            return
        await serve_api(self.api, scope, receive, send, self._extra)


async def lifespan(engine: Engine, receive: Receive, send: Send) -> None:
    """ASGI lifespan: close the store's connections at shutdown."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await engine.aclose()
            await send({"type": "lifespan.shutdown.complete"})
            return
