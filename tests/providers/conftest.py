"""Fixtures: TARA and GovSSO mocked with respx, signing keys generated here (TARA.md)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
import respx
from oidc_fakes import (
    GOVSSO,
    KID,
    TARA,
    Clock,
    MockProvider,
    SigningKey,
    govsso_config,
    make_key,
    tara_config,
)

from refreshgate.providers import OIDCProvider


@pytest.fixture(scope="session")
def key() -> SigningKey:
    """The provider's current signing key (TARA.md's kid)."""
    return make_key(KID)


@pytest.fixture(scope="session")
def other_key() -> SigningKey:
    """A second key: rotation target, or an attacker's key."""
    return make_key("2e6c8d11-rotated")


@pytest.fixture
def router() -> Iterator[respx.MockRouter]:
    """respx router; anything unmocked fails instead of touching the network."""
    with respx.mock(assert_all_called=False, assert_all_mocked=True) as mock:
        yield mock


@pytest.fixture
def tara(router: respx.MockRouter, key: SigningKey) -> MockProvider:
    """TARA test instance."""
    paths = {
        "discovery": "/.well-known/openid-configuration",
        "authorize": "/oidc/authorize",
        "token": "/oidc/token",
        "jwks": "/oidc/jwks",
    }
    mock = MockProvider(router, TARA, paths, keys=[key.jwk])
    mock.install()
    return mock


@pytest.fixture
def govsso(router: respx.MockRouter, key: SigningKey) -> MockProvider:
    """GovSSO demo instance (issuer with trailing slash, PKCE advertised, logout endpoint)."""
    paths = {
        "discovery": "/.well-known/openid-configuration",
        "authorize": "/oauth2/auth",
        "token": "/oauth2/token",
        "jwks": "/.well-known/jwks.json",
        "logout": "/oauth2/sessions/logout",
    }
    mock = MockProvider(router, GOVSSO, paths, keys=[key.jwk])
    mock.discovery_extra = {
        "code_challenge_methods_supported": ["plain", "S256"],
        "end_session_endpoint": mock.url("logout"),
    }
    mock.install()
    return mock


@pytest.fixture
def clock() -> Clock:
    """Injected time, starting 5 s after the fixture token's ``iat``."""
    return Clock()


@pytest.fixture
async def provider(tara: MockProvider, clock: Clock) -> AsyncIterator[OIDCProvider]:
    """An OIDCProvider for TARA with its own httpx client."""
    async with OIDCProvider(tara_config(), clock=clock) as made:
        yield made


@pytest.fixture
async def sso_provider(govsso: MockProvider, clock: Clock) -> AsyncIterator[OIDCProvider]:
    """An OIDCProvider for GovSSO."""
    async with OIDCProvider(govsso_config(), clock=clock) as made:
        yield made
