"""TARA session refresh (profile ``tara``): the cap, claims verbatim, re-authentication, namespaces."""

from __future__ import annotations

from typing import Any

from tara_flow import TaraEnv

from oidc_fakes import MOBILE_ID_CLAIMS
from refreshgate.core.api import ApiRequest
from refreshgate.core.request import RequestView
from refreshgate.errors import InvalidGrant

AUTH_TIME = MOBILE_ID_CLAIMS["iat"]
SHORT = {"tara": {"access_ttl": "15m", "refresh_window": "2m", "max_session_age": "20m"}}
IDENTITY = ("sub", "sid", "prf", "profile_attributes", "amr", "acr", "auth_time", "phone_number")


def identity(claims: dict[str, Any]) -> dict[str, Any]:
    return {name: claims.get(name) for name in IDENTITY}


async def test_near_expiry_refresh_close_to_the_cap_ends_exactly_at_the_cap(make_env: Any) -> None:
    env: TaraEnv = make_env(profiles=SHORT)
    logged = await env.login(MOBILE_ID_CLAIMS)
    env.clock.advance(14 * 60)
    decision = await env.visit("/portal/home", logged.access_token)
    assert decision.action == "pass" and decision.refreshed is not None
    new = env.engine.ctx.codec.verify_access(decision.refreshed.token)
    assert new.exp == AUTH_TIME + 20 * 60
    assert identity(new.claims) == identity(env.engine.ctx.codec.verify_access(logged.access_token).claims)


async def test_at_the_cap_a_browser_is_sent_to_log_in_again(make_env: Any) -> None:
    env: TaraEnv = make_env(profiles=SHORT)
    logged = await env.login(MOBILE_ID_CLAIMS)
    env.clock.advance(14 * 60)
    refreshed = (await env.visit("/portal/home", logged.access_token)).refreshed
    assert refreshed is not None
    env.clock.set(AUTH_TIME + 20 * 60 + 31)
    decision = await env.visit("/portal/home", refreshed.token)
    assert decision.action == "redirect"
    assert decision.location == "/tara/login?return_to=%2Fportal%2Fhome"


async def test_at_the_cap_an_api_client_gets_401_naming_the_login_url(make_env: Any) -> None:
    env: TaraEnv = make_env(profiles=SHORT)
    logged = await env.login(MOBILE_ID_CLAIMS)
    env.clock.set(AUTH_TIME + 20 * 60 + 31)
    decision = await env.engine.decide(
        RequestView(
            "GET", "/tara-api/x", authorization=f"Bearer {logged.access_token}", accept="application/json"
        )
    )
    assert decision.action == "reject" and decision.error is not None
    assert decision.error.status_code == 401
    challenge = dict(decision.error.headers())["www-authenticate"]
    assert 'login_url="/tara/login"' in challenge


async def test_forward_auth_redirects_a_browser_to_login_at_the_cap(make_env: Any) -> None:
    env: TaraEnv = make_env(profiles=SHORT)
    logged = await env.login(MOBILE_ID_CLAIMS)
    env.clock.set(AUTH_TIME + 20 * 60 + 31)
    response = await env.api.handle(
        ApiRequest(
            "GET",
            "/jwt/auth",
            headers={
                "x-forwarded-uri": "/portal/a?b=1",
                "cookie": f"TIM_TARA_JWT={logged.access_token}",
                "accept": "text/html",
            },
        )
    )
    assert response.status == 302
    assert dict(response.headers)["location"] == "/tara/login?return_to=%2Fportal%2Fa%3Fb%3D1"


async def test_explicit_refresh_near_the_default_12h_cap_is_capped_and_then_refused(env: TaraEnv) -> None:
    logged = await env.login(MOBILE_ID_CLAIMS)
    env.clock.set(AUTH_TIME + 12 * 3600 - 60)
    refreshed = await env.engine.refresh(logged.refresh_token)
    new = env.engine.ctx.codec.verify_access(refreshed.access_token)
    assert new.exp == AUTH_TIME + 12 * 3600
    assert refreshed.refresh_expires_in <= 60  # type: ignore[operator]
    env.clock.set(AUTH_TIME + 12 * 3600)
    try:
        await env.engine.refresh(refreshed.refresh_token or "")
    except InvalidGrant as exc:
        assert "max_session_age" in exc.description or "expired" in exc.description
    else:  # pragma: no cover
        raise AssertionError("a refresh at the cap must be refused")


async def test_refreshed_tokens_keep_identity_claims_and_acr_verbatim(env: TaraEnv) -> None:
    logged = await env.login(MOBILE_ID_CLAIMS)
    first = env.engine.ctx.codec.verify_access(logged.access_token).claims
    env.clock.advance(14 * 60)
    decision = await env.visit("/portal/home", logged.access_token)
    assert decision.refreshed is not None
    again = env.engine.ctx.codec.verify_access(decision.refreshed.token).claims
    assert {k: v for k, v in again.items() if k not in ("jti", "iat", "nbf", "exp")} == {
        k: v for k, v in first.items() if k not in ("jti", "iat", "nbf", "exp")
    }
    assert again["profile_attributes"]["family_name"] == MOBILE_ID_CLAIMS["profile_attributes"]["family_name"]


async def test_tara_sessions_live_in_the_t_namespace_apart_from_custom(env: TaraEnv) -> None:
    await env.login(MOBILE_ID_CLAIMS)
    await env.engine.issue(MOBILE_ID_CLAIMS["sub"], profile="custom", claims={"role": "x"})
    keys = [
        k for k, v in env.store.written if isinstance(v, dict) and v.get("sub") == MOBILE_ID_CLAIMS["sub"]
    ]
    assert any(k.startswith("t:s:") for k in keys) and any(k.startswith("c:s:") for k in keys)


async def test_a_denied_tara_token_jti_does_not_touch_the_custom_denylist(env: TaraEnv) -> None:
    logged = await env.login(MOBILE_ID_CLAIMS)
    at = env.engine.ctx.codec.verify_access(logged.access_token)
    await env.engine.revoke(logged.access_token, token_type_hint="access_token")
    assert await env.store.get(f"t:dj:{at.jti}") is not None
    assert await env.store.get(f"c:dj:{at.jti}") is None
    decision = await env.visit("/portal/home", logged.access_token)
    assert decision.action == "redirect"


async def test_a_tara_subject_logout_leaves_the_custom_session_of_the_same_person(env: TaraEnv) -> None:
    sub = MOBILE_ID_CLAIMS["sub"]
    logged = await env.login(MOBILE_ID_CLAIMS)
    custom = await env.engine.issue(sub, profile="custom")
    env.clock.advance(1)
    await env.engine.end_subject_sessions(sub, profile="tara")
    assert (await env.visit("/portal/home", logged.access_token)).action == "redirect"
    api = await env.engine.decide(RequestView("GET", "/api/x", authorization=f"Bearer {custom.access_token}"))
    assert api.action == "pass"
    assert (await env.engine.refresh(custom.refresh_token or "")).access_token
