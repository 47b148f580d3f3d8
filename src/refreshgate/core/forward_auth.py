"""Forward-auth (``GET /jwt/auth``): a proxy in front asks for the decision and the new token.

The original request is described by ``X-Original-Method``/``X-Original-URI`` (nginx
``auth_request``) or ``X-Forwarded-Method``/``X-Forwarded-Uri`` (Traefik ForwardAuth, Envoy
ext_authz over HTTP). The decision is the engine's, with the same route policies and transparent
refresh as the sidecar. The answer:

- **200** — pass: ``X-Auth-Subject``/``X-Auth-Session``, and when a token was minted
  ``X-Refreshed-Access-Token``/``X-Refreshed-Expires-In`` (header routes) or ``Set-Cookie``
  (cookie routes), plus ``X-Forwarded-Access-Token`` for the proxy to send upstream.
- **401** — refused: the RFC 6750 JSON error and ``WWW-Authenticate``.
- **403** — the original path (percent-decoded) has ``.``/``..``/empty segments or ``;``
  parameters: the upstream could resolve it to another route than the one decided on.
- **login redirect** (a browser, ``Accept: text/html``, on a route with a ``login_url``):

  - *nginx* — **the request carries** ``X-Original-URI`` (nginx's ``auth_request`` convention):
    ``auth_request`` understands only 2xx, 401 and 403, any other status (a 302 included) becomes
    a 500 for the client. So nginx gets a **401 with** ``X-Auth-Redirect: <location>`` (and the
    usual challenge), and its config turns that into the 302 (``examples/nginx/refreshgate.conf``:
    ``auth_request_set $auth_redirect $upstream_http_x_auth_redirect;`` and an
    ``error_page 401`` location that returns ``302 $auth_redirect`` when it is set).
  - *every other proxy* (Traefik, Envoy: they pass the auth response through to the client) — a
    plain **302** with ``Location``.

Decision micro-cache (nginx): a 200 answered to nginx carries ``X-Accel-Expires: 1`` (before its
``Cache-Control: no-store``), the explicit permission for an nginx ``proxy_cache`` on the auth
location to keep that decision for one second (``examples/nginx/refreshgate-auth-cache.conf``,
keyed by the token). Without such a cache the header does nothing. 401 and redirects carry no
permission and are never cached. A cached 200 with a refreshed token hands every holder of the
same old token the same new one, which is the one-mint-per-old-``jti`` rule anyway; the price is
that a revocation (or expiry) reaches a caching nginx up to 1 s later.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from refreshgate.core.request import Decision, RequestView
from refreshgate.core.rewrite import header_value, response_headers, unsafe_path
from refreshgate.errors import AccessDenied

if TYPE_CHECKING:
    from refreshgate.config.model import CookieConfig
    from refreshgate.core.api import ApiRequest, ApiResponse
    from refreshgate.core.engine import Engine

__all__ = ["FORWARD_AUTH_HEADERS", "answer", "forward_auth", "forward_auth_headers", "original_view"]

#: the request headers forward-auth reads (lower-case); shells may pass only these
FORWARD_AUTH_HEADERS = frozenset(
    {
        "authorization",
        "cookie",
        "accept",
        "x-original-method",
        "x-original-uri",
        "x-forwarded-method",
        "x-forwarded-uri",
    }
)
#: seconds a caching nginx may keep a 200 decision (``X-Accel-Expires``)
DECISION_CACHE_SECONDS = 1


def original_view(headers: Mapping[str, str], remote: str | None) -> tuple[RequestView, bool]:
    """The original request the proxy asks about, and whether the proxy is nginx.

    ``headers`` are lower-case names (multiple ``Cookie`` headers joined with ``"; "``).
    """
    nginx_uri = headers.get("x-original-uri")
    method = headers.get("x-original-method") or headers.get("x-forwarded-method") or "GET"
    uri = nginx_uri or headers.get("x-forwarded-uri") or "/"
    # a request target, not a URL: "//api/me" is a path (urlsplit would read "api" as a host)
    target, _, query = uri.partition("#")[0].partition("?")
    if target.startswith(("http://", "https://")):
        target = urlsplit(target).path  # absolute-form
    # the proxy sends the raw URI; routes match the decoded path, as the upstream will see it
    view = RequestView(
        method=method.upper(), path=unquote(target) or "/", query=query,
        authorization=headers.get("authorization"), cookie=headers.get("cookie"),
        accept=headers.get("accept"), remote=remote,
    )  # fmt: skip
    return view, nginx_uri is not None


def answer(decision: Decision, cookies: CookieConfig, *, nginx: bool) -> ApiResponse:
    """The forward-auth response for a decision (see the module docstring)."""
    from refreshgate.core.api import ApiResponse

    if decision.action == "redirect":
        assert decision.location is not None
        if nginx and decision.error is not None:
            error = ApiResponse.error(decision.error)
            return ApiResponse(401, [*error.headers, ("x-auth-redirect", decision.location)], error.body)
        return ApiResponse(302, [("location", decision.location), ("cache-control", "no-store")], b"")
    if decision.action == "reject":
        assert decision.error is not None
        return ApiResponse.error(decision.error)
    out = [("x-accel-expires", str(DECISION_CACHE_SECONDS))] if nginx else []
    out.append(("cache-control", "no-store"))
    if decision.token is not None:
        out += [
            ("x-auth-subject", header_value(decision.token.sub).decode("ascii")),
            ("x-auth-session", header_value(decision.token.sid).decode("ascii")),
        ]
    out += response_headers(decision, cookies)
    if decision.refreshed is not None:
        # for the proxy to pass upstream in place of the old token
        out.append(("x-forwarded-access-token", decision.refreshed.token))
    return ApiResponse(200, out, b"")


async def forward_auth_headers(engine: Engine, headers: Mapping[str, str], remote: str | None) -> ApiResponse:
    """Decide the original request described by ``headers`` (only :data:`FORWARD_AUTH_HEADERS`
    are read) and answer it: the lean entry for shells that skip the generic endpoint dispatch."""
    from refreshgate.core.api import ApiResponse

    view, nginx = original_view(headers, remote)
    if unsafe_path(view.path):
        # 403, not 400: nginx's auth_request passes 401 and 403 on and turns anything else into 500
        return ApiResponse.error(AccessDenied("path not allowed: dot, empty or ;parameter segments"))
    decision = await engine.decide(view)
    return answer(decision, engine.config.cookies, nginx=nginx)


async def forward_auth(engine: Engine, request: ApiRequest) -> ApiResponse:
    """200 with identity and refreshed-token headers, 401 with a challenge, or a login redirect."""
    return await forward_auth_headers(engine, request.headers, request.remote)
