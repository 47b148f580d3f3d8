"""Mint and read tokens. The only module that touches python-jose.

Access token: JWS, header ``typ: at+jwt``. Refresh token: JWE ``dir`` + ``A256GCM``, header
``typ: rt+jwt``, its own key. Before any cryptography a token is rejected for: more than 8 KiB,
the wrong shape, ``alg: none`` or an algorithm other than the one tied to its ``kid``, an unknown
``kid``, a ``zip``, ``jku``, ``x5u``, ``jwk``, ``x5c`` or ``crit`` header, or the wrong ``typ``.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from jose import jws
from jose.exceptions import JOSEError

from refreshgate.clock import Clock
from refreshgate.config.model import TokensConfig
from refreshgate.core.keys import KeySet
from refreshgate.errors import InvalidGrant, InvalidToken

__all__ = [
    "ACCESS_TYP",
    "MAX_TOKEN_BYTES",
    "REFRESH_TYP",
    "AccessToken",
    "RefreshToken",
    "TokenCodec",
    "new_id",
]

MAX_TOKEN_BYTES = 8192
ACCESS_TYP = "at+jwt"
REFRESH_TYP = "rt+jwt"
_FORBIDDEN_HEADERS = frozenset({"zip", "jku", "x5u", "jwk", "x5c", "crit"})


def new_id() -> str:
    """A random identifier with 128 bits of entropy (``jti``, ``sid``)."""
    return secrets.token_urlsafe(16)


class _SessionClaims:
    """Accessors for the claims both token kinds carry (``claims`` is set by the subclass)."""

    claims: Mapping[str, Any]

    @property
    def jti(self) -> str:
        return str(self.claims["jti"])

    @property
    def sid(self) -> str:
        return str(self.claims["sid"])

    @property
    def sub(self) -> str:
        return str(self.claims["sub"])

    @property
    def exp(self) -> int:
        return int(self.claims["exp"])

    @property
    def iat(self) -> int:
        return int(self.claims["iat"])

    @property
    def profile(self) -> str:
        return str(self.claims["prf"])

    @property
    def client(self) -> str | None:
        cid = self.claims.get("cid")
        return None if cid is None else str(cid)


@dataclass(frozen=True)
class AccessToken(_SessionClaims):
    """A verified access token: its claims and the string it came from."""

    token: str = field(repr=False)  # a bearer credential: never in logs
    claims: Mapping[str, Any]


@dataclass(frozen=True)
class RefreshToken(_SessionClaims):
    """A decrypted refresh token's claims."""

    claims: Mapping[str, Any]

    @property
    def gen(self) -> int:
        return int(self.claims["gen"])


class TokenCodec:
    """Signs, encrypts, verifies and decrypts tokens with the configured keys and clock."""

    def __init__(self, keys: KeySet, config: TokensConfig, clock: Clock) -> None:
        self._keys = keys
        self._issuer = config.issuer
        self._audience = config.audience
        self._accepted_aud = _as_set(config.audience)
        self._skew = config.clock_skew
        self._clock = clock

    # -- access tokens -------------------------------------------------------------------------

    def mint_access(self, claims: Mapping[str, Any]) -> str:
        """Sign an access token; ``iss`` and ``aud`` come from the config."""
        return self.mint_access_token(claims).token

    def mint_access_token(self, claims: Mapping[str, Any]) -> AccessToken:
        """Sign an access token and return it with its claims, as verifying it would (the signer
        need not check its own signature)."""
        key = self._keys.signing_key
        payload = {"iss": self._issuer, **({"aud": self._audience} if self._audience else {})}
        payload.update(claims)
        headers = {"typ": ACCESS_TYP, "kid": key.kid}
        token: str = jws.sign(payload, key.signer, headers=headers, algorithm=key.alg)
        return AccessToken(token, MappingProxyType(payload))

    def verify_access(self, token: str, *, allow_expired: bool = False) -> AccessToken:
        """Verify signature, ``typ``, ``iss``, ``aud``, ``nbf`` and (unless allowed) ``exp``."""
        header = _header(token, parts=3, error=InvalidToken)
        if _typ(header) != ACCESS_TYP:
            raise InvalidToken("not an access token", reason="typ")
        key = self._keys.access_key(header.get("kid"))
        if key is None:
            raise InvalidToken("unknown signing key", reason="kid")
        if header.get("alg") != key.alg:
            raise InvalidToken("algorithm not allowed for this key", reason="alg")
        try:
            payload = jws.verify(token, key.verifier, algorithms=[key.alg])
        except JOSEError as exc:
            raise InvalidToken("signature verification failed", reason="signature") from exc
        claims = _json_object(payload, InvalidToken)
        self._check_access_claims(claims, allow_expired=allow_expired)
        # read-only: verified claims are shared by every request that presents this token
        return AccessToken(token, MappingProxyType(claims))

    def _check_access_claims(self, claims: dict[str, Any], *, allow_expired: bool) -> None:
        for name in ("sub", "jti", "sid", "prf", "exp", "iat"):
            if name not in claims:
                raise InvalidToken(f"missing claim {name}", reason="claims")
        if claims.get("iss") != self._issuer:
            raise InvalidToken("wrong issuer", reason="iss")
        if self._accepted_aud and not (_as_set(claims.get("aud")) & self._accepted_aud):
            raise InvalidToken("wrong audience", reason="aud")
        now = self._clock.now()
        if not isinstance(claims["exp"], int | float) or isinstance(claims["exp"], bool):
            raise InvalidToken("bad exp", reason="claims")
        nbf = claims.get("nbf", claims["iat"])
        if isinstance(nbf, int | float) and nbf > now + self._skew:
            raise InvalidToken("token not yet valid", reason="nbf")
        if not allow_expired and now > claims["exp"] + self._skew:
            raise InvalidToken("token expired", reason="expired")

    # -- refresh tokens ------------------------------------------------------------------------

    def mint_refresh(self, claims: Mapping[str, Any]) -> str:
        """Encrypt a refresh token (``dir`` + ``A256GCM``) with the newest refresh key."""
        key = self._keys.encryption_key
        header = {"alg": "dir", "enc": "A256GCM", "kid": key.kid, "typ": REFRESH_TYP}
        encoded_header = _b64(json.dumps(header, separators=(",", ":")).encode())
        payload = {"iss": self._issuer, **claims}
        iv = os.urandom(12)
        sealed = AESGCM(key.secret.reveal()).encrypt(
            iv, json.dumps(payload, separators=(",", ":")).encode(), encoded_header.encode()
        )
        ciphertext, tag = sealed[:-16], sealed[-16:]
        return ".".join((encoded_header, "", _b64(iv), _b64(ciphertext), _b64(tag)))

    def read_refresh(self, token: str) -> RefreshToken:
        """Decrypt and check a refresh token (``typ``, ``iss``, ``exp``); else ``invalid_grant``."""
        header = _header(token, parts=5, error=InvalidGrant)
        if _typ(header) != REFRESH_TYP:
            raise InvalidGrant("not a refresh token")
        if header.get("alg") != "dir" or header.get("enc") != "A256GCM":
            raise InvalidGrant("refresh token algorithm not allowed")
        key = self._keys.refresh_key(header.get("kid"))
        if key is None:
            raise InvalidGrant("unknown refresh token key")
        encoded_header, encrypted_key, iv, ciphertext, tag = token.split(".")
        if encrypted_key:
            raise InvalidGrant("malformed refresh token")
        try:
            plain = AESGCM(key.secret.reveal()).decrypt(
                _unb64(iv), _unb64(ciphertext) + _unb64(tag), encoded_header.encode()
            )
        except (InvalidTag, ValueError) as exc:
            raise InvalidGrant("refresh token could not be decrypted") from exc
        claims = _json_object(plain, InvalidGrant)
        for name in ("sub", "jti", "sid", "gen", "prf", "exp", "iat"):
            if name not in claims:
                raise InvalidGrant("malformed refresh token")
        if claims.get("iss") != self._issuer:
            raise InvalidGrant("refresh token from another issuer")
        if self._clock.now() > claims["exp"] + self._skew:
            raise InvalidGrant("refresh token expired")
        return RefreshToken(claims)


def _header(token: object, *, parts: int, error: type[InvalidToken] | type[InvalidGrant]) -> dict[str, Any]:
    """Everything that can be checked before cryptography."""
    if not isinstance(token, str) or not token:
        raise error("token missing")
    if len(token) > MAX_TOKEN_BYTES:
        raise error("token too large")
    if not token.isascii() or token.count(".") != parts - 1:
        raise error("malformed token")
    try:
        header = json.loads(_unb64(token.split(".", 1)[0]))
    except (ValueError, UnicodeDecodeError) as exc:
        raise error("malformed token header") from exc
    if not isinstance(header, dict):
        raise error("malformed token header")
    alg = header.get("alg")
    if not isinstance(alg, str) or alg.lower() == "none":
        raise error("algorithm not allowed")
    if _FORBIDDEN_HEADERS & header.keys():
        raise error("token header not allowed")
    return header


def _typ(header: Mapping[str, Any]) -> str:
    typ = header.get("typ")
    return typ.lower().removeprefix("application/") if isinstance(typ, str) else ""


def _json_object(data: bytes, error: type[InvalidToken] | type[InvalidGrant]) -> dict[str, Any]:
    try:
        claims = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise error("malformed token payload") from exc
    if not isinstance(claims, dict):
        raise error("malformed token payload")
    return claims


def _as_set(value: object) -> set[str]:
    if isinstance(value, str):
        return {value}
    if isinstance(value, list):
        return {item for item in value if isinstance(item, str)}
    return set()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not base64url") from exc
