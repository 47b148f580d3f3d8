"""The interface the core talks to: a provider logs people in and may refresh their session.

A second identity provider is a second module implementing :class:`Provider`, not a branch in the
engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from refreshgate.providers.models import (
    LoginStart,
    LoginState,
    LogoutRequest,
    ProviderTokens,
    RefreshedProviderSession,
    VerifiedLogin,
)

__all__ = ["Provider"]


class Provider(Protocol):
    """An external identity provider as the core sees it."""

    name: str

    async def make_login(self, return_to: str, *, ui_locales: str | None = None) -> LoginStart:
        """Build the authorize redirect and the state to keep until the callback."""
        ...

    async def complete_login(self, params: Mapping[str, str], login_state: LoginState) -> VerifiedLogin:
        """Turn a callback into a verified login."""
        ...

    async def refresh(self, provider_tokens: ProviderTokens) -> RefreshedProviderSession:
        """Refresh the provider session (only providers with ``provider_refresh``)."""
        ...

    async def verify_logout_token(self, token: str) -> LogoutRequest:
        """Verify a back-channel logout token."""
        ...

    async def aclose(self) -> None:
        """Release network resources."""
        ...
