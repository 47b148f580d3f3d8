"""GovSSO-style provider refresh: sealed provider tokens, single-flight grant, caps, failures, logout."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import parse_qs, urlencode

import httpx
import pytest
from tara_flow import LoggedIn, TaraEnv

from oidc_fakes import CLIENT_ID, GOVSSO, GOVSSO_CLAIMS, SigningKey, claims_like
from refreshgate.core.api import ApiRequest
from refreshgate.core.request import RequestView
from refreshgate.core.tara_login import TaraEndpoints
from refreshgate.errors import InvalidGrant, StoreUnavailable

SUB = GOVSSO_CLAIMS["sub"]
PROVIDER_EXP = GOVSSO_CLAIMS["exp"]
DUE = PROVIDER_EXP - 100  # inside the 2-minute refresh window
NEW_EXP = DUE + 600  # sooner than now + access_ttl: the provider's exp is the cap
LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"


async def sso_login(env: TaraEnv) -> LoggedIn:
    return await env.login(GOVSSO_CLAIMS, refresh_token="rt-1", expires_in=1)


def answer_refresh(env: TaraEnv, refresh_token: str = "rt-2", **changes: Any) -> None:
    claims = claims_like(GOVSSO_CLAIMS, jti="new-jti", iat=DUE, exp=NEW_EXP, at_hash="new", **changes)
    env.mock.token_response(
        access_token="at2",
        token_type="bearer",
        expires_in=1,
        refresh_token=refresh_token,
        id_token=env.key.sign(claims),
    )


async def repo_and_session(env: TaraEnv, logged: LoggedIn) -> tuple[Any, Any]:
    at = env.engine.ctx.codec.verify_access(logged.access_token)
    repo = env.engine.ctx.sessions(env.engine.ctx.profile("tara"))
    session = (await repo.load(at.sid, at.sub)).session
    return repo, session


def grant_calls(env: TaraEnv) -> list[dict[str, str]]:
    forms = []
    for call in env.mock.route("token").calls:
        form = {k: v[0] for k, v in parse_qs(call.request.content.decode()).items()}
        if form.get("grant_type") == "refresh_token":
            forms.append(form)
    return forms


async def test_login_keeps_provider_tokens_sealed_outside_the_session_record(sso: TaraEnv) -> None:
    logged = await sso_login(sso)
    repo, session = await repo_and_session(sso, logged)
    assert session.provider == "tara" and session.ends_at == PROVIDER_EXP
    assert "rt-1" not in json.dumps([v for _, v in sso.store.written])
    tokens = await sso.engine.provider_sessions.load(repo, session.sid)  # type: ignore[union-attr]
    assert tokens is not None and tokens.refresh_token == "rt-1" and tokens.exp == PROVIDER_EXP
    assert sso.engine.ctx.codec.verify_access(logged.access_token).exp <= PROVIDER_EXP


async def test_a_refresh_before_the_window_does_not_call_the_provider(sso: TaraEnv) -> None:
    logged = await sso_login(sso)
    sso.clock.set(PROVIDER_EXP - 600)
    await sso.engine.refresh(logged.refresh_token)
    assert grant_calls(sso) == []


async def test_near_provider_exp_the_grant_runs_and_the_new_rt_replaces_the_old(sso: TaraEnv) -> None:
    logged = await sso_login(sso)
    sso.clock.set(DUE)
    answer_refresh(sso, phone_number="+37200000766")
    decision = await sso.visit("/portal/home", logged.access_token)
    assert decision.refreshed is not None
    assert grant_calls(sso) == [{"grant_type": "refresh_token", "refresh_token": "rt-1"}]
    new = sso.engine.ctx.codec.verify_access(decision.refreshed.token)
    assert new.exp == NEW_EXP  # capped by the provider's new exp, not now + access_ttl
    assert new.claims["phone_number"] == "+37200000766"  # claims come from the new ID token
    assert new.claims["given_name"] == "MARY ÄNN" and new.claims["auth_time"] == GOVSSO_CLAIMS["auth_time"]
    repo, session = await repo_and_session(sso, logged)
    tokens = await sso.engine.provider_sessions.load(repo, session.sid)  # type: ignore[union-attr]
    assert tokens is not None and tokens.refresh_token == "rt-2" and session.ends_at == NEW_EXP
    assert "provider.refreshed" in sso.audit_events()


async def test_concurrent_hooks_call_the_grant_once_per_provider_refresh_token(sso: TaraEnv) -> None:
    logged = await sso_login(sso)
    sso.clock.set(DUE)
    answer_refresh(sso)
    repo, session = await repo_and_session(sso, logged)
    hook = sso.engine.provider_sessions.hook  # type: ignore[union-attr]
    results = await asyncio.gather(*(hook(session, repo) for _ in range(8)))
    assert len(grant_calls(sso)) == 1
    assert {r.ends_at for r in results} == {NEW_EXP}


async def test_explicit_rotation_refreshes_at_the_provider_and_caps_both_tokens(sso: TaraEnv) -> None:
    logged = await sso_login(sso)
    sso.clock.set(DUE)
    answer_refresh(sso)
    response = await sso.engine.refresh(logged.refresh_token)
    assert len(grant_calls(sso)) == 1
    assert sso.engine.ctx.codec.verify_access(response.access_token).exp == NEW_EXP
    assert response.refresh_expires_in == NEW_EXP - DUE


async def test_a_provider_invalid_grant_ends_the_session_and_asks_for_login(sso: TaraEnv) -> None:
    logged = await sso_login(sso)
    sso.clock.set(DUE)
    sso.mock.token_error(400, {"error": "invalid_grant"})
    decision = await sso.visit("/portal/home", logged.access_token)
    assert decision.action == "pass" and decision.refreshed is None and decision.refusal
    with pytest.raises(InvalidGrant):
        await sso.engine.refresh(logged.refresh_token)
    sso.clock.advance(1)
    assert (await sso.visit("/portal/home", logged.access_token)).action == "redirect"
    assert len(grant_calls(sso)) == 1  # the dead session never calls the provider again
    assert "session.revoked" in sso.audit_events()


async def test_a_changed_subject_in_the_new_id_token_ends_the_session(sso: TaraEnv) -> None:
    logged = await sso_login(sso)
    sso.clock.set(DUE)
    answer_refresh(sso, sub="EE39912310174")
    with pytest.raises(InvalidGrant):
        await sso.engine.refresh(logged.refresh_token)
    repo, session = await repo_and_session(sso, logged)
    assert await sso.engine.provider_sessions.load(repo, session.sid) is None  # type: ignore[union-attr]


async def test_network_errors_retry_with_backoff_then_keep_the_session_until_provider_exp(
    sso: TaraEnv,
) -> None:
    logged = await sso_login(sso)
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    sso.engine.provider_sessions.sleep = sleep  # type: ignore[union-attr]
    sso.clock.set(DUE)
    sso.mock.token_error(0, side_effect=httpx.ConnectError("down"))
    decision = await sso.visit("/portal/home", logged.access_token)
    assert waits == [0.5, 1.0] and len(sso.mock.route("token").calls) == 4  # login + 3 attempts
    assert decision.refreshed is not None
    assert sso.engine.ctx.codec.verify_access(decision.refreshed.token).exp == PROVIDER_EXP
    sso.clock.set(PROVIDER_EXP + 31)
    assert (await sso.visit("/portal/home", decision.refreshed.token)).action == "redirect"


async def test_retries_stop_at_provider_exp_and_then_the_session_needs_a_new_login(sso: TaraEnv) -> None:
    logged = await sso_login(sso)

    async def sleep(seconds: float) -> None:
        sso.clock.advance(seconds)

    sso.engine.provider_sessions.sleep = sleep  # type: ignore[union-attr]
    sso.clock.set(PROVIDER_EXP - 1)
    sso.mock.token_error(0, side_effect=httpx.ReadTimeout("slow"))
    response = await sso.engine.refresh(logged.refresh_token)
    assert len(grant_calls(sso)) == 2  # a third attempt would start after the provider's exp
    assert sso.engine.ctx.codec.verify_access(response.access_token).exp == PROVIDER_EXP
    sso.clock.set(PROVIDER_EXP)
    with pytest.raises(InvalidGrant):
        await sso.engine.refresh(response.refresh_token or "")


def logout_token(key: SigningKey, **claims: Any) -> str:
    base = {"iss": GOVSSO, "aud": CLIENT_ID, "iat": int(GOVSSO_CLAIMS["iat"]) + 10, "jti": "logout-1"}
    base["events"] = {LOGOUT_EVENT: {}}
    return key.sign({k: v for k, v in (base | claims).items() if v is not None})


async def post_logout(env: TaraEnv, token: str) -> Any:
    return await env.api.handle(
        ApiRequest(
            "POST",
            "/tara/backchannel-logout",
            headers={"content-type": "application/x-www-form-urlencoded"},
            body=urlencode({"logout_token": token}).encode(),
        )
    )


async def test_backchannel_logout_by_sid_ends_the_local_sessions_of_that_provider_session(
    sso: TaraEnv,
) -> None:
    first, second = await sso_login(sso), await sso_login(sso)
    response = await post_logout(sso, logout_token(sso.key, sid=GOVSSO_CLAIMS["sid"]))
    assert response.status == 200
    sso.clock.advance(1)
    for logged in (first, second):
        assert (await sso.visit("/portal/home", logged.access_token)).action == "redirect"


async def test_a_replayed_logout_token_is_refused(sso: TaraEnv) -> None:
    await sso_login(sso)
    token = logout_token(sso.key, sid=GOVSSO_CLAIMS["sid"])
    assert (await post_logout(sso, token)).status == 200
    replay = await post_logout(sso, token)
    assert replay.status == 400 and b"already used" in replay.body


async def test_an_invalid_logout_token_is_400_and_ends_nothing(sso: TaraEnv, other_key: SigningKey) -> None:
    logged = await sso_login(sso)
    forged = SigningKey(sso.key.kid, other_key.pem, sso.key.jwk)
    assert (await post_logout(sso, logout_token(forged, sid=GOVSSO_CLAIMS["sid"]))).status == 400
    assert (await post_logout(sso, "not-a-jwt")).status == 400
    assert (await sso.visit("/portal/home", logged.access_token)).action == "pass"


async def test_logout_by_sub_denies_the_subject_in_the_tara_namespace_only(sso: TaraEnv) -> None:
    logged = await sso_login(sso)
    custom = await sso.engine.issue(SUB, profile="custom")
    sso.clock.advance(1)
    assert (await post_logout(sso, logout_token(sso.key, sub=SUB, jti="logout-2"))).status == 200
    assert (await sso.visit("/portal/home", logged.access_token)).action == "redirect"
    api = await sso.engine.decide(RequestView("GET", "/api/x", authorization=f"Bearer {custom.access_token}"))
    assert api.action == "pass"


async def test_a_logout_that_failed_to_end_the_sessions_is_honoured_when_the_provider_retries(
    sso: TaraEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    logged = await sso_login(sso)
    token = logout_token(sso.key, sid=GOVSSO_CLAIMS["sid"], jti="logout-3")
    original = TaraEndpoints._end_sessions
    failing = {"left": 1}

    async def end_once_failing(self: Any, *args: Any) -> None:
        if failing["left"]:
            failing["left"] -= 1
            raise StoreUnavailable()
        await original(self, *args)

    monkeypatch.setattr(TaraEndpoints, "_end_sessions", end_once_failing)
    assert (await post_logout(sso, token)).status == 503
    assert (await post_logout(sso, token)).status == 200
    sso.clock.advance(1)
    assert (await sso.visit("/portal/home", logged.access_token)).action == "redirect"
