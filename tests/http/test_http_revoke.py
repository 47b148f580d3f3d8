"""POST /jwt/revoke (RFC 7009) and POST /jwt/revoke/subject (admin clients only)."""

from __future__ import annotations

import httpx
from http_helpers import OPS, PORTAL, Issue, assert_oauth_error


async def _refresh_status(http: httpx.AsyncClient, rt: str) -> int:
    return (await http.post("/jwt/refresh", json={"refresh_token": rt})).status_code


async def _access_denied(http: httpx.AsyncClient, at: str) -> bool:
    """Whether a request with this access token is refused (asked through forward-auth)."""
    response = await http.get(
        "/jwt/auth", headers={"Authorization": f"Bearer {at}", "X-Original-URI": "/api/orders"}
    )
    assert response.status_code in (200, 401), response.text
    if response.status_code == 401:
        assert_oauth_error(response, 401, "invalid_token")
    return response.status_code == 401


async def test_revoke_refresh_token_with_form_ends_the_session(http: httpx.AsyncClient, issue: Issue) -> None:
    tokens = await issue()
    response = await http.post(
        "/jwt/revoke", data={"token": tokens["refresh_token"], "token_type_hint": "refresh_token"}
    )
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert_oauth_error(
        await http.post("/jwt/refresh", json={"refresh_token": tokens["refresh_token"]}), 400, "invalid_grant"
    )


async def test_revoke_refresh_token_with_json_ends_the_session(http: httpx.AsyncClient, issue: Issue) -> None:
    tokens = await issue()
    response = await http.post("/jwt/revoke", json={"token": tokens["refresh_token"]})
    assert response.status_code == 200
    assert await _refresh_status(http, tokens["refresh_token"]) == 400


async def test_revoke_refresh_token_also_denies_the_sessions_access_token(
    http: httpx.AsyncClient, issue: Issue
) -> None:
    tokens = await issue()
    assert not await _access_denied(http, tokens["access_token"])
    await http.post("/jwt/revoke", json={"token": tokens["refresh_token"]})
    assert await _access_denied(http, tokens["access_token"])


async def test_revoke_access_token_denies_it_but_keeps_the_session(
    http: httpx.AsyncClient, issue: Issue
) -> None:
    tokens = await issue()
    response = await http.post(
        "/jwt/revoke", data={"token": tokens["access_token"], "token_type_hint": "access_token"}
    )
    assert response.status_code == 200
    assert await _access_denied(http, tokens["access_token"])
    assert await _refresh_status(http, tokens["refresh_token"]) == 200


async def test_revoke_with_wrong_hint_still_finds_the_token(http: httpx.AsyncClient, issue: Issue) -> None:
    tokens = await issue()
    response = await http.post(
        "/jwt/revoke", data={"token": tokens["refresh_token"], "token_type_hint": "access_token"}
    )
    assert response.status_code == 200
    assert await _refresh_status(http, tokens["refresh_token"]) == 400


async def test_revoke_unknown_token_is_200(http: httpx.AsyncClient) -> None:
    response = await http.post("/jwt/revoke", data={"token": "not-a-token-at-all"})
    assert response.status_code == 200
    assert response.json() == {}


async def test_revoke_without_token_is_invalid_request(http: httpx.AsyncClient) -> None:
    assert_oauth_error(await http.post("/jwt/revoke", data={"token_type_hint": "x"}), 400, "invalid_request")


async def test_revoke_with_wrong_client_secret_is_401(http: httpx.AsyncClient, issue: Issue) -> None:
    tokens = await issue()
    response = await http.post(
        "/jwt/revoke", data={"token": tokens["refresh_token"]}, auth=("portal", "wrong")
    )
    assert_oauth_error(response, 401, "invalid_client")
    assert await _refresh_status(http, tokens["refresh_token"]) == 200


async def test_revoke_of_another_clients_token_is_200_and_changes_nothing(
    http: httpx.AsyncClient, issue: Issue
) -> None:
    tokens = await issue()
    response = await http.post("/jwt/revoke", data={"token": tokens["refresh_token"]}, auth=OPS)
    assert response.status_code == 200
    assert await _refresh_status(http, tokens["refresh_token"]) == 200


async def test_revoke_subject_ends_every_session_of_the_subject(
    http: httpx.AsyncClient, issue: Issue
) -> None:
    one, two, bob = await issue(), await issue(), await issue("bob")
    response = await http.post("/jwt/revoke/subject", json={"sub": "alice"}, auth=OPS)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert await _refresh_status(http, one["refresh_token"]) == 400
    assert await _refresh_status(http, two["refresh_token"]) == 400
    assert await _access_denied(http, one["access_token"])
    assert await _refresh_status(http, bob["refresh_token"]) == 200


async def test_revoke_subject_accepts_a_form_body(http: httpx.AsyncClient, issue: Issue) -> None:
    tokens = await issue()
    assert (await http.post("/jwt/revoke/subject", data={"sub": "alice"}, auth=OPS)).status_code == 200
    assert await _refresh_status(http, tokens["refresh_token"]) == 400


async def test_revoke_subject_without_client_auth_is_401(http: httpx.AsyncClient, issue: Issue) -> None:
    tokens = await issue()
    response = await http.post("/jwt/revoke/subject", json={"sub": "alice"})
    assert_oauth_error(response, 401, "invalid_client")
    assert await _refresh_status(http, tokens["refresh_token"]) == 200


async def test_revoke_subject_by_non_admin_client_is_403(http: httpx.AsyncClient, issue: Issue) -> None:
    tokens = await issue()
    response = await http.post("/jwt/revoke/subject", json={"sub": "alice"}, auth=PORTAL)
    assert_oauth_error(response, 403, "access_denied")
    assert await _refresh_status(http, tokens["refresh_token"]) == 200


async def test_revoke_subject_without_sub_is_invalid_request(http: httpx.AsyncClient) -> None:
    assert_oauth_error(await http.post("/jwt/revoke/subject", json={}, auth=OPS), 400, "invalid_request")
