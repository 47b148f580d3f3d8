"""The sidecar as a pure ASGI app: endpoints answered locally, everything else decided and proxied.

request ─► TokenApi.handles(path)? ─► serve_api (``/jwt/*``, JWKS, health, metrics)
        └► engine.decide(view) ─► reject (401 JSON) │ redirect (302) │ pass ─► Proxy.forward
"""

from __future__ import annotations

from refreshgate.core.api import ApiResponse, TokenApi
from refreshgate.core.engine import Engine
from refreshgate.core.rewrite import unsafe_path
from refreshgate.errors import InvalidRequest
from refreshgate.shells.asgi_io import Receive, Scope, Send, send_api_response, view_of_scope
from refreshgate.shells.token_service import serve_api
from refreshgate.sidecar.proxy import Proxy

__all__ = ["SidecarApp"]

_HSTS = ("strict-transport-security", "max-age=31536000")


class SidecarApp:
    """Reverse proxy with transparent refresh in front of ``config.upstream``."""

    def __init__(self, engine: Engine, *, hsts: bool = False) -> None:
        if engine.config.upstream is None:
            raise ValueError("the sidecar needs an upstream (config key: upstream.url)")
        self.engine = engine
        self.api = TokenApi(engine)
        self._extra = [_HSTS] if hsts else []
        raw_extra = [(k.encode(), v.encode()) for k, v in self._extra]
        self.proxy = Proxy(engine.config, engine.ctx.metrics, raw_extra)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)
        # websockets are not proxied: returning closes them (uvicorn answers 403)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"]
        if self.api.handles(path):
            await serve_api(self.api, scope, receive, send, self._extra)
            return
        if unsafe_path(path):
            error = InvalidRequest("ambiguous path: dot, empty or ;parameter segments")
            await send_api_response(send, ApiResponse.error(error), self._extra)
            return
        decision = await self.engine.decide(view_of_scope(scope))
        if decision.action == "pass":
            await self.proxy.forward(scope, receive, send, decision)
        else:
            await send_api_response(send, ApiResponse.refusal(decision), self._extra)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await self.proxy.upstream.start()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.proxy.upstream.close()
                await self.engine.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return
