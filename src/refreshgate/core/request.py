"""What the shells tell the core about a request, and what the core decides about it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, NamedTuple

from refreshgate.core.policy import Route
from refreshgate.core.tokens import AccessToken
from refreshgate.errors import OAuthError

__all__ = ["Decision", "RefreshedAccess", "RequestView", "read_cookie"]


class RequestView(NamedTuple):
    """The few parts of an HTTP request the decision needs (header values as received).

    A named tuple, not a dataclass: one is built per request, and that must cost next to nothing.
    """

    method: str
    path: str
    query: str = ""
    authorization: str | None = None
    cookie: str | None = None
    accept: str | None = None
    remote: str | None = None

    @property
    def wants_html(self) -> bool:
        """A browser navigation: it can follow a redirect to a login page."""
        return self.method in ("GET", "HEAD") and self.accept is not None and "text/html" in self.accept

    @property
    def target(self) -> str:
        """Path and query, as a return address."""
        return f"{self.path}?{self.query}" if self.query else self.path


@dataclass(frozen=True)
class RefreshedAccess:
    """A new access token minted for the request's session."""

    token: str = field(repr=False)  # a bearer credential: never in logs
    expires_in: int


class Decision(NamedTuple):
    """The core's answer: pass (maybe with a refreshed token), reject, or redirect to log in."""

    action: Literal["pass", "reject", "redirect"]
    route: Route | None = None
    token: AccessToken | None = None
    refreshed: RefreshedAccess | None = None
    error: OAuthError | None = None
    location: str | None = None
    #: why a refresh did not happen although it was due (audited)
    refusal: str | None = None

    @property
    def claims(self) -> dict[str, object] | None:
        """The verified claims the app may rely on (of the new token when refreshed)."""
        return None if self.token is None else dict(self.token.claims)


def read_cookie(header: str | None, name: str) -> str | None:
    """The value of cookie ``name`` in a ``Cookie`` header, or ``None``."""
    if not header:
        return None
    for part in header.split(";"):
        key, sep, value = part.strip().partition("=")
        if sep and key == name:
            return value.strip().strip('"')
    return None
