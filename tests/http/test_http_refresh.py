"""POST /jwt/refresh: JSON, form (RFC 6749 §6), cookie + X-Requested-With, AT binding, rate limit."""

from __future__ import annotations

from typing import Any

import httpx
import jwt
from http_helpers import OPS, PORTAL, Issue, assert_oauth_error, make_config

from refreshgate.clock import ManualClock
from refreshgate.core.engine import Engine
from refreshgate.shells.token_service import TokenServiceApp


async def _refresh(http: httpx.AsyncClient, rt: str, **kwargs: Any) -> httpx.Response:
    return await http.post("/jwt/refresh", json={"refresh_token": rt}, **kwargs)


async def test_refresh_with_json_body_rotates_the_refresh_token(
    http: httpx.AsyncClient, issue: Issue
) -> None:
    first = await issue()
    response = await _refresh(http, first["refresh_token"])
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["session_id"] == first["session_id"]
    assert body["refresh_token"] != first["refresh_token"]
    assert body["access_token"] != first["access_token"]


async def test_refreshed_access_token_keeps_subject_session_and_claims(
    http: httpx.AsyncClient, issue: Issue
) -> None:
    first = await issue(claims={"roles": ["editor"]})
    body = (await _refresh(http, first["refresh_token"])).json()
    old = jwt.decode(first["access_token"], options={"verify_signature": False})
    new = jwt.decode(body["access_token"], options={"verify_signature": False})
    for claim in ("sub", "sid", "prf", "cid", "roles", "aud", "iss"):
        assert new[claim] == old[claim]
    assert new["jti"] != old["jti"]


async def test_refresh_with_form_grant_type_refresh_token_works(
    http: httpx.AsyncClient, issue: Issue
) -> None:
    first = await issue()
    response = await http.post(
        "/jwt/refresh", data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    )
    assert response.status_code == 200
    assert response.json()["session_id"] == first["session_id"]


async def test_refresh_with_form_and_client_basic_auth_works(http: httpx.AsyncClient, issue: Issue) -> None:
    first = await issue()
    response = await http.post(
        "/jwt/refresh",
        data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
        auth=PORTAL,
    )
    assert response.status_code == 200


async def test_refresh_by_another_client_is_invalid_grant(http: httpx.AsyncClient, issue: Issue) -> None:
    first = await issue()
    response = await _refresh(http, first["refresh_token"], auth=OPS)
    assert_oauth_error(response, 400, "invalid_grant")
    assert (await _refresh(http, first["refresh_token"], auth=PORTAL)).status_code == 200


async def test_refresh_with_cookie_and_x_requested_with_works(http: httpx.AsyncClient, issue: Issue) -> None:
    first = await issue()
    response = await http.post(
        "/jwt/refresh",
        headers={"Cookie": f"refreshgate_rt={first['refresh_token']}", "X-Requested-With": "fetch"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["session_id"] == first["session_id"]


async def test_refresh_with_cookie_without_x_requested_with_is_refused_and_keeps_token(
    http: httpx.AsyncClient, issue: Issue
) -> None:
    first = await issue()
    response = await http.post("/jwt/refresh", headers={"Cookie": f"refreshgate_rt={first['refresh_token']}"})
    assert_oauth_error(response, 400, "invalid_request")
    assert "X-Requested-With" in response.json()["error_description"]
    assert (await _refresh(http, first["refresh_token"])).status_code == 200


async def test_refresh_with_matching_bearer_access_token_works(http: httpx.AsyncClient, issue: Issue) -> None:
    first = await issue()
    response = await _refresh(
        http, first["refresh_token"], headers={"Authorization": f"Bearer {first['access_token']}"}
    )
    assert response.status_code == 200


async def test_refresh_binding_ignores_expiry_of_the_old_access_token(
    http: httpx.AsyncClient, issue: Issue, clock: ManualClock
) -> None:
    first = await issue()
    clock.advance(2 * 3600)  # the AT (1h) is long expired, the RT (7d) is not
    response = await _refresh(
        http, first["refresh_token"], headers={"Authorization": f"Bearer {first['access_token']}"}
    )
    assert response.status_code == 200


async def test_refresh_with_bearer_of_another_session_is_invalid_grant_and_keeps_token(
    http: httpx.AsyncClient, issue: Issue
) -> None:
    mine, other = await issue(), await issue("bob")
    response = await _refresh(
        http, mine["refresh_token"], headers={"Authorization": f"Bearer {other['access_token']}"}
    )
    assert_oauth_error(response, 400, "invalid_grant")
    assert (await _refresh(http, mine["refresh_token"])).status_code == 200


async def test_refresh_after_refresh_token_expiry_is_invalid_grant(
    http: httpx.AsyncClient, issue: Issue, clock: ManualClock
) -> None:
    first = await issue()
    clock.advance(8 * 24 * 3600)
    assert_oauth_error(await _refresh(http, first["refresh_token"]), 400, "invalid_grant")


async def test_refresh_within_grace_returns_the_same_successor(http: httpx.AsyncClient, issue: Issue) -> None:
    first = await issue()
    one = (await _refresh(http, first["refresh_token"])).json()
    two = (await _refresh(http, first["refresh_token"])).json()
    assert one == two


async def test_refresh_reuse_after_grace_revokes_the_session(
    http: httpx.AsyncClient, issue: Issue, clock: ManualClock
) -> None:
    first = await issue()
    successor = (await _refresh(http, first["refresh_token"])).json()
    clock.advance(31)
    assert_oauth_error(await _refresh(http, first["refresh_token"]), 400, "invalid_grant")
    assert_oauth_error(await _refresh(http, successor["refresh_token"]), 400, "invalid_grant")


async def test_refresh_over_rate_limit_is_429_with_retry_after(clock: ManualClock) -> None:
    config = make_config(profiles={"custom": {"rate_limit": "2/minute"}})
    engine = Engine.development(config, clock=clock)
    transport = httpx.ASGITransport(app=TokenServiceApp(engine))
    async with httpx.AsyncClient(transport=transport, base_url="http://rg.test") as http:
        token = (await http.post("/jwt/token", json={"sub": "alice"}, auth=PORTAL)).json()["refresh_token"]
        for _ in range(2):
            response = await _refresh(http, token)
            assert response.status_code == 200
            token = response.json()["refresh_token"]
        limited = await _refresh(http, token)
        assert_oauth_error(limited, 429, "rate_limited")
        clock.advance(int(limited.headers["retry-after"]))
        assert (await _refresh(http, token)).status_code == 200
    await engine.aclose()
