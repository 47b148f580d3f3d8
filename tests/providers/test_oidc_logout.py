"""Back-channel logout tokens (OpenID Connect Back-Channel Logout 1.0)."""

from __future__ import annotations

from typing import Any

import pytest

from oidc_fakes import CLIENT_ID, GOVSSO, NOW, MockProvider, SigningKey, claims_like
from refreshgate.providers import IdTokenInvalid, LogoutRequest, OIDCProvider

EVENT = "http://schemas.openid.net/event/backchannel-logout"
LOGOUT_CLAIMS: dict[str, Any] = {
    "iss": GOVSSO,
    "aud": CLIENT_ID,
    "iat": int(NOW),
    "jti": "8a5c2f1e-logout",
    "sid": "f5ab396c-1490-4042-b073-ae8e003c7258",
    "events": {EVENT: {}},
}


async def test_logout_token_with_sid_is_accepted(
    sso_provider: OIDCProvider, govsso: MockProvider, key: SigningKey
) -> None:
    result = await sso_provider.verify_logout_token(key.sign(LOGOUT_CLAIMS))
    assert result == LogoutRequest(
        sid="f5ab396c-1490-4042-b073-ae8e003c7258", sub=None, jti="8a5c2f1e-logout"
    )


async def test_logout_token_with_only_sub_is_accepted(
    sso_provider: OIDCProvider, govsso: MockProvider, key: SigningKey
) -> None:
    token = key.sign(claims_like(LOGOUT_CLAIMS, sid=None, sub="EE60001018800"))
    result = await sso_provider.verify_logout_token(token)
    assert result.sub == "EE60001018800" and result.sid is None


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"iss": "https://tara-test.ria.ee"}, "iss"),
        ({"aud": "other-client"}, "aud"),
        ({"events": None}, "events"),
        ({"events": {"http://example/other": {}}}, "events"),
        ({"nonce": "n"}, "nonce"),
        ({"sid": None}, "sid"),
        ({"iat": None}, "iat"),
        ({"iat": int(NOW) - 3600}, "iat"),
        ({"exp": int(NOW) - 3600}, "exp"),
        ({"jti": None}, "malformed"),
    ],
)
async def test_bad_logout_token_is_rejected(
    sso_provider: OIDCProvider,
    govsso: MockProvider,
    key: SigningKey,
    changes: dict[str, Any],
    reason: str,
) -> None:
    with pytest.raises(IdTokenInvalid) as caught:
        await sso_provider.verify_logout_token(key.sign(claims_like(LOGOUT_CLAIMS, **changes)))
    assert caught.value.reason == reason


async def test_logout_token_signed_by_a_stranger_is_rejected(
    sso_provider: OIDCProvider, govsso: MockProvider, key: SigningKey, other_key: SigningKey
) -> None:
    forged = SigningKey(key.kid, other_key.pem, other_key.jwk)
    with pytest.raises(IdTokenInvalid, match="signature"):
        await sso_provider.verify_logout_token(forged.sign(LOGOUT_CLAIMS))


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "x" * 20000])
async def test_garbage_logout_token_is_rejected(
    sso_provider: OIDCProvider, govsso: MockProvider, garbage: str
) -> None:
    with pytest.raises(IdTokenInvalid, match="malformed"):
        await sso_provider.verify_logout_token(garbage)


async def test_logout_token_claims_of_the_wrong_type_are_not_passed_on(
    sso_provider: OIDCProvider, govsso: MockProvider, key: SigningKey
) -> None:
    token = key.sign(claims_like(LOGOUT_CLAIMS, sid=42, sub="EE60001018800"))
    result = await sso_provider.verify_logout_token(token)
    assert result.sid is None and result.sub == "EE60001018800"
