"""Fixtures: TARA and GovSSO mocked with respx, signing keys from tests/oidc_fakes.py (TARA.md)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import respx

from oidc_fakes import (  # noqa: F401  (shared fixtures)
    GOVSSO,
    TARA,
    Clock,
    MockProvider,
    SigningKey,
    govsso_config,
    key_fixture,
    other_key_fixture,
    router_fixture,
    tara_config,
)
from refreshgate.providers import OIDCProvider


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
