"""``RefreshMiddleware``: transparent JWT refresh for any ASGI app (Starlette, FastAPI, ...).

::

    app = RefreshMiddleware(app, "sidecar.yaml")
    # or, in FastAPI/Starlette: app.add_middleware(RefreshMiddleware, config=..., engine=engine)

Per HTTP request the core decides (:meth:`Engine.decide`); this shell only applies the decision:

- the token endpoints (``/jwt/...``, JWKS, health, metrics) are answered in-process unless
  ``api: {enabled: false}`` or ``serve_endpoints=False``;
- reject → the RFC 6750 error (401 ``invalid_token`` + ``WWW-Authenticate``);
  redirect → 302 to the profile's login URL;
- pass → the app sees the (possibly refreshed) token in ``Authorization``/``Cookie``, and
  ``scope["state"]["refreshgate"]`` holds an :class:`~refreshgate.core.identity.AuthInfo` (or
  ``None``); a refreshed token reaches the client in the response headers.

An app issues tokens at its own login with ``await middleware.engine.issue(sub, ...)`` (or the
engine it passed in). Bodies are never buffered; websocket and lifespan scopes pass through.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from refreshgate.core.api import ApiResponse, TokenApi
from refreshgate.core.engine import Engine
from refreshgate.core.identity import STATE_KEY, auth_info
from refreshgate.core.request import Decision
from refreshgate.core.rewrite import refreshed_authorization, refreshed_cookie_header, response_headers
from refreshgate.errors import OAuthError
from refreshgate.shells.asgi_io import Message, Receive, Scope, Send, send_api_response, view_of_scope
from refreshgate.shells.setup import ConfigSource, resolve_engine, serves_endpoints
from refreshgate.shells.token_service import serve_api

__all__ = ["RefreshMiddleware"]

ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class RefreshMiddleware:
    """Pure ASGI middleware: verify, refresh transparently, and serve the token endpoints."""

    def __init__(
        self,
        app: ASGIApp,
        config: ConfigSource | None = None,
        *,
        engine: Engine | None = None,
        serve_endpoints: bool | None = None,
    ) -> None:
        self.app = app
        self.engine, self._owns_engine = resolve_engine(config, engine)
        self.config = self.engine.config
        self._api = TokenApi(self.engine) if serves_endpoints(self.engine, serve_endpoints) else None

    def __repr__(self) -> str:
        return f"RefreshMiddleware(app={self.app!r}, engine={self.engine!r})"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "lifespan" and self._owns_engine:
                send = self._close_at_shutdown(send)
            await self.app(scope, receive, send)
            return
        if self._api is not None and self._api.handles(scope["path"]):
            await serve_api(self._api, scope, receive, send)
            return
        try:
            view = view_of_scope(scope)
            decision = self.engine.decide_cached(view) or await self.engine.decide(view)
        except OAuthError as exc:
            await send_api_response(send, ApiResponse.error(exc))
            return
        if decision.action == "pass":
            await self.app(_rewritten(scope, decision), receive, self._with_headers(send, decision))
        else:
            await send_api_response(send, ApiResponse.refusal(decision))

    def _with_headers(self, send: Send, decision: Decision) -> Send:
        extra = [
            (k.encode("latin-1"), v.encode("latin-1"))
            for k, v in response_headers(decision, self.config.cookies)
        ]
        if not extra:
            return send

        async def send_with_token(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        return send_with_token

    def _close_at_shutdown(self, send: Send) -> Send:
        async def send_then_close(message: Message) -> None:
            if message["type"] in ("lifespan.shutdown.complete", "lifespan.shutdown.failed"):
                await self.engine.aclose()
            await send(message)

        return send_then_close


def _rewritten(scope: Scope, decision: Decision) -> Scope:
    """The scope the app sees: refreshed token in place of the old one, AuthInfo in the state.

    Edited in place, as Starlette's own middlewares do (the scope is this request's alone; its
    ``state`` is the server's per-request copy): no copy of the scope per request.
    """
    state = scope.get("state")
    if state is None:
        state = scope["state"] = {}
    state[STATE_KEY] = auth_info(decision)
    if decision.refreshed is None:  # the common case: headers stay as they came
        return scope
    headers = scope["headers"]
    authorization = refreshed_authorization(decision)
    if authorization is not None:
        headers = [(k, v) for k, v in headers if k != b"authorization"]
        headers.append((b"authorization", authorization.encode("latin-1")))
    cookies = [v.decode("latin-1") for k, v in headers if k == b"cookie"]
    cookie = refreshed_cookie_header(decision, "; ".join(cookies) if cookies else None)
    if cookie is not None:
        headers = [(k, v) for k, v in headers if k != b"cookie"]
        headers.append((b"cookie", cookie.encode("latin-1")))
    scope["headers"] = headers
    return scope
