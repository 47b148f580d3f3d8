"""POST /jwt/token: client authentication, profiles, reserved claims, RFC 6749 §5.1 body."""

from __future__ import annotations

import httpx
import jwt
from http_helpers import AUDIENCE, OPS, PORTAL, assert_oauth_error


async def test_token_issues_access_and_refresh_token_as_rfc6749_body(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/jwt/token", json={"sub": "alice", "claims": {"roles": ["admin"]}}, auth=PORTAL
    )
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert {"access_token", "expires_in", "refresh_token", "refresh_expires_in", "session_id"} <= set(body)
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["sub"] == "alice"
    assert claims["roles"] == ["admin"]
    assert claims["aud"] == AUDIENCE
    assert claims["cid"] == "portal"
    assert claims["sid"] == body["session_id"]
    assert jwt.get_unverified_header(body["access_token"])["typ"] == "at+jwt"


async def test_token_without_refresh_returns_no_refresh_token(http: httpx.AsyncClient) -> None:
    response = await http.post("/jwt/token", json={"sub": "alice", "refresh": False}, auth=PORTAL)
    assert response.status_code == 200
    assert "refresh_token" not in response.json()


async def test_token_without_client_auth_is_401_invalid_client(http: httpx.AsyncClient) -> None:
    response = await http.post("/jwt/token", json={"sub": "alice"})
    assert_oauth_error(response, 401, "invalid_client")
    assert response.headers["www-authenticate"].startswith("Basic")


async def test_token_with_wrong_secret_is_401_invalid_client(http: httpx.AsyncClient) -> None:
    response = await http.post("/jwt/token", json={"sub": "alice"}, auth=("portal", "wrong"))
    assert_oauth_error(response, 401, "invalid_client")
    assert "wrong" not in response.text


async def test_token_with_unknown_client_is_401_invalid_client(http: httpx.AsyncClient) -> None:
    response = await http.post("/jwt/token", json={"sub": "alice"}, auth=("mallory", "x"))
    assert_oauth_error(response, 401, "invalid_client")


async def test_token_with_malformed_basic_credentials_is_401(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/jwt/token", json={"sub": "alice"}, headers={"Authorization": "Basic %%%not-base64"}
    )
    assert_oauth_error(response, 401, "invalid_client")


async def test_token_for_profile_the_client_may_not_use_is_403(http: httpx.AsyncClient) -> None:
    response = await http.post("/jwt/token", json={"sub": "alice", "profile": "tara"}, auth=PORTAL)
    assert_oauth_error(response, 403, "access_denied")


async def test_token_for_unknown_profile_is_4xx_not_500(http: httpx.AsyncClient) -> None:
    response = await http.post("/jwt/token", json={"sub": "alice", "profile": "nope"}, auth=OPS)
    assert 400 <= response.status_code < 500
    assert "error" in response.json()


async def test_token_with_reserved_claim_is_invalid_request(http: httpx.AsyncClient) -> None:
    for claim in ("iss", "exp", "iat", "nbf", "jti", "sid", "prf", "cid", "typ"):
        response = await http.post("/jwt/token", json={"sub": "alice", "claims": {claim: "x"}}, auth=PORTAL)
        assert_oauth_error(response, 400, "invalid_request")
        assert claim in response.json()["error_description"]


async def test_token_without_sub_is_invalid_request(http: httpx.AsyncClient) -> None:
    response = await http.post("/jwt/token", json={"claims": {}}, auth=PORTAL)
    assert_oauth_error(response, 400, "invalid_request")


async def test_token_with_unknown_field_is_invalid_request(http: httpx.AsyncClient) -> None:
    response = await http.post("/jwt/token", json={"sub": "alice", "scopes": "x"}, auth=PORTAL)
    assert_oauth_error(response, 400, "invalid_request")


async def test_token_with_form_body_is_415(http: httpx.AsyncClient) -> None:
    response = await http.post("/jwt/token", data={"sub": "alice"}, auth=PORTAL)
    assert_oauth_error(response, 415, "invalid_request")


async def test_token_with_garbage_json_is_invalid_request(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/jwt/token", content=b"{not json", headers={"Content-Type": "application/json"}, auth=PORTAL
    )
    assert_oauth_error(response, 400, "invalid_request")


async def test_token_with_json_array_is_invalid_request(http: httpx.AsyncClient) -> None:
    response = await http.post("/jwt/token", json=["alice"], auth=PORTAL)
    assert_oauth_error(response, 400, "invalid_request")
