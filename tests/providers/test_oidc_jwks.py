"""The provider's JWKS: cached by kid, refetched on rotation, never hammered."""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs

import httpx
import pytest

from oidc_fakes import MOBILE_ID_CLAIMS, Clock, MockProvider, SigningKey, claims_like, tara_config
from refreshgate.providers import IdTokenInvalid, OIDCProvider, ProviderUnavailable
from refreshgate.providers.jwks import parse_jwks


async def login_with(provider: OIDCProvider, tara: MockProvider, signer: SigningKey) -> str:
    """Complete one login with an ID token signed by ``signer``; the subject."""
    start = await provider.make_login("/")
    claims = claims_like(MOBILE_ID_CLAIMS, nonce=start.login_state.nonce)
    tara.token_response(id_token=signer.sign(claims))
    params = {"code": "c", "state": start.state}
    return (await provider.complete_login(params, start.login_state)).subject


def moved_claims(clock: Clock) -> dict[str, int]:
    """iat/nbf/exp that are valid at the clock's current time."""
    now = int(clock.now)
    return {"iat": now, "nbf": now, "exp": now + 40}


async def test_keys_are_fetched_once_and_reused(
    provider: OIDCProvider, tara: MockProvider, key: SigningKey
) -> None:
    for _ in range(3):
        await login_with(provider, tara, key)
    assert tara.jwks_calls == 1


async def test_keys_are_refetched_after_the_cache_ttl(
    provider: OIDCProvider, tara: MockProvider, key: SigningKey, clock: Clock
) -> None:
    await login_with(provider, tara, key)
    clock.advance(301)
    start = await provider.make_login("/")
    claims = claims_like(MOBILE_ID_CLAIMS, nonce=start.login_state.nonce, **moved_claims(clock))
    tara.token_response(id_token=key.sign(claims))
    await provider.complete_login({"code": "c", "state": start.state}, start.login_state)
    assert tara.jwks_calls == 2


async def test_rotation_with_two_published_keys_accepts_both(
    provider: OIDCProvider, tara: MockProvider, key: SigningKey, other_key: SigningKey
) -> None:
    tara.keys = [key.jwk, other_key.jwk]
    assert await login_with(provider, tara, key) == "EE60001019906"
    assert await login_with(provider, tara, other_key) == "EE60001019906"
    assert tara.jwks_calls == 1


async def test_new_kid_after_rotation_triggers_one_refetch(
    provider: OIDCProvider, tara: MockProvider, key: SigningKey, other_key: SigningKey, clock: Clock
) -> None:
    await login_with(provider, tara, key)
    tara.keys = [key.jwk, other_key.jwk]
    clock.advance(11)
    start = await provider.make_login("/")
    claims = claims_like(MOBILE_ID_CLAIMS, nonce=start.login_state.nonce, **moved_claims(clock))
    tara.token_response(id_token=other_key.sign(claims))
    await provider.complete_login({"code": "c", "state": start.state}, start.login_state)
    assert tara.jwks_calls == 2


async def test_unknown_kid_fails_after_exactly_one_refetch(
    provider: OIDCProvider, tara: MockProvider, key: SigningKey, other_key: SigningKey, clock: Clock
) -> None:
    await login_with(provider, tara, key)
    clock.advance(11)
    with pytest.raises(IdTokenInvalid) as caught:
        await login_with(provider, tara, other_key)
    assert caught.value.reason == "kid"
    assert tara.jwks_calls == 2


async def test_unknown_kid_refetch_is_rate_limited(
    provider: OIDCProvider, tara: MockProvider, key: SigningKey, other_key: SigningKey, clock: Clock
) -> None:
    await login_with(provider, tara, key)
    clock.advance(11)
    for _ in range(3):
        with pytest.raises(IdTokenInvalid, match="kid"):
            await login_with(provider, tara, other_key)
        clock.advance(1)
    assert tara.jwks_calls == 2


async def test_jwks_endpoint_down_is_provider_unavailable(
    tara: MockProvider, key: SigningKey, clock: Clock
) -> None:
    tara.route("jwks").mock(return_value=httpx.Response(503))
    async with OIDCProvider(tara_config(), clock=clock) as provider:
        with pytest.raises(ProviderUnavailable):
            await login_with(provider, tara, key)


def test_parse_jwks_keeps_only_rs256_signing_keys(key: SigningKey) -> None:
    document = {
        "keys": [
            key.jwk,
            {**key.jwk, "kid": "enc", "use": "enc"},
            {**key.jwk, "kid": "es", "alg": "ES256"},
            {"kty": "EC", "kid": "ec", "crv": "P-256", "x": "x", "y": "y"},
            {**key.jwk, "kid": "broken", "n": "!!"},
            {"kty": "RSA"},
            "not a key",
        ]
    }
    assert set(parse_jwks(document)) == {key.kid}
    assert parse_jwks({"keys": "nope"}) == {}


async def test_concurrent_first_logins_fetch_discovery_and_keys_once(
    provider: OIDCProvider, tara: MockProvider, key: SigningKey
) -> None:
    starts = await asyncio.gather(*(provider.make_login("/") for _ in range(5)))
    tokens = {
        f"code-{i}": key.sign(claims_like(MOBILE_ID_CLAIMS, nonce=start.login_state.nonce))
        for i, start in enumerate(starts)
    }

    def answer(request: httpx.Request) -> httpx.Response:
        code = parse_qs(request.content.decode())["code"][0]
        return httpx.Response(200, json={"id_token": tokens[code], "token_type": "bearer"})

    tara.route("token").mock(side_effect=answer)
    logins = (
        provider.complete_login({"code": f"code-{i}", "state": s.state}, s.login_state)
        for i, s in enumerate(starts)
    )
    results = await asyncio.gather(*logins)
    assert {r.subject for r in results} == {"EE60001019906"}
    assert tara.route("discovery").call_count == 1
    assert tara.jwks_calls == 1
