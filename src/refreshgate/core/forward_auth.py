"""Forward-auth (``GET /jwt/auth``): a proxy in front asks for the decision and the new token."""

from __future__ import annotations

from typing import TYPE_CHECKING

from refreshgate.core.rewrite import response_headers

if TYPE_CHECKING:
    from refreshgate.core.api import ApiRequest, ApiResponse
    from refreshgate.core.engine import Engine

__all__ = ["forward_auth"]


async def forward_auth(engine: Engine, request: ApiRequest) -> ApiResponse:
    """200 with identity and refreshed-token headers, 401 with a challenge, or 302 to log in."""
    from refreshgate.core.api import ApiResponse, view_of

    headers = request.headers
    method = headers.get("x-original-method") or headers.get("x-forwarded-method") or "GET"
    uri = headers.get("x-original-uri") or headers.get("x-forwarded-uri") or "/"
    decision = await engine.decide(view_of(request, method, uri))
    if decision.action == "redirect":
        assert decision.location is not None
        return ApiResponse(302, [("location", decision.location), ("cache-control", "no-store")], b"")
    if decision.action == "reject":
        assert decision.error is not None
        return ApiResponse.error(decision.error)
    out = [("cache-control", "no-store")]
    if decision.token is not None:
        out += [("x-auth-subject", decision.token.sub), ("x-auth-session", decision.token.sid)]
    out += response_headers(decision, engine.config.cookies)
    if decision.refreshed is not None:
        # for the proxy to pass upstream in place of the old token
        out.append(("x-forwarded-access-token", decision.refreshed.token))
    return ApiResponse(200, out, b"")
