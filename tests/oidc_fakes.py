"""Fakes shared by tests/providers and tests/tara.

TARA.md fixture claims, RSA signing keys, a respx-mocked provider, and the fixtures both folders'
conftest.py import (fixtures ``key``, ``other_key``, ``router``).
"""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import respx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jose import jws

from refreshgate.config.tara import TaraConfig

TARA = "https://tara-test.ria.ee"
GOVSSO = "https://govsso-demo.ria.ee/"
KID = "8b2c7561-fdf8-41d4-b466-ab323c3865c6"
CLIENT_ID = "tim-client-test"
CLIENT_SECRET = "s3cr3t-client-value"
NOW = 1735722005.0
#: TARA.md's test person; the apostrophe is U+2019, which must survive untouched.
FAMILY_NAME = "O\u2019CONNEŽ-ŠUSLIK TESTNUMBER"

MOBILE_ID_CLAIMS: dict[str, Any] = {
    "jti": "6f1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b",
    "iss": TARA,
    "aud": CLIENT_ID,
    "iat": 1735722000,
    "nbf": 1735722000,
    "exp": 1735722040,
    "sub": "EE60001019906",
    "profile_attributes": {
        "date_of_birth": "2000-01-01",
        "family_name": FAMILY_NAME,
        "given_name": "MARY ÄNN",
    },
    "amr": ["mID"],
    "acr": "high",
    "state": "vCg0HahTdjiYZsI+yxsuhm/0BJNDgvVkT6BAFNU394A=",
    "nonce": "qrstuvwxyzabcdef",
    "at_hash": "X0MVjwrmMQs/IBzfU2osvw==",
    "phone_number": "+37200000766",
    "phone_number_verified": True,
}

GOVSSO_CLAIMS: dict[str, Any] = {
    "jti": "0c5f1e0e-8a1f-4b55-9d5c-2f9f2f4f6a11",
    "iss": GOVSSO,
    "aud": [CLIENT_ID],
    "iat": 1735722000,
    "exp": 1735722900,
    "auth_time": 1735721990,
    "sub": "EE60001018800",
    "given_name": "MARY ÄNN",
    "family_name": FAMILY_NAME,
    "birthdate": "2000-01-01",
    "amr": ["mID"],
    "acr": "high",
    "sid": "f5ab396c-1490-4042-b073-ae8e003c7258",
    "at_hash": "X0MVjwrmMQs/IBzfU2osvw==",
}


class Clock:
    """A clock that moves only when told to."""

    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move forward."""
        self.now += seconds


@dataclass
class SigningKey:
    """An RSA key pair: PEM for signing, JWK for publishing."""

    kid: str
    pem: bytes
    jwk: dict[str, str]

    def sign(self, claims: dict[str, Any], **headers: Any) -> str:
        """A compact RS256 JWS over ``claims`` with this key's ``kid``."""
        header = {"kid": self.kid, **headers}
        return str(jws.sign(claims, self.pem, headers=header, algorithm="RS256"))


def _b64(number: int) -> str:
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def make_key(kid: str) -> SigningKey:
    """Generate a fresh 2048-bit RSA signing key."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    numbers = private.public_key().public_numbers()
    jwk = {"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256"}
    jwk |= {"n": _b64(numbers.n), "e": _b64(numbers.e)}
    return SigningKey(kid, pem, jwk)


@dataclass
class MockProvider:
    """A respx-mocked provider: discovery, JWKS (mutable key list), token endpoint."""

    router: respx.MockRouter
    issuer: str
    paths: dict[str, str]
    keys: list[dict[str, str]] = field(default_factory=list)
    discovery_extra: dict[str, Any] = field(default_factory=dict)

    def url(self, name: str) -> str:
        """Absolute URL of one endpoint."""
        return self.issuer.rstrip("/") + self.paths[name]

    def route(self, name: str) -> respx.Route:
        """One of this provider's routes: ``discovery``, ``jwks`` or ``token``."""
        return self.router.routes[self.issuer + name]

    def install(self) -> None:
        """Register the routes."""
        self.router.get(self.url("discovery"), name=self.issuer + "discovery").mock(
            side_effect=lambda request: httpx.Response(200, json=self.discovery())
        )
        self.router.get(self.url("jwks"), name=self.issuer + "jwks").mock(
            side_effect=lambda request: httpx.Response(200, json={"keys": list(self.keys)})
        )
        self.router.post(self.url("token"), name=self.issuer + "token")

    def discovery(self) -> dict[str, Any]:
        """The discovery document."""
        doc = {
            "issuer": self.issuer,
            "authorization_endpoint": self.url("authorize"),
            "token_endpoint": self.url("token"),
            "jwks_uri": self.url("jwks"),
        }
        return doc | self.discovery_extra

    def token_response(self, **body: Any) -> None:
        """The next token endpoint answer (200 JSON)."""
        self.route("token").mock(return_value=httpx.Response(200, json=body))

    def token_error(self, status: int, body: Any = None, **kwargs: Any) -> None:
        """Make the token endpoint fail."""
        route = self.route("token")
        if "side_effect" in kwargs:
            route.mock(side_effect=kwargs["side_effect"])
        else:
            content = json.dumps(body).encode() if body is not None else b"oops"
            route.mock(return_value=httpx.Response(status, content=content))

    @property
    def jwks_calls(self) -> int:
        """How often the JWKS was fetched."""
        return self.route("jwks").call_count

    @property
    def token_request(self) -> httpx.Request:
        """The last request to the token endpoint."""
        return self.route("token").calls.last.request


def tara_config(**overrides: Any) -> TaraConfig:
    """A TaraConfig for the TARA test instance."""
    values: dict[str, Any] = {
        "issuer": TARA,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "redirect_uri": "https://portal.example.ee/tara/callback",
    }
    return TaraConfig(**(values | overrides))


def govsso_config(**overrides: Any) -> TaraConfig:
    """A TaraConfig for the GovSSO demo instance with provider refresh."""
    values: dict[str, Any] = {"issuer": GOVSSO, "provider_refresh": True, "acr_values": "high"}
    return tara_config(**(values | overrides))


def claims_like(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A deep copy of fixture claims with changes; a value of ``None`` removes the claim."""
    claims = copy.deepcopy(base)
    for name, value in changes.items():
        if value is None:
            claims.pop(name, None)
        else:
            claims[name] = value
    return claims


# -- fixtures, imported by tests/providers/conftest.py and tests/tara/conftest.py --------------------
# (registered under ``name=``, so that a fixture argument ``key`` does not shadow an import)


@pytest.fixture(scope="session", name="key")
def key_fixture() -> SigningKey:
    """The provider's current signing key (TARA.md's kid)."""
    return make_key(KID)


@pytest.fixture(scope="session", name="other_key")
def other_key_fixture() -> SigningKey:
    """A second key: rotation target, or an attacker's key."""
    return make_key("2e6c8d11-rotated")


@pytest.fixture(name="router")
def router_fixture() -> Iterator[respx.MockRouter]:
    """respx router; anything unmocked fails instead of touching the network."""
    with respx.mock(assert_all_called=False, assert_all_mocked=True) as mock:
        yield mock
