"""Bad provider input through the whole login flow: a clear error, no session, an audit event."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from tara_flow import TaraEnv, cookies_of

from oidc_fakes import MOBILE_ID_CLAIMS, SigningKey, claims_like

SUB = MOBILE_ID_CLAIMS["sub"]


def assert_refused(env: TaraEnv, response: Any, status: int, reason: str) -> None:
    """The callback failed with ``status``/``reason``, created nothing and audited it."""
    assert response.status == status, response.body
    assert reason.encode() in response.body
    assert env.store.sessions_of(SUB) == []
    assert "TIM_TARA_JWT" not in cookies_of(response) and "refreshgate_rt" not in cookies_of(response)
    assert "login.failed" in env.audit_events()
    assert f'"reason": "{reason}"' in env.audit_text()


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"iss": "https://tara.ria.ee"}, "id_token_iss"),
        ({"aud": "someone-else"}, "id_token_aud"),
        ({"exp": 1735721000, "iat": 1735720960, "nbf": 1735720960}, "id_token_exp"),
        ({"nonce": "not-the-nonce-we-sent"}, "id_token_nonce"),
        ({"acr": "low"}, "id_token_acr"),
    ],
    ids=["wrong-iss", "wrong-aud", "expired", "wrong-nonce", "acr-too-low"],
)
async def test_an_id_token_failing_a_claim_check_creates_no_session(
    env: TaraEnv, changes: dict[str, Any], reason: str
) -> None:
    started = await env.start()
    env.answer(claims_like(MOBILE_ID_CLAIMS, **({"nonce": started.params["nonce"]} | changes)))
    assert_refused(env, await env.callback(started), 502, reason)


async def test_a_missing_nonce_creates_no_session(env: TaraEnv) -> None:
    started = await env.start()
    env.answer(claims_like(MOBILE_ID_CLAIMS, nonce=None))
    assert_refused(env, await env.callback(started), 502, "id_token_nonce")


async def test_a_bad_signature_creates_no_session(env: TaraEnv, other_key: SigningKey) -> None:
    started = await env.start()
    forged = SigningKey(env.key.kid, other_key.pem, env.key.jwk)  # right kid, wrong key
    env.answer(claims_like(MOBILE_ID_CLAIMS, nonce=started.params["nonce"]), key=forged)
    assert_refused(env, await env.callback(started), 502, "id_token_signature")


async def test_an_unknown_kid_after_one_refetch_creates_no_session(
    env: TaraEnv, other_key: SigningKey
) -> None:
    started = await env.start()
    env.answer(claims_like(MOBILE_ID_CLAIMS, nonce=started.params["nonce"]), key=other_key)
    response = await env.callback(started)
    assert_refused(env, response, 502, "id_token_kid")
    assert env.mock.jwks_calls <= 2


async def test_a_replayed_state_creates_no_second_session(env: TaraEnv) -> None:
    started = await env.start()
    env.answer(claims_like(MOBILE_ID_CLAIMS, nonce=started.params["nonce"]))
    assert (await env.callback(started)).status == 302
    token_calls = env.mock.route("token").call_count
    replay = await env.callback(started, code="code-2")
    assert replay.status == 400 and b"state_replayed" in replay.body
    assert env.mock.route("token").call_count == token_calls  # the code was never exchanged
    assert len(env.store.sessions_of(SUB)) == 1


async def test_a_replayed_code_with_a_fresh_state_is_refused_before_the_exchange(env: TaraEnv) -> None:
    first = await env.start()
    env.answer(claims_like(MOBILE_ID_CLAIMS, nonce=first.params["nonce"]))
    assert (await env.callback(first, code="same-code")).status == 302
    second = await env.start()
    token_calls = env.mock.route("token").call_count
    replay = await env.callback(second, code="same-code")
    assert replay.status == 400 and b"code_replayed" in replay.body
    assert env.mock.route("token").call_count == token_calls
    assert len(env.store.sessions_of(SUB)) == 1


async def test_a_state_that_does_not_match_the_cookie_creates_no_session(env: TaraEnv) -> None:
    started = await env.start()
    assert_refused(env, await env.callback(started, state="x" * 44), 400, "state_mismatch")


async def test_a_callback_without_the_state_cookie_creates_no_session(env: TaraEnv) -> None:
    started = await env.start()
    started.state_cookie = ""
    assert_refused(env, await env.callback(started), 400, "state_missing")


async def test_an_expired_login_state_creates_no_session(env: TaraEnv) -> None:
    started = await env.start()
    env.clock.advance(601 + 30)
    assert_refused(env, await env.callback(started), 400, "state_expired")


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_a_provider_5xx_at_the_token_endpoint_creates_no_session(env: TaraEnv, status: int) -> None:
    started = await env.start()
    env.mock.token_error(status)
    assert_refused(env, await env.callback(started), 502, "provider_unavailable")


async def test_a_slow_provider_times_out_and_creates_no_session(env: TaraEnv) -> None:
    started = await env.start()
    env.mock.token_error(0, side_effect=httpx.ReadTimeout("slow"))
    assert_refused(env, await env.callback(started), 502, "provider_unavailable")


async def test_a_refused_code_exchange_creates_no_session(env: TaraEnv) -> None:
    started = await env.start()
    env.mock.token_error(400, {"error": "invalid_grant", "error_description": "code expired"})
    assert_refused(env, await env.callback(started), 400, "provider_invalid_grant")


async def test_an_unreachable_discovery_makes_login_answer_502(env: TaraEnv) -> None:
    env.mock.route("discovery").mock(side_effect=httpx.ConnectError("down"))
    from urllib.parse import urlencode

    from refreshgate.core.api import ApiRequest

    response = await env.api.handle(ApiRequest("GET", "/tara/login", query=urlencode({"return_to": "/x"})))
    assert response.status == 502 and "login.failed" in env.audit_events()


async def test_no_secret_reaches_the_audit_log_or_the_error_page(env: TaraEnv) -> None:
    started = await env.start()
    env.answer(claims_like(MOBILE_ID_CLAIMS, nonce="wrong-nonce-value"))
    response = await env.callback(started, code="very-secret-code")
    text = env.audit_text() + response.body.decode()
    for secret in (
        "very-secret-code",
        started.params["nonce"],
        started.params["state"],
        "s3cr3t-client-value",
    ):
        assert secret not in text
