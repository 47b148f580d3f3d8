"""Transparent refresh on the core level: ``engine.decide`` (SPEC §5, second part)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from refreshgate.clock import ManualClock
from refreshgate.core.context import TokenResponse
from refreshgate.core.engine import Client, Engine
from refreshgate.core.request import Decision, RequestView
from refreshgate.errors import InvalidToken, TemporarilyUnavailable

EngineFactory = Callable[..., Engine]
AuditReader = Callable[..., list[dict[str, Any]]]

# custom defaults: access_ttl 3600, refresh_window 300, grace_period 30; clock_skew 30
NEAR_EXPIRY = 3600 - 299
SKEW, GRACE = 30, 30


@pytest.fixture
def engine(make_engine: EngineFactory) -> Engine:
    return make_engine()


def api(token: str, **extra: Any) -> RequestView:
    return RequestView("GET", "/api/orders", authorization=f"Bearer {token}", **extra)


def rt_of(response: TokenResponse) -> str:
    assert response.refresh_token is not None
    return response.refresh_token


def assert_rejected(decision: Decision, reason: str) -> None:
    assert decision.action == "reject"
    assert isinstance(decision.error, InvalidToken)
    assert decision.error.status_code == 401 and decision.error.error == "invalid_token"
    assert decision.error.reason == reason


async def test_token_not_near_expiry_passes_untouched(engine: Engine, clock: ManualClock) -> None:
    issued = await engine.issue("alice")
    clock.advance(NEAR_EXPIRY - 2)
    decision = await engine.decide(api(issued.access_token))

    assert decision.action == "pass" and decision.refreshed is None and decision.refusal is None
    assert decision.token is not None and decision.token.token == issued.access_token


async def test_token_near_expiry_is_refreshed_keeping_every_claim_but_jti_iat_nbf_exp(
    engine: Engine, clock: ManualClock
) -> None:
    issued = await engine.issue("alice", claims={"roles": ["reader"]})
    clock.advance(NEAR_EXPIRY)
    decision = await engine.decide(api(issued.access_token))

    assert decision.action == "pass" and decision.refreshed is not None and decision.token is not None
    assert decision.refreshed.token == decision.token.token != issued.access_token
    assert decision.refreshed.expires_in == 3600
    old = dict(engine.ctx.codec.verify_access(issued.access_token).claims)
    new = dict(decision.token.claims)
    assert {k for k in old.keys() | new.keys() if old.get(k) != new.get(k)} == {"jti", "iat", "nbf", "exp"}


async def test_transparent_refresh_leaves_the_refresh_token_valid(engine: Engine, clock: ManualClock) -> None:
    issued = await engine.issue("alice")
    clock.advance(NEAR_EXPIRY)
    assert (await engine.decide(api(issued.access_token))).refreshed is not None

    assert engine.ctx.codec.read_refresh(rt_of(await engine.refresh(rt_of(issued)))).gen == 1


async def test_expired_token_within_grace_is_refreshed(engine: Engine, clock: ManualClock) -> None:
    issued = await engine.issue("alice")
    clock.advance(3600 + SKEW + GRACE)
    decision = await engine.decide(api(issued.access_token))
    assert decision.action == "pass" and decision.refreshed is not None


async def test_expired_token_beyond_grace_is_rejected(engine: Engine, clock: ManualClock) -> None:
    issued = await engine.issue("alice")
    clock.advance(3600 + SKEW + GRACE + 1)
    decision = await engine.decide(api(issued.access_token))
    assert_rejected(decision, "expired")
    assert decision.error is not None
    assert (
        "www-authenticate",
        'Bearer realm="refreshgate", error="invalid_token", error_description="access token expired"',
    ) in decision.error.headers()


async def test_missing_or_invalid_token_is_rejected(engine: Engine) -> None:
    assert_rejected(await engine.decide(RequestView("GET", "/api/x")), "missing")
    assert_rejected(await engine.decide(api("garbage")), "malformed token")


async def test_route_without_auth_passes_anything(engine: Engine) -> None:
    decision = await engine.decide(RequestView("GET", "/public", authorization="Bearer garbage"))
    assert decision.action == "pass" and decision.token is None


async def test_token_of_another_profile_is_rejected(engine: Engine) -> None:
    tara = await engine.issue("alice", profile="tara")
    assert_rejected(await engine.decide(api(tara.access_token)), "profile")


async def test_denylisted_jti_is_rejected(engine: Engine) -> None:
    issued = await engine.issue("alice")
    await engine.revoke(issued.access_token, token_type_hint="access_token")
    assert_rejected(await engine.decide(api(issued.access_token)), "revoked")


async def test_token_of_a_revoked_session_is_rejected(engine: Engine) -> None:
    issued = await engine.issue("alice")
    await engine.revoke(rt_of(issued))
    assert_rejected(await engine.decide(api(issued.access_token)), "revoked")


async def test_token_of_a_revoked_subject_is_rejected(engine: Engine, clock: ManualClock) -> None:
    issued = await engine.issue("alice")
    other = await engine.issue("bob")
    await engine.revoke_subject("alice", client=Client("ops", admin=True, profiles=None))
    assert_rejected(await engine.decide(api(issued.access_token)), "revoked")
    assert (await engine.decide(api(other.access_token))).action == "pass"


async def test_browser_request_on_a_login_route_is_redirected_with_return_to(
    engine: Engine, clock: ManualClock
) -> None:
    issued = await engine.issue("alice", profile="tara")
    clock.advance(900 + SKEW + 10 + 1)  # tara: access 15m, grace 10s
    browser = RequestView(
        "GET", "/portal/cases", query="id=7", cookie=f"TIM_TARA_JWT={issued.access_token}", accept="text/html"
    )
    decision = await engine.decide(browser)

    assert decision.action == "redirect"
    assert decision.location == "/tara/login?return_to=%2Fportal%2Fcases%3Fid%3D7"


async def test_api_request_on_a_login_route_gets_401_naming_the_login_url(
    engine: Engine, clock: ManualClock
) -> None:
    issued = await engine.issue("alice", profile="tara")
    clock.advance(900 + SKEW + 10 + 1)
    decision = await engine.decide(
        RequestView(
            "GET", "/portal/cases", cookie=f"TIM_TARA_JWT={issued.access_token}", accept="application/json"
        )
    )
    assert_rejected(decision, "expired")
    assert decision.error is not None
    assert 'login_url="/tara/login"' in dict(decision.error.headers())["www-authenticate"]


async def test_cookie_token_near_expiry_is_refreshed(engine: Engine, clock: ManualClock) -> None:
    issued = await engine.issue("alice", profile="tara")
    clock.advance(900 - 119)
    decision = await engine.decide(
        RequestView("GET", "/portal/x", cookie=f"a=b; TIM_TARA_JWT={issued.access_token}")
    )
    assert decision.action == "pass" and decision.refreshed is not None
    original = engine.ctx.codec.verify_access(issued.access_token)
    assert decision.token is not None and decision.token.claims["auth_time"] == original.claims["auth_time"]


async def test_refused_refresh_of_a_still_valid_token_passes_with_the_refusal(
    make_engine: EngineFactory, clock: ManualClock, audit: AuditReader
) -> None:
    engine = make_engine(custom={"idle_timeout": "10m"})
    issued = await engine.issue("alice")
    clock.advance(NEAR_EXPIRY)  # idle for far longer than 10 minutes
    decision = await engine.decide(api(issued.access_token))

    assert decision.action == "pass" and decision.refreshed is None
    assert decision.token is not None and decision.token.token == issued.access_token
    assert decision.refusal is not None and "idle_timeout" in decision.refusal
    [refused] = audit("refresh.refused")
    assert "idle_timeout" in refused["reason"]


async def test_refused_refresh_of_an_expired_token_demands_reauthentication(
    make_engine: EngineFactory, clock: ManualClock, audit: AuditReader
) -> None:
    engine = make_engine(custom={"idle_timeout": "10m"})
    issued = await engine.issue("alice")
    clock.advance(3600 + SKEW + 5)
    assert_rejected(await engine.decide(api(issued.access_token)), "refresh_refused")
    assert len(audit("reauth.required")) == 1


async def test_transparent_mint_never_passes_max_session_age(
    make_engine: EngineFactory, clock: ManualClock
) -> None:
    engine = make_engine(custom={"max_session_age": "90m"})
    start = clock.now()
    issued = await engine.issue("alice")
    clock.advance(NEAR_EXPIRY)
    decision = await engine.decide(api(issued.access_token))
    assert decision.token is not None and decision.token.exp == int(start + 5400)


async def test_store_down_lets_a_valid_token_pass_without_refreshing(
    make_engine: EngineFactory, clock: ManualClock
) -> None:
    healthy = make_engine()
    issued = await healthy.issue("alice")
    down_engine = make_engine(store_url="redis://127.0.0.1:6399/0")  # nothing listens there

    fresh = await down_engine.decide(api(issued.access_token))
    assert fresh.action == "pass" and fresh.refreshed is None

    clock.advance(NEAR_EXPIRY)
    near = await down_engine.decide(api(issued.access_token))
    assert near.action == "pass" and near.refreshed is None and near.refusal == "store unavailable"
    assert near.token is not None and near.token.token == issued.access_token

    clock.advance(300 + SKEW + 5)
    expired = await down_engine.decide(api(issued.access_token))
    assert expired.action == "reject" and isinstance(expired.error, TemporarilyUnavailable)
