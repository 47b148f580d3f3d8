"""The token service as a pure ASGI app: ``/jwt/*``, JWKS, health, readiness and metrics."""

from __future__ import annotations

import logging

from refreshgate.core.api import ApiResponse, TokenApi
from refreshgate.core.engine import Engine
from refreshgate.core.forward_auth import FORWARD_AUTH_HEADERS, forward_auth_headers
from refreshgate.errors import NotFound, OAuthError
from refreshgate.shells.asgi_io import Receive, Scope, Send, api_request, remote_of, send_api_response

__all__ = ["TokenServiceApp", "serve_api"]

log = logging.getLogger("refreshgate")


async def serve_api(
    api: TokenApi, scope: Scope, receive: Receive, send: Send, extra: list[tuple[str, str]] | None = None
) -> None:
    """Answer one endpoint request; bad input is a 4xx, an unexpected failure a logged 500."""
    if (
        scope["method"] == "GET"
        and scope["path"] == api.auth_path
        and await _forward_auth(api, scope, send, extra)
    ):
        return
    try:
        request = await api_request(scope, receive, api.max_body)
        response = await api.handle(request)
    except OAuthError as exc:
        response = ApiResponse.error(exc)
    except Exception:
        log.exception("refreshgate: unexpected error on %s %s", scope["method"], scope["path"])
        response = ApiResponse.json({"error": "server_error", "error_description": "internal error"}, 500)
    await send_api_response(send, response, extra)


_FORWARD_AUTH_RAW = {name.encode(): name for name in FORWARD_AUTH_HEADERS}


async def _forward_auth(api: TokenApi, scope: Scope, send: Send, extra: list[tuple[str, str]] | None) -> bool:
    """``GET /jwt/auth`` without a body, the lean way (it is on every request behind a proxy): the
    few headers it reads straight from the scope, no body read, no endpoint dispatch. ``False``
    when the request has a body: the generic path answers it then."""
    headers: dict[str, str] = {}
    for key, value in scope["headers"]:
        name = _FORWARD_AUTH_RAW.get(key)
        if name is not None:
            text = value.decode("latin-1")
            if name not in headers:
                headers[name] = text
            elif name == "cookie":
                headers[name] = f"{headers[name]}; {text}"
        elif (key == b"content-length" and value != b"0") or key == b"transfer-encoding":
            return False
    try:
        response = await forward_auth_headers(api.engine, headers, remote_of(scope))
    except OAuthError as exc:
        response = ApiResponse.error(exc)
    except Exception:
        log.exception("refreshgate: unexpected error on GET %s", scope["path"])
        response = ApiResponse.json({"error": "server_error", "error_description": "internal error"}, 500)
    await send_api_response(send, response, extra)
    return True


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
