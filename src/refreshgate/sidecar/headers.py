"""Header translation for the proxy: what the upstream sees, what the client gets back.

Request: hop-by-hop headers go (RFC 9110 §7.6.1, plus those the ``Connection`` header names),
client-sent identity headers go, then the refreshed token, the identity headers and the
``X-Forwarded-*`` set are added. Response: hop-by-hop headers go; repeated headers (``Set-Cookie``)
stay as they are; the core's refreshed-token headers are added.
"""

from __future__ import annotations

from collections.abc import Iterable

from refreshgate.config.model import UpstreamConfig
from refreshgate.core.request import Decision
from refreshgate.core.rewrite import (
    header_value,
    is_identity_header,
    refreshed_authorization,
    refreshed_cookie_header,
)

__all__ = ["RequestHeaders", "response_headers_of"]

RawHeaders = list[tuple[bytes, bytes]]

HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
    }
)
#: set again by the proxy: the upstream's Host, and forwarding information it alone knows
_REPLACED = frozenset({b"host", b"x-forwarded-proto", b"x-forwarded-host", b"expect"})
#: handled by ``build`` itself (merged or replaced), so an underscore spelling is a spoof
_HANDLED = frozenset({b"x-forwarded-for", b"authorization", b"cookie"})
#: the server in front (uvicorn) writes its own Date; the upstream's would be a duplicate
_RESPONSE_DROPPED = HOP_BY_HOP | {b"date"}


def _connection_named(headers: Iterable[tuple[bytes, bytes]]) -> frozenset[bytes]:
    named: set[bytes] = set()
    for key, value in headers:
        if key.lower() == b"connection":
            named.update(token.strip().lower() for token in value.split(b",") if token.strip())
    return frozenset(named)


class RequestHeaders:
    """Builds the upstream request's headers; derived once from the upstream config."""

    def __init__(self, upstream: UpstreamConfig) -> None:
        names = (upstream.subject_header.lower(), upstream.session_header.lower())
        self._identity = (names[0].encode(), names[1].encode()) if upstream.identity_headers else None
        #: a custom identity header name (not ``X-Auth-*``) must be stripped from clients too
        self._stripped_names = frozenset(name.encode() for name in names)

    def _dropped(self, key: bytes, extra: frozenset[bytes]) -> bool:
        if b"_" in key:
            # CGI/WSGI-style upstreams read ``X_Auth_Subject`` as ``X-Auth-Subject``: judge (and
            # strip) an underscore spelling like the header it impersonates
            key = key.replace(b"_", b"-")
            if key in _HANDLED:
                return True
        return (
            key in HOP_BY_HOP
            or key in _REPLACED
            or key in extra
            or key in self._stripped_names
            or is_identity_header(key.decode("latin-1"))
        )

    def build(
        self,
        raw: RawHeaders,
        decision: Decision,
        *,
        client: str | None,
        scheme: str,
    ) -> RawHeaders:
        """The headers to send upstream for a request the core let pass."""
        extra = _connection_named(raw)
        if any(key.lower() == b"transfer-encoding" for key, _ in raw):
            # the server de-chunked the body: a client Content-Length beside it would make the
            # upstream frame the body differently (request smuggling); the pool re-chunks it
            extra |= {b"content-length"}
        authorization = refreshed_authorization(decision)
        cookies: list[bytes] = []
        host = forwarded_for = None
        out: RawHeaders = []
        for key, value in raw:
            key = key.lower()
            if key == b"host":
                host = value
            elif key == b"x-forwarded-for":
                forwarded_for = value if forwarded_for is None else forwarded_for + b", " + value
            elif key == b"cookie":
                cookies.append(value)
            elif key == b"authorization" and authorization is not None:
                continue
            elif not self._dropped(key, extra):
                out.append((key, value))
        if authorization is not None:
            out.append((b"authorization", authorization.encode("latin-1")))
        out.extend(self._cookie(cookies, decision))
        if client is not None:
            chain = client.encode() if forwarded_for is None else forwarded_for + b", " + client.encode()
            out.append((b"x-forwarded-for", chain))
        elif forwarded_for is not None:
            out.append((b"x-forwarded-for", forwarded_for))
        out.append((b"x-forwarded-proto", scheme.encode()))
        if host is not None:
            out.append((b"x-forwarded-host", host))
        token = decision.token
        if self._identity is not None and token is not None:
            out.append((self._identity[0], header_value(token.sub)))
            out.append((self._identity[1], header_value(token.sid)))
        return out

    @staticmethod
    def _cookie(cookies: list[bytes], decision: Decision) -> RawHeaders:
        joined = b"; ".join(cookies).decode("latin-1") if cookies else None
        replaced = refreshed_cookie_header(decision, joined)
        if replaced is not None:
            return [(b"cookie", replaced.encode("latin-1"))]
        return [(b"cookie", value) for value in cookies]


def response_headers_of(raw: Iterable[tuple[bytes, bytes]]) -> RawHeaders:
    """The upstream's response headers minus hop-by-hop ones (repeated headers intact)."""
    pairs = list(raw)
    extra = _connection_named(pairs)
    return [
        (key, value)
        for key, value in pairs
        if (lower := key.lower()) not in _RESPONSE_DROPPED and lower not in extra
    ]
