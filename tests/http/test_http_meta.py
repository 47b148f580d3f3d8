"""JWKS, health, readiness, metrics, and the forward-auth check over HTTP."""

from __future__ import annotations

import httpx
import jwt
import pytest
from http_helpers import AUDIENCE, Issue, assert_oauth_error
from prometheus_client.parser import text_string_to_metric_families

from refreshgate.clock import ManualClock


@pytest.mark.parametrize("path", ["/jwt/keys/public", "/.well-known/jwks.json"])
async def test_jwks_publishes_only_public_access_keys(http: httpx.AsyncClient, path: str) -> None:
    response = await http.get(path)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    keys = response.json()["keys"]
    assert keys
    for key in keys:
        assert {"kid", "kty", "alg"} <= set(key)
        assert not {"d", "p", "q", "dp", "dq", "qi", "k"} & set(key)


async def test_jwks_verifies_issued_access_tokens(http: httpx.AsyncClient, issue: Issue) -> None:
    tokens = await issue()
    jwks = jwt.PyJWKSet.from_dict((await http.get("/.well-known/jwks.json")).json())
    kid = jwt.get_unverified_header(tokens["access_token"])["kid"]
    key = next(k for k in jwks.keys if k.key_id == kid)
    claims = jwt.decode(tokens["access_token"], key.key, algorithms=["ES256"], audience=AUDIENCE)
    assert claims["sub"] == "alice"


async def test_healthz_answers_ok(http: httpx.AsyncClient) -> None:
    response = await http.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.headers["cache-control"] == "no-store"


async def test_readyz_answers_ready_with_memory_store(http: httpx.AsyncClient) -> None:
    response = await http.get("/readyz")
    assert response.status_code == 200
    assert response.json()["store"] == "ok"


async def test_metrics_is_prometheus_text_with_refresh_counters(
    http: httpx.AsyncClient, issue: Issue
) -> None:
    tokens = await issue()
    await http.post("/jwt/refresh", json={"refresh_token": tokens["refresh_token"]})
    await http.post("/jwt/refresh", json={"refresh_token": "garbage"})
    response = await http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert "# TYPE refreshgate_refreshes_total counter" in text
    samples = {
        (sample.labels["outcome"], sample.labels["profile"]): sample.value
        for family in text_string_to_metric_families(text)
        if family.name == "refreshgate_refreshes"
        for sample in family.samples
        if sample.name == "refreshgate_refreshes_total"
    }
    assert samples[("succeeded", "custom")] == 1
    assert samples[("invalid_grant", "unknown")] == 1
    assert "refreshgate_refresh_latency_seconds_bucket" in text
    assert tokens["refresh_token"] not in text


async def test_forward_auth_passes_a_fresh_token_with_identity_headers(
    http: httpx.AsyncClient, issue: Issue
) -> None:
    tokens = await issue()
    response = await http.get(
        "/jwt/auth",
        headers={"Authorization": f"Bearer {tokens['access_token']}", "X-Original-URI": "/api/orders"},
    )
    assert response.status_code == 200
    assert response.headers["x-auth-subject"] == "alice"
    assert response.headers["x-auth-session"] == tokens["session_id"]
    assert "x-refreshed-access-token" not in response.headers


async def test_forward_auth_refreshes_a_token_near_expiry(
    http: httpx.AsyncClient, issue: Issue, clock: ManualClock
) -> None:
    tokens = await issue()
    clock.advance(3600 - 60)  # inside the 5 minute refresh window
    response = await http.get(
        "/jwt/auth",
        headers={"Authorization": f"Bearer {tokens['access_token']}", "X-Original-URI": "/api/orders"},
    )
    assert response.status_code == 200
    fresh = response.headers["x-refreshed-access-token"]
    assert fresh != tokens["access_token"]
    assert int(response.headers["x-refreshed-expires-in"]) > 3000


async def test_forward_auth_without_token_on_protected_route_is_401(http: httpx.AsyncClient) -> None:
    response = await http.get("/jwt/auth", headers={"X-Original-URI": "/api/orders"})
    assert_oauth_error(response, 401, "invalid_token")
    assert response.headers["www-authenticate"].startswith("Bearer")
