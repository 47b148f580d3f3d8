"""The values a provider hands to the core: login start, login state, verified logins, tokens.

Everything here is a frozen dataclass with ``to_dict``/``from_dict`` where the core has to keep it
(the state cookie, the session store). Secret fields are left out of ``repr``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = [
    "LoginStart",
    "LoginState",
    "LogoutRequest",
    "ProviderTokens",
    "RefreshedProviderSession",
    "VerifiedLogin",
]


@dataclass(frozen=True)
class LoginState:
    """What the (signed and encrypted) state cookie must carry from login to callback.

    ``secret`` is the random value R; the ``state`` sent to the provider is ``base64(sha256(R))``.
    """

    secret: str = field(repr=False)
    nonce: str = field(repr=False)
    return_to: str
    code_verifier: str | None = field(repr=False)
    created_at: float

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable form for the state cookie."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LoginState:
        """Rebuild from :meth:`to_dict` output; ``KeyError``/``TypeError`` on a bad shape."""
        verifier = data.get("code_verifier")
        return cls(
            secret=str(data["secret"]),
            nonce=str(data["nonce"]),
            return_to=str(data["return_to"]),
            code_verifier=None if verifier is None else str(verifier),
            created_at=float(data["created_at"]),
        )


@dataclass(frozen=True)
class LoginStart:
    """Where to send the browser, and what to remember until it comes back."""

    authorize_url: str = field(repr=False)
    state: str = field(repr=False)
    login_state: LoginState


@dataclass(frozen=True)
class ProviderTokens:
    """A refresh-capable provider's session (GovSSO): keep server-side, encrypted.

    ``exp`` is the ID token's expiry: the local session must not outlive it without a refresh.
    ``subject``, ``acr`` and ``nonce`` are remembered so a refresh can prove nothing changed.
    """

    refresh_token: str = field(repr=False)
    id_token: str = field(repr=False)
    exp: int
    sid: str | None
    subject: str
    acr: str | None
    nonce: str | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable form for the (encrypted) session store."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ProviderTokens:
        """Rebuild from :meth:`to_dict` output."""
        return cls(
            refresh_token=str(data["refresh_token"]),
            id_token=str(data["id_token"]),
            exp=int(data["exp"]),
            sid=_opt_str(data.get("sid")),
            subject=str(data["subject"]),
            acr=_opt_str(data.get("acr")),
            nonce=_opt_str(data.get("nonce")),
        )


@dataclass(frozen=True)
class VerifiedLogin:
    """A completed, fully verified login.

    ``claims_to_preserve`` are the identity claims copied verbatim into every local token;
    ``auth_time`` is the login moment (``auth_time`` claim if present, else the ID token's
    ``iat``). ``provider_tokens`` is set only with ``provider_refresh``.
    """

    subject: str
    claims_to_preserve: dict[str, Any]
    auth_time: int
    acr: str | None
    amr: tuple[str, ...]
    provider_tokens: ProviderTokens | None = None


@dataclass(frozen=True)
class RefreshedProviderSession:
    """The provider's answer to a refresh: new tokens (store them, drop the old refresh token).

    ``exp`` caps the local session; ``claims_to_preserve`` come from the new ID token.
    """

    provider_tokens: ProviderTokens
    claims_to_preserve: dict[str, Any]
    auth_time: int
    exp: int


@dataclass(frozen=True)
class LogoutRequest:
    """A verified back-channel logout: end local sessions with this provider ``sid`` or ``sub``.

    ``jti`` lets the core refuse a replayed logout token.
    """

    sid: str | None
    sub: str | None
    jti: str | None = None


def _opt_str(value: object) -> str | None:
    return None if value is None else str(value)
