"""``WSGIRefreshMiddleware``: transparent JWT refresh for any WSGI app (Flask, Django, ...).

::

    app.wsgi_app = WSGIRefreshMiddleware(app.wsgi_app, "sidecar.yaml")

The same behaviour as the ASGI :class:`~refreshgate.asgi.RefreshMiddleware`. The async core runs
on one background event loop thread shared by all worker threads (started on first use, stopped
by :meth:`WSGIRefreshMiddleware.close` or at interpreter exit).

- the app sees the (possibly refreshed) token in ``HTTP_AUTHORIZATION``/``HTTP_COOKIE``, and
  ``environ["refreshgate"]`` holds an :class:`~refreshgate.core.identity.AuthInfo` (or ``None``);
- a refreshed token reaches the client in headers added through ``start_response``;
- an app's own login issues tokens with the synchronous :meth:`WSGIRefreshMiddleware.issue`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine, Iterable, Mapping
from typing import Any, TypeVar

from refreshgate.core.api import ApiResponse, TokenApi
from refreshgate.core.context import TokenResponse
from refreshgate.core.engine import Engine
from refreshgate.core.identity import STATE_KEY, auth_info
from refreshgate.core.request import Decision
from refreshgate.core.rewrite import refreshed_authorization, refreshed_cookie_header, response_headers
from refreshgate.errors import OAuthError, TemporarilyUnavailable
from refreshgate.shells.setup import ConfigSource, resolve_engine, serves_endpoints
from refreshgate.shells.wsgi_io import (
    BackgroundLoop,
    Environ,
    StartResponse,
    api_request_of,
    respond,
    view_of_environ,
)

__all__ = ["WSGIRefreshMiddleware"]

log = logging.getLogger("refreshgate")

T = TypeVar("T")

WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]

#: the longest a worker thread waits for a decision (a concurrent mint waits at most ~5 s)
DECISION_TIMEOUT = 30.0


class WSGIRefreshMiddleware:
    """WSGI middleware: verify, refresh transparently, and serve the token endpoints."""

    def __init__(
        self,
        app: WSGIApp,
        config: ConfigSource | None = None,
        *,
        engine: Engine | None = None,
        serve_endpoints: bool | None = None,
    ) -> None:
        self.app = app
        self.engine, self._owns_engine = resolve_engine(config, engine)
        self.config = self.engine.config
        self._api = TokenApi(self.engine) if serves_endpoints(self.engine, serve_endpoints) else None
        self._loop = BackgroundLoop()

    def __repr__(self) -> str:
        return f"WSGIRefreshMiddleware(app={self.app!r}, engine={self.engine!r})"

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        view = view_of_environ(environ)
        if self._api is not None and self._api.handles(view.path):
            return respond(start_response, self._serve_api(self._api, environ))
        try:
            # the common case needs no I/O: answer it on this thread, not via the event loop
            decision = self.engine.decide_cached(view) or self._loop.run(
                self.engine.decide(view), DECISION_TIMEOUT
            )
        except OAuthError as exc:
            return respond(start_response, ApiResponse.error(exc))
        except TimeoutError:
            return respond(start_response, ApiResponse.error(TemporarilyUnavailable("decision timed out")))
        if decision.action == "pass":
            return self.app(_rewritten(environ, decision), self._with_headers(start_response, decision))
        return respond(start_response, ApiResponse.refusal(decision))

    def issue(
        self, sub: str, *, profile: str = "custom", claims: Mapping[str, Any] | None = None, **options: Any
    ) -> TokenResponse:
        """Start a session at the app's own login (sync :meth:`Engine.issue` on the loop)."""
        return self._loop.run(self.engine.issue(sub, profile=profile, claims=claims, **options))

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run any engine coroutine (``revoke``, ``end_session``, ...) from a worker thread."""
        return self._loop.run(coro, DECISION_TIMEOUT)

    def close(self) -> None:
        """Close the store (when this middleware built the engine) and stop the background loop."""
        if self._owns_engine:
            self._loop.run(self.engine.aclose(), DECISION_TIMEOUT)
        self._loop.close()

    def _serve_api(self, api: TokenApi, environ: Environ) -> ApiResponse:
        try:
            return self._loop.run(api.handle(api_request_of(environ, api.max_body)), DECISION_TIMEOUT)
        except OAuthError as exc:
            return ApiResponse.error(exc)
        except Exception:
            log.exception("refreshgate: unexpected error on %s", environ.get("PATH_INFO"))
            return ApiResponse.json({"error": "server_error", "error_description": "internal error"}, 500)

    def _with_headers(self, start_response: StartResponse, decision: Decision) -> StartResponse:
        extra = response_headers(decision, self.config.cookies)
        if not extra:
            return start_response

        def start_with_token(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            return start_response(status, [*headers, *extra], exc_info)

        return start_with_token


def _rewritten(environ: Environ, decision: Decision) -> Environ:
    """The environ the app sees: refreshed token in place of the old one, AuthInfo under its key.

    Edited in place (the environ is this request's alone), as the ASGI shell edits its scope.
    """
    authorization = refreshed_authorization(decision)
    if authorization is not None:
        environ["HTTP_AUTHORIZATION"] = authorization
    cookie = refreshed_cookie_header(decision, environ.get("HTTP_COOKIE"))
    if cookie is not None:
        environ["HTTP_COOKIE"] = cookie
    environ[STATE_KEY] = auth_info(decision)
    return environ
