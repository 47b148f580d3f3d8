"""TARA login: authorize URL, state, code exchange and ID-token verification."""

from __future__ import annotations

import base64
import hashlib
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from oidc_fakes import (
    CLIENT_ID,
    CLIENT_SECRET,
    FAMILY_NAME,
    MOBILE_ID_CLAIMS,
    TARA,
    Clock,
    MockProvider,
    SigningKey,
    claims_like,
    tara_config,
)
from refreshgate.providers import (
    IdTokenInvalid,
    LoginCancelled,
    LoginStart,
    LoginState,
    OIDCProvider,
    ProviderAuthError,
    ProviderUnavailable,
    StateMismatch,
    VerifiedLogin,
    state_for,
)

EIDAS_SUB = "DE/EE/" + "a1b2c3d4" * 30
ID_CARD_CLAIMS = claims_like(
    MOBILE_ID_CLAIMS,
    amr=["idcard"],
    email="60001019906@eesti.ee",
    email_verified=False,
    phone_number=None,
    phone_number_verified=None,
)
EIDAS_CLAIMS = claims_like(
    MOBILE_ID_CLAIMS,
    sub=EIDAS_SUB,
    amr=["eIDAS"],
    acr="substantial",
    profile_attributes={
        "date_of_birth": "1965-01-01",
        "family_name": "Ωνάσης",
        "given_name": "Αλέξανδρος",
    },
    profile_attributes_translit={"family_name": "Onasis", "given_name": "Alexandros"},
    phone_number=None,
    phone_number_verified=None,
)


def query(start: LoginStart) -> dict[str, str]:
    """The authorize URL's query as a flat dict."""
    return {k: v[0] for k, v in parse_qs(urlsplit(start.authorize_url).query).items()}


async def login(
    provider: OIDCProvider,
    mock: MockProvider,
    key: SigningKey,
    base: dict[str, Any] = MOBILE_ID_CLAIMS,
    **changes: Any,
) -> VerifiedLogin:
    """Run make_login → provider → complete_login with an ID token built from ``base``."""
    start = await provider.make_login("/portal/home")
    changes = {"nonce": start.login_state.nonce, "state": start.state} | changes
    id_token = key.sign(claims_like(base, **changes))
    mock.token_response(access_token="at", token_type="bearer", expires_in=40, id_token=id_token)
    params = {"code": "auth-code-1", "state": start.state}
    return await provider.complete_login(params, start.login_state)


async def test_authorize_url_carries_the_documented_parameters(tara: MockProvider, clock: Clock) -> None:
    config = tara_config(scope="openid idcard email", acr_values="high", ui_locales="et")
    async with OIDCProvider(config, clock=clock) as provider:
        start = await provider.make_login("/portal")
    assert start.authorize_url.startswith(f"{TARA}/oidc/authorize?")
    params = query(start)
    assert params == {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": "https://portal.example.ee/tara/callback",
        "scope": "openid idcard email",
        "state": start.state,
        "nonce": start.login_state.nonce,
        "acr_values": "high",
        "ui_locales": "et",
    }


async def test_ui_locales_per_login_overrides_config(provider: OIDCProvider) -> None:
    start = await provider.make_login("/", ui_locales="ru")
    assert query(start)["ui_locales"] == "ru"
    assert "acr_values" not in query(start)


async def test_state_is_base64_sha256_of_the_cookie_secret(provider: OIDCProvider) -> None:
    start = await provider.make_login("/portal")
    digest = hashlib.sha256(start.login_state.secret.encode()).digest()
    assert start.state == base64.b64encode(digest).decode() == state_for(start.login_state.secret)
    assert len(start.login_state.secret) >= 32 and len(start.state) >= 8


async def test_each_login_gets_fresh_state_and_nonce(provider: OIDCProvider) -> None:
    first, second = await provider.make_login("/"), await provider.make_login("/")
    assert first.state != second.state
    assert first.login_state.nonce != second.login_state.nonce


async def test_tara_without_pkce_advertised_sends_no_code_challenge(
    provider: OIDCProvider,
) -> None:
    start = await provider.make_login("/")
    assert start.login_state.code_verifier is None
    assert "code_challenge" not in query(start)


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil", ""])
async def test_return_to_outside_the_site_becomes_root(provider: OIDCProvider, target: str) -> None:
    start = await provider.make_login(target)
    assert start.login_state.return_to == "/"


async def test_login_state_survives_serialisation_and_hides_secrets(
    provider: OIDCProvider,
) -> None:
    state = (await provider.make_login("/portal?x=1")).login_state
    assert LoginState.from_dict(state.to_dict()) == state
    assert state.secret not in repr(state) and state.nonce not in repr(state)


async def test_discovery_off_uses_tara_documented_paths(
    tara: MockProvider, key: SigningKey, clock: Clock
) -> None:
    async with OIDCProvider(tara_config(discovery=False), clock=clock) as provider:
        start = await provider.make_login("/")
        assert start.authorize_url.startswith(f"{TARA}/oidc/authorize?")
        result = await login(provider, tara, key)
    assert result.subject == "EE60001019906"
    assert tara.route("discovery").call_count == 0


async def test_mobile_id_login_preserves_claims_verbatim(
    provider: OIDCProvider, tara: MockProvider, key: SigningKey
) -> None:
    result = await login(provider, tara, key)
    assert result.subject == "EE60001019906"
    assert result.claims_to_preserve["profile_attributes"]["family_name"] == "O\u2019CONNEŽ-ŠUSLIK TESTNUMBER"
    assert result.claims_to_preserve == {
        "profile_attributes": {
            "date_of_birth": "2000-01-01",
            "family_name": FAMILY_NAME,
            "given_name": "MARY ÄNN",
        },
        "amr": ["mID"],
        "acr": "high",
        "phone_number": "+37200000766",
        "phone_number_verified": True,
    }
    assert result.auth_time == 1735722000
    assert result.acr == "high" and result.amr == ("mID",)
    assert result.provider_tokens is None


async def test_code_exchange_uses_client_secret_basic_and_form_body(
    provider: OIDCProvider, tara: MockProvider, key: SigningKey
) -> None:
    await login(provider, tara, key)
    request = tara.token_request
    expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    assert request.headers["authorization"] == f"Basic {expected}"
    assert parse_qs(request.content.decode()) == {
        "grant_type": ["authorization_code"],
        "code": ["auth-code-1"],
        "redirect_uri": ["https://portal.example.ee/tara/callback"],
    }


async def test_id_card_login_with_email_scope(tara: MockProvider, key: SigningKey, clock: Clock) -> None:
    async with OIDCProvider(tara_config(scope="openid idcard email"), clock=clock) as provider:
        result = await login(provider, tara, key, ID_CARD_CLAIMS)
    assert result.amr == ("idcard",)
    assert result.claims_to_preserve["email"] == "60001019906@eesti.ee"
    assert result.claims_to_preserve["email_verified"] is False
    assert "phone_number" not in result.claims_to_preserve


async def test_eidas_login_keeps_long_subject_and_translit(
    tara: MockProvider, key: SigningKey, clock: Clock
) -> None:
    async with OIDCProvider(tara_config(scope="openid eidasonly"), clock=clock) as provider:
        result = await login(provider, tara, key, EIDAS_CLAIMS)
    assert result.subject == EIDAS_SUB
    assert result.acr == "substantial"
    preserved = result.claims_to_preserve
    assert preserved["profile_attributes"]["family_name"] == "Ωνάσης"
    assert preserved["profile_attributes_translit"] == {
        "family_name": "Onasis",
        "given_name": "Alexandros",
    }


async def test_protocol_claims_are_never_preserved(
    provider: OIDCProvider, tara: MockProvider, key: SigningKey
) -> None:
    result = await login(provider, tara, key, sid="x", custom_claim="ignored")
    protocol = {"iss", "aud", "exp", "iat", "nbf", "jti", "nonce", "state", "at_hash", "sid", "sub"}
    assert protocol.isdisjoint(result.claims_to_preserve)
    assert "custom_claim" not in result.claims_to_preserve


async def test_audience_list_containing_the_client_is_accepted(
    provider: OIDCProvider, tara: MockProvider, key: SigningKey
) -> None:
    result = await login(provider, tara, key, aud=[CLIENT_ID])
    assert result.subject == "EE60001019906"


async def test_skew_tolerates_token_just_expired(
    provider: OIDCProvider, tara: MockProvider, key: SigningKey, clock: Clock
) -> None:
    clock.advance(60)  # 25 s past exp, within the 30 s skew
    assert (await login(provider, tara, key)).subject == "EE60001019906"


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"iss": "https://tara.ria.ee"}, "iss"),
        ({"iss": TARA + "/"}, "iss"),
        ({"aud": "someone-else"}, "aud"),
        ({"aud": ["someone-else"]}, "aud"),
        ({"exp": 1735721970}, "exp"),
        ({"exp": None}, "exp"),
        ({"nbf": 1735722100}, "nbf"),
        ({"iat": 1735722100}, "iat"),
        ({"nonce": None}, "nonce"),
        ({"nonce": "qrstuvwxyzabcdef"}, "nonce"),
        ({"sub": None}, "sub"),
        ({"amr": None}, "amr"),
        ({"amr": ["password"]}, "amr"),
        ({"amr": [{"nested": True}]}, "amr"),
        ({"amr": "mID"}, "amr"),
        ({"aud": {"client": CLIENT_ID}}, "aud"),
        ({"exp": "1735722040"}, "exp"),
        ({"exp": True}, "exp"),
        ({"acr": ["high"]}, "acr"),
        ({"sub": ""}, "sub"),
        ({"acr": "low"}, "acr"),
        ({"acr": None}, "acr"),
    ],
)
async def test_bad_id_token_claim_is_rejected_with_its_reason(
    provider: OIDCProvider,
    tara: MockProvider,
    key: SigningKey,
    changes: dict[str, Any],
    reason: str,
) -> None:
    with pytest.raises(IdTokenInvalid) as caught:
        await login(provider, tara, key, **changes)
    assert caught.value.reason == reason


async def test_signature_by_another_key_with_the_same_kid_is_rejected(
    provider: OIDCProvider, tara: MockProvider, other_key: SigningKey
) -> None:
    forged = SigningKey(tara.keys[0]["kid"], other_key.pem, other_key.jwk)
    with pytest.raises(IdTokenInvalid) as caught:
        await login(provider, tara, forged)
    assert caught.value.reason == "signature"


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ({"alg": "HS256"}, "alg"),
        ({"alg": "none"}, "alg"),
        ({"jku": "https://evil.example/jwks"}, "malformed"),
        ({"kid": None}, "kid"),
    ],
)
async def test_unexpected_algorithm_is_rejected_before_crypto(
    provider: OIDCProvider, tara: MockProvider, key: SigningKey, header: dict[str, str], reason: str
) -> None:
    start = await provider.make_login("/")
    claims = claims_like(MOBILE_ID_CLAIMS, nonce=start.login_state.nonce)
    tara.token_response(id_token=key.sign(claims, **header))
    with pytest.raises(IdTokenInvalid) as caught:
        await provider.complete_login({"code": "c", "state": start.state}, start.login_state)
    assert caught.value.reason == reason


@pytest.mark.parametrize(
    ("scope", "amr", "ok"),
    [
        ("openid", ["mID"], True),
        ("openid", ["smartid"], True),
        ("openid", ["eIDAS"], True),
        ("openid idcard", ["idcard"], True),
        ("openid idcard", ["mID"], False),
        ("openid mid smartid", ["smartid"], True),
        ("openid mid smartid", ["idcard"], False),
        ("openid eidasonly", ["eIDAS"], True),
        ("openid eidasonly", ["mID"], False),
        ("openid eidas:country:de eidasonly", ["eIDAS"], True),
    ],
)
async def test_amr_must_be_allowed_by_the_requested_scope(
    tara: MockProvider, key: SigningKey, clock: Clock, scope: str, amr: list[str], ok: bool
) -> None:
    async with OIDCProvider(tara_config(scope=scope), clock=clock) as provider:
        if ok:
            assert (await login(provider, tara, key, amr=amr)).amr == tuple(amr)
        else:
            with pytest.raises(IdTokenInvalid, match="amr"):
                await login(provider, tara, key, amr=amr)


@pytest.mark.parametrize(
    ("requested", "acr", "ok"),
    [
        (None, "substantial", True),
        (None, "high", True),
        (None, "low", False),
        ("low", "low", True),
        ("substantial", "low", False),
        ("high", "substantial", False),
        ("high", "high", True),
        ("low", "unknown-level", False),
    ],
)
async def test_acr_must_reach_the_requested_level(
    tara: MockProvider, key: SigningKey, clock: Clock, requested: str | None, acr: str, ok: bool
) -> None:
    async with OIDCProvider(tara_config(acr_values=requested), clock=clock) as provider:
        if ok:
            assert (await login(provider, tara, key, acr=acr)).acr == acr
        else:
            with pytest.raises(IdTokenInvalid, match="acr"):
                await login(provider, tara, key, acr=acr)


async def test_state_mismatch_is_rejected_before_any_provider_call(
    provider: OIDCProvider, tara: MockProvider
) -> None:
    start = await provider.make_login("/")
    other = await provider.make_login("/")
    with pytest.raises(StateMismatch) as caught:
        await provider.complete_login({"code": "c", "state": other.state}, start.login_state)
    assert caught.value.reason == "mismatch"
    assert tara.route("token").call_count == 0


async def test_state_replayed_from_the_fixture_is_rejected(provider: OIDCProvider) -> None:
    start = await provider.make_login("/")
    params = {"code": "c", "state": MOBILE_ID_CLAIMS["state"]}
    with pytest.raises(StateMismatch):
        await provider.complete_login(params, start.login_state)


async def test_missing_state_is_rejected(provider: OIDCProvider) -> None:
    start = await provider.make_login("/")
    with pytest.raises(StateMismatch) as caught:
        await provider.complete_login({"code": "c"}, start.login_state)
    assert caught.value.reason == "missing"


async def test_login_state_older_than_ten_minutes_is_refused(provider: OIDCProvider, clock: Clock) -> None:
    start = await provider.make_login("/")
    clock.advance(601)
    with pytest.raises(StateMismatch) as caught:
        await provider.complete_login({"code": "c", "state": start.state}, start.login_state)
    assert caught.value.reason == "expired"


async def test_user_cancel_raises_login_cancelled(provider: OIDCProvider) -> None:
    start = await provider.make_login("/")
    params = {"error": "user_cancel", "error_description": "User canceled", "state": start.state}
    with pytest.raises(LoginCancelled) as caught:
        await provider.complete_login(params, start.login_state)
    assert caught.value.error == "user_cancel"
    assert isinstance(caught.value, ProviderAuthError)


async def test_other_callback_error_raises_provider_auth_error(provider: OIDCProvider) -> None:
    start = await provider.make_login("/")
    params = {"error": "invalid_scope", "state": start.state}
    with pytest.raises(ProviderAuthError) as caught:
        await provider.complete_login(params, start.login_state)
    assert caught.value.error == "invalid_scope"
    assert not isinstance(caught.value, LoginCancelled)


async def test_callback_without_code_is_refused(provider: OIDCProvider) -> None:
    start = await provider.make_login("/")
    with pytest.raises(ProviderAuthError):
        await provider.complete_login({"state": start.state}, start.login_state)


async def test_token_endpoint_invalid_grant_is_provider_auth_error(
    provider: OIDCProvider, tara: MockProvider
) -> None:
    start = await provider.make_login("/")
    tara.token_error(400, {"error": "invalid_grant", "error_description": "code expired"})
    with pytest.raises(ProviderAuthError) as caught:
        await provider.complete_login({"code": "c", "state": start.state}, start.login_state)
    assert caught.value.error == "invalid_grant" and caught.value.session_fatal


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_provider_5xx_is_provider_unavailable(
    provider: OIDCProvider, tara: MockProvider, status: int
) -> None:
    start = await provider.make_login("/")
    tara.token_error(status)
    with pytest.raises(ProviderUnavailable) as caught:
        await provider.complete_login({"code": "c", "state": start.state}, start.login_state)
    assert caught.value.retryable


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ConnectTimeout("connect timed out"),
        httpx.ReadTimeout("read timed out"),
        httpx.ConnectError("refused"),
    ],
)
async def test_provider_network_failure_is_provider_unavailable(
    provider: OIDCProvider, tara: MockProvider, failure: Exception
) -> None:
    start = await provider.make_login("/")
    tara.token_error(0, side_effect=failure)
    with pytest.raises(ProviderUnavailable) as caught:
        await provider.complete_login({"code": "c", "state": start.state}, start.login_state)
    assert isinstance(caught.value.__cause__, httpx.HTTPError)


async def test_token_response_that_is_not_json_is_provider_unavailable(
    provider: OIDCProvider, tara: MockProvider
) -> None:
    start = await provider.make_login("/")
    tara.route("token").mock(return_value=httpx.Response(200, content=b"<html>"))
    with pytest.raises(ProviderUnavailable):
        await provider.complete_login({"code": "c", "state": start.state}, start.login_state)


async def test_token_response_without_id_token_is_rejected(
    provider: OIDCProvider, tara: MockProvider
) -> None:
    start = await provider.make_login("/")
    tara.token_response(access_token="at", token_type="bearer", expires_in=40)
    with pytest.raises(IdTokenInvalid, match="missing"):
        await provider.complete_login({"code": "c", "state": start.state}, start.login_state)


async def test_discovery_down_is_provider_unavailable(tara: MockProvider, clock: Clock) -> None:
    tara.route("discovery").mock(side_effect=httpx.ConnectTimeout("slow"))
    async with OIDCProvider(tara_config(), clock=clock) as provider:
        with pytest.raises(ProviderUnavailable):
            await provider.make_login("/")


async def test_discovery_for_another_issuer_is_refused(tara: MockProvider, clock: Clock) -> None:
    tara.discovery_extra = {"issuer": "https://evil.example"}
    async with OIDCProvider(tara_config(), clock=clock) as provider:
        with pytest.raises(ProviderUnavailable):
            await provider.make_login("/")


async def test_injected_http_client_is_used_and_left_open(
    tara: MockProvider, key: SigningKey, clock: Clock
) -> None:
    async with httpx.AsyncClient() as client:
        provider = OIDCProvider(tara_config(), client, clock=clock)
        assert (await login(provider, tara, key)).subject == "EE60001019906"
        await provider.aclose()
        assert not client.is_closed
