"""Token parsing (SPEC §3): every rejection names its error, and the cheap ones come before crypto."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterator
from typing import Any

import pytest

from refreshgate.clock import ManualClock
from refreshgate.config.model import TokensConfig
from refreshgate.core import tokens as tokens_module
from refreshgate.core.engine import Engine
from refreshgate.core.keys import KeySet
from refreshgate.core.tokens import MAX_TOKEN_BYTES, TokenCodec
from refreshgate.errors import InvalidGrant, InvalidRequest, InvalidToken

TOKENS = TokensConfig(issuer="https://auth.test", audience="portal", clock_skew=30)


@pytest.fixture
def codec(keys: KeySet, clock: ManualClock) -> TokenCodec:
    return TokenCodec(keys, TOKENS, clock)


@pytest.fixture
def no_crypto(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Any signature check or decryption from here on fails the test."""

    def forbidden(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("cryptography was reached")

    monkeypatch.setattr(tokens_module.jws, "verify", forbidden)
    monkeypatch.setattr(tokens_module, "AESGCM", forbidden)
    yield


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64json(value: dict[str, Any]) -> str:
    return b64(json.dumps(value).encode())


def at_claims(clock: ManualClock, **extra: Any) -> dict[str, Any]:
    now = int(clock.now())
    base = {
        "iss": "https://auth.test",
        "aud": "portal",
        "sub": "alice",
        "jti": "jti-1",
        "sid": "sid-1",
        "prf": "custom",
        "iat": now,
        "nbf": now,
        "exp": now + 600,
    }
    return {**base, **extra}


def rt_claims(clock: ManualClock, **extra: Any) -> dict[str, Any]:
    now = int(clock.now())
    return {
        "sub": "alice",
        "jti": "r-1",
        "sid": "sid-1",
        "gen": 0,
        "prf": "custom",
        "iat": now,
        "exp": now + 3600,
        "ati": "jti-1",
        **extra,
    }


def unstamped(clock: ManualClock) -> dict[str, Any]:
    """Claims without ``iss``/``aud``, so the minting codec stamps its own."""
    claims = at_claims(clock)
    del claims["iss"], claims["aud"]
    return claims


def signed(keys: KeySet, header: dict[str, Any], payload: dict[str, Any]) -> str:
    """A JWS signed with the real signing key but with any header we like."""
    signing_input = f"{b64json(header)}.{b64json(payload)}"
    key = keys.signing_key
    assert key.signer is not None
    return f"{signing_input}.{b64(key.signer.sign(signing_input.encode()))}"


def good_header(keys: KeySet, **extra: Any) -> dict[str, Any]:
    return {"alg": "ES256", "typ": "at+jwt", "kid": keys.signing_key.kid, **extra}


# -- access tokens: rejected before any cryptography -------------------------------------------


def test_alg_none_is_rejected_before_crypto(
    keys: KeySet, codec: TokenCodec, clock: ManualClock, no_crypto: None
) -> None:
    token = f"{b64json({'alg': 'none', 'typ': 'at+jwt', 'kid': keys.signing_key.kid})}.{b64json(at_claims(clock))}."
    with pytest.raises(InvalidToken, match="algorithm not allowed"):
        codec.verify_access(token)


def test_hs256_signed_with_the_public_key_pem_is_rejected_before_crypto(
    keys: KeySet, codec: TokenCodec, clock: ManualClock, no_crypto: None
) -> None:
    # the classic confusion attack: HMAC keyed with the (public) verification key
    public_pem = keys.signing_key.verifier.to_pem()
    header = {"alg": "HS256", "typ": "at+jwt", "kid": keys.signing_key.kid}
    signing_input = f"{b64json(header)}.{b64json(at_claims(clock))}"
    mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    with pytest.raises(InvalidToken, match="algorithm not allowed for this key") as info:
        codec.verify_access(f"{signing_input}.{b64(mac)}")
    assert info.value.reason == "alg"


def test_confusion_attack_fails_even_with_crypto_allowed(
    keys: KeySet, codec: TokenCodec, clock: ManualClock
) -> None:
    public_pem = keys.signing_key.verifier.to_pem()
    header = {"alg": "HS256", "typ": "at+jwt", "kid": keys.signing_key.kid}
    signing_input = f"{b64json(header)}.{b64json(at_claims(clock))}"
    mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    with pytest.raises(InvalidToken):
        codec.verify_access(f"{signing_input}.{b64(mac)}")


def test_unknown_kid_is_rejected_before_crypto(
    keys: KeySet, codec: TokenCodec, clock: ManualClock, no_crypto: None
) -> None:
    with pytest.raises(InvalidToken, match="unknown signing key"):
        codec.verify_access(signed(keys, good_header(keys, kid="someone-else"), at_claims(clock)))


def test_missing_kid_is_rejected_before_crypto(
    keys: KeySet, codec: TokenCodec, clock: ManualClock, no_crypto: None
) -> None:
    header = good_header(keys)
    del header["kid"]
    with pytest.raises(InvalidToken, match="unknown signing key"):
        codec.verify_access(signed(keys, header, at_claims(clock)))


@pytest.mark.parametrize(
    "extra",
    [
        {"zip": "DEF"},
        {"jku": "https://evil.example/jwks"},
        {"x5u": "https://evil.example/cert"},
        {"jwk": {"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"}},
    ],
    ids=["zip", "jku", "x5u", "jwk"],
)
def test_dangerous_header_is_rejected_before_crypto(
    keys: KeySet, codec: TokenCodec, clock: ManualClock, no_crypto: None, extra: dict[str, Any]
) -> None:
    with pytest.raises(InvalidToken, match="token header not allowed"):
        codec.verify_access(signed(keys, good_header(keys, **extra), at_claims(clock)))


def test_token_over_8_kib_is_rejected_before_crypto(
    keys: KeySet, codec: TokenCodec, clock: ManualClock, no_crypto: None
) -> None:
    token = signed(keys, good_header(keys), at_claims(clock, pad="x" * MAX_TOKEN_BYTES))
    assert len(token) > MAX_TOKEN_BYTES
    with pytest.raises(InvalidToken, match="token too large"):
        codec.verify_access(token)


def test_wrong_typ_is_rejected_before_crypto(
    keys: KeySet, codec: TokenCodec, clock: ManualClock, no_crypto: None
) -> None:
    with pytest.raises(InvalidToken, match="not an access token"):
        codec.verify_access(signed(keys, good_header(keys, typ="JWT"), at_claims(clock)))


def test_refresh_token_presented_as_access_token_is_rejected_before_crypto(
    codec: TokenCodec, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    rt = codec.mint_refresh(rt_claims(clock))
    monkeypatch.setattr(tokens_module.jws, "verify", pytest.fail)
    monkeypatch.setattr(tokens_module, "AESGCM", pytest.fail)
    with pytest.raises(InvalidToken, match="malformed token"):
        codec.verify_access(rt)


@pytest.mark.parametrize("garbage", ["", "abc", "a.b", "a.b.c.d", "é.é.é", "!!!.e30.sig"])
def test_garbage_is_invalid_token_not_a_crash(codec: TokenCodec, garbage: str) -> None:
    with pytest.raises(InvalidToken):
        codec.verify_access(garbage)


# -- access tokens: cryptography and claims ----------------------------------------------------


def test_tampered_signature_is_rejected(codec: TokenCodec, clock: ManualClock) -> None:
    token = codec.mint_access(at_claims(clock))
    head, payload, sig = token.split(".")
    flipped = sig[:10] + ("A" if sig[10] != "A" else "B") + sig[11:]
    with pytest.raises(InvalidToken, match="signature verification failed"):
        codec.verify_access(f"{head}.{payload}.{flipped}")


def test_tampered_payload_is_rejected(keys: KeySet, codec: TokenCodec, clock: ManualClock) -> None:
    head, _, sig = codec.mint_access(at_claims(clock)).split(".")
    with pytest.raises(InvalidToken, match="signature verification failed"):
        codec.verify_access(f"{head}.{b64json(at_claims(clock, sub='mallory'))}.{sig}")


def test_wrong_issuer_is_rejected(keys: KeySet, codec: TokenCodec, clock: ManualClock) -> None:
    other = TokenCodec(keys, TokensConfig(issuer="https://other.test", audience="portal"), clock)
    with pytest.raises(InvalidToken, match="wrong issuer"):
        codec.verify_access(other.mint_access(unstamped(clock)))


def test_wrong_audience_is_rejected(keys: KeySet, codec: TokenCodec, clock: ManualClock) -> None:
    other = TokenCodec(keys, TokensConfig(issuer="https://auth.test", audience="intranet"), clock)
    with pytest.raises(InvalidToken, match="wrong audience"):
        codec.verify_access(other.mint_access(unstamped(clock)))


def test_expired_token_is_accepted_up_to_the_clock_skew_and_rejected_after(
    codec: TokenCodec, clock: ManualClock
) -> None:
    token = codec.mint_access(at_claims(clock, exp=int(clock.now()) + 60))
    clock.advance(60 + 30)
    assert codec.verify_access(token).jti == "jti-1"
    clock.advance(1)
    with pytest.raises(InvalidToken, match="token expired") as info:
        codec.verify_access(token)
    assert info.value.reason == "expired"
    assert codec.verify_access(token, allow_expired=True).jti == "jti-1"


def test_token_not_yet_valid_beyond_skew_is_rejected(codec: TokenCodec, clock: ManualClock) -> None:
    now = int(clock.now())
    assert codec.verify_access(codec.mint_access(at_claims(clock, nbf=now + 30))).jti == "jti-1"
    with pytest.raises(InvalidToken, match="not yet valid"):
        codec.verify_access(codec.mint_access(at_claims(clock, nbf=now + 31)))


def test_token_missing_a_required_claim_is_rejected(codec: TokenCodec, clock: ManualClock) -> None:
    claims = at_claims(clock)
    del claims["sid"]
    with pytest.raises(InvalidToken, match="missing claim sid"):
        codec.verify_access(codec.mint_access(claims))


# -- refresh tokens ----------------------------------------------------------------------------


def jwe_header(keys: KeySet, **extra: Any) -> dict[str, Any]:
    return {"alg": "dir", "enc": "A256GCM", "kid": keys.encryption_key.kid, "typ": "rt+jwt", **extra}


def with_header(token: str, header: dict[str, Any]) -> str:
    return ".".join([b64json(header), *token.split(".")[1:]])


def test_access_token_presented_as_refresh_token_is_invalid_grant_before_crypto(
    codec: TokenCodec, clock: ManualClock, no_crypto: None
) -> None:
    with pytest.raises(InvalidGrant, match="malformed token"):
        codec.read_refresh(codec.mint_access(at_claims(clock)))


def test_refresh_token_with_access_typ_is_not_a_refresh_token(
    keys: KeySet, codec: TokenCodec, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    rt = codec.mint_refresh(rt_claims(clock))
    monkeypatch.setattr(tokens_module, "AESGCM", pytest.fail)
    with pytest.raises(InvalidGrant, match="not a refresh token"):
        codec.read_refresh(with_header(rt, jwe_header(keys, typ="at+jwt")))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"alg": "none"}, "algorithm not allowed"),
        ({"alg": "A256KW"}, "refresh token algorithm not allowed"),
        ({"enc": "A128CBC-HS256"}, "refresh token algorithm not allowed"),
        ({"kid": "unknown"}, "unknown refresh token key"),
        ({"zip": "DEF"}, "token header not allowed"),
        ({"jku": "https://evil.example"}, "token header not allowed"),
    ],
    ids=["alg-none", "alg-kw", "enc", "kid", "zip", "jku"],
)
def test_refresh_token_bad_header_is_rejected_before_crypto(
    keys: KeySet,
    codec: TokenCodec,
    clock: ManualClock,
    changes: dict[str, Any],
    message: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rt = with_header(codec.mint_refresh(rt_claims(clock)), jwe_header(keys, **changes))
    monkeypatch.setattr(tokens_module, "AESGCM", pytest.fail)
    with pytest.raises(InvalidGrant, match=message):
        codec.read_refresh(rt)


def test_refresh_token_over_8_kib_is_rejected_before_crypto(codec: TokenCodec, clock: ManualClock) -> None:
    rt = codec.mint_refresh(rt_claims(clock, pad="x" * MAX_TOKEN_BYTES))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tokens_module, "AESGCM", pytest.fail)
        with pytest.raises(InvalidGrant, match="token too large"):
            codec.read_refresh(rt)


def test_tampered_refresh_token_ciphertext_is_rejected(codec: TokenCodec, clock: ManualClock) -> None:
    head, key, iv, ciphertext, tag = codec.mint_refresh(rt_claims(clock)).split(".")
    raw = bytearray(base64.urlsafe_b64decode(ciphertext + "=" * (-len(ciphertext) % 4)))
    raw[0] ^= 1
    with pytest.raises(InvalidGrant, match="could not be decrypted"):
        codec.read_refresh(".".join((head, key, iv, b64(bytes(raw)), tag)))


def test_refresh_token_with_a_swapped_header_fails_authentication(
    keys: KeySet, codec: TokenCodec, clock: ManualClock
) -> None:
    # the header is authenticated data: changing an innocent field breaks decryption
    rt = with_header(codec.mint_refresh(rt_claims(clock)), jwe_header(keys, cty="JWT"))
    with pytest.raises(InvalidGrant, match="could not be decrypted"):
        codec.read_refresh(rt)


def test_refresh_token_of_another_issuer_is_rejected(
    keys: KeySet, codec: TokenCodec, clock: ManualClock
) -> None:
    other = TokenCodec(keys, TokensConfig(issuer="https://other.test"), clock)
    with pytest.raises(InvalidGrant, match="another issuer"):
        codec.read_refresh(other.mint_refresh(rt_claims(clock)))


def test_refresh_token_expires_after_the_clock_skew(codec: TokenCodec, clock: ManualClock) -> None:
    rt = codec.mint_refresh(rt_claims(clock, exp=int(clock.now()) + 100))
    clock.advance(130)
    assert codec.read_refresh(rt).gen == 0
    clock.advance(1)
    with pytest.raises(InvalidGrant, match="expired"):
        codec.read_refresh(rt)


def test_refresh_token_keeps_its_claims_opaque(codec: TokenCodec, clock: ManualClock) -> None:
    rt = codec.mint_refresh(rt_claims(clock))
    assert "alice" not in base64.urlsafe_b64decode(rt.split(".")[3] + "==").decode("latin-1")
    assert dict(codec.read_refresh(rt).claims)["ati"] == "jti-1"


# -- issuance ----------------------------------------------------------------------------------


@pytest.mark.parametrize("claim", ["iss", "exp", "iat", "nbf", "jti", "sid", "prf", "cid", "typ"])
async def test_reserved_claim_in_issuance_is_invalid_request(engine: Engine, claim: str) -> None:
    with pytest.raises(InvalidRequest, match="reserved claims"):
        await engine.issue("alice", claims={claim: "x", "roles": ["admin"]})


async def test_issued_tokens_have_the_spec_shape(engine: Engine, keys: KeySet) -> None:
    issued = await engine.issue("alice", claims={"roles": ["reader"]})
    assert issued.refresh_token is not None
    at_header = json.loads(base64.urlsafe_b64decode(issued.access_token.split(".")[0] + "=="))
    rt_header = json.loads(base64.urlsafe_b64decode(issued.refresh_token.split(".")[0] + "=="))
    assert at_header == {"alg": "ES256", "typ": "at+jwt", "kid": keys.signing_key.kid}
    assert rt_header == {"alg": "dir", "enc": "A256GCM", "kid": keys.encryption_key.kid, "typ": "rt+jwt"}
    at = engine.ctx.codec.verify_access(issued.access_token)
    assert {"iss", "sub", "aud", "iat", "nbf", "exp", "jti", "sid", "prf"} <= at.claims.keys()
    assert at.claims["roles"] == ["reader"] and at.sid == issued.session_id
    assert len(base64.urlsafe_b64decode(at.jti + "==")) >= 16
    rt = engine.ctx.codec.read_refresh(issued.refresh_token)
    assert rt.gen == 0 and rt.claims["ati"] == at.jti and rt.sid == at.sid
