"""What a decision changes: the request the app sees and the response the client gets."""

from __future__ import annotations

import string
from urllib.parse import quote

from refreshgate.config.model import CookieConfig
from refreshgate.core.request import Decision

__all__ = [
    "IDENTITY_HEADERS",
    "IDENTITY_HEADER_PREFIXES",
    "REFRESHED_EXPIRES_HEADER",
    "REFRESHED_TOKEN_HEADER",
    "header_value",
    "is_identity_header",
    "refreshed_authorization",
    "refreshed_cookie_header",
    "response_headers",
    "set_cookie",
    "unsafe_path",
]

REFRESHED_TOKEN_HEADER = "x-refreshed-access-token"
REFRESHED_EXPIRES_HEADER = "x-refreshed-expires-in"

#: headers only refreshgate may set: a client's copies are stripped before any request is forwarded
IDENTITY_HEADERS = frozenset({"x-forwarded-access-token"})
IDENTITY_HEADER_PREFIXES = ("x-auth-", "x-refreshed-")


def is_identity_header(name: str) -> bool:
    """Whether ``name`` (lower-case) is one of the headers refreshgate alone may set."""
    return name in IDENTITY_HEADERS or name.startswith(IDENTITY_HEADER_PREFIXES)


def response_headers(decision: Decision, cookies: CookieConfig) -> list[tuple[str, str]]:
    """Headers that carry a refreshed token to the client (header or ``Set-Cookie``).

    A response that carries a token must never be stored by a shared cache: ``no-store`` is
    added (a second ``Cache-Control`` header combines with the app's, and ``no-store`` wins).
    """
    new, route = decision.refreshed, decision.route
    if new is None or route is None:
        return []
    if route.cookie is not None:
        carrier = [("set-cookie", set_cookie(route.cookie, new.token, new.expires_in, cookies))]
    else:
        carrier = [(REFRESHED_TOKEN_HEADER, new.token), (REFRESHED_EXPIRES_HEADER, str(new.expires_in))]
    return [*carrier, ("cache-control", "no-store")]


def set_cookie(name: str, value: str, max_age: int | None, cookies: CookieConfig) -> str:
    """A ``Set-Cookie`` value: HttpOnly always, Secure unless relaxed for development, SameSite."""
    parts = [
        f"{name}={value}",
        f"Path={cookies.path}",
        "HttpOnly",
        f"SameSite={cookies.same_site.capitalize()}",
    ]
    if max_age is not None:
        parts.insert(1, f"Max-Age={max_age}")
    if cookies.secure or cookies.same_site == "none":
        parts.append("Secure")
    if cookies.domain:
        parts.append(f"Domain={cookies.domain}")
    return "; ".join(parts)


def refreshed_authorization(decision: Decision) -> str | None:
    """The ``Authorization`` value the app should see, when a header token was refreshed."""
    if decision.refreshed is None or decision.route is None or decision.route.cookie is not None:
        return None
    return f"Bearer {decision.refreshed.token}"


def refreshed_cookie_header(decision: Decision, cookie_header: str | None) -> str | None:
    """The ``Cookie`` header the app should see, with the token cookie's value replaced."""
    if decision.refreshed is None or decision.route is None or decision.route.cookie is None:
        return None
    name, token = decision.route.cookie, decision.refreshed.token
    parts, replaced = [], False
    for part in (cookie_header or "").split(";"):
        key, sep, _ = part.strip().partition("=")
        if sep and key == name:
            parts.append(f"{name}={token}")
            replaced = True
        elif part.strip():
            parts.append(part.strip())
    if not replaced:
        parts.append(f"{name}={token}")
    return "; ".join(parts)


_PRINTABLE = "".join(c for c in string.printable if c not in "%\t\n\r\x0b\x0c")


def header_value(text: str) -> bytes:
    """``text`` as a header value: printable ASCII as is, anything else percent-encoded (UTF-8),
    so a subject can never end the header line and inject another header."""
    if text.isascii() and text.isprintable():
        return text.encode("ascii")
    return quote(text, safe=_PRINTABLE).encode("ascii")


def unsafe_path(path: str) -> bool:
    """A decoded path with ``.``/``..`` or empty segments or ``;`` parameters: the upstream may
    resolve it to another route than the one the decision matched, so such requests are refused."""
    if "\\" in path or "\x00" in path:
        return True
    # ``//`` (merged by nginx, Apache, Tomcat) and ``;params`` (stripped by Tomcat, Jetty,
    # Spring) also make the upstream see another path than the one the route matched
    if "//" in path or ";" in path:
        return True
    return any(segment in (".", "..") for segment in path.split("/"))
