"""Errors raised by identity providers; no httpx or jose exception ever leaves a provider.

::

    RefreshgateError (refreshgate.errors)
    └── ProviderError                base; ``error`` code, ``retryable``, ``session_fatal``
        ├── StateMismatch                callback ``state`` wrong, missing or too old (``reason``)
        ├── ProviderAuthError            provider said no: ``error=`` callback, OIDC error body
        │   └── LoginCancelled           ``error=user_cancel``
        ├── ProviderUnavailable          network error, timeout, 5xx, garbled answer: retryable
        └── IdTokenInvalid               a token failed a check; ``reason`` names which one

Messages never contain a token, code, secret or nonce: they are safe to log.
"""

from __future__ import annotations

from refreshgate.errors import RefreshgateError

__all__ = [
    "IdTokenInvalid",
    "LoginCancelled",
    "ProviderAuthError",
    "ProviderError",
    "ProviderUnavailable",
    "StateMismatch",
]


class ProviderError(RefreshgateError):
    """Base class of every provider failure."""

    error: str = "provider_error"
    #: Trying the same call again later may succeed (e.g. refresh until the ID token's ``exp``).
    retryable: bool = False
    #: The local session that depends on this provider session must end.
    session_fatal: bool = True

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.error)


class StateMismatch(ProviderError):
    """The callback does not belong to the login this browser started.

    ``reason`` is ``"mismatch"`` (wrong or replayed state), ``"missing"`` or ``"expired"``.
    """

    error = "state_mismatch"

    def __init__(self, reason: str = "mismatch") -> None:
        self.reason = reason
        super().__init__(f"login state {reason}")


class ProviderAuthError(ProviderError):
    """The provider refused: an ``error=`` callback or an OAuth2 error body (``invalid_grant``).

    ``error`` is the provider's code; ``description`` its ``error_description``, shortened.
    """

    error = "provider_auth_error"

    def __init__(self, error: str, description: str | None = None) -> None:
        self.error = _short(error, 64) or "provider_auth_error"
        self.description = _short(description, 200) if description else None
        super().__init__(f"provider refused: {self.error}")


class LoginCancelled(ProviderAuthError):
    """The person cancelled the login at the provider (``error=user_cancel``)."""

    def __init__(self, description: str | None = None) -> None:
        super().__init__("user_cancel", description)


class ProviderUnavailable(ProviderError):
    """The provider could not be reached or answered with a server error: retry later."""

    error = "temporarily_unavailable"
    retryable = True
    session_fatal = False


class IdTokenInvalid(ProviderError):
    """An ID token or logout token failed verification.

    ``reason`` is one short word: ``malformed alg kid signature iss aud exp nbf iat sub nonce amr
    acr acr_raised sub_changed sid_changed events sid missing``.
    """

    error = "invalid_token"

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"provider token invalid: {reason}")


def _short(text: str | None, limit: int) -> str:
    """Printable, bounded text from a provider-controlled string."""
    if not text:
        return ""
    cleaned = "".join(ch if ch.isprintable() else "?" for ch in text)
    return cleaned[:limit]
