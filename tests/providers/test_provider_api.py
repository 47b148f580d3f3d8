"""The providers package's public surface and the safety of its errors."""

from __future__ import annotations

import refreshgate.providers as providers
from oidc_fakes import tara_config
from refreshgate.providers import (
    IdTokenInvalid,
    LoginCancelled,
    OIDCProvider,
    Provider,
    ProviderAuthError,
    ProviderError,
    ProviderUnavailable,
    StateMismatch,
    safe_return_to,
)
from refreshgate.providers.http import basic_auth_header


def test_public_names_are_pinned() -> None:
    assert sorted(providers.__all__) == [
        "IdTokenInvalid",
        "LoginCancelled",
        "LoginStart",
        "LoginState",
        "LogoutRequest",
        "OIDCProvider",
        "Provider",
        "ProviderAuthError",
        "ProviderError",
        "ProviderMetadata",
        "ProviderTokens",
        "ProviderUnavailable",
        "RefreshedProviderSession",
        "StateMismatch",
        "VerifiedLogin",
        "safe_return_to",
        "state_for",
    ]


def test_every_error_is_a_provider_error() -> None:
    for error in (LoginCancelled(), ProviderAuthError("x"), ProviderUnavailable()):
        assert isinstance(error, ProviderError)
    assert isinstance(IdTokenInvalid("iss"), ProviderError)
    assert isinstance(StateMismatch(), ProviderError)


def test_only_unavailability_is_retryable() -> None:
    assert ProviderUnavailable().retryable and not ProviderUnavailable().session_fatal
    for error in (LoginCancelled(), ProviderAuthError("invalid_grant"), IdTokenInvalid("exp")):
        assert not error.retryable and error.session_fatal


def test_provider_error_text_is_bounded_and_printable() -> None:
    error = ProviderAuthError("bad\r\ncode" * 20, "x" * 1000)
    assert "\n" not in str(error) and len(error.error) == 64
    assert error.description is not None and len(error.description) == 200


async def test_oidc_provider_satisfies_the_provider_interface() -> None:
    provider: Provider = OIDCProvider(tara_config())  # checked by mypy
    assert provider.name == "tara"
    await provider.aclose()


def test_basic_auth_form_encodes_the_credentials() -> None:
    # RFC 6749 §2.3.1: "a:b" becomes "a%3Ab" before base64.
    assert basic_auth_header("a:b", "p w") == "Basic YSUzQWI6cCUyMHc="


def test_safe_return_to_keeps_local_paths_only() -> None:
    assert safe_return_to("/portal/x?y=1#z") == "/portal/x?y=1#z"
    for bad in ("https://evil", "//evil", "/\\evil", "javascript:alert(1)", "/a\r\nb", None):
        assert safe_return_to(bad) == "/"
