"""``GET /jwt/auth`` answered over ASGI (in process): redirects per proxy, the decision-cache
permission, and the lean path answering exactly like the generic endpoint."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import yaml

from loopback_procs import ROOT
from refreshgate.config import parse_config
from refreshgate.core.engine import Engine
from refreshgate.shells.token_service import TokenServiceApp

EXAMPLE = ROOT / "examples" / "nginx" / "sidecar-forward-auth.yaml"
HTML = "text/html,application/xhtml+xml"


@pytest.fixture
async def app() -> AsyncIterator[TokenServiceApp]:
    """The token service with the nginx example's routes (``/app/**`` has a login URL)."""
    raw: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text())
    raw["audit"] = {"sink": "off"}
    engine = Engine.development(parse_config(raw, env={}))
    yield TokenServiceApp(engine)
    await engine.aclose()


async def call(
    app: TokenServiceApp,
    headers: dict[str, str] | list[tuple[str, str]],
    method: str = "GET",
    body: bytes = b"",
) -> tuple[int, list[tuple[str, str]]]:
    pairs = list(headers.items()) if isinstance(headers, dict) else headers
    if body:
        pairs.append(("content-length", str(len(body))))
    scope = {
        "type": "http", "method": method, "path": "/jwt/auth", "query_string": b"", "client": ("127.0.0.1", 1),
        "headers": [(k.encode(), v.encode()) for k, v in pairs],
    }  # fmt: skip
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Any) -> None:
        sent.append(message)

    await app(scope, receive, send)
    start = sent[0]
    return start["status"], [(k.decode(), v.decode()) for k, v in start["headers"]]


def names(headers: list[tuple[str, str]]) -> list[str]:
    return [name for name, _ in headers]


async def token(app: TokenServiceApp, profile: str = "custom") -> str:
    issued = await app.engine.issue("alice", profile=profile)
    return issued.access_token


async def test_nginx_gets_a_401_with_the_login_location_for_a_browser_that_must_log_in(
    app: TokenServiceApp,
) -> None:
    status, headers = await call(app, {"x-original-uri": "/app/page?x=1", "accept": HTML})
    assert status == 401
    assert dict(headers)["x-auth-redirect"] == "/login?return_to=%2Fapp%2Fpage%3Fx%3D1"
    assert dict(headers)["www-authenticate"].startswith("Bearer")
    assert "location" not in names(headers)


async def test_a_proxy_that_passes_the_answer_through_gets_a_302_to_log_in(app: TokenServiceApp) -> None:
    status, headers = await call(app, {"x-forwarded-uri": "/app/page", "accept": HTML})
    assert status == 302
    assert dict(headers)["location"] == "/login?return_to=%2Fapp%2Fpage"
    assert "x-auth-redirect" not in names(headers)


async def test_an_api_client_behind_nginx_gets_the_challenge_and_no_redirect(app: TokenServiceApp) -> None:
    status, headers = await call(app, {"x-original-uri": "/app/data", "accept": "application/json"})
    assert status == 401
    assert 'login_url="/login"' in dict(headers)["www-authenticate"]
    assert "x-auth-redirect" not in names(headers)


async def test_a_200_to_nginx_allows_a_one_second_decision_cache_ahead_of_no_store(
    app: TokenServiceApp,
) -> None:
    at = await token(app)
    status, headers = await call(app, {"x-original-uri": "/api/me", "authorization": f"Bearer {at}"})
    assert status == 200
    assert ("x-accel-expires", "1") in headers
    # nginx 1.22 honours X-Accel-Expires over Cache-Control only when it comes first
    assert names(headers).index("x-accel-expires") < names(headers).index("cache-control")
    assert dict(headers)["cache-control"] == "no-store"


async def test_refusals_and_redirects_never_allow_the_decision_cache(app: TokenServiceApp) -> None:
    refused = await call(app, {"x-original-uri": "/api/me", "authorization": "Bearer nope"})
    to_login = await call(app, {"x-original-uri": "/app/page", "accept": HTML})
    assert [status for status, _ in (refused, to_login)] == [401, 401]
    assert all("x-accel-expires" not in names(headers) for _, headers in (refused, to_login))


async def test_a_200_to_a_proxy_other_than_nginx_carries_no_cache_permission(app: TokenServiceApp) -> None:
    at = await token(app)
    status, headers = await call(app, {"x-forwarded-uri": "/api/me", "authorization": f"Bearer {at}"})
    assert status == 200
    assert "x-accel-expires" not in names(headers)


async def test_the_lean_path_answers_like_the_generic_endpoint(app: TokenServiceApp) -> None:
    at = await token(app)
    for headers in (
        {"x-original-uri": "/api/me", "authorization": f"Bearer {at}"},
        {"x-original-uri": "/api/me", "authorization": "Bearer nope"},
        {"x-original-uri": "/app/page", "accept": HTML},
        {"x-forwarded-uri": "/app/page", "accept": HTML},
    ):
        lean = await call(app, headers)
        generic = await call(app, headers, body=b"{}")  # a body takes the generic endpoint path
        assert lean == generic


async def test_the_lean_path_joins_repeated_cookie_headers(app: TokenServiceApp) -> None:
    at = await token(app)
    headers = [("x-original-uri", "/portal/home"), ("cookie", "theme=dark"), ("cookie", f"DEMO_JWT={at}")]
    status, answer = await call(app, headers)
    assert status == 200
    assert dict(answer)["x-auth-subject"] == "alice"


async def test_head_on_the_auth_endpoint_is_still_answered(app: TokenServiceApp) -> None:
    at = await token(app)
    status, _ = await call(app, {"x-original-uri": "/api/me", "authorization": f"Bearer {at}"}, method="HEAD")
    assert status == 200
