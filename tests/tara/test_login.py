"""GET /tara/login and GET /tara/callback through TokenApi: the happy paths and the cookies."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from tara_fakes import EIDAS_CLAIMS, ID_CARD_CLAIMS
from tara_flow import TaraEnv, cookie_value, cookies_of, header, query_of

from oidc_fakes import CLIENT_ID, FAMILY_NAME, MOBILE_ID_CLAIMS, TARA
from refreshgate.core.api import ApiRequest
from refreshgate.providers import state_for


async def test_login_redirects_to_the_tara_authorize_url_with_state_nonce_and_acr(env: TaraEnv) -> None:
    started = await env.start("/portal/home")
    location = header(started.response, "location") or ""
    assert location.startswith(f"{TARA}/oidc/authorize?")
    params = started.params
    assert params["response_type"] == "code" and params["client_id"] == CLIENT_ID
    assert params["redirect_uri"] == "https://portal.example.ee/tara/callback"
    assert params["scope"] == "openid" and params["acr_values"] == "substantial"
    assert len(params["state"]) >= 8 and len(params["nonce"]) >= 16
    assert "code_challenge" not in params  # TARA's discovery lists no PKCE methods


async def test_state_cookie_is_sealed_httponly_secure_lax_with_the_login_state_ttl(env: TaraEnv) -> None:
    started = await env.start()
    cookie = cookies_of(started.response)["refreshgate_tara_state"]
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=Lax" in cookie
    assert "Max-Age=600" in cookie
    assert started.params["nonce"] not in cookie and "/portal/home" not in cookie
    unsealed = env.engine.ctx.sealer.unseal("refreshgate/tara-state/v1", started.state_cookie)
    assert unsealed is not None and state_for(unsealed["secret"]) == started.params["state"]


async def test_a_tampered_state_cookie_is_refused_without_a_session(env: TaraEnv) -> None:
    started = await env.start()
    raw = bytearray(started.state_cookie.encode())
    raw[20] = ord("A") if raw[20] != ord("A") else ord("B")
    started.state_cookie = raw.decode()
    response = await env.callback(started)
    assert response.status == 400 and b"state_missing" in response.body
    assert env.store.sessions() == []


@pytest.mark.parametrize(
    ("claims", "expected"),
    [
        (MOBILE_ID_CLAIMS, {"amr": ["mID"], "acr": "high", "phone_number": "+37200000766"}),
        (ID_CARD_CLAIMS, {"amr": ["idcard"], "email": "60001019906@eesti.ee", "email_verified": False}),
        (EIDAS_CLAIMS, {"amr": ["eIDAS"], "acr": "substantial"}),
    ],
    ids=["mobile-id", "id-card", "eidas"],
)
async def test_callback_starts_a_tara_session_with_the_claims_verbatim(
    env: TaraEnv, claims: dict[str, Any], expected: dict[str, Any]
) -> None:
    logged = await env.login(claims, "/portal/home?tab=1")
    assert header(logged.response, "location") == "/portal/home?tab=1"
    at = env.engine.ctx.codec.verify_access(logged.access_token)
    assert at.sub == claims["sub"] and at.profile == "tara"
    assert at.claims["profile_attributes"] == claims["profile_attributes"]
    assert at.claims["auth_time"] == claims["iat"]
    for name, value in expected.items():
        assert at.claims[name] == value
    assert "nonce" not in at.claims and "state" not in at.claims and "at_hash" not in at.claims
    assert [s["sub"] for s in env.store.sessions()] == [claims["sub"]]


async def test_utf8_names_survive_login_unchanged(env: TaraEnv) -> None:
    logged = await env.login(MOBILE_ID_CLAIMS)
    at = env.engine.ctx.codec.verify_access(logged.access_token)
    assert at.claims["profile_attributes"]["family_name"] == FAMILY_NAME
    assert at.claims["profile_attributes"]["given_name"] == "MARY ÄNN"


async def test_callback_sets_the_at_cookie_the_rt_cookie_under_the_api_prefix_and_clears_state(
    env: TaraEnv,
) -> None:
    logged = await env.login(MOBILE_ID_CLAIMS)
    at_cookie, rt_cookie = logged.cookies["TIM_TARA_JWT"], logged.cookies["refreshgate_rt"]
    assert "HttpOnly" in at_cookie and "Secure" in at_cookie and "SameSite=Lax" in at_cookie
    assert "Path=/;" in at_cookie and "Max-Age=900" in at_cookie
    assert "Path=/jwt" in rt_cookie and "HttpOnly" in rt_cookie and "Secure" in rt_cookie
    assert logged.cookies["refreshgate_tara_state"].startswith("refreshgate_tara_state=;")
    assert "Max-Age=0" in logged.cookies["refreshgate_tara_state"]


async def test_the_rt_cookie_refreshes_at_the_api_with_x_requested_with(env: TaraEnv) -> None:
    logged = await env.login(MOBILE_ID_CLAIMS)
    env.clock.advance(60)
    cookie = f"refreshgate_rt={logged.refresh_token}"
    refused = await env.api.handle(ApiRequest("POST", "/jwt/refresh", headers={"cookie": cookie}))
    assert refused.status == 400
    response = await env.api.handle(
        ApiRequest("POST", "/jwt/refresh", headers={"cookie": cookie, "x-requested-with": "fetch"})
    )
    assert response.status == 200, response.body


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil", "javascript:x"])
async def test_return_to_outside_the_site_becomes_the_root(env: TaraEnv, target: str) -> None:
    logged = await env.login(MOBILE_ID_CLAIMS, target)
    assert header(logged.response, "location") == "/"


async def test_user_cancel_goes_back_to_return_to_with_login_error_and_no_session(env: TaraEnv) -> None:
    started = await env.start("/portal/home?x=1")
    response = await env.callback(started, code=None, error="user_cancel", error_description="cancelled")  # type: ignore[arg-type]
    assert response.status == 302
    location = header(response, "location") or ""
    assert urlsplit(location).path == "/portal/home"
    assert query_of(location) == {"x": "1", "login_error": "user_cancel"}
    assert env.store.sessions() == []
    assert "login.failed" in env.audit_events()


async def test_other_provider_errors_answer_a_clear_page_without_a_session(env: TaraEnv) -> None:
    started = await env.start()
    response = await env.callback(started, code=None, error="invalid_request")  # type: ignore[arg-type]
    assert response.status == 400
    assert header(response, "content-type") == "text/html; charset=utf-8"
    assert b"provider_invalid_request" in response.body and b"/tara/login" in response.body
    assert env.store.sessions() == []


async def test_a_json_client_gets_a_json_failure_with_a_reason(env: TaraEnv) -> None:
    started = await env.start()
    response = await env.callback(started, code=None, error="invalid_request", accept="application/json")  # type: ignore[arg-type]
    assert response.status == 400
    assert header(response, "content-type") == "application/json"
    assert b'"reason": "provider_invalid_request"' in response.body


async def test_login_endpoints_are_absent_without_a_tara_block(engine: Any) -> None:
    from refreshgate.core.api import TokenApi

    api = TokenApi(engine)
    assert not api.handles("/tara/login")
    assert cookie_value("a=b; Path=/") == "b"
