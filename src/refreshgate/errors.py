"""The exceptions refreshgate raises, each carrying its RFC 6749 error code.

Users catch these, never a dependency's exception type: third-party errors (jose, aiocache,
redis, httpx) are translated where they enter (``raise OurError(...) from exc``).

::

    RefreshgateError
    ├── ConfigError                      bad configuration (every problem with its key path)
    └── OAuthError                       renders itself as an RFC 6749 §5.2 JSON body
        ├── InvalidRequest          400  invalid_request
        │   ├── UnsupportedMediaType 415 invalid_request
        │   └── RequestTooLarge     413  invalid_request
        ├── UnsupportedGrantType    400  unsupported_grant_type
        ├── InvalidGrant            400  invalid_grant          (the refresh token is spent)
        ├── InvalidClient           401  invalid_client
        ├── InvalidToken            401  invalid_token          (the access token is not usable)
        ├── AccessDenied            403  access_denied
        ├── NotFound                404  not_found
        ├── MethodNotAllowed        405  method_not_allowed
        ├── RateLimited             429  rate_limited           (+ Retry-After)
        └── TemporarilyUnavailable  503  temporarily_unavailable (+ Retry-After)
            └── StoreUnavailable    503  the refresh store did not answer
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "AccessDenied",
    "ConfigError",
    "ConfigProblem",
    "InvalidClient",
    "InvalidGrant",
    "InvalidRequest",
    "InvalidToken",
    "MethodNotAllowed",
    "NotFound",
    "OAuthError",
    "RateLimited",
    "RefreshgateError",
    "RequestTooLarge",
    "StoreUnavailable",
    "TemporarilyUnavailable",
    "UnsupportedGrantType",
    "UnsupportedMediaType",
]


class RefreshgateError(Exception):
    """Base class of every error refreshgate raises."""


@dataclass(frozen=True)
class ConfigProblem:
    """One configuration problem: where (``profiles.custom.access_ttl``) and what."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path or '<root>'}: {self.message}"


class ConfigError(RefreshgateError):
    """The configuration is unusable; ``problems`` lists every problem found, with its key path."""

    def __init__(self, problems: Sequence[ConfigProblem]) -> None:
        self.problems = list(problems)
        super().__init__("invalid configuration:\n" + "\n".join(f"  {p}" for p in self.problems))


class OAuthError(RefreshgateError):
    """An error that has an OAuth 2.0 code, an HTTP status, and renders its own response."""

    error = "server_error"
    status_code = 400
    #: whether the error means the session must end (the client must authenticate again)
    fatal_for_session = False

    def __init__(self, description: str = "", *, retry_after: int | None = None) -> None:
        self.description = description
        self.retry_after = retry_after
        super().__init__(f"{self.error}: {description}" if description else self.error)

    def body(self) -> bytes:
        """The RFC 6749 §5.2 JSON body."""
        payload = {"error": self.error}
        if self.description:
            payload["error_description"] = self.description
        return json.dumps(payload).encode()

    def headers(self) -> list[tuple[str, str]]:
        """Response headers that belong to this error (content type, caching, challenges)."""
        headers = [("content-type", "application/json"), ("cache-control", "no-store")]
        if self.retry_after is not None:
            headers.append(("retry-after", str(self.retry_after)))
        return headers


class InvalidRequest(OAuthError):
    """The request is malformed: missing or duplicated parameter, bad value, reserved claim."""

    error = "invalid_request"


class UnsupportedMediaType(InvalidRequest):
    """The request body has a content type the endpoint does not read."""

    status_code = 415


class RequestTooLarge(InvalidRequest):
    """The request body is larger than the endpoint accepts."""

    status_code = 413


class UnsupportedGrantType(OAuthError):
    """``grant_type`` is not ``refresh_token``."""

    error = "unsupported_grant_type"


class InvalidGrant(OAuthError):
    """The refresh token is invalid, expired, revoked, reused, or its session reached a limit."""

    error = "invalid_grant"
    fatal_for_session = True


class InvalidClient(OAuthError):
    """Client authentication failed."""

    error = "invalid_client"
    status_code = 401

    def headers(self) -> list[tuple[str, str]]:
        return [*super().headers(), ("www-authenticate", 'Basic realm="refreshgate"')]


class InvalidToken(OAuthError):
    """The access token is missing, malformed, expired, revoked or otherwise unusable."""

    error = "invalid_token"
    status_code = 401
    fatal_for_session = True

    def __init__(self, description: str = "", *, login_url: str | None = None, reason: str = "") -> None:
        super().__init__(description)
        self.login_url = login_url
        self.reason = reason or description

    def headers(self) -> list[tuple[str, str]]:
        challenge = f'Bearer realm="refreshgate", error="{self.error}"'
        if self.description:
            challenge += f', error_description="{_quote(self.description)}"'
        if self.login_url:
            challenge += f', login_url="{_quote(self.login_url)}"'
        return [*super().headers(), ("www-authenticate", challenge)]


class AccessDenied(OAuthError):
    """The authenticated client may not do this (e.g. a non-admin revoking a subject)."""

    error = "access_denied"
    status_code = 403


class NotFound(OAuthError):
    """No endpoint at this path."""

    error = "not_found"
    status_code = 404


class MethodNotAllowed(OAuthError):
    """The endpoint exists but not for this method."""

    error = "method_not_allowed"
    status_code = 405


class RateLimited(OAuthError):
    """Too many requests for this session or client address."""

    error = "rate_limited"
    status_code = 429


class TemporarilyUnavailable(OAuthError):
    """The service cannot answer now; try again after ``Retry-After``."""

    error = "temporarily_unavailable"
    status_code = 503

    def __init__(self, description: str = "", *, retry_after: int | None = 1) -> None:
        super().__init__(description, retry_after=retry_after)


class StoreUnavailable(TemporarilyUnavailable):
    """The refresh store did not answer (down, timing out, refusing connections)."""

    def __init__(self, description: str = "the session store is unavailable") -> None:
        super().__init__(description, retry_after=1)


def _quote(text: str) -> str:
    # a header value: printable ASCII only, so no line can be ended and the server can encode it
    text = "".join(ch if " " <= ch <= "~" else "?" for ch in text)
    return text.replace("\\", "\\\\").replace('"', "'")
