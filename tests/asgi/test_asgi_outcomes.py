"""RefreshMiddleware applies every outcome of SPEC §5 to a real Starlette app, header and cookie."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from middleware_kit import (
    ADMIN,
    BEYOND_GRACE,
    NEAR,
    WITHIN_GRACE,
    audit_events,
    refreshes,
)

from refreshgate.clock import ManualClock
from refreshgate.core.context import TokenResponse
from refreshgate.core.engine import Engine

SOURCES = ["header", "cookie"]


async def call(
    client: httpx.AsyncClient, source: str, token: str | None, *, base: str = "", **headers: str
) -> httpx.Response:
    """GET a protected path with ``token`` in the Authorization header or the APP_AT cookie."""
    if source == "header":
        if token is not None:
            headers["authorization"] = f"Bearer {token}"
        return await client.get(f"{base or '/api'}/thing", headers=headers)
    headers["cookie"] = f"theme=dark; APP_AT={token}" if token is not None else "theme=dark"
    return await client.get(f"{base or '/web'}/thing", headers=headers)


def seen_token(response: httpx.Response, source: str) -> str:
    """The access token the app saw."""
    body: dict[str, Any] = response.json()
    if source == "header":
        return str(body["authorization"]).removeprefix("Bearer ")
    parts = dict(part.split("=", 1) for part in body["cookie"].split("; "))
    assert parts["theme"] == "dark"
    return parts["APP_AT"]


def delivered_token(response: httpx.Response, source: str) -> str | None:
    """The refreshed token the client received, if any."""
    if source == "header":
        return response.headers.get("x-refreshed-access-token")
    cookie = response.headers.get("set-cookie")
    return None if cookie is None else cookie.split(";", 1)[0].removeprefix("APP_AT=")


@pytest.mark.parametrize("source", SOURCES)
async def test_valid_token_not_near_expiry_reaches_app_untouched(
    client: httpx.AsyncClient, mw_engine: Engine, source: str
) -> None:
    issued = await mw_engine.issue("alice", claims={"roles": ["reader"]})
    response = await call(client, source, issued.access_token)
    assert response.status_code == 200
    assert seen_token(response, source) == issued.access_token
    assert delivered_token(response, source) is None
    info = response.json()["info"]
    assert info["sub"] == "alice" and info["refreshed"] is False
    assert info["sid"] == issued.session_id and info["claims"]["roles"] == ["reader"]


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("advance", [NEAR, WITHIN_GRACE], ids=["near-expiry", "expired-within-grace"])
async def test_due_token_is_replaced_for_app_and_client_and_refresh_token_stays_valid(
    client: httpx.AsyncClient, mw_engine: Engine, clock: ManualClock, source: str, advance: int
) -> None:
    issued = await mw_engine.issue("alice", claims={"roles": ["reader"]})
    clock.advance(advance)
    response = await call(client, source, issued.access_token)
    assert response.status_code == 200
    new = delivered_token(response, source)
    assert new is not None and new != issued.access_token
    assert seen_token(response, source) == new
    info = response.json()["info"]
    assert info["refreshed"] is True and info["token"] == new
    assert info["sid"] == issued.session_id and info["claims"]["roles"] == ["reader"]
    if source == "header":
        assert int(response.headers["x-refreshed-expires-in"]) == 3600
    else:
        attributes = response.headers["set-cookie"].split("; ")
        assert {"HttpOnly", "Secure", "SameSite=Lax", "Max-Age=3600"} <= set(attributes)
    assert issued.refresh_token is not None
    again = await mw_engine.refresh(issued.refresh_token)
    assert again.session_id == issued.session_id


async def _refresh_once(client: httpx.AsyncClient, clock: ManualClock, source: str, token: str) -> str:
    clock.advance(NEAR)
    first = await call(client, source, token, base="/api/limited" if source == "header" else "/web-limited")
    new = delivered_token(first, source)
    assert new is not None
    return new


@pytest.mark.parametrize("source", SOURCES)
async def test_refused_refresh_passes_the_old_token_and_audits_the_reason(
    client: httpx.AsyncClient, mw_engine: Engine, clock: ManualClock, source: str
) -> None:
    issued = await mw_engine.issue("alice", profile="limited")
    second = await _refresh_once(client, clock, source, issued.access_token)
    clock.advance(NEAR)
    with audit_events() as events:
        response = await call(
            client, source, second, base="/api/limited" if source == "header" else "/web-limited"
        )
    assert response.status_code == 200
    assert seen_token(response, source) == second
    assert delivered_token(response, source) is None
    assert response.json()["info"]["refreshed"] is False
    refused = [e for e in events if e["event"] == "refresh.refused"]
    assert refused and "max_refreshes" in refused[0]["reason"]
    assert all(second not in str(event) for event in events)


async def _revoke_jti(engine: Engine, issued: TokenResponse) -> None:
    await engine.revoke(issued.access_token, token_type_hint="access_token")


async def _revoke_subject(engine: Engine, issued: TokenResponse) -> None:
    await engine.revoke_subject("alice", client=ADMIN)


async def _end_session(engine: Engine, issued: TokenResponse) -> None:
    await engine.end_session(issued.session_id, profile="custom")


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize(
    "revoke", [_revoke_jti, _revoke_subject, _end_session], ids=["jti", "subject", "session"]
)
async def test_denylisted_token_is_401_invalid_token_on_the_next_request(
    client: httpx.AsyncClient, mw_engine: Engine, source: str, revoke: Any
) -> None:
    issued = await mw_engine.issue("alice")
    assert (await call(client, source, issued.access_token)).status_code == 200
    await revoke(mw_engine, issued)
    response = await call(client, source, issued.access_token)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize("source", SOURCES)
async def test_token_expired_beyond_grace_is_401_and_never_refreshed(
    client: httpx.AsyncClient, mw_engine: Engine, clock: ManualClock, source: str
) -> None:
    issued = await mw_engine.issue("alice")
    clock.advance(BEYOND_GRACE)
    response = await call(client, source, issued.access_token)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"
    assert "www-authenticate" in response.headers
    assert delivered_token(response, source) is None
    assert refreshes(mw_engine) == 0


@pytest.mark.parametrize("source", SOURCES)
async def test_missing_or_garbage_token_on_required_route_is_401(
    client: httpx.AsyncClient, source: str
) -> None:
    for token in (None, "not-a-jwt"):
        response = await call(client, source, token)
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_token"


async def test_browser_request_with_dead_token_is_redirected_to_login_with_return_address(
    client: httpx.AsyncClient, mw_engine: Engine, clock: ManualClock
) -> None:
    issued = await mw_engine.issue("alice", profile="browser")
    clock.advance(BEYOND_GRACE)
    response = await client.get(
        "/portal/page?tab=2", headers={"accept": "text/html", "cookie": f"PORTAL_AT={issued.access_token}"}
    )
    assert response.status_code == 302
    assert response.headers["location"] == "/login?return_to=%2Fportal%2Fpage%3Ftab%3D2"


async def test_api_request_to_login_profile_is_401_naming_the_login_url(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/portal/page", headers={"accept": "application/json"})
    assert response.status_code == 401
    assert "/login" in response.headers["www-authenticate"]


async def test_browser_request_with_near_expiry_cookie_gets_new_cookie_of_the_same_name(
    client: httpx.AsyncClient, mw_engine: Engine, clock: ManualClock
) -> None:
    issued = await mw_engine.issue("alice", profile="browser")
    clock.advance(NEAR)
    response = await client.get(
        "/portal/page", headers={"accept": "text/html", "cookie": f"PORTAL_AT={issued.access_token}"}
    )
    assert response.status_code == 200
    assert response.headers["set-cookie"].startswith("PORTAL_AT=")
