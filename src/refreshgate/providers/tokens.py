"""Verification of the provider's JWTs: ID tokens (login, refresh) and back-channel logout tokens.

The header is checked before any cryptography (RS256 only, a ``kid``, no key-carrying headers),
the signature with the JWKS key for that ``kid``, then the claims against an injected ``now``.
A missing ``acr`` is treated as below ``low``: it never satisfies a required level, and one is
always required (``acr_values`` if configured, else ``substantial``, as TARA prescribes).
"""

from __future__ import annotations

import copy
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from jose import jws
from jose.exceptions import JOSEError

from refreshgate.providers.errors import IdTokenInvalid
from refreshgate.providers.jwks import ALGORITHM, JWKSCache

__all__ = [
    "ACR_ORDER",
    "BACKCHANNEL_LOGOUT_EVENT",
    "PRESERVED_CLAIMS",
    "ClaimRules",
    "allowed_amr",
    "check_id_token",
    "check_logout_token",
    "preserved_claims",
    "verify_jws",
]

MAX_TOKEN_BYTES = 16 * 1024
ACR_ORDER = {"low": 0, "substantial": 1, "high": 2}
ALL_AMR = frozenset({"mID", "idcard", "smartid", "eIDAS"})
_SCOPE_AMR = {"idcard": "idcard", "mid": "mID", "smartid": "smartid", "eidas": "eIDAS"}
_SCOPE_AMR["eidasonly"] = "eIDAS"
_FORBIDDEN_HEADERS = frozenset({"jku", "x5u", "jwk", "x5c", "crit", "zip"})
BACKCHANNEL_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
LOGOUT_TOKEN_MAX_AGE = 600

#: TARA's identity claims and GovSSO's flat ones; protocol claims are never copied.
PRESERVED_CLAIMS = (
    "profile_attributes",
    "profile_attributes_translit",
    "amr",
    "acr",
    "email",
    "email_verified",
    "phone_number",
    "phone_number_verified",
    "given_name",
    "family_name",
    "birthdate",
)


@dataclass(frozen=True)
class ClaimRules:
    """What every token from this provider must satisfy."""

    issuer: str
    client_id: str
    clock_skew: float
    allowed_amr: frozenset[str]
    min_acr: str


def allowed_amr(scopes: Iterable[str]) -> frozenset[str]:
    """Authentication methods a scope allows: the requested ones, or all when none is named."""
    methods = {_SCOPE_AMR[s] for s in scopes if s in _SCOPE_AMR}
    if any(s.startswith("eidas:country:") for s in scopes):
        methods.add("eIDAS")
    return frozenset(methods) or ALL_AMR


async def verify_jws(token: str, keys: JWKSCache) -> dict[str, Any]:
    """Claims of a provider JWT whose header and RS256 signature check out."""
    header = _header(token)
    key = await keys.key(header["kid"])
    try:
        payload = jws.verify(token, key, [ALGORITHM])
    except JOSEError as exc:
        raise IdTokenInvalid("signature") from exc
    try:
        claims = json.loads(payload)
    except ValueError as exc:
        raise IdTokenInvalid("malformed") from exc
    if not isinstance(claims, dict):
        raise IdTokenInvalid("malformed")
    return claims


def _header(token: str) -> dict[str, Any]:
    if not isinstance(token, str) or len(token) > MAX_TOKEN_BYTES or token.count(".") != 2:
        raise IdTokenInvalid("malformed")
    try:
        header = jws.get_unverified_header(token)
    except JOSEError as exc:
        raise IdTokenInvalid("malformed") from exc
    if header.get("alg") != ALGORITHM:
        raise IdTokenInvalid("alg")
    if _FORBIDDEN_HEADERS.intersection(header):
        raise IdTokenInvalid("malformed")
    if not isinstance(header.get("kid"), str):
        raise IdTokenInvalid("kid")
    return dict(header)


def check_id_token(
    claims: Mapping[str, Any],
    rules: ClaimRules,
    now: float,
    *,
    nonce: str | None,
    nonce_required: bool = True,
) -> None:
    """Check an ID token's claims.

    With ``nonce_required=False`` (GovSSO refresh) a token without ``nonce`` passes; one that has
    a nonce must still match ``nonce`` when that is known.
    """
    _check_common(claims, rules, now, exp_required=True)
    _required_str(claims, "sub")
    _check_nonce(claims.get("nonce"), nonce, required=nonce_required)
    amr = claims.get("amr")
    if (
        not isinstance(amr, list)
        or not amr
        or not all(isinstance(m, str) and m in rules.allowed_amr for m in amr)
    ):
        raise IdTokenInvalid("amr")
    acr = claims.get("acr")
    if not isinstance(acr, str) or ACR_ORDER.get(acr, -1) < ACR_ORDER[rules.min_acr]:
        raise IdTokenInvalid("acr")


def check_logout_token(claims: Mapping[str, Any], rules: ClaimRules, now: float) -> None:
    """OpenID Connect Back-Channel Logout 1.0 §2.6 checks."""
    _check_common(claims, rules, now, exp_required=False)
    iat = _number(claims, "iat", required=True)
    too_old = now - LOGOUT_TOKEN_MAX_AGE - rules.clock_skew
    if "exp" not in claims and iat is not None and iat < too_old:
        # Without exp, an old captured logout token could be replayed forever.
        raise IdTokenInvalid("iat")
    events = claims.get("events")
    if not isinstance(events, dict) or not isinstance(events.get(BACKCHANNEL_LOGOUT_EVENT), dict):
        raise IdTokenInvalid("events")
    if "nonce" in claims:
        raise IdTokenInvalid("nonce")
    sid, sub = claims.get("sid"), claims.get("sub")
    if not (isinstance(sid, str) and sid) and not (isinstance(sub, str) and sub):
        raise IdTokenInvalid("sid")
    _required_str(claims, "jti")


def preserved_claims(claims: Mapping[str, Any]) -> dict[str, Any]:
    """The identity claims to carry into local tokens, copied verbatim."""
    return {name: copy.deepcopy(claims[name]) for name in PRESERVED_CLAIMS if name in claims}


def _check_common(claims: Mapping[str, Any], rules: ClaimRules, now: float, *, exp_required: bool) -> None:
    if claims.get("iss") != rules.issuer:
        raise IdTokenInvalid("iss")
    aud = claims.get("aud")
    if not (aud == rules.client_id or (isinstance(aud, list) and rules.client_id in aud)):
        raise IdTokenInvalid("aud")
    if "azp" in claims and claims["azp"] != rules.client_id:
        raise IdTokenInvalid("aud")
    exp = _number(claims, "exp", required=exp_required)
    if exp is not None and exp <= now - rules.clock_skew:
        raise IdTokenInvalid("exp")
    nbf = _number(claims, "nbf", required=False)
    if nbf is not None and nbf > now + rules.clock_skew:
        raise IdTokenInvalid("nbf")
    iat = _number(claims, "iat", required=True)
    if iat is not None and iat > now + rules.clock_skew:
        raise IdTokenInvalid("iat")


def _check_nonce(got: object, expected: str | None, *, required: bool) -> None:
    if got is None and not required:
        return
    if expected is None and not required:
        return  # the original nonce is unknown: nothing to compare with
    if not isinstance(got, str) or expected is None:
        raise IdTokenInvalid("nonce")
    if not hmac.compare_digest(got.encode(), expected.encode()):
        raise IdTokenInvalid("nonce")


def _number(claims: Mapping[str, Any], name: str, *, required: bool) -> int | float | None:
    value = claims.get(name)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise IdTokenInvalid(name)
    return value


def _required_str(claims: Mapping[str, Any], name: str) -> str:
    value = claims.get(name)
    if not isinstance(value, str) or not value:
        raise IdTokenInvalid("sub" if name == "sub" else "malformed")
    return value
