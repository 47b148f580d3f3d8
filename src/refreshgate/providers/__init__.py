"""Identity providers: the TARA/GovSSO OpenID Connect client behind a small interface.

The core calls :class:`Provider` methods and catches :class:`ProviderError`; httpx and jose
exceptions never leave this package.
"""

from __future__ import annotations

from refreshgate.providers.base import Provider
from refreshgate.providers.errors import (
    IdTokenInvalid,
    LoginCancelled,
    ProviderAuthError,
    ProviderError,
    ProviderUnavailable,
    StateMismatch,
)
from refreshgate.providers.login import safe_return_to, state_for
from refreshgate.providers.metadata import ProviderMetadata
from refreshgate.providers.models import (
    LoginStart,
    LoginState,
    LogoutRequest,
    ProviderTokens,
    RefreshedProviderSession,
    VerifiedLogin,
)
from refreshgate.providers.oidc import OIDCProvider

__all__ = [
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
