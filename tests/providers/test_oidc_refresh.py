"""GovSSO: login with provider tokens, refresh-token grant, RP-initiated logout URL."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from oidc_fakes import GOVSSO, GOVSSO_CLAIMS, Clock, MockProvider, SigningKey, claims_like
from refreshgate.providers import (
    IdTokenInvalid,
    OIDCProvider,
    ProviderAuthError,
    ProviderTokens,
    ProviderUnavailable,
    VerifiedLogin,
)

REFRESHED = {"jti": "new-jti", "iat": 1735722700, "exp": 1735723600, "at_hash": "new"}


async def sso_login(
    provider: OIDCProvider, govsso: MockProvider, key: SigningKey, **changes: Any
) -> tuple[VerifiedLogin, dict[str, str]]:
    """Log in at GovSSO; the result and the authorize URL's query."""
    start = await provider.make_login("/portal")
    claims = claims_like(GOVSSO_CLAIMS, nonce=start.login_state.nonce, **changes)
    govsso.token_response(
        access_token="at",
        token_type="bearer",
        expires_in=1,
        refresh_token="rt-1",
        id_token=key.sign(claims),
    )
    result = await provider.complete_login({"code": "c", "state": start.state}, start.login_state)
    query = {k: v[0] for k, v in parse_qs(urlsplit(start.authorize_url).query).items()}
    return result, query


async def logged_in(provider: OIDCProvider, govsso: MockProvider, key: SigningKey) -> ProviderTokens:
    """Provider tokens of a fresh GovSSO login."""
    result, _ = await sso_login(provider, govsso, key)
    assert result.provider_tokens is not None
    return result.provider_tokens


def answer_refresh(govsso: MockProvider, key: SigningKey, **changes: Any) -> None:
    """Make the token endpoint answer a refresh with a new RT and an ID token."""
    claims = claims_like(GOVSSO_CLAIMS, **(REFRESHED | changes))
    govsso.token_response(
        access_token="at2",
        token_type="bearer",
        expires_in=1,
        refresh_token="rt-2",
        id_token=key.sign(claims),
    )


async def test_govsso_login_returns_provider_tokens_and_flat_claims(
    sso_provider: OIDCProvider, govsso: MockProvider, key: SigningKey
) -> None:
    result, query = await sso_login(sso_provider, govsso, key)
    tokens = result.provider_tokens
    assert tokens is not None
    assert tokens.refresh_token == "rt-1"
    assert tokens.exp == GOVSSO_CLAIMS["exp"]
    assert tokens.sid == GOVSSO_CLAIMS["sid"] and tokens.subject == "EE60001018800"
    assert result.auth_time == GOVSSO_CLAIMS["auth_time"]
    assert result.claims_to_preserve == {
        "given_name": "MARY ÄNN",
        "family_name": GOVSSO_CLAIMS["family_name"],
        "birthdate": "2000-01-01",
        "amr": ["mID"],
        "acr": "high",
    }
    assert query["acr_values"] == "high"


async def test_pkce_is_used_when_discovery_lists_s256(
    sso_provider: OIDCProvider, govsso: MockProvider, key: SigningKey
) -> None:
    _, query = await sso_login(sso_provider, govsso, key)
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    form = parse_qs(govsso.token_request.content.decode())
    assert len(form["code_verifier"][0]) >= 43


async def test_provider_tokens_never_show_in_repr_and_round_trip(
    sso_provider: OIDCProvider, govsso: MockProvider, key: SigningKey
) -> None:
    tokens = await logged_in(sso_provider, govsso, key)
    assert "rt-1" not in repr(tokens) and tokens.id_token not in repr(tokens)
    assert ProviderTokens.from_dict(tokens.to_dict()) == tokens


async def test_login_without_refresh_token_is_refused_when_refresh_is_configured(
    sso_provider: OIDCProvider, govsso: MockProvider, key: SigningKey
) -> None:
    start = await sso_provider.make_login("/")
    claims = claims_like(GOVSSO_CLAIMS, nonce=start.login_state.nonce)
    govsso.token_response(access_token="at", token_type="bearer", id_token=key.sign(claims))
    with pytest.raises(ProviderAuthError):
        await sso_provider.complete_login({"code": "c", "state": start.state}, start.login_state)


async def test_refresh_returns_new_tokens_with_the_same_subject(
    sso_provider: OIDCProvider, govsso: MockProvider, key: SigningKey, clock: Clock
) -> None:
    tokens = await logged_in(sso_provider, govsso, key)
    clock.now = 1735722780.0  # ~2 min before exp
    answer_refresh(govsso, key)
    refreshed = await sso_provider.refresh(tokens)
    new = refreshed.provider_tokens
    assert new.refresh_token == "rt-2" and new.refresh_token != tokens.refresh_token
    assert new.subject == tokens.subject and new.sid == tokens.sid
    assert refreshed.exp == new.exp == REFRESHED["exp"]
    assert refreshed.auth_time == GOVSSO_CLAIMS["auth_time"]
    assert refreshed.claims_to_preserve["family_name"] == GOVSSO_CLAIMS["family_name"]


async def test_refresh_uses_client_secret_basic_and_refresh_token_grant(
    sso_provider: OIDCProvider, govsso: MockProvider, key: SigningKey
) -> None:
    tokens = await logged_in(sso_provider, govsso, key)
    answer_refresh(govsso, key, iat=1735722000, exp=1735722900)
    await sso_provider.refresh(tokens)
    request = govsso.token_request
    assert request.url == f"{GOVSSO}oauth2/token"
    assert request.headers["authorization"].startswith("Basic ")
    assert parse_qs(request.content.decode()) == {
        "grant_type": ["refresh_token"],
        "refresh_token": ["rt-1"],
    }


async def test_refresh_accepts_the_original_nonce(
    sso_provider: OIDCProvider, govsso: MockProvider, key: SigningKey, clock: Clock
) -> None:
    tokens = await logged_in(sso_provider, govsso, key)
    clock.now = 1735722780.0
    answer_refresh(govsso, key, nonce=tokens.nonce)
    assert (await sso_provider.refresh(tokens)).provider_tokens.subject == tokens.subject


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"sub": "EE38001085718"}, "sub_changed"),
        ({"sid": "another-session"}, "sid_changed"),
        ({"nonce": "not-the-original"}, "nonce"),
        ({"iss": "https://govsso-demo.ria.ee"}, "iss"),
        ({"aud": ["someone-else"]}, "aud"),
        ({"exp": 1735722700}, "exp"),
        ({"acr": "substantial"}, "acr"),
    ],
)
async def test_refreshed_id_token_is_verified_like_a_login_token(
    sso_provider: OIDCProvider,
    govsso: MockProvider,
    key: SigningKey,
    clock: Clock,
    changes: dict[str, Any],
    reason: str,
) -> None:
    tokens = await logged_in(sso_provider, govsso, key)
    clock.now = 1735722780.0
    answer_refresh(govsso, key, **changes)
    with pytest.raises(IdTokenInvalid) as caught:
        await sso_provider.refresh(tokens)
    assert caught.value.reason == reason


async def test_refresh_never_raises_acr(
    sso_provider: OIDCProvider, govsso: MockProvider, key: SigningKey, clock: Clock
) -> None:
    tokens = await logged_in(sso_provider, govsso, key)
    lowered = ProviderTokens.from_dict(tokens.to_dict() | {"acr": "substantial"})
    clock.now = 1735722780.0
    answer_refresh(govsso, key)
    with pytest.raises(IdTokenInvalid, match="acr_raised"):
        await sso_provider.refresh(lowered)


async def test_refresh_invalid_grant_ends_the_session(
    sso_provider: OIDCProvider, govsso: MockProvider, key: SigningKey
) -> None:
    tokens = await logged_in(sso_provider, govsso, key)
    govsso.token_error(400, {"error": "invalid_grant", "error_description": "token reused"})
    with pytest.raises(ProviderAuthError) as caught:
        await sso_provider.refresh(tokens)
    assert caught.value.error == "invalid_grant"
    assert caught.value.session_fatal and not caught.value.retryable
    assert "rt-1" not in str(caught.value)


@pytest.mark.parametrize(
    "failure", [httpx.ReadTimeout("slow"), httpx.ConnectTimeout("slow"), httpx.Response(503)]
)
async def test_refresh_network_trouble_is_retryable(
    sso_provider: OIDCProvider,
    govsso: MockProvider,
    key: SigningKey,
    failure: httpx.Response | Exception,
) -> None:
    tokens = await logged_in(sso_provider, govsso, key)
    route = govsso.route("token")
    if isinstance(failure, httpx.Response):
        route.mock(return_value=failure)
    else:
        route.mock(side_effect=failure)
    with pytest.raises(ProviderUnavailable) as caught:
        await sso_provider.refresh(tokens)
    assert caught.value.retryable and not caught.value.session_fatal


async def test_refresh_answer_without_new_refresh_token_is_refused(
    sso_provider: OIDCProvider, govsso: MockProvider, key: SigningKey, clock: Clock
) -> None:
    tokens = await logged_in(sso_provider, govsso, key)
    clock.now = 1735722780.0
    claims = claims_like(GOVSSO_CLAIMS, **REFRESHED)
    govsso.token_response(access_token="at", token_type="bearer", id_token=key.sign(claims))
    with pytest.raises(ProviderAuthError):
        await sso_provider.refresh(tokens)


async def test_end_session_url_carries_the_id_token_hint(
    sso_provider: OIDCProvider, govsso: MockProvider, key: SigningKey
) -> None:
    tokens = await logged_in(sso_provider, govsso, key)
    url = await sso_provider.end_session_url(tokens, "https://portal.example.ee/")
    assert url is not None and url.startswith(f"{GOVSSO}oauth2/sessions/logout?")
    query = parse_qs(urlsplit(url).query)
    assert query["id_token_hint"] == [tokens.id_token]
    assert query["post_logout_redirect_uri"] == ["https://portal.example.ee/"]


async def test_tara_has_no_end_session_url(
    provider: OIDCProvider, sso_provider: OIDCProvider, govsso: MockProvider, key: SigningKey
) -> None:
    tokens = await logged_in(sso_provider, govsso, key)
    assert await provider.end_session_url(tokens) is None
